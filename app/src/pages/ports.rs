//! The Ports page: every known port grouped by host, a filter, and manual entries' add/edit/delete.

use crate::api::{list_ports, DeletePort, RenameHost, SaveOutcome, SavePort};
use crate::components::dom::focus_later;
use crate::components::field::{FieldError, TextField};
use crate::components::live::use_live_events;
use crate::components::modal::{close_modal, ModalFrame};
use crate::model::{group_by_host, port_availability, PortEntry};
use crate::ports::validate_port;
use crate::validation::{first_error, FieldErrors};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::json;

/// The page's state. Changes go through server actions; the entry list is a resource keyed on their
/// versions (and on live events), so every finished save, delete or rename refetches it.
#[derive(Clone, Copy)]
struct PortsPageState {
    /// Bumped by live events (a scan changed entries).
    refresh: RwSignal<u64>,
    save: ServerAction<SavePort>,
    delete: ServerAction<DeletePort>,
    rename: ServerAction<RenameHost>,
    filter: RwSignal<String>,
    modal: PortModal,
    notice: RwSignal<Option<(bool, String)>>,
}

#[derive(Clone, Copy)]
struct PortModal {
    open: RwSignal<bool>,
    editing: RwSignal<Option<PortEntry>>,
    ip: RwSignal<String>,
    nickname: RwSignal<String>,
    number: RwSignal<String>,
    protocol: RwSignal<String>,
    description: RwSignal<String>,
    errors: RwSignal<FieldErrors>,
    conflict: RwSignal<Option<String>>,
    opener: StoredValue<String>,
}

impl PortModal {
    fn new() -> Self {
        PortModal {
            open: RwSignal::new(false),
            editing: RwSignal::new(None),
            ip: RwSignal::new(String::new()),
            nickname: RwSignal::new(String::new()),
            number: RwSignal::new(String::new()),
            protocol: RwSignal::new("TCP".into()),
            description: RwSignal::new(String::new()),
            errors: RwSignal::new(FieldErrors::new()),
            conflict: RwSignal::new(None),
            opener: StoredValue::new(String::new()),
        }
    }

    fn open_with(&self, entry: Option<PortEntry>, host: Option<(String, String)>, opener: String) {
        self.errors.set(FieldErrors::new());
        self.conflict.set(None);
        match &entry {
            Some(e) => {
                self.ip.set(e.ip_address.clone());
                self.nickname.set(e.nickname.clone().unwrap_or_default());
                self.number.set(e.port_number.to_string());
                self.protocol.set(e.port_protocol.to_string());
                self.description.set(e.description.clone());
            }
            None => {
                let (ip, nick) = host.unwrap_or_default();
                self.ip.set(ip);
                self.nickname.set(nick);
                self.number.set(String::new());
                self.protocol.set("TCP".into());
                self.description.set(String::new());
            }
        }
        let discovered = entry.as_ref().is_some_and(|e| e.is_immutable);
        self.editing.set(entry);
        self.opener.set_value(opener);
        self.open.set(true);
        focus_later(
            if discovered {
                "#port-description"
            } else {
                "#port-ip"
            }
            .into(),
        );
    }
}

fn matches(p: &PortEntry, filter: &str) -> bool {
    let f = filter.trim().to_lowercase();
    if f.is_empty() {
        return true;
    }
    if f.chars().all(|c| c.is_ascii_digit()) {
        return p.port_number.to_string().starts_with(&f);
    }
    [
        p.description.as_str(),
        p.ip_address.as_str(),
        p.nickname.as_deref().unwrap_or_default(),
        p.source.as_str(),
        p.port_protocol.as_str(),
    ]
    .iter()
    .chain(
        p.discovered_by
            .iter()
            .map(|d| &d.name)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .iter(),
    )
    .any(|s| s.to_lowercase().contains(&f))
}

#[component]
pub fn PortsPage() -> impl IntoView {
    let state = PortsPageState {
        refresh: RwSignal::new(0),
        save: ServerAction::new(),
        delete: ServerAction::new(),
        rename: ServerAction::new(),
        filter: RwSignal::new(String::new()),
        modal: PortModal::new(),
        notice: RwSignal::new(None),
    };
    provide_context(state);
    let ports = Resource::new(
        move || {
            (
                state.refresh.get(),
                state.save.version().get(),
                state.delete.version().get(),
                state.rename.version().get(),
            )
        },
        |_| list_ports(),
    );
    // What a delete or a rename answered, when it was not a success.
    Effect::new(move |_| {
        let problem = match state.delete.value().get() {
            Some(Ok(o)) if !o.ok => Some(o.message),
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        };
        if let Some(message) = problem {
            state.notice.set(Some((false, message)));
        }
    });
    Effect::new(move |_| {
        let problem = match state.rename.value().get() {
            Some(Ok(SaveOutcome::Invalid(e))) => {
                Some(e.values().flatten().cloned().collect::<Vec<_>>().join("; "))
            }
            Some(Ok(SaveOutcome::Conflict(m))) => Some(m),
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        };
        if let Some(message) = problem {
            state.notice.set(Some((false, message)));
        }
    });
    // Entries found by a scan (a container started on a Docker host) appear without a reload.
    use_live_events(move |event| {
        if event.touches_ports() {
            state.refresh.update(|n| *n += 1);
        }
    });
    view! {
        <Title text="Ports · Portall" />
        <div class="page-header">
            <h1>"Ports"</h1>
            <div class="toolbar">
                <label class="sr-only" for="port-filter">"Filter ports"</label>
                <input
                    id="port-filter"
                    class="form-control search"
                    type="search"
                    placeholder="Filter: port number or text"
                    prop:value=move || state.filter.get()
                    on:input=move |ev| state.filter.set(event_target_value(&ev))
                />
                <button
                    id="add-port-btn"
                    class="btn btn-primary"
                    on:click=move |_| state.modal.open_with(None, None, "#add-port-btn".into())
                >
                    "+ Add Port"
                </button>
            </div>
        </div>
        {move || state.notice.get().map(|(ok, msg)| view! {
            <p id="ports-notice" class=if ok { "alert alert-success" } else { "alert alert-error" } role="status">{msg}</p>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading ports…"</p> }>
            {move || match ports.get() {
                None => view! { <p class="muted">"Loading ports…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <p class="alert alert-error" role="alert">"Could not load ports: " {e.to_string()}</p>
                }.into_any(),
                Some(Ok(list)) => view! { <HostPanels ports=list /> }.into_any(),
            }}
        </Transition>
        <PortModalView />
    }
    .into_any()
}

#[component]
fn HostPanels(ports: Vec<PortEntry>) -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    if ports.is_empty() {
        return view! {
            <section class="card empty-state" id="ports-empty">
                <h2>"No ports yet"</h2>
                <p>"Add a port by hand, or add a Docker, Portainer or Komodo integration in Settings and Portall discovers them for you."</p>
                <a class="btn btn-primary" href="/settings">"Open Settings"</a>
            </section>
        }
        .into_any();
    }
    let groups = StoredValue::new(group_by_host(ports));
    view! {
        <div class="host-grid" id="host-panels">
            {move || {
                let filter = state.filter.get();
                let shown: Vec<(String, Vec<PortEntry>, usize)> = groups.with_value(|g| {
                    g.iter()
                        .map(|(host, list)| {
                            let visible: Vec<PortEntry> = list.iter().filter(|p| matches(p, &filter)).cloned().collect();
                            (host.clone(), visible, list.len())
                        })
                        .filter(|(_, v, _)| !v.is_empty())
                        .collect()
                });
                // A port number in the filter also answers "is it free?".
                let answer = groups.with_value(|g| port_availability(g, &filter)).map(|text| view! {
                    <p id="port-availability" class="alert alert-info availability" role="status">{text}</p>
                });
                if shown.is_empty() {
                    return view! {
                        {answer}
                        <p class="muted" id="no-match">"No port matches the filter."</p>
                    }.into_any();
                }
                view! {
                    {answer}
                    {shown
                        .into_iter()
                        .map(|(host, list, total)| view! { <HostPanel host list total /> })
                        .collect_view()}
                }
                .into_any()
            }}
        </div>
    }
    .into_any()
}

#[component]
fn HostPanel(host: String, list: Vec<PortEntry>, total: usize) -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let nickname = list
        .iter()
        .find_map(|p| p.nickname.clone())
        .unwrap_or_default();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(nickname.clone());
    let noun = if total == 1 { "port" } else { "ports" };
    let count = if list.len() == total {
        format!("{total} {noun}")
    } else {
        format!("{} of {total} {noun}", list.len())
    };
    let host_for_add = host.clone();
    let nick_for_add = nickname.clone();
    let host_for_save = host.clone();
    // The panel is drawn anew from the refetched list once the rename is done.
    let save_nickname = move || {
        state.rename.dispatch(RenameHost {
            ip: host_for_save.clone(),
            nickname: draft.get_untracked(),
        });
    };
    let save_on_enter = save_nickname.clone();
    let panel_id = format!("host-{}", host.replace(['.', ':'], "-"));
    let section_id = panel_id.clone();
    let data_host = host.clone();
    let heading = host.clone();
    view! {
        <section class="card host-panel" data-host=data_host id=section_id>
            <header class="host-header">
                <h2 class="host-address">{heading}</h2>
                {move || if editing.get() {
                    let save = save_nickname.clone();
                    let save_enter = save_on_enter.clone();
                    view! {
                        <span class="nickname-edit">
                            <label class="sr-only" for=format!("{panel_id}-nick")>"Nickname"</label>
                            <input
                                class="form-control host-nickname-input"
                                id=format!("{panel_id}-nick")
                                maxlength="50"
                                prop:value=move || draft.get()
                                on:input=move |ev| draft.set(event_target_value(&ev))
                                on:keydown=move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
                                    "Enter" => save_enter(),
                                    "Escape" => editing.set(false),
                                    _ => {}
                                }
                            />
                            <button class="btn btn-sm btn-primary save-nickname-btn" on:click=move |_| save()>"Save"</button>
                        </span>
                    }.into_any()
                } else {
                    let nick = nickname.clone();
                    view! {
                        <span class="host-nickname muted">{nick.clone()}</span>
                        <button
                            class="btn btn-link btn-sm edit-nickname-btn"
                            title="Edit the host's nickname"
                            aria-label=format!("Edit nickname of {}", host)
                            on:click=move |_| {
                                draft.set(nick.clone());
                                editing.set(true);
                            }
                        >
                            "✎"
                        </button>
                    }.into_any()
                }}
                <span class="badge host-count">{count}</span>
            </header>
            <ul class="port-list">
                {list.into_iter().map(|p| view! { <PortRow port=p /> }).collect_view()}
            </ul>
            <button
                class="btn btn-sm btn-outline add-host-port-btn"
                on:click=move |ev| {
                    let _ = ev;
                    state.modal.open_with(None, Some((host_for_add.clone(), nick_for_add.clone())), "#add-port-btn".into())
                }
            >
                "+ Add port on this host"
            </button>
        </section>
    }
    .into_any()
}

#[component]
fn PortRow(port: PortEntry) -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let stale = port.is_stale();
    let local = port.is_local_only();
    let id = port.id;
    let confirming = RwSignal::new(false);
    let source_label = match port
        .discovered_by
        .iter()
        .map(|d| d.name.clone())
        .collect::<Vec<_>>()
    {
        names if names.is_empty() => port.source.clone(),
        names => format!("{} · {}", port.source, names.join(", ")),
    };
    let can_delete = !port.is_immutable || stale;
    let last_seen = port
        .last_seen()
        .map(|s| s.get(..16).unwrap_or(s).to_string());
    let entry = StoredValue::new(port.clone());
    let remove = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        state.delete.dispatch(DeletePort { id });
        confirming.set(false);
    };
    view! {
        <li class="port-row" class:stale=stale data-port-id=id data-port=port.port_number>
            <span class="port-number">{port.port_number}</span>
            <span class="port-proto">{port.port_protocol.as_str()}</span>
            <span class="port-desc">
                {port.description.clone()}
                {local.then(|| view! { " " <span class="badge badge-local" title="Published on the host's loopback only: not reachable from other machines">"local only"</span> })}
                {stale.then(|| view! { " " <span class="badge badge-stale">{format!("last seen {}", last_seen.clone().unwrap_or_default())}</span> })}
            </span>
            <span class=format!("badge badge-{}", port.source)>{source_label}</span>
            <span class="row-actions">
                {port.is_immutable.then(|| view! { <span class="lock" title="Discovered: its integration manages number and protocol">"🔒"</span> })}
                <button
                    class="btn btn-link btn-sm edit-port-btn"
                    aria-label=format!("Edit port {}", port.port_number)
                    on:click=move |_| state.modal.open_with(Some(entry.get_value()), None, format!("[data-port-id='{id}'] .edit-port-btn"))
                >
                    "Edit"
                </button>
                {can_delete.then(|| view! {
                    <button class="btn btn-link btn-sm delete-port-btn" aria-label=format!("Delete port {}", port.port_number) on:click=remove>
                        {move || if confirming.get() { "Confirm delete" } else if stale { "Remove" } else { "Delete" }}
                    </button>
                })}
            </span>
        </li>
    }
    .into_any()
}

/// The port form's fields, top to bottom, with their element ids.
const PORT_FIELDS: [(&str, &str); 5] = [
    ("ip_address", "port-ip"),
    ("nickname", "port-nickname"),
    ("port_number", "port-number"),
    ("port_protocol", "port-protocol"),
    ("description", "port-description"),
];

/// Shows the messages under their fields and focuses the first field in error.
fn show_errors(m: PortModal, errors: FieldErrors) {
    let first = first_error(&errors, PORT_FIELDS.iter().map(|(k, _)| *k));
    m.errors.set(errors);
    if let Some((_, id)) = first.and_then(|k| PORT_FIELDS.iter().find(|(f, _)| *f == k)) {
        focus_later(format!("#{id}"));
    }
}

#[component]
fn PortModalView() -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let m = state.modal;
    let close = move || close_modal(m.open, m.opener);
    let discovered = move || {
        m.editing
            .with(|e| e.as_ref().is_some_and(|e| e.is_immutable))
    };
    let err = move |k: &'static str| move || m.errors.with(|e| e.get(k).map(|v| v.join("; ")));
    let invalid = move |k: &'static str| move || m.errors.with(|e| e.contains_key(k)).to_string();
    let save = move || {
        let editing = m.editing.get_untracked();
        let input = json!({
            "ip_address": m.ip.get_untracked(),
            "nickname": m.nickname.get_untracked(),
            "port_number": m.number.get_untracked(),
            "port_protocol": m.protocol.get_untracked(),
            "description": m.description.get_untracked(),
        });
        if let Err(errors) = validate_port(&input, editing.as_ref()) {
            show_errors(m, errors);
            return;
        }
        m.errors.set(FieldErrors::new());
        m.conflict.set(None);
        state.save.dispatch(SavePort {
            id: editing.map(|e| e.id),
            body: input.to_string(),
        });
    };
    // The save's answer: close, or show what is wrong where it is wrong.
    Effect::new(move |_| match state.save.value().get() {
        Some(Ok(SaveOutcome::Saved(_))) => close_modal(m.open, m.opener),
        Some(Ok(SaveOutcome::Invalid(e))) => show_errors(m, e),
        Some(Ok(SaveOutcome::Conflict(msg))) => m.conflict.set(Some(msg)),
        Some(Err(e)) => m.conflict.set(Some(e.to_string())),
        None => {}
    });
    let saving = state.save.pending();
    view! {
        <ModalFrame
            id="portModal"
            title_id="portModalLabel"
            open=m.open
            title=Signal::derive(move || if m.editing.get().is_some() { "Edit Port".to_string() } else { "Add Port".to_string() })
            close=Callback::new(move |_| close())
            on_submit=Callback::new(move |_| save())
        >
                <div class="modal-body">
                    {move || discovered().then(|| view! {
                        <p class="alert alert-info">"Discovered by an integration: only the description can change."</p>
                    })}
                    {move || m.conflict.get().map(|c| view! { <p class="alert alert-error" role="alert" id="port-conflict">{c}</p> })}
                    <TextField id="port-ip" label="Host address" placeholder="192.168.1.20 or nas.lan"
                        disabled=Signal::derive(discovered)
                        value=m.ip on_input=Callback::new(move |v| m.ip.set(v))
                        error=Signal::derive(err("ip_address")) />
                    <TextField id="port-nickname" label="Host nickname (optional)" maxlength=50
                        value=m.nickname on_input=Callback::new(move |v| m.nickname.set(v))
                        error=Signal::derive(err("nickname")) />
                    <TextField id="port-number" label="Port" input_type="number" min=1 max=65535
                        disabled=Signal::derive(discovered)
                        value=m.number on_input=Callback::new(move |v| m.number.set(v))
                        error=Signal::derive(err("port_number")) />
                    <div class="form-group">
                        <label class="form-label" for="port-protocol">"Protocol"</label>
                        <select class="form-control" id="port-protocol" disabled=discovered
                            aria-invalid=invalid("port_protocol") aria-describedby="port-protocol-error"
                            prop:value=move || m.protocol.get() on:change=move |ev| m.protocol.set(event_target_value(&ev))>
                            <option value="TCP">"TCP"</option>
                            <option value="UDP">"UDP"</option>
                        </select>
                        <FieldError id="port-protocol" messages=Signal::derive(err("port_protocol")) />
                    </div>
                    <TextField id="port-description" label="Description" maxlength=100
                        value=m.description on_input=Callback::new(move |v| m.description.set(v))
                        error=Signal::derive(err("description")) />
                </div>
                <div class="modal-footer">
                    <button type="button" class="btn btn-secondary" id="port-cancel-btn" on:click=move |_| close()>"Cancel"</button>
                    <button type="submit" class="btn btn-success" id="save-port-btn" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
        </ModalFrame>
    }
    .into_any()
}
