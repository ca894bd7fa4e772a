//! The tags service: tags, what entries carry them, rules (and running them), templates, and the
//! tagging configuration's export and import. The REST API and the server functions both call these.
//!
//! Rules run in one place, [`execute`]: load the entries in scope with their tags, prepare the rules
//! (compile patterns, resolve tag names, create missing tags), let the pure engine decide, write the
//! result. "Run", "Run all" and the auto-run after a create, edit, import or scan all go through it.

use super::engine::{self, Prepared};
use super::{
    parse_bulk, parse_rule, parse_tag, parse_tag_ids, store, suggest_color, Action, Applied,
    Condition, LogEntry, Preview, Rule, RuleSpec, RunReport, Tag, TagInput, TagRef, TagTarget,
    Template,
};
use crate::error::ServiceError;
use crate::validation::FieldErrors;
use serde_json::{json, Value};
use sqlx::{SqliteConnection, SqlitePool};
use std::collections::{BTreeSet, HashMap};

pub async fn list(pool: &SqlitePool) -> Result<Vec<Tag>, ServiceError> {
    Ok(store::list(pool).await?)
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<Tag, ServiceError> {
    store::list(pool)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("tag {id}")))
}

/// A new name must differ from every other tag's in more than case; an upgraded database may hold
/// twins (`monitoring`, `Monitoring`) and keeps them, each editable without renaming.
async fn check_name(
    conn: &mut SqliteConnection,
    name: &str,
    except: Option<i64>,
) -> Result<(), ServiceError> {
    if let Some(other) = store::name_taken(&mut *conn, name, except).await? {
        return Err(ServiceError::field(
            "name",
            format!(
                "a tag named '{other}' exists; names must differ in more than upper/lower case"
            ),
        ));
    }
    Ok(())
}

pub async fn create(pool: &SqlitePool, input: &Value) -> Result<Tag, ServiceError> {
    let existing = store::list(pool).await?;
    let color = suggest_color(existing.iter().map(|t| t.color.as_str()));
    let tag = parse_tag(input, &color).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    check_name(&mut tx, &tag.name, None).await?;
    let id = store::insert(&mut tx, &tag).await?;
    tx.commit().await?;
    get(pool, id).await
}

pub async fn update(pool: &SqlitePool, id: i64, input: &Value) -> Result<Tag, ServiceError> {
    let current = get(pool, id).await?;
    let tag = parse_tag(input, &current.color).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if tag.name != current.name {
        check_name(&mut tx, &tag.name, Some(id)).await?;
        rename_in_rules(&mut tx, &current.name, &tag.name).await?;
    }
    store::update(&mut tx, id, &tag).await?;
    tx.commit().await?;
    get(pool, id).await
}

/// A renamed tag keeps its rules: actions and `tag_present` conditions naming the old name (exactly)
/// name the new one, so the next run does not create the old name again.
async fn rename_in_rules(
    conn: &mut SqliteConnection,
    old: &str,
    new: &str,
) -> Result<(), ServiceError> {
    fn rename(c: &mut Condition, old: &str, new: &str) -> bool {
        match c {
            Condition::Group(_, items) => {
                items
                    .iter_mut()
                    .map(|c| rename(c, old, new))
                    .filter(|changed| *changed)
                    .count()
                    > 0
            }
            Condition::TagPresent(name) if name == old => {
                *name = new.to_string();
                true
            }
            _ => false,
        }
    }
    for row in store::rules(&mut *conn).await? {
        let (rule, Some((mut conditions, mut actions))) = to_rule(&row) else {
            continue;
        };
        let mut changed = rename(&mut conditions, old, new);
        for a in &mut actions {
            if a.tag == TagTarget::Name(old.to_string()) {
                a.tag = TagTarget::Name(new.to_string());
                changed = true;
            }
        }
        if changed {
            let spec = RuleSpec {
                name: rule.name,
                description: rule.description,
                enabled: rule.enabled,
                auto_execute: rule.auto_execute,
                priority: rule.priority,
                conditions,
                actions,
            };
            store::update_rule(&mut *conn, row.id, &write(&spec)).await?;
        }
    }
    Ok(())
}

/// Deletes a tag and its assignments; the entries stay.
pub async fn delete(pool: &SqlitePool, id: i64) -> Result<(), ServiceError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if store::delete(&mut tx, &[id]).await?.is_empty() {
        return Err(ServiceError::NotFound(format!("tag {id}")));
    }
    tx.commit().await?;
    Ok(())
}

/// `{"ids": [..]}` → the names deleted.
pub async fn delete_many(pool: &SqlitePool, input: &Value) -> Result<Vec<String>, ServiceError> {
    let ids = parse_tag_ids(input, "ids").map_err(ServiceError::Validation)?;
    if ids.is_empty() {
        return Err(ServiceError::field("ids", "select at least one tag"));
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let names = store::delete(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(names)
}

/// Deletes every tag no entry carries → their names.
pub async fn remove_unused(pool: &SqlitePool) -> Result<Vec<String>, ServiceError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let ids = store::unused(&mut tx).await?;
    let names = store::delete(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(names)
}

pub async fn of_port(pool: &SqlitePool, port_id: i64) -> Result<Vec<TagRef>, ServiceError> {
    crate::ports::store::get(pool, port_id)
        .await
        .map(|p| p.tags)
        .map_err(|e| match e {
            crate::db::error::StoreError::NotFound => {
                ServiceError::NotFound(format!("port entry {port_id}"))
            }
            other => other.into(),
        })
}

/// Every one of `ids` is a row of `table`, else a field error naming the missing ones.
async fn require(
    conn: &mut SqliteConnection,
    table: store::Table,
    ids: &[i64],
    field: &str,
) -> Result<(), ServiceError> {
    let found = store::existing(conn, table, ids).await?;
    let missing: Vec<String> = ids
        .iter()
        .filter(|i| !found.contains(i))
        .map(i64::to_string)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let what = match table {
        store::Table::Tag => "tag",
        store::Table::Port => "port entry",
    };
    Err(ServiceError::field(
        field,
        format!("no {what} with id {}", missing.join(", ")),
    ))
}

/// Sets exactly the tags an entry carries (`{"tag_ids": [..]}`).
pub async fn set_port_tags(
    pool: &SqlitePool,
    port_id: i64,
    input: &Value,
) -> Result<Vec<TagRef>, ServiceError> {
    let wanted = parse_tag_ids(input, "tag_ids").map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if store::existing(&mut tx, store::Table::Port, &[port_id])
        .await?
        .is_empty()
    {
        return Err(ServiceError::NotFound(format!("port entry {port_id}")));
    }
    require(&mut tx, store::Table::Tag, &wanted, "tag_ids").await?;
    let current = store::of_port(&mut tx, port_id).await?;
    let remove: Vec<i64> = current
        .into_iter()
        .filter(|t| !wanted.contains(t))
        .collect();
    store::assign(&mut tx, &[port_id], &wanted, &remove).await?;
    tx.commit().await?;
    of_port(pool, port_id).await
}

/// What a bulk change did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkReport {
    pub ports: usize,
    pub added: u64,
    pub removed: u64,
    pub message: String,
}

/// Adds and removes tags on many entries at once.
pub async fn bulk(pool: &SqlitePool, input: &Value) -> Result<BulkReport, ServiceError> {
    let b = parse_bulk(input).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    require(&mut tx, store::Table::Port, &b.port_ids, "port_ids").await?;
    require(&mut tx, store::Table::Tag, &b.add, "add").await?;
    require(&mut tx, store::Table::Tag, &b.remove, "remove").await?;
    let (added, removed) = store::assign(&mut tx, &b.port_ids, &b.add, &b.remove).await?;
    tx.commit().await?;
    Ok(BulkReport {
        ports: b.port_ids.len(),
        added,
        removed,
        message: format!(
            "{} entr{}: {added} tag{} added, {removed} removed",
            b.port_ids.len(),
            if b.port_ids.len() == 1 { "y" } else { "ies" },
            if added == 1 { "" } else { "s" }
        ),
    })
}

// ---- Rules ----

/// A stored rule as the API shows it: canonical conditions and actions when they read, the stored
/// text and the reason otherwise.
fn to_rule(row: &store::RuleRow) -> (Rule, Option<(Condition, Vec<Action>)>) {
    let mut errors = FieldErrors::new();
    let conditions_json: Value =
        serde_json::from_str(&row.conditions).unwrap_or(Value::String(row.conditions.clone()));
    let actions_json: Value =
        serde_json::from_str(&row.actions).unwrap_or(Value::String(row.actions.clone()));
    let conditions = Condition::parse(&conditions_json, "conditions", &mut errors);
    let actions: Option<Vec<Action>> = match &actions_json {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, a)| Action::parse(a, &format!("actions.{i}"), &mut errors))
            .collect(),
        _ => {
            crate::validation::push_error(&mut errors, "actions", "no actions");
            None
        }
    };
    let parsed = conditions.zip(actions).filter(|_| errors.is_empty());
    let problem = (!errors.is_empty()).then(|| {
        format!(
            "this rule cannot run until it is edited: {}",
            errors
                .iter()
                .map(|(k, m)| format!("{k}: {}", m.join("; ")))
                .collect::<Vec<_>>()
                .join(". ")
        )
    });
    let rule = Rule {
        id: row.id,
        name: row.name.clone(),
        description: row.description.clone(),
        enabled: row.enabled,
        auto_execute: row.auto_execute,
        priority: row.priority,
        conditions: parsed
            .as_ref()
            .map_or(conditions_json, |(c, _)| c.to_json()),
        actions: parsed.as_ref().map_or(actions_json, |(_, a)| {
            Value::Array(a.iter().map(Action::to_json).collect())
        }),
        execution_count: row.execution_count,
        ports_affected: row.ports_affected,
        last_executed: row.last_executed.clone(),
        problem,
    };
    (rule, parsed)
}

pub async fn rules(pool: &SqlitePool) -> Result<Vec<Rule>, ServiceError> {
    Ok(store::rules(pool)
        .await?
        .iter()
        .map(|r| to_rule(r).0)
        .collect())
}

pub async fn rule(pool: &SqlitePool, id: i64) -> Result<Rule, ServiceError> {
    rules(pool)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("rule {id}")))
}

/// Parses and compiles a rule body: every problem is a field error (a bad pattern on its condition).
fn checked(input: &Value) -> Result<RuleSpec, ServiceError> {
    let spec = parse_rule(input).map_err(ServiceError::Validation)?;
    engine::compile_cached(&spec.conditions).map_err(ServiceError::Validation)?;
    Ok(spec)
}

fn write(spec: &RuleSpec) -> store::RuleWrite<'_> {
    store::RuleWrite {
        name: &spec.name,
        description: spec.description.as_deref(),
        enabled: spec.enabled,
        auto_execute: spec.auto_execute,
        priority: spec.priority,
        conditions: spec.conditions.to_json().to_string(),
        actions: Value::Array(spec.actions.iter().map(Action::to_json).collect()).to_string(),
    }
}

pub async fn create_rule(pool: &SqlitePool, input: &Value) -> Result<Rule, ServiceError> {
    let spec = checked(input)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id = store::insert_rule(&mut tx, &write(&spec)).await?;
    tx.commit().await?;
    rule(pool, id).await
}

pub async fn update_rule(pool: &SqlitePool, id: i64, input: &Value) -> Result<Rule, ServiceError> {
    let spec = checked(input)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if !store::update_rule(&mut tx, id, &write(&spec)).await? {
        return Err(ServiceError::NotFound(format!("rule {id}")));
    }
    tx.commit().await?;
    rule(pool, id).await
}

pub async fn delete_rule(pool: &SqlitePool, id: i64) -> Result<(), ServiceError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if store::delete_rule(&mut tx, id).await? == 0 {
        return Err(ServiceError::NotFound(format!("rule {id}")));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn log(pool: &SqlitePool, id: i64) -> Result<Vec<LogEntry>, ServiceError> {
    rule(pool, id).await?;
    Ok(store::log(pool, id, 100).await?)
}

/// The tags as the engine needs them: id → name, and a lookup by name (exact first, then ignoring
/// case; twins resolve to the older tag).
struct Tags {
    names: HashMap<i64, String>,
    list: Vec<(i64, String, String)>,
}

impl Tags {
    async fn load(conn: &mut SqliteConnection) -> Result<Tags, sqlx::Error> {
        let list: Vec<(i64, String, String)> = store::list(&mut *conn)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name, t.color))
            .collect();
        Ok(Tags {
            names: list.iter().map(|(id, n, _)| (*id, n.clone())).collect(),
            list,
        })
    }

    fn find(&self, name: &str) -> Option<i64> {
        let lower = name.to_lowercase();
        self.list
            .iter()
            .find(|(_, n, _)| n == name)
            .or_else(|| {
                let mut twins: Vec<&(i64, String, String)> = self
                    .list
                    .iter()
                    .filter(|(_, n, _)| n.to_lowercase() == lower)
                    .collect();
                twins.sort_by_key(|t| t.0);
                twins.into_iter().next()
            })
            .map(|t| t.0)
    }
}

/// Resolves a rule's actions to tag ids. A named tag that does not exist gets a placeholder id
/// below zero (the same one for every rule naming it); [`create_pending`] creates only those an
/// effect needs, so a rule that matched nothing leaves no empty tag behind. An action naming a
/// tag id that no longer exists is dropped.
fn resolve(tags: &mut Tags, actions: &[Action]) -> Vec<(bool, i64)> {
    let mut out = Vec::new();
    for a in actions {
        let id = match &a.tag {
            TagTarget::Id(id) => tags.names.contains_key(id).then_some(*id),
            TagTarget::Name(name) => match tags.find(name) {
                Some(id) => Some(id),
                None if !a.add => None,
                None => {
                    let id = -(tags.list.len() as i64) - 1;
                    let color = a
                        .color
                        .clone()
                        .unwrap_or_else(|| suggest_color(tags.list.iter().map(|t| t.2.as_str())));
                    tags.list.push((id, name.clone(), color));
                    tags.names.insert(id, name.clone());
                    Some(id)
                }
            },
        };
        if let Some(id) = id {
            out.push((a.add, id));
        }
    }
    out
}

/// Creates the placeholder tags the effects use and gives the effects their real ids → the names
/// created.
async fn create_pending(
    conn: &mut SqliteConnection,
    tags: &Tags,
    effects: &mut [engine::Effect],
) -> Result<Vec<String>, sqlx::Error> {
    let mut real: HashMap<i64, i64> = HashMap::new();
    let mut created = Vec::new();
    for e in effects.iter_mut().filter(|e| e.tag_id < 0) {
        if let Some(id) = real.get(&e.tag_id) {
            e.tag_id = *id;
            continue;
        }
        let Some((_, name, color)) = tags.list.iter().find(|t| t.0 == e.tag_id) else {
            continue;
        };
        let input = super::TagInput {
            name: name.clone(),
            color: color.clone(),
            description: None,
        };
        let id = store::insert(&mut *conn, &input).await?;
        created.push(name.clone());
        real.insert(e.tag_id, id);
        e.tag_id = id;
    }
    Ok(created)
}

/// Which entries rules run over.
pub enum Scope<'a> {
    All,
    Ids(&'a [i64]),
    /// What a scan brought: the entries it created (given whole, not read back) and the existing
    /// ones it reports again or for the first time.
    Arrived {
        created: Vec<crate::model::PortEntry>,
        returned: &'a [i64],
    },
}

impl Scope<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Scope::All => false,
            Scope::Ids(ids) => ids.is_empty(),
            Scope::Arrived { created, returned } => created.is_empty() && returned.is_empty(),
        }
    }
}

/// Runs `rules` (already in priority order) over the entries in `scope`.
async fn execute(
    conn: &mut SqliteConnection,
    rows: &[store::RuleRow],
    scope: Scope<'_>,
) -> Result<RunReport, ServiceError> {
    let usable: Vec<(i64, Condition, Vec<Action>)> = rows
        .iter()
        .filter_map(|r| to_rule(r).1.map(|(c, a)| (r.id, c, a)))
        .collect();
    if usable.is_empty() {
        return Ok(RunReport {
            message: "no rule to run".into(),
            ..Default::default()
        });
    }
    let entries = match scope {
        Scope::All => crate::ports::store::list(&mut *conn).await?,
        Scope::Ids(ids) => crate::ports::store::by_ids(&mut *conn, ids).await?,
        Scope::Arrived {
            mut created,
            returned,
        } => {
            if !returned.is_empty() {
                created.extend(crate::ports::store::by_ids(&mut *conn, returned).await?);
            }
            created
        }
    };
    let mut tags = Tags::load(conn).await?;
    let mut prepared = Vec::new();
    for (id, conditions, actions) in usable {
        let conditions = match engine::compile_cached(&conditions) {
            Ok(c) => c,
            Err(errors) => {
                tracing::warn!(
                    rule = id,
                    ?errors,
                    "rule skipped: its conditions do not compile"
                );
                continue;
            }
        };
        let actions = resolve(&mut tags, &actions);
        prepared.push(Prepared {
            id,
            conditions,
            actions,
        });
    }
    let mut state: HashMap<i64, BTreeSet<i64>> = entries
        .iter()
        .map(|e| (e.id, e.tags.iter().map(|t| t.id).collect()))
        .collect();
    let mut effects = engine::run(&prepared, &entries, &mut state, &tags.names);
    let created = create_pending(conn, &tags, &mut effects).await?;
    let ran: Vec<i64> = prepared.iter().map(|p| p.id).collect();
    store::apply(conn, &effects, &ran).await?;
    let ports: BTreeSet<i64> = effects.iter().map(|e| e.port_id).collect();
    let added = effects.iter().filter(|e| e.add).count();
    let removed = effects.len() - added;
    Ok(RunReport {
        rules: ran.len(),
        ports_affected: ports.len(),
        tags_added: added,
        tags_removed: removed,
        message: format!(
            "{} rule{} ran: {} entr{} changed ({added} tag{} added, {removed} removed){}",
            ran.len(),
            if ran.len() == 1 { "" } else { "s" },
            ports.len(),
            if ports.len() == 1 { "y" } else { "ies" },
            if added == 1 { "" } else { "s" },
            if created.is_empty() {
                String::new()
            } else {
                format!(
                    "; new tag{}: {}",
                    if created.len() == 1 { "" } else { "s" },
                    created.join(", ")
                )
            }
        ),
        tags_created: created,
    })
}

/// "Run": one rule over every entry (also when it is disabled: the user asked for it).
pub async fn run_rule(pool: &SqlitePool, id: i64) -> Result<RunReport, ServiceError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let rows: Vec<store::RuleRow> = store::rules(&mut *tx)
        .await?
        .into_iter()
        .filter(|r| r.id == id)
        .collect();
    let Some(row) = rows.first() else {
        return Err(ServiceError::NotFound(format!("rule {id}")));
    };
    if let (rule, None) = to_rule(row) {
        return Err(ServiceError::Conflict(rule.problem.unwrap_or_default()));
    }
    let report = execute(&mut tx, &rows, Scope::All).await?;
    tx.commit().await?;
    Ok(report)
}

/// "Run all": every enabled rule over every entry, higher priority first.
pub async fn run_all(pool: &SqlitePool) -> Result<RunReport, ServiceError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let rows: Vec<store::RuleRow> = store::rules(&mut *tx)
        .await?
        .into_iter()
        .filter(|r| r.enabled)
        .collect();
    let report = execute(&mut tx, &rows, Scope::All).await?;
    tx.commit().await?;
    Ok(report)
}

/// The enabled auto-run rules over the entries just created, edited, imported or discovered, in the
/// caller's transaction.
pub async fn auto_run(
    conn: &mut SqliteConnection,
    scope: Scope<'_>,
) -> Result<RunReport, ServiceError> {
    if scope.is_empty() {
        return Ok(RunReport::default());
    }
    let rows: Vec<store::RuleRow> = store::rules(&mut *conn)
        .await?
        .into_iter()
        .filter(|r| r.enabled && r.auto_execute)
        .collect();
    if rows.is_empty() {
        return Ok(RunReport::default());
    }
    execute(conn, &rows, scope).await
}

/// Which entries a rule body's conditions match now, and how many its actions would change. Nothing
/// is stored (a tag the rule would create counts as a change on every match).
pub async fn preview(pool: &SqlitePool, input: &Value) -> Result<Preview, ServiceError> {
    let mut body = input.clone();
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        body["name"] = json!("preview");
    }
    let spec = checked(&body)?;
    let mut conn = pool.acquire().await?;
    let entries = crate::ports::store::list(&mut *conn).await?;
    let mut tags = Tags::load(&mut conn).await?;
    let conditions = engine::compile_cached(&spec.conditions).map_err(ServiceError::Validation)?;
    let actions = resolve(&mut tags, &spec.actions);
    let mut state: HashMap<i64, BTreeSet<i64>> = entries
        .iter()
        .map(|e| (e.id, e.tags.iter().map(|t| t.id).collect()))
        .collect();
    let empty = BTreeSet::new();
    let matching: Vec<&crate::model::PortEntry> = entries
        .iter()
        .filter(|e| {
            conditions.matches(&engine::Subject {
                entry: e,
                tags: state.get(&e.id).unwrap_or(&empty),
                names: &tags.names,
            })
        })
        .collect();
    let rule = Prepared {
        id: 0,
        conditions,
        actions,
    };
    let effects = engine::run(
        std::slice::from_ref(&rule),
        &entries,
        &mut state,
        &tags.names,
    );
    let would_change = effects
        .iter()
        .map(|e| e.port_id)
        .collect::<BTreeSet<_>>()
        .len();
    Ok(Preview {
        port_ids: matching.iter().map(|e| e.id).collect(),
        would_change,
        message: format!(
            "matches {} entr{}; would change {would_change}",
            matching.len(),
            if matching.len() == 1 { "y" } else { "ies" }
        ),
        ports: matching.into_iter().take(50).cloned().collect(),
    })
}

// ---- Templates, export, import ----

pub fn templates() -> Vec<Template> {
    super::templates::all()
}

/// Adds rules (and their tags are created when they first run). A rule whose name exists is
/// skipped and reported; nothing is half-added: a bad rule refuses the whole set.
async fn add_rules(
    conn: &mut SqliteConnection,
    rules: &[Value],
    applied: &mut Applied,
) -> Result<(), ServiceError> {
    let existing: Vec<String> = store::rules(&mut *conn)
        .await?
        .into_iter()
        .map(|r| r.name.to_lowercase())
        .collect();
    let mut specs = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let spec = checked(r).map_err(|e| match e {
            ServiceError::Validation(fields) => ServiceError::Validation(
                fields
                    .into_iter()
                    .map(|(k, v)| (format!("rules.{i}.{k}"), v))
                    .collect(),
            ),
            other => other,
        })?;
        specs.push(spec);
    }
    for spec in specs {
        if existing.contains(&spec.name.to_lowercase())
            || applied
                .added
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&spec.name))
        {
            applied.skipped.push(spec.name);
            continue;
        }
        store::insert_rule(&mut *conn, &write(&spec)).await?;
        applied.added.push(spec.name);
    }
    Ok(())
}

/// Adds a template's rules (names that exist are skipped and reported).
pub async fn apply_template(pool: &SqlitePool, name: &str) -> Result<Applied, ServiceError> {
    let template = templates()
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ServiceError::NotFound(format!("template '{name}'")))?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut applied = Applied::default();
    add_rules(&mut tx, &template.rules, &mut applied).await?;
    tx.commit().await?;
    applied.message = summary(&template.title, &applied);
    Ok(applied)
}

fn summary(what: &str, a: &Applied) -> String {
    let mut parts = vec![format!(
        "{what}: {} rule{} added",
        a.added.len(),
        if a.added.len() == 1 { "" } else { "s" }
    )];
    if !a.skipped.is_empty() {
        parts.push(format!(
            "skipped (a rule with that name exists): {}",
            a.skipped.join(", ")
        ));
    }
    if !a.tags_added.is_empty() || !a.tags_skipped.is_empty() {
        parts.push(format!(
            "{} tag{} added, {} already there",
            a.tags_added.len(),
            if a.tags_added.len() == 1 { "" } else { "s" },
            a.tags_skipped.len()
        ));
    }
    parts.join("; ")
}

/// The tags and rules as JSON: `{exported_at, version: "1.0", tags, rules}`, the Python Portall's
/// shape (rules name their tags, so the file means the same in another Portall).
pub async fn export(pool: &SqlitePool) -> Result<Value, ServiceError> {
    let tags = store::list(pool).await?;
    let names: HashMap<i64, &str> = tags.iter().map(|t| (t.id, t.name.as_str())).collect();
    let rules: Vec<Value> = store::rules(pool)
        .await?
        .iter()
        .map(|row| {
            let (rule, parsed) = to_rule(row);
            let actions = match parsed {
                // Legacy actions name a tag id; the file names the tag instead.
                Some((_, actions)) => Value::Array(
                    actions
                        .into_iter()
                        .map(|mut a| {
                            if let TagTarget::Id(id) = a.tag {
                                if let Some(n) = names.get(&id) {
                                    a.tag = TagTarget::Name(n.to_string());
                                }
                            }
                            a.to_json()
                        })
                        .collect(),
                ),
                None => rule.actions,
            };
            json!({
                "name": rule.name, "description": rule.description, "enabled": rule.enabled,
                "auto_execute": rule.auto_execute, "priority": rule.priority,
                "conditions": rule.conditions, "actions": actions,
            })
        })
        .collect();
    Ok(json!({
        "exported_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        "version": "1.0",
        "tags": tags.iter().map(|t| json!({"name": t.name, "color": t.color, "description": t.description})).collect::<Vec<_>>(),
        "rules": rules,
    }))
}

/// Imports a tagging configuration (this Portall's export or the Python Portall's). Tags whose name
/// exists (ignoring case) and rules whose name exists are skipped and reported; one bad tag or rule
/// refuses the file with its place named, and nothing changes.
pub async fn import(pool: &SqlitePool, input: &Value) -> Result<Applied, ServiceError> {
    let (tags, rules) = parse_tagging(input)?;
    if tags.is_empty() && rules.is_empty() {
        return Err(ServiceError::field(
            "tags",
            "the file holds no tags and no rules",
        ));
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let applied = import_tagging(&mut tx, tags, &rules).await?;
    tx.commit().await?;
    Ok(applied)
}

/// The tags (parsed) and rules (checked when added) of a tagging export; 422 naming `tags.N.field`.
pub fn parse_tagging(input: &Value) -> Result<(Vec<TagInput>, Vec<Value>), ServiceError> {
    let list = |key: &str| -> Result<Vec<Value>, ServiceError> {
        match input.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(ServiceError::field(key, "must be a list")),
        }
    };
    let (tags, rules) = (list("tags")?, list("rules")?);
    let mut parsed = Vec::new();
    let mut errors = FieldErrors::new();
    for (i, t) in tags.iter().enumerate() {
        match parse_tag(t, super::PALETTE[i % super::PALETTE.len()]) {
            Ok(t) => parsed.push(t),
            Err(e) => errors.extend(e.into_iter().map(|(k, v)| (format!("tags.{i}.{k}"), v))),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    Ok((parsed, rules))
}

/// Adds the tags and rules whose names are new, in the caller's transaction (a bad rule refuses
/// the whole import).
pub async fn import_tagging(
    conn: &mut SqliteConnection,
    tags: Vec<TagInput>,
    rules: &[Value],
) -> Result<Applied, ServiceError> {
    let mut applied = Applied::default();
    for t in tags {
        if store::name_taken(&mut *conn, &t.name, None)
            .await?
            .is_some()
        {
            applied.tags_skipped.push(t.name);
        } else {
            store::insert(conn, &t).await?;
            applied.tags_added.push(t.name);
        }
    }
    add_rules(conn, rules, &mut applied).await?;
    applied.message = summary("Imported", &applied);
    Ok(applied)
}

/// The ids of tags by name (an exact match first, then one ignoring case), creating the missing ones
/// with a palette colour, in the caller's transaction.
pub async fn ids_by_name(
    conn: &mut SqliteConnection,
    names: &[String],
) -> Result<std::collections::HashMap<String, i64>, ServiceError> {
    let mut known: Vec<(i64, String, String)> = store::list(&mut *conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name, t.color))
        .collect();
    let mut out = std::collections::HashMap::new();
    for name in names {
        if out.contains_key(name) {
            continue;
        }
        let found = known
            .iter()
            .find(|(_, n, _)| n == name)
            .or_else(|| known.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(name)))
            .map(|(id, _, _)| *id);
        let id = match found {
            Some(id) => id,
            None => {
                let input = serde_json::json!({ "name": name });
                let color = suggest_color(known.iter().map(|(_, _, c)| c.as_str()));
                let tag = parse_tag(&input, &color).map_err(|e| {
                    ServiceError::Validation(
                        e.into_values()
                            .map(|v| (format!("tags.{name}"), v))
                            .collect(),
                    )
                })?;
                let id = store::insert(conn, &tag).await?;
                known.push((id, tag.name, tag.color));
                id
            }
        };
        out.insert(name.clone(), id);
    }
    Ok(out)
}
