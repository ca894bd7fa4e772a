//! Tagging rules on the Tags page: the list (run, edit, log, delete, "Run all"), the rule builder with
//! its preview, the templates, and the configuration's export and import.
//!
//! The builder keeps the condition tree as nodes of signals (each with a stable id), so typing in one
//! field re-renders nothing else and focus stays where it is; [`Node::to_json`] turns the tree into
//! the rule body that `tags::parse_rule` checks here and on the server.

use super::menu::TagPill;
use super::TagsPageState;
use crate::api::{list_instances, ActionOutcome, SaveOutcome};
use crate::components::dom::focus_later;
use crate::components::field::{FieldError, TextField};
use crate::components::modal::{close_modal, lazy_dialog, ModalFrame};
use crate::tags::api::{
    list_rules, list_tags, rule_log, rule_templates, ApplyTemplate, DeleteRule, ImportTagging,
    PreviewRule, RunRules, SaveRule,
};
use crate::tags::{parse_rule, Preview, Rule, CONDITION_TYPES, SOURCE_KINDS};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use serde_json::{json, Value};

/// One condition or group of the tree being edited.
#[derive(Clone, Copy)]
struct Node {
    id: usize,
    /// `group`, or a condition type.
    kind: RwSignal<String>,
    /// `AND` / `OR` (groups).
    op: RwSignal<String>,
    value: RwSignal<String>,
    start: RwSignal<String>,
    end: RwSignal<String>,
    children: RwSignal<Vec<Node>>,
}

/// Gives nodes and action rows their ids.
#[derive(Clone, Copy)]
struct Ids(StoredValue<usize>);

impl Ids {
    fn next(&self) -> usize {
        self.0.update_value(|n| *n += 1);
        self.0.get_value()
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| text(Some(x)))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

impl Node {
    fn new(ids: Ids, kind: &str) -> Node {
        Node {
            id: ids.next(),
            kind: RwSignal::new(kind.to_string()),
            op: RwSignal::new("AND".into()),
            value: RwSignal::new(String::new()),
            start: RwSignal::new(String::new()),
            end: RwSignal::new(String::new()),
            children: RwSignal::new(Vec::new()),
        }
    }

    fn from_json(ids: Ids, v: &Value) -> Node {
        let node = Node::new(ids, "group");
        match v {
            Value::Array(items) => node
                .children
                .set(items.iter().map(|c| Node::from_json(ids, c)).collect()),
            Value::Object(o) if o.contains_key("conditions") || o.contains_key("operator") => {
                node.op.set(
                    o.get("operator")
                        .and_then(Value::as_str)
                        .unwrap_or("AND")
                        .to_ascii_uppercase(),
                );
                let items = o
                    .get("conditions")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                node.children
                    .set(items.iter().map(|c| Node::from_json(ids, c)).collect());
            }
            other => {
                node.kind.set(
                    other
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("port_exact")
                        .to_string(),
                );
                node.value.set(text(other.get("value")));
                node.start.set(text(other.get("start")));
                node.end.set(text(other.get("end")));
            }
        }
        node
    }

    /// The root is always a group: a rule saved as one condition or a list opens as a group of it.
    fn root(ids: Ids, v: &Value) -> Node {
        let node = Node::from_json(ids, v);
        if node.kind.get_untracked() == "group" {
            node
        } else {
            let root = Node::new(ids, "group");
            root.children.set(vec![node]);
            root
        }
    }

    fn to_json(self) -> Value {
        let kind = self.kind.get_untracked();
        match kind.as_str() {
            "group" => json!({
                "operator": self.op.get_untracked(),
                "conditions": self.children.get_untracked().iter().map(|c| c.to_json()).collect::<Vec<_>>(),
            }),
            "port_range" => {
                json!({"type": kind, "start": self.start.get_untracked(), "end": self.end.get_untracked()})
            }
            _ => json!({"type": kind, "value": self.value.get_untracked()}),
        }
    }
}

/// One action row.
#[derive(Clone, Copy)]
struct ActionRow {
    id: usize,
    add: RwSignal<bool>,
    name: RwSignal<String>,
    color: RwSignal<String>,
}

/// Everything the builder's parts share.
#[derive(Clone, Copy)]
struct Builder {
    ids: Ids,
    errors: RwSignal<FieldErrors>,
    /// Tag names (for the tag fields' suggestions).
    tag_names: Signal<Vec<String>>,
    /// `(value, label)` of the source choices: kinds, then each integration.
    sources: Signal<Vec<(String, String)>>,
}

#[component]
pub fn RulesCard() -> impl IntoView {
    let page = expect_context::<TagsPageState>();
    // Bumped by the rule editor when it saved (the editor owns its action: its code loads with it).
    let saved = RwSignal::new(0u64);
    let delete = ServerAction::<DeleteRule>::new();
    let run = ServerAction::<RunRules>::new();
    let apply = ServerAction::<ApplyTemplate>::new();
    let import = ServerAction::<ImportTagging>::new();
    let rules = crate::api::resource(
        move || {
            (
                saved.get(),
                delete.version().get(),
                run.version().get(),
                apply.version().get(),
                import.version().get(),
                page.ran.get(),
            )
        },
        |_| list_rules(),
    );
    let notice = RwSignal::new(None::<(bool, String)>);
    let confirming = RwSignal::new(None::<i64>);
    let editor_open = RwSignal::new(false);
    let editing = RwSignal::new(None::<Rule>);
    let opener = StoredValue::new(String::new());
    let log_for = RwSignal::new(None::<Rule>);
    let log_open = RwSignal::new(false);
    let show_templates = RwSignal::new(false);
    let show_import = RwSignal::new(false);
    let running = RwSignal::new(None::<Option<i64>>);
    let open_editor = move |rule: Option<Rule>, from: String| {
        editing.set(rule);
        opener.set_value(from);
        editor_open.set(true);
        focus_later("#rule-name".into());
    };
    let said = move |r: Option<Result<ActionOutcome, ServerFnError>>| {
        if let Some(n) = super::report(r) {
            notice.set(Some(n));
        }
    };
    Effect::new(move |_| {
        said(run.value().get());
        running.set(None);
        // Running rules changes tags: the other cards refetch.
        if run.version().get() > 0 {
            page.ran.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| said(delete.value().get()));
    Effect::new(move |_| {
        said(apply.value().get());
        if apply.version().get() > 0 {
            page.ran.update(|n| *n += 1);
        }
    });
    view! {
        <section class="card" id="rules-card">
            <header class="card-header">
                <h2>"Rules"</h2>
                <div class="toolbar">
                    <button class="btn btn-outline" id="run-all-rules" disabled=move || run.pending().get()
                        title="Every enabled rule over every entry, higher priority first"
                        on:click=move |_| { running.set(Some(None)); run.dispatch(RunRules { id: None }); }>
                        {move || if running.get() == Some(None) { "Running…" } else { "Run all" }}
                    </button>
                    <button class="btn btn-primary" id="new-rule-btn" on:click=move |_| open_editor(None, "#new-rule-btn".into())>"New rule"</button>
                </div>
            </header>
            <p class="muted">"A rule adds or removes tags on the entries its conditions match. Auto-run rules apply by themselves when an entry is added, edited, imported or found by a scan."</p>
            <div class="row">
                <button class="btn btn-outline btn-sm" id="templates-btn" aria-expanded=move || show_templates.get().to_string()
                    on:click=move |_| show_templates.update(|s| *s = !*s)>"Templates"</button>
                <a class="btn btn-outline btn-sm" id="export-tagging" href="/api/tagging/export"
                    download=move || format!("portall-tagging{}.json", date_suffix())>"Export"</a>
                <button class="btn btn-outline btn-sm" id="import-btn" aria-expanded=move || show_import.get().to_string()
                    on:click=move |_| show_import.update(|s| *s = !*s)>"Import"</button>
            </div>
            {move || notice.get().map(|(ok, m)| view! { <p id="rules-notice" class=if ok { "alert alert-success" } else { "alert alert-error" } role="status">{m}</p> })}
            {move || show_templates.get().then(|| view! { <Templates apply /> })}
            {move || show_import.get().then(|| view! { <Import import /> })}
            <Transition fallback=|| view! { <p class="muted">"Loading rules…"</p> }>
                {move || Suspend::new(async move {
                    match rules.await {
                        Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" id="no-rules">"No rules yet. Build one, or start from a template."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="rule-list" id="rule-list">
                                {list.into_iter().map(|r| {
                                    let id = r.id;
                                    let rule = StoredValue::new(r.clone());
                                    let stats = match (&r.last_executed, r.execution_count) {
                                        (Some(at), n) => format!("ran {n}×, {} entries changed, last {}", r.ports_affected, at.get(..16).unwrap_or(at)),
                                        (None, _) => "never ran".to_string(),
                                    };
                                    view! {
                                        <li class="rule-item" data-rule-id=id data-rule=r.name.clone()>
                                            <div class="rule-head">
                                                <strong class="rule-name">{r.name.clone()}</strong>
                                                <span class="badge">{format!("priority {}", r.priority)}</span>
                                                {(!r.enabled).then(|| view! { <span class="badge badge-stale">"disabled"</span> })}
                                                {r.auto_execute.then(|| view! { <span class="badge badge-manual">"auto-run"</span> })}
                                            </div>
                                            {r.description.clone().map(|d| view! { <p class="muted rule-desc">{d}</p> })}
                                            <p class="muted rule-stats">{stats}</p>
                                            {r.problem.clone().map(|p| view! { <p class="alert alert-error rule-problem">{p}</p> })}
                                            <div class="row rule-actions">
                                                <button class="btn btn-outline btn-sm run-rule-btn" aria-label=format!("Run rule {}", r.name)
                                                    disabled=move || run.pending().get()
                                                    on:click=move |_| { running.set(Some(Some(id))); run.dispatch(RunRules { id: Some(id) }); }>
                                                    {move || if running.get() == Some(Some(id)) { "Running…" } else { "Run" }}
                                                </button>
                                                <button class="btn btn-link btn-sm edit-rule-btn" aria-label=format!("Edit rule {}", r.name)
                                                    on:click=move |_| open_editor(Some(rule.get_value()), format!("li[data-rule-id='{id}'] .edit-rule-btn"))>"Edit"</button>
                                                <button class="btn btn-link btn-sm log-rule-btn" aria-label=format!("Log of rule {}", r.name)
                                                    on:click=move |_| { log_for.set(Some(rule.get_value())); log_open.set(true); }>"Log"</button>
                                                <button class="btn btn-link btn-sm delete-rule-btn" aria-label=format!("Delete rule {}", r.name)
                                                    on:click=move |_| if confirming.get_untracked() == Some(id) {
                                                        confirming.set(None);
                                                        delete.dispatch(DeleteRule { id });
                                                    } else {
                                                        confirming.set(Some(id));
                                                    }>
                                                    {move || if confirming.get() == Some(id) { "Confirm delete" } else { "Delete" }}
                                                </button>
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
            {lazy_dialog(move || editor_open.get(), move || rule_editor(editor_open, editing, opener, saved))}
            {lazy_dialog(move || log_open.get(), move || rule_log_dialog(log_open, log_for))}
        </section>
    }
}

/// `-YYYY-MM-DD` for the export's file name (the browser's date; none on the server).
fn date_suffix() -> String {
    #[cfg(feature = "hydrate")]
    {
        let iso: String = leptos::web_sys::js_sys::Date::new_0()
            .to_iso_string()
            .into();
        format!("-{}", iso.get(..10).unwrap_or_default())
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

#[component]
fn Templates(apply: ServerAction<ApplyTemplate>) -> impl IntoView {
    let templates = crate::api::resource(|| (), |_| rule_templates());
    view! {
        <div class="template-list" id="template-list">
            <Transition fallback=|| view! { <p class="muted">"Loading templates…"</p> }>
                {move || Suspend::new(async move {
                    templates.await.unwrap_or_default().into_iter().map(|t| {
                        let name = t.name.clone();
                        view! {
                            <div class="template-item" data-template=t.name.clone()>
                                <div>
                                    <strong>{t.title.clone()}</strong>
                                    <span class="muted">{format!(" · {} rules", t.rules.len())}</span>
                                    <p class="muted">{t.description.clone()}</p>
                                </div>
                                <button class="btn btn-secondary btn-sm apply-template-btn" aria-label=format!("Apply template {}", t.title)
                                    disabled=move || apply.pending().get()
                                    on:click=move |_| { apply.dispatch(ApplyTemplate { name: name.clone() }); }>"Apply"</button>
                            </div>
                        }
                    }).collect_view()
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Import(import: ServerAction<ImportTagging>) -> impl IntoView {
    let content = RwSignal::new(String::new());
    let result = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |_| match import.value().get() {
        Some(Ok(SaveOutcome::Saved(a))) => {
            result.set(Some((true, a.message)));
            content.set(String::new());
        }
        Some(other) => result.set(super::refusal(&other).map(|m| (false, m))),
        None => {}
    });
    let on_file = move |ev: leptos::ev::Event| {
        crate::components::file::read_picked_file(&ev, move |r| match r {
            Ok((_, text)) => content.set(text),
            Err(m) => result.set(Some((false, m))),
        });
    };
    view! {
        <div class="import-box" id="import-box">
            <p class="muted">"A tagging export of this Portall or of the Python Portall (tags and rules; names that exist are skipped)."</p>
            <label class="form-label" for="import-file">"File"</label>
            <input type="file" id="import-file" accept=".json,application/json" class="form-control" on:change=on_file />
            <label class="form-label" for="import-text">"Or paste it"</label>
            <textarea id="import-text" class="form-control mono" rows="6" prop:value=move || content.get()
                on:input=move |ev| content.set(event_target_value(&ev))></textarea>
            <div class="row">
                <button class="btn btn-primary btn-sm" id="import-submit" disabled=move || content.with(String::is_empty) || import.pending().get()
                    on:click=move |_| { import.dispatch(ImportTagging { body: content.get_untracked() }); }>"Import"</button>
                {move || result.get().map(|(ok, m)| view! { <span id="import-result" class=if ok { "action-result ok" } else { "alert alert-error" } role="status">{m}</span> })}
            </div>
        </div>
    }
}

/// The rule log, loaded on its first open (`lazy_dialog`).
#[leptos::lazy]
fn rule_log_dialog(open: RwSignal<bool>, rule: RwSignal<Option<Rule>>) -> AnyView {
    view! { <RuleLog open rule /> }.into_any()
}

#[component]
fn RuleLog(open: RwSignal<bool>, rule: RwSignal<Option<Rule>>) -> impl IntoView {
    let log = crate::api::resource(
        move || (open.get(), rule.get().map(|r| r.id)),
        |(open, id)| async move {
            match (open, id) {
                (true, Some(id)) => rule_log(id).await,
                _ => Ok(Vec::new()),
            }
        },
    );
    let title =
        Signal::derive(move || format!("Log: {}", rule.get().map(|r| r.name).unwrap_or_default()));
    let close = Callback::new(move |_| open.set(false));
    view! {
        <ModalFrame id="rule-log" title_id="rule-log-title" open title close>
            <div class="modal-body">
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match log.await {
                            Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                            Ok(lines) if lines.is_empty() => view! { <p class="muted">"This rule has not changed any entry yet."</p> }.into_any(),
                            Ok(lines) => view! {
                                <p class="muted">"The newest 100 changes."</p>
                                <table class="table" id="rule-log-table">
                                    <thead><tr><th>"When"</th><th>"Entry"</th><th>"Change"</th></tr></thead>
                                    <tbody>
                                        {lines.into_iter().map(|l| view! {
                                            <tr>
                                                <td class="mono">{l.executed_at.unwrap_or_default()}</td>
                                                <td class="mono">{if l.port.is_empty() { format!("entry {} (deleted)", l.port_id) } else { l.port }}</td>
                                                <td>{if l.action == "add_tag" { "added " } else { "removed " }}{l.tag}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn btn-primary" on:click=move |_| close.run(())>"Close"</button>
            </div>
        </ModalFrame>
    }
}

const PLACEHOLDERS: [(&str, &str); 12] = [
    ("ip_exact", "192.168.1.20"),
    ("ip_prefix", "192.168."),
    ("ip_contains", ".1."),
    ("ip_regex", r"^10\.0\.\d+\.\d+$"),
    ("ip_cidr", "192.168.1.0/24 or fd00::/8"),
    ("port_exact", "22"),
    ("port_list", "80, 443, 8080"),
    ("description_contains", "grafana"),
    ("description_regex", "plex|jellyfin"),
    ("nickname_contains", "nas"),
    ("nickname_regex", "^pi-"),
    ("tag_present", "web"),
];

fn leaf_editor(node: Node, b: Builder, label: String) -> AnyView {
    let input = move |signal: RwSignal<String>, kind: &'static str, aria: String| {
        let placeholder = PLACEHOLDERS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, p)| *p)
            .unwrap_or("");
        let numeric = matches!(kind, "port_exact" | "port_range");
        let list = (kind == "tag_present").then_some("rule-tag-names");
        view! {
            <input class="form-control cond-value" type=if numeric { "number" } else { "text" } min=numeric.then_some("1") max=numeric.then_some("65535")
                placeholder=placeholder aria-label=aria list=list
                prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) />
        }
    };
    (move || {
        let kind = node.kind.get();
        match kind.as_str() {
            "port_range" => view! {
                <span class="range">
                    {input(node.start, "port_range", format!("{label}: first port"))}
                    <span aria-hidden="true">"–"</span>
                    {input(node.end, "port_range", format!("{label}: last port"))}
                </span>
            }.into_any(),
            "protocol" => view! {
                <select class="form-control cond-value" aria-label=format!("{label}: protocol")
                    prop:value=move || node.value.get() on:change=move |ev| node.value.set(event_target_value(&ev))>
                    <option value="">"Choose"</option>
                    <option value="TCP">"TCP"</option>
                    <option value="UDP">"UDP"</option>
                </select>
            }.into_any(),
            "source" => view! {
                <select class="form-control cond-value" aria-label=format!("{label}: source")
                    prop:value=move || node.value.get() on:change=move |ev| node.value.set(event_target_value(&ev))>
                    <option value="">"Choose"</option>
                    {move || b.sources.get().into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            }.into_any(),
            other => {
                let kind: &'static str = CONDITION_TYPES.iter().map(|(k, _)| *k).find(|k| *k == other).unwrap_or("ip_exact");
                input(node.value, kind, format!("{label}: value")).into_any()
            }
        }
    })
    .into_any()
}

/// One node of the tree: a group (its conditions, add/remove) or a condition (type and value).
fn node_view(node: Node, parent: Option<Node>, path: Signal<String>, b: Builder) -> AnyView {
    let remove = move |_| {
        if let Some(p) = parent {
            p.children.update(|c| c.retain(|x| x.id != node.id));
        }
    };
    let error = Signal::derive(move || {
        let p = path.get();
        b.errors.with(|e| e.get(&p).map(|m| m.join("; ")))
    });
    let label = move || {
        format!(
            "Condition {}",
            path.get()
                .trim_start_matches("conditions")
                .trim_start_matches('.')
                .replace('.', "-")
        )
    };
    if node.kind.get_untracked() == "group" {
        let add = move |kind: &str| node.children.update(|c| c.push(Node::new(b.ids, kind)));
        view! {
            <div class="cond-group" data-path=move || path.get() role="group" aria-label=move || if parent.is_none() { "Conditions".to_string() } else { format!("Group {}", label()) }>
                <div class="row">
                    <select class="form-control narrow group-op" aria-label="How this group combines its conditions"
                        prop:value=move || node.op.get() on:change=move |ev| node.op.set(event_target_value(&ev))>
                        <option value="AND">"All of these match"</option>
                        <option value="OR">"Any of these matches"</option>
                    </select>
                    {parent.is_some().then(|| view! {
                        <button type="button" class="btn btn-link btn-sm remove-cond" aria-label=format!("Remove {}", label()) on:click=remove>"Remove group"</button>
                    })}
                </div>
                <ul class="cond-list">
                    <For each=move || node.children.get() key=|c| c.id let:child>
                        {
                            let child_path = Signal::derive(move || {
                                let i = node.children.with(|c| c.iter().position(|x| x.id == child.id).unwrap_or(0));
                                format!("{}.{i}", path.get())
                            });
                            view! { <li>{node_view(child, Some(node), child_path, b)}</li> }
                        }
                    </For>
                </ul>
                <FieldError id=format!("cond-{}", node.id) messages=error />
                <div class="row">
                    <button type="button" class="btn btn-outline btn-sm add-condition" on:click=move |_| add("port_exact")>"+ Condition"</button>
                    <button type="button" class="btn btn-outline btn-sm add-group" on:click=move |_| {
                        let g = Node::new(b.ids, "group");
                        g.children.set(vec![Node::new(b.ids, "port_exact")]);
                        node.children.update(|c| c.push(g));
                    }>"+ Group"</button>
                </div>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="cond-leaf" data-path=move || path.get()>
                <div class="row">
                    <select class="form-control narrow cond-type" aria-label=move || format!("{}: type", label())
                        prop:value=move || node.kind.get() on:change=move |ev| node.kind.set(event_target_value(&ev))>
                        {CONDITION_TYPES.iter().map(|(k, l)| view! { <option value=*k>{*l}</option> }).collect_view()}
                    </select>
                    {leaf_editor(node, b, label())}
                    <button type="button" class="btn btn-link btn-sm remove-cond" aria-label=move || format!("Remove {}", label()) on:click=remove>"Remove"</button>
                </div>
                <FieldError id=format!("cond-{}", node.id) messages=error />
            </div>
        }
        .into_any()
    }
}

/// The rule builder, loaded on its first open (`lazy_dialog`).
#[leptos::lazy]
fn rule_editor(
    open: RwSignal<bool>,
    editing: RwSignal<Option<Rule>>,
    opener: StoredValue<String>,
    saved: RwSignal<u64>,
) -> AnyView {
    view! { <RuleEditor open editing opener saved /> }.into_any()
}

#[component]
fn RuleEditor(
    open: RwSignal<bool>,
    editing: RwSignal<Option<Rule>>,
    opener: StoredValue<String>,
    saved: RwSignal<u64>,
) -> impl IntoView {
    let save = ServerAction::<SaveRule>::new();
    crate::components::modal::bump_when_done(save.version(), saved);
    let preview = ServerAction::<PreviewRule>::new();
    let ids = Ids(StoredValue::new(0));
    // Browser-only: read outside a Suspense boundary, a server-side resource would hydrate with
    // data the server did not render.
    let tags = LocalResource::new(move || {
        open.track();
        list_tags()
    });
    let instances = LocalResource::new(move || {
        open.track();
        list_instances()
    });
    let b = Builder {
        ids,
        errors: RwSignal::new(FieldErrors::new()),
        tag_names: Signal::derive(move || {
            tags.get()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.name)
                .collect()
        }),
        sources: Signal::derive(move || {
            let mut out: Vec<(String, String)> = SOURCE_KINDS
                .iter()
                .map(|k| {
                    (
                        k.to_string(),
                        format!("{}{}", k[..1].to_uppercase(), &k[1..]),
                    )
                })
                .collect();
            if let Some(Ok(list)) = instances.get() {
                out.extend(list.instances.into_iter().map(|i| {
                    (
                        format!("instance:{}", i.id),
                        format!("Integration “{}”", i.name),
                    )
                }));
            }
            out
        }),
    };
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let priority = RwSignal::new("0".to_string());
    let enabled = RwSignal::new(true);
    let auto = RwSignal::new(false);
    let root = RwSignal::new(Node::new(ids, "group"));
    let actions = RwSignal::new(Vec::<ActionRow>::new());
    let result = RwSignal::new(None::<Preview>);
    let new_action = move |add: bool, tag: &str, color: &str| ActionRow {
        id: ids.next(),
        add: RwSignal::new(add),
        name: RwSignal::new(tag.to_string()),
        color: RwSignal::new(color.to_string()),
    };
    // Fill the builder when it opens: the rule being edited, or one condition and one action.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        b.errors.set(FieldErrors::new());
        result.set(None);
        match editing.get_untracked() {
            Some(r) => {
                name.set(r.name.clone());
                description.set(r.description.clone().unwrap_or_default());
                priority.set(r.priority.to_string());
                enabled.set(r.enabled);
                auto.set(r.auto_execute);
                root.set(Node::root(ids, &r.conditions));
                let list = r.actions.as_array().cloned().unwrap_or_default();
                actions.set(
                    list.iter()
                        .map(|a| {
                            new_action(
                                a.get("type").and_then(Value::as_str) != Some("remove_tag"),
                                &text(a.get("tag_name")),
                                &text(a.get("tag_color")),
                            )
                        })
                        .collect(),
                );
            }
            None => {
                name.set(String::new());
                description.set(String::new());
                priority.set("0".into());
                enabled.set(true);
                auto.set(true);
                let r = Node::new(ids, "group");
                r.children.set(vec![Node::new(ids, "port_exact")]);
                root.set(r);
                actions.set(vec![new_action(true, "", "#2563eb")]);
            }
        }
    });
    let body = move || {
        json!({
            "name": name.get_untracked(),
            "description": description.get_untracked(),
            "priority": priority.get_untracked(),
            "enabled": enabled.get_untracked(),
            "auto_execute": auto.get_untracked(),
            "conditions": root.get_untracked().to_json(),
            "actions": actions.get_untracked().iter().map(|a| {
                let mut v = json!({"type": if a.add.get_untracked() { "add_tag" } else { "remove_tag" }, "tag_name": a.name.get_untracked()});
                if a.add.get_untracked() { v["tag_color"] = json!(a.color.get_untracked()); }
                v
            }).collect::<Vec<_>>(),
        })
    };
    // The same checks as the server (patterns are compiled there, and reported on their condition).
    let check = move |for_preview: bool| -> Option<Value> {
        let mut v = body();
        if for_preview && name.get_untracked().trim().is_empty() {
            v["name"] = json!("preview");
        }
        match parse_rule(&v) {
            Ok(_) => {
                b.errors.set(FieldErrors::new());
                Some(v)
            }
            Err(e) => {
                b.errors.set(e);
                None
            }
        }
    };
    let close = Callback::new(move |_| close_modal(open, opener));
    let submit = Callback::new(move |_| {
        if let Some(v) = check(false) {
            save.dispatch(SaveRule {
                id: editing.get_untracked().map(|r| r.id),
                body: v.to_string(),
            });
        }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(SaveOutcome::Saved(_))) if open.get_untracked() => close.run(()),
        Some(Ok(SaveOutcome::Invalid(e))) => b.errors.set(e),
        Some(Ok(SaveOutcome::Conflict(m))) => b
            .errors
            .set(FieldErrors::from([("name".to_string(), vec![m])])),
        Some(Err(e)) => b.errors.set(FieldErrors::from([(
            "name".to_string(),
            vec![e.to_string()],
        )])),
        _ => {}
    });
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(SaveOutcome::Saved(p))) => result.set(Some(p)),
        Some(Ok(SaveOutcome::Invalid(e))) => {
            result.set(None);
            b.errors.set(e);
        }
        Some(Ok(SaveOutcome::Conflict(m))) | Some(Err(ServerFnError::ServerError(m))) => b
            .errors
            .set(FieldErrors::from([("conditions".to_string(), vec![m])])),
        Some(Err(e)) => b.errors.set(FieldErrors::from([(
            "conditions".to_string(),
            vec![e.to_string()],
        )])),
        None => {}
    });
    let err = move |k: &'static str| {
        Signal::derive(move || b.errors.with(|e| e.get(k).map(|v| v.join("; "))))
    };
    let title = Signal::derive(move || {
        if editing.get().is_some() {
            "Edit rule".to_string()
        } else {
            "New rule".to_string()
        }
    });
    let root_path = Signal::derive(|| "conditions".to_string());
    view! {
        <ModalFrame id="rule-modal" title_id="rule-modal-title" open title close on_submit=submit>
            <div class="modal-body rule-builder">
                <datalist id="rule-tag-names">
                    {move || b.tag_names.get().into_iter().map(|n| view! { <option value=n></option> }).collect_view()}
                </datalist>
                <TextField id="rule-name" label="Name" value=name on_input=Callback::new(move |v| name.set(v)) error=err("name") maxlength=100u32 />
                <TextField id="rule-description" label="Description (optional)" value=description
                    on_input=Callback::new(move |v| description.set(v)) error=err("description") />
                <div class="form-grid">
                    <TextField id="rule-priority" label="Priority (higher runs first)" input_type="number" min=-1000 max=1000
                        value=priority on_input=Callback::new(move |v| priority.set(v)) error=err("priority") />
                    <div>
                        <label class="form-check"><input type="checkbox" class="form-check-input" id="rule-enabled"
                            prop:checked=move || enabled.get() on:change=move |ev| enabled.set(event_target_checked(&ev)) />"Enabled"</label>
                        <label class="form-check"><input type="checkbox" class="form-check-input" id="rule-auto"
                            prop:checked=move || auto.get() on:change=move |ev| auto.set(event_target_checked(&ev)) />"Auto-run on new and discovered entries"</label>
                    </div>
                </div>
                <h3 class="builder-heading">"When"</h3>
                {move || node_view(root.get(), None, root_path, b)}
                <h3 class="builder-heading">"Then"</h3>
                <ul class="action-list" id="rule-actions">
                    <For each=move || actions.get() key=|a| a.id let:a>
                        {
                            let index = move || actions.with(|l| l.iter().position(|x| x.id == a.id).unwrap_or(0));
                            let error = Signal::derive(move || { let k = format!("actions.{}", index()); b.errors.with(|e| e.get(&k).map(|m| m.join("; "))) });
                            view! {
                                <li class="action-row">
                                    <div class="row">
                                        <select class="form-control narrow action-type" aria-label=move || format!("Action {}: add or remove", index() + 1)
                                            prop:value=move || if a.add.get() { "add_tag" } else { "remove_tag" }
                                            on:change=move |ev| a.add.set(event_target_value(&ev) == "add_tag")>
                                            <option value="add_tag">"Add tag"</option>
                                            <option value="remove_tag">"Remove tag"</option>
                                        </select>
                                        <input class="form-control action-tag" type="text" list="rule-tag-names" maxlength="50" placeholder="tag name"
                                            aria-label=move || format!("Action {}: tag", index() + 1)
                                            prop:value=move || a.name.get() on:input=move |ev| a.name.set(event_target_value(&ev)) />
                                        {move || a.add.get().then(|| view! {
                                            <input type="color" class="action-color" aria-label=format!("Action {}: colour of a new tag", index() + 1)
                                                prop:value=move || a.color.get() on:input=move |ev| a.color.set(event_target_value(&ev)) />
                                        })}
                                        <button type="button" class="btn btn-link btn-sm" aria-label=move || format!("Remove action {}", index() + 1)
                                            on:click=move |_| actions.update(|l| l.retain(|x| x.id != a.id))>"Remove"</button>
                                    </div>
                                    <FieldError id=format!("action-{}", a.id) messages=error />
                                </li>
                            }
                        }
                    </For>
                </ul>
                <FieldError id="rule-actions-all" messages=err("actions") />
                <button type="button" class="btn btn-outline btn-sm" id="add-action" on:click=move |_| actions.update(|l| l.push(new_action(true, "", "#16a34a")))>"+ Action"</button>
                <div class="preview-box" id="rule-preview" aria-live="polite">
                    {move || result.get().map(|p| view! {
                        <p id="rule-preview-message"><strong>{p.message.clone()}</strong></p>
                        <ul class="preview-list">
                            {p.ports.iter().map(|e| view! {
                                <li><span class="mono">{format!("{}:{}/{}", e.ip_address, e.port_number, e.port_protocol.as_str())}</span>" "{e.description.clone()}
                                    {e.tags.iter().map(|t| view! { " " <TagPill name=t.name.clone() color=t.color.clone() /> }).collect_view()}
                                </li>
                            }).collect_view()}
                            {(p.port_ids.len() > p.ports.len()).then(|| view! { <li class="muted">{format!("and {} more", p.port_ids.len() - p.ports.len())}</li> })}
                        </ul>
                    })}
                </div>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn btn-outline" id="preview-rule-btn" disabled=move || preview.pending().get()
                    on:click=move |_| if let Some(v) = check(true) { preview.dispatch(PreviewRule { body: v.to_string() }); }>
                    {move || if preview.pending().get() { "Checking…" } else { "Preview" }}
                </button>
                <button type="button" class="btn btn-secondary" on:click=move |_| close.run(())>"Cancel"</button>
                <button type="submit" class="btn btn-primary" id="save-rule-btn" disabled=move || save.pending().get()>"Save rule"</button>
            </div>
        </ModalFrame>
    }
}
