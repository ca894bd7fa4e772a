//! Queries on the legacy `tag`, `port_tag`, `tagging_rule` and `rule_execution_log` tables. The
//! legacy schema declares no cascades (and the Python app ran without foreign keys), so deleting a tag
//! or a rule removes its dependent rows here, explicitly.

use super::engine::Effect;
use super::{LogEntry, Tag, TagInput};
use sqlx::{Row, SqliteConnection};

const NOW: &str = "strftime('%Y-%m-%d %H:%M:%S', 'now')";

fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// Every tag with its usage count, by name (case-insensitive, twins by id).
pub async fn list<'e>(ex: impl sqlx::SqliteExecutor<'e>) -> Result<Vec<Tag>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, t.color, t.description,
                (SELECT COUNT(*) FROM port_tag pt JOIN port p ON p.id = pt.port_id WHERE pt.tag_id = t.id) AS port_count
           FROM tag t ORDER BY t.name COLLATE NOCASE, t.id",
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Tag {
            id: r.get("id"),
            name: r.get("name"),
            color: r.get("color"),
            description: r.get("description"),
            port_count: r.get("port_count"),
        })
        .collect())
}

/// Another tag (not `except`) whose name equals `name` ignoring case.
pub async fn name_taken<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    name: &str,
    except: Option<i64>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM tag WHERE lower(name) = lower(?1) AND id IS NOT ?2 ORDER BY id LIMIT 1",
    )
    .bind(name)
    .bind(except)
    .fetch_optional(ex)
    .await
}

pub async fn insert(conn: &mut SqliteConnection, t: &TagInput) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tag (name, color, description, created_at, updated_at) VALUES (?, ?, ?, {NOW}, {NOW}) RETURNING id"
    )))
    .bind(&t.name)
    .bind(&t.color)
    .bind(&t.description)
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut SqliteConnection,
    id: i64,
    t: &TagInput,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE tag SET name = ?, color = ?, description = ?, updated_at = {NOW} WHERE id = ?"
    )))
    .bind(&t.name)
    .bind(&t.color)
    .bind(&t.description)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Deletes tags with their assignments; the entries stay. Returns the names deleted.
pub async fn delete(conn: &mut SqliteConnection, ids: &[i64]) -> Result<Vec<String>, sqlx::Error> {
    let ids = ids_json(ids);
    sqlx::query("DELETE FROM port_tag WHERE tag_id IN (SELECT value FROM json_each(?))")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar(
        "DELETE FROM tag WHERE id IN (SELECT value FROM json_each(?)) RETURNING name",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
}

/// The tags no entry carries.
pub async fn unused(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM tag t WHERE NOT EXISTS (SELECT 1 FROM port_tag pt JOIN port p ON p.id = pt.port_id WHERE pt.tag_id = t.id)",
    )
    .fetch_all(conn)
    .await
}

/// The table [`existing`] looks in.
#[derive(Clone, Copy)]
pub enum Table {
    Tag,
    Port,
}

/// Which of `ids` are rows of `table`.
pub async fn existing(
    conn: &mut SqliteConnection,
    table: Table,
    ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    let sql = match table {
        Table::Tag => "SELECT id FROM tag WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        Table::Port => {
            "SELECT id FROM port WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"
        }
    };
    sqlx::query_scalar(sql)
        .bind(ids_json(ids))
        .fetch_all(conn)
        .await
}

/// Adds each of `tags` to each of `ports` (already there: nothing), removes each of `remove`.
/// Returns (assignments added, assignments removed).
pub async fn assign(
    conn: &mut SqliteConnection,
    ports: &[i64],
    add: &[i64],
    remove: &[i64],
) -> Result<(u64, u64), sqlx::Error> {
    let ports = ids_json(ports);
    let added = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO port_tag (port_id, tag_id, created_at)
         SELECT p.value, t.value, {NOW} FROM json_each(?1) p, json_each(?2) t WHERE true
         ON CONFLICT (port_id, tag_id) DO NOTHING"
    )))
    .bind(&ports)
    .bind(ids_json(add))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let removed = sqlx::query(
        "DELETE FROM port_tag WHERE port_id IN (SELECT value FROM json_each(?1)) AND tag_id IN (SELECT value FROM json_each(?2))",
    )
    .bind(&ports)
    .bind(ids_json(remove))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((added, removed))
}

/// The tag ids an entry carries.
pub async fn of_port(conn: &mut SqliteConnection, port_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT tag_id FROM port_tag WHERE port_id = ? ORDER BY tag_id")
        .bind(port_id)
        .fetch_all(conn)
        .await
}

/// A rule's row as stored: conditions and actions still JSON text.
pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub auto_execute: bool,
    pub priority: i64,
    pub conditions: String,
    pub actions: String,
    pub execution_count: i64,
    pub ports_affected: i64,
    pub last_executed: Option<String>,
}

/// Rules by priority (higher first), then id: the order they run in.
pub async fn rules<'e>(ex: impl sqlx::SqliteExecutor<'e>) -> Result<Vec<RuleRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, description, COALESCE(enabled, 0) AS enabled, COALESCE(auto_execute, 0) AS auto_execute,
                COALESCE(priority, 0) AS priority, COALESCE(conditions, '') AS conditions, COALESCE(actions, '') AS actions,
                COALESCE(execution_count, 0) AS execution_count, COALESCE(ports_affected, 0) AS ports_affected,
                CAST(last_executed AS TEXT) AS last_executed
           FROM tagging_rule ORDER BY priority DESC, id",
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .iter()
        .map(|r| RuleRow {
            id: r.get("id"),
            name: r.get("name"),
            description: r.get("description"),
            enabled: r.get::<i64, _>("enabled") != 0,
            auto_execute: r.get::<i64, _>("auto_execute") != 0,
            priority: r.get("priority"),
            conditions: r.get("conditions"),
            actions: r.get("actions"),
            execution_count: r.get("execution_count"),
            ports_affected: r.get("ports_affected"),
            last_executed: r.get("last_executed"),
        })
        .collect())
}

/// A rule's row to write (conditions and actions as their canonical JSON).
pub struct RuleWrite<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub enabled: bool,
    pub auto_execute: bool,
    pub priority: i64,
    pub conditions: String,
    pub actions: String,
}

pub async fn insert_rule(
    conn: &mut SqliteConnection,
    r: &RuleWrite<'_>,
) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO tagging_rule (name, description, enabled, auto_execute, priority, conditions, actions,
                                   created_at, updated_at, last_executed, execution_count, ports_affected)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, {NOW}, {NOW}, NULL, 0, 0) RETURNING id"
    );
    write_rule(conn, sql, r, None)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// Whether the rule exists (and was written).
pub async fn update_rule(
    conn: &mut SqliteConnection,
    id: i64,
    r: &RuleWrite<'_>,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "UPDATE tagging_rule SET name = ?1, description = ?2, enabled = ?3, auto_execute = ?4, priority = ?5,
                conditions = ?6, actions = ?7, updated_at = {NOW} WHERE id = ?8 RETURNING id"
    );
    Ok(write_rule(conn, sql, r, Some(id)).await?.is_some())
}

/// Runs `sql` (an insert or an update returning the id) with a rule's fields as ?1–?7 and `id` as ?8.
async fn write_rule(
    conn: &mut SqliteConnection,
    sql: String,
    r: &RuleWrite<'_>,
    id: Option<i64>,
) -> Result<Option<i64>, sqlx::Error> {
    let query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(r.name)
        .bind(r.description)
        .bind(r.enabled)
        .bind(r.auto_execute)
        .bind(r.priority)
        .bind(&r.conditions)
        .bind(&r.actions);
    match id {
        Some(id) => query.bind(id),
        None => query,
    }
    .fetch_optional(conn)
    .await
}

pub async fn delete_rule(conn: &mut SqliteConnection, id: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM rule_execution_log WHERE rule_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query("DELETE FROM tagging_rule WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// Writes what the engine decided: the assignments, one log row per change, and each rule's
/// statistics (`ran` rules count one execution each, even when they changed nothing).
pub async fn apply(
    conn: &mut SqliteConnection,
    effects: &[Effect],
    ran: &[i64],
) -> Result<(), sqlx::Error> {
    let rows = |add: bool| {
        serde_json::Value::Array(
            effects
                .iter()
                .filter(|e| e.add == add)
                .map(|e| serde_json::json!([e.port_id, e.tag_id]))
                .collect(),
        )
        .to_string()
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO port_tag (port_id, tag_id, created_at)
         SELECT value ->> 0, value ->> 1, {NOW} FROM json_each(?) WHERE true
         ON CONFLICT (port_id, tag_id) DO NOTHING"
    )))
    .bind(rows(true))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM port_tag WHERE EXISTS (SELECT 1 FROM json_each(?) j
            WHERE j.value ->> 0 = port_tag.port_id AND j.value ->> 1 = port_tag.tag_id)",
    )
    .bind(rows(false))
    .execute(&mut *conn)
    .await?;
    let log = serde_json::Value::Array(
        effects
            .iter()
            .map(|e| {
                serde_json::json!([
                    e.rule_id,
                    e.port_id,
                    if e.add { "add_tag" } else { "remove_tag" },
                    e.tag_id
                ])
            })
            .collect(),
    )
    .to_string();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO rule_execution_log (rule_id, port_id, action_type, tag_id, executed_at, success, error_message)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, {NOW}, 1, NULL FROM json_each(?)"
    )))
    .bind(log)
    .execute(&mut *conn)
    .await?;
    let mut affected: std::collections::HashMap<i64, std::collections::BTreeSet<i64>> =
        Default::default();
    for e in effects {
        affected.entry(e.rule_id).or_default().insert(e.port_id);
    }
    let stats = serde_json::Value::Array(
        ran.iter()
            .map(|r| serde_json::json!([r, affected.get(r).map_or(0, |s| s.len())]))
            .collect(),
    )
    .to_string();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE tagging_rule SET execution_count = execution_count + 1,
                ports_affected = ports_affected + (j.value ->> 1), last_executed = {NOW}
           FROM json_each(?) j WHERE tagging_rule.id = j.value ->> 0"
    )))
    .bind(stats)
    .execute(&mut *conn)
    .await?;
    // The log keeps each rule's newest 1000 lines (only rules that wrote lines now can be over).
    let wrote: Vec<i64> = affected.keys().copied().collect();
    sqlx::query(
        "DELETE FROM rule_execution_log WHERE id IN (
             SELECT l.id FROM (SELECT r.value AS rule_id,
                                      (SELECT x.id FROM rule_execution_log x WHERE x.rule_id = r.value
                                        ORDER BY x.id DESC LIMIT 1 OFFSET 999) AS cutoff
                                 FROM json_each(?) r) c
               JOIN rule_execution_log l ON l.rule_id = c.rule_id AND l.id < c.cutoff)",
    )
    .bind(ids_json(&wrote))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A rule's newest `limit` log lines.
pub async fn log<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    rule_id: i64,
    limit: i64,
) -> Result<Vec<LogEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT CAST(l.executed_at AS TEXT) AS executed_at, l.action_type, l.port_id,
                CASE WHEN p.id IS NULL THEN '' ELSE p.ip_address || ':' || p.port_number || '/' || p.port_protocol END AS port,
                COALESCE(t.name, '(deleted tag)') AS tag, COALESCE(l.success, 0) AS success, l.error_message
           FROM rule_execution_log l LEFT JOIN port p ON p.id = l.port_id LEFT JOIN tag t ON t.id = l.tag_id
          WHERE l.rule_id = ? ORDER BY l.id DESC LIMIT ?",
    )
    .bind(rule_id)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .iter()
        .map(|r| LogEntry {
            executed_at: r.get("executed_at"),
            action: r.get("action_type"),
            port_id: r.get("port_id"),
            port: r.get("port"),
            tag: r.get("tag"),
            success: r.get::<i64, _>("success") != 0,
            error: r.get("error_message"),
        })
        .collect())
}
