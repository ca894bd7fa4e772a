//! The Ports page's dialogs: the port form (with Generate and the app presets), the host form (add,
//! edit, delete) and the move conflict dialog.

use super::PortsPageState;
use crate::api::{
    AddHost, DeleteHost, EditHost, GeneratePort, ListPresets, SaveOutcome, SavePort, SuggestPort,
};
use crate::components::dom::focus_later;
use crate::components::field::{FieldError, TextField};
use crate::components::modal::{close_modal, lazy_dialog, ModalFrame};
use crate::generation::Preset;
use crate::hosts::{parse_host_edit, parse_new_host, HostGroup};
use crate::model::PortEntry;
use crate::ports::validate_port;
use crate::validation::{first_error, FieldErrors};
use leptos::prelude::*;
use serde_json::json;

/// The port, host and conflict dialogs, each loaded on its first open (`lazy_dialog`).
pub(crate) fn dialogs(state: PortsPageState) -> impl IntoView {
    view! {
        {lazy_dialog(move || state.modal.open.get(), port_dialog)}
        {lazy_dialog(move || state.host_modal.open.get(), host_dialog)}
        {lazy_dialog(move || state.conflict.with(Option::is_some), conflict_dialog)}
    }
}

#[leptos::lazy]
fn port_dialog() -> AnyView {
    view! { <PortModalView /> }.into_any()
}

#[leptos::lazy]
fn host_dialog() -> AnyView {
    view! { <HostModalView /> }.into_any()
}

#[leptos::lazy]
fn conflict_dialog() -> AnyView {
    view! { <ConflictDialog /> }.into_any()
}

#[derive(Clone, Copy)]
pub(crate) struct PortModal {
    open: RwSignal<bool>,
    editing: RwSignal<Option<PortEntry>>,
    ip: RwSignal<String>,
    nickname: RwSignal<String>,
    number: RwSignal<String>,
    protocol: RwSignal<String>,
    description: RwSignal<String>,
    errors: RwSignal<FieldErrors>,
    conflict: RwSignal<Option<String>>,
    /// Why the number is not the one asked for (a preset's port was taken).
    note: RwSignal<Option<String>>,
    opener: StoredValue<String>,
}

impl PortModal {
    pub fn new() -> Self {
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
            note: RwSignal::new(None),
            opener: StoredValue::new(String::new()),
        }
    }

    pub fn open_with(
        &self,
        entry: Option<PortEntry>,
        host: Option<(String, String)>,
        opener: String,
    ) {
        self.errors.set(FieldErrors::new());
        self.conflict.set(None);
        self.note.set(None);
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
    let save_port = ServerAction::<SavePort>::new();
    state.refetch_after(save_port.version());
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
        save_port.dispatch(SavePort {
            id: editing.map(|e| e.id),
            body: input.to_string(),
        });
    };
    // The save's answer: close, or show what is wrong where it is wrong.
    Effect::new(move |_| match save_port.value().get() {
        Some(Ok(SaveOutcome::Saved(e))) => {
            state.reveal(&e.ip_address);
            close_modal(m.open, m.opener)
        }
        Some(Ok(SaveOutcome::Invalid(e))) => show_errors(m, e),
        Some(Ok(SaveOutcome::Conflict(msg))) => m.conflict.set(Some(msg)),
        Some(Err(e)) => m.conflict.set(Some(e.to_string())),
        None => {}
    });
    // Generate: a free number for the host, not saved.
    let generate = ServerAction::<GeneratePort>::new();
    let ask_generate = move |_| {
        if m.ip.get_untracked().trim().is_empty() {
            let mut e = FieldErrors::new();
            crate::validation::push_error(&mut e, "ip_address", "is required to generate a port");
            show_errors(m, e);
            return;
        }
        generate.dispatch(GeneratePort {
            body:
                json!({"ip_address": m.ip.get_untracked(), "protocol": m.protocol.get_untracked()})
                    .to_string(),
        });
    };
    Effect::new(move |_| match generate.value().get() {
        Some(Ok(SaveOutcome::Saved(g))) => {
            m.number.set(g.port_number.to_string());
            m.note.set(Some(format!(
                "Generated {}: free on {}",
                g.port_number,
                m.ip.get_untracked()
            )));
            m.errors.update(|e| {
                e.remove("port_number");
            });
        }
        Some(Ok(SaveOutcome::Invalid(e))) => show_errors(m, e),
        Some(Ok(SaveOutcome::Conflict(msg))) => m.conflict.set(Some(msg)),
        Some(Err(e)) => m.conflict.set(Some(e.to_string())),
        None => {}
    });
    // A preset's number, bumped past a taken one.
    let suggest = ServerAction::<SuggestPort>::new();
    Effect::new(move |_| match suggest.value().get() {
        Some(Ok(SaveOutcome::Saved(s))) => {
            m.number.set(s.port_number.to_string());
            m.note.set(s.note);
        }
        Some(Ok(SaveOutcome::Conflict(msg))) => m.conflict.set(Some(msg)),
        Some(Ok(SaveOutcome::Invalid(e))) => show_errors(m, e),
        Some(Err(e)) => m.conflict.set(Some(e.to_string())),
        None => {}
    });
    let pick = Callback::new(move |p: Preset| {
        m.description.set(p.name.clone());
        m.number.set(p.port.to_string());
        m.note.set(None);
        suggest.dispatch(SuggestPort {
            ip: m.ip.get_untracked(),
            protocol: m.protocol.get_untracked(),
            port: i64::from(p.port),
        });
    });
    let saving = save_port.pending();
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
                    {move || (!discovered()).then(|| view! { <PresetPicker pick /> })}
                    <div class="form-row">
                        <TextField id="port-number" label="Port" input_type="number" min=1 max=65535
                            disabled=Signal::derive(discovered)
                            value=m.number on_input=Callback::new(move |v| { m.note.set(None); m.number.set(v) })
                            error=Signal::derive(err("port_number")) />
                        {move || (!discovered()).then(|| view! {
                            <button type="button" class="btn btn-outline" id="port-generate-btn"
                                disabled=move || generate.pending().get() on:click=ask_generate>
                                {move || if generate.pending().get() { "Generating…" } else { "Generate" }}
                            </button>
                        })}
                    </div>
                    {move || m.note.get().map(|n| view! { <p class="form-text" id="port-number-note" role="status">{n}</p> })}
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

/// A searchable list of app presets (a combobox: type to filter, arrows to choose, Enter to pick).
#[component]
fn PresetPicker(pick: Callback<Preset>) -> impl IntoView {
    let load = ServerAction::<ListPresets>::new();
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(0usize);
    let all = move || match load.value().get() {
        Some(Ok(list)) => list,
        _ => Vec::new(),
    };
    let shown = move || {
        let q = query.get().trim().to_lowercase();
        all()
            .into_iter()
            .filter(|p| {
                q.is_empty() || p.name.to_lowercase().contains(&q) || p.port.to_string() == q
            })
            .take(8)
            .collect::<Vec<_>>()
    };
    let ensure_loaded = move || {
        if load.value().get_untracked().is_none() && !load.pending().get_untracked() {
            load.dispatch(ListPresets {});
        }
    };
    let choose = move |p: Preset| {
        query.set(p.name.clone());
        open.set(false);
        pick.run(p);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let list = shown();
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                open.set(true);
                if !list.is_empty() {
                    active.set((active.get_untracked() + 1).min(list.len() - 1));
                }
            }
            "ArrowUp" => {
                ev.prevent_default();
                active.set(active.get_untracked().saturating_sub(1));
            }
            "Enter" if open.get_untracked() => {
                ev.prevent_default();
                if let Some(p) = list.get(active.get_untracked()).cloned() {
                    choose(p);
                }
            }
            "Escape" if open.get_untracked() => {
                ev.prevent_default();
                ev.stop_propagation();
                open.set(false);
            }
            _ => {}
        }
    };
    view! {
        <div class="form-group preset-picker">
            <label class="form-label" for="port-preset">"App preset (optional)"</label>
            <input
                id="port-preset"
                class="form-control"
                type="text"
                role="combobox"
                autocomplete="off"
                placeholder="Search 314 apps: Jellyfin, Grafana…"
                aria-autocomplete="list"
                aria-controls="preset-list"
                aria-expanded=move || (open.get() && !shown().is_empty()).to_string()
                aria-activedescendant=move || open.get().then(|| format!("preset-{}", active.get()))
                prop:value=move || query.get()
                on:focus=move |_| ensure_loaded()
                on:input=move |ev| {
                    ensure_loaded();
                    query.set(event_target_value(&ev));
                    active.set(0);
                    open.set(true);
                }
                on:keydown=on_key
                on:blur=move |_| open.set(false)
            />
            <ul id="preset-list" class="preset-list" role="listbox" aria-label="App presets" hidden=move || !open.get() || shown().is_empty()>
                {move || shown().into_iter().enumerate().map(|(i, p)| {
                    let chosen = p.clone();
                    view! {
                        <li id=format!("preset-{i}") role="option" class="preset-option"
                            aria-selected=move || (active.get() == i).to_string()
                            on:mousedown=move |ev| { ev.prevent_default(); choose(chosen.clone()) }>
                            <span>{p.name.clone()}</span>
                            <span class="muted mono">{p.port}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// What the host dialog is doing.
#[derive(Clone, Debug, PartialEq)]
enum HostMode {
    New,
    Edit(HostGroup),
    Delete(HostGroup),
}

#[derive(Clone, Copy)]
pub(crate) struct HostModal {
    open: RwSignal<bool>,
    mode: RwSignal<HostMode>,
    address: RwSignal<String>,
    nickname: RwSignal<String>,
    errors: RwSignal<FieldErrors>,
    problem: RwSignal<Option<String>>,
    /// The new address is another host: merging was asked for and must be confirmed.
    confirm_merge: RwSignal<bool>,
    opener: StoredValue<String>,
}

impl HostModal {
    pub fn new() -> Self {
        HostModal {
            open: RwSignal::new(false),
            mode: RwSignal::new(HostMode::New),
            address: RwSignal::new(String::new()),
            nickname: RwSignal::new(String::new()),
            errors: RwSignal::new(FieldErrors::new()),
            problem: RwSignal::new(None),
            confirm_merge: RwSignal::new(false),
            opener: StoredValue::new(String::new()),
        }
    }

    fn reset(&self, mode: HostMode, address: String, nickname: String, opener: String) {
        self.errors.set(FieldErrors::new());
        self.problem.set(None);
        self.confirm_merge.set(false);
        self.address.set(address);
        self.nickname.set(nickname);
        self.opener.set_value(opener);
        self.mode.set(mode);
        self.open.set(true);
    }

    pub fn open_new(&self) {
        self.reset(
            HostMode::New,
            String::new(),
            String::new(),
            "#add-host-btn".into(),
        );
        focus_later("#host-address".into());
    }

    pub fn open_edit(&self, group: HostGroup) {
        let opener = format!(".host-panel[data-host='{}'] .edit-host-btn", group.address);
        self.reset(
            HostMode::Edit(group.clone()),
            group.address.clone(),
            group.nickname.clone(),
            opener,
        );
        focus_later("#host-address".into());
    }

    pub fn open_delete(&self, group: HostGroup) {
        let opener = format!(
            ".host-panel[data-host='{}'] .delete-host-btn",
            group.address
        );
        self.reset(
            HostMode::Delete(group.clone()),
            group.address.clone(),
            String::new(),
            opener,
        );
        focus_later("#host-cancel-btn".into());
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
fn HostModalView() -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let h = state.host_modal;
    let add_host = ServerAction::<AddHost>::new();
    let edit_host = ServerAction::<EditHost>::new();
    let delete_host = ServerAction::<DeleteHost>::new();
    for version in [
        add_host.version(),
        edit_host.version(),
        delete_host.version(),
    ] {
        state.refetch_after(version);
    }
    // A delete closes the dialog at once; its answer shows on the page.
    Effect::new(move |_| match delete_host.value().get() {
        Some(Ok(o)) => state.notice.set(Some((o.ok, o.message))),
        Some(Err(e)) => state.notice.set(Some((false, e.to_string()))),
        None => {}
    });
    let close = move || close_modal(h.open, h.opener);
    let err = move |k: &'static str| move || h.errors.with(|e| e.get(k).map(|v| v.join("; ")));
    let submit = move || {
        let mode = h.mode.get_untracked();
        let address = h.address.get_untracked().trim().to_string();
        match mode {
            HostMode::New => {
                let body = json!({"address": address, "nickname": h.nickname.get_untracked()});
                if let Err(e) = parse_new_host(&body) {
                    h.errors.set(e);
                    focus_later("#host-address".into());
                    return;
                }
                add_host.dispatch(AddHost {
                    body: body.to_string(),
                });
            }
            HostMode::Edit(group) => {
                let changed = address != group.address;
                let exists = changed
                    && state
                        .base
                        .with_value(|g| g.iter().any(|g| g.address == address));
                if exists && !h.confirm_merge.get_untracked() {
                    h.confirm_merge.set(true);
                    focus_later("#host-save-btn".into());
                    return;
                }
                let body = json!({
                    "address": address,
                    "nickname": h.nickname.get_untracked(),
                    "merge": exists,
                });
                if let Err(e) = parse_host_edit(&body) {
                    h.errors.set(e);
                    focus_later("#host-address".into());
                    return;
                }
                edit_host.dispatch(EditHost {
                    address: group.address,
                    body: body.to_string(),
                });
            }
            HostMode::Delete(group) => {
                delete_host.dispatch(DeleteHost {
                    address: group.address,
                });
                close_modal(h.open, StoredValue::new("#add-host-btn".into()));
            }
        }
    };
    let answer = move |r: Option<Result<SaveOutcome<()>, ServerFnError>>| match r {
        Some(Ok(SaveOutcome::Saved(()))) => {
            close_modal(h.open, StoredValue::new("#add-host-btn".into()))
        }
        Some(Ok(SaveOutcome::Invalid(e))) => {
            h.errors.set(e);
            focus_later("#host-address".into());
        }
        Some(Ok(SaveOutcome::Conflict(m))) => h.problem.set(Some(m)),
        Some(Err(e)) => h.problem.set(Some(e.to_string())),
        None => {}
    };
    fn unit<T>(
        r: Option<Result<SaveOutcome<T>, ServerFnError>>,
    ) -> Option<Result<SaveOutcome<()>, ServerFnError>> {
        r.map(|r| {
            r.map(|o| match o {
                SaveOutcome::Saved(_) => SaveOutcome::Saved(()),
                SaveOutcome::Invalid(e) => SaveOutcome::Invalid(e),
                SaveOutcome::Conflict(m) => SaveOutcome::Conflict(m),
            })
        })
    }
    Effect::new(move |_| {
        let value = add_host.value().get();
        if let Some(Ok(SaveOutcome::Saved(h))) = &value {
            state.reveal(&h.address);
        }
        answer(unit(value))
    });
    Effect::new(move |_| answer(unit(edit_host.value().get())));
    let title = Signal::derive(move || match h.mode.get() {
        HostMode::New => "Add host".to_string(),
        HostMode::Edit(g) => format!("Edit host {}", g.address),
        HostMode::Delete(group) => format!("Delete host {}", group.address),
    });
    let body = move || match h.mode.get() {
        HostMode::Delete(group) => {
            let stale = group.stale();
            let manual = group.manual;
            let discovered = group.reported;
            let owners = group.owners.clone();
            view! {
                <p id="host-delete-summary">
                    {format!(
                        "Delete {} and {} of {}?",
                        plural(manual, "manual entry", "manual entries"),
                        plural(stale, "stale entry", "stale entries"),
                        group.address
                    )}
                </p>
                {(discovered > 0).then(|| view! {
                    <p class="alert alert-info" id="host-delete-kept">
                        {format!(
                            "{} stay while {} report{} {}.",
                            plural(discovered, "discovered entry", "discovered entries"),
                            owners.join(", "),
                            if owners.len() == 1 { "s" } else { "" },
                            if discovered == 1 { "it" } else { "them" }
                        )}
                    </p>
                })}
            }
            .into_any()
        }
        mode => {
            let discovered = match &mode {
                HostMode::Edit(g) => g.total.saturating_sub(g.manual),
                _ => 0,
            };
            view! {
                <TextField id="host-address" label="Address" placeholder="192.168.1.20 or nas.lan"
                    value=h.address on_input=Callback::new(move |v| { h.confirm_merge.set(false); h.address.set(v) })
                    error=Signal::derive(err("address")) />
                {(discovered > 0).then(|| view! {
                    <p class="form-text" id="host-discovered-note">
                        {format!(
                            "A new address moves the manual entries only: {} keep the address their integration reports.",
                            plural(discovered, "discovered entry", "discovered entries")
                        )}
                    </p>
                })}
                <TextField id="host-nickname" label="Nickname (optional)" maxlength=50
                    value=h.nickname on_input=Callback::new(move |v| h.nickname.set(v))
                    error=Signal::derive(err("nickname")) />
                {move || h.confirm_merge.get().then(|| view! {
                    <p class="alert alert-info" id="host-merge-confirm" role="alert">
                        {format!("{} is already a host. Merge this host's manual entries into it? Press Merge to confirm.", h.address.get())}
                    </p>
                })}
            }
            .into_any()
        }
    };
    let is_delete = move || matches!(h.mode.get(), HostMode::Delete(_));
    let busy = move || add_host.pending().get() || edit_host.pending().get();
    view! {
        <ModalFrame
            id="hostModal"
            title_id="hostModalLabel"
            open=h.open
            title=title
            role="dialog"
            close=Callback::new(move |_| close())
            on_submit=Callback::new(move |_| submit())
        >
            <div class="modal-body">
                {move || h.problem.get().map(|p| view! { <p class="alert alert-error" role="alert" id="host-problem">{p}</p> })}
                {body}
            </div>
            <div class="modal-footer">
                <button type="button" class="btn btn-secondary" id="host-cancel-btn" on:click=move |_| close()>"Cancel"</button>
                <button type="submit" id="host-save-btn" disabled=busy
                    class=move || if is_delete() { "btn btn-danger" } else { "btn btn-success" }>
                    {move || if is_delete() { "Delete host" } else if h.confirm_merge.get() { "Merge" } else if busy() { "Saving…" } else { "Save" }}
                </button>
            </div>
        </ModalFrame>
    }
    .into_any()
}

/// A move that found the number taken on the target host.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Conflict {
    pub moving_id: i64,
    /// The move's request, to send again with a way out.
    pub request: serde_json::Value,
    pub message: String,
    pub existing: PortEntry,
    pub suggestion: Option<i64>,
}

#[component]
fn ConflictDialog() -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let open = RwSignal::new(false);
    let moving_number = RwSignal::new(String::new());
    let existing_number = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(c) = state.conflict.get() {
            let s = c.suggestion.map(|n| n.to_string()).unwrap_or_default();
            moving_number.set(s.clone());
            existing_number.set(s);
            open.set(true);
            focus_later("#conflict-cancel-btn".into());
        }
    });
    let close = move || {
        open.set(false);
        state.conflict.set(None);
        state.preview.set(None);
    };
    let resend = move |field: &'static str, value: RwSignal<String>| {
        move |()| {
            let Some(c) = state.conflict.get_untracked() else {
                return;
            };
            let mut body = c.request.clone();
            body[field] = json!(value.get_untracked());
            open.set(false);
            state.conflict.set(None);
            state.dispatch_move(c.moving_id, body);
        }
    };
    view! {
        <ModalFrame id="conflictModal" title_id="conflictModalLabel" open=open role="alertdialog"
            title=Signal::derive(|| "Port already in use there".to_string())
            close=Callback::new(move |_| close())>
            <div class="modal-body">
                <p id="conflict-message">{move || state.conflict.get().map(|c| c.message).unwrap_or_default()}</p>
                <RenumberRow id="conflict-moving-number" label="Give the moving port the number" value=moving_number
                    button_id="conflict-renumber-moving-btn" button_class="btn btn-primary" button="Move with this number"
                    on_click=Callback::new(resend("port_number", moving_number)) />
                {move || state.conflict.get().filter(|c| !c.existing.is_immutable).map(|_| view! {
                    <RenumberRow id="conflict-existing-number" label="Or give the existing port the number" value=existing_number
                        button_id="conflict-renumber-existing-btn" button_class="btn btn-outline" button="Renumber the existing one"
                        on_click=Callback::new(resend("existing_port_number", existing_number)) />
                })}
            </div>
            <div class="modal-footer">
                <button type="button" class="btn btn-secondary" id="conflict-cancel-btn" on:click=move |_| close()>"Cancel"</button>
            </div>
        </ModalFrame>
    }
}

/// One way out of a conflict: a number (prefilled with a free one) and the button that uses it.
#[component]
fn RenumberRow(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    button_id: &'static str,
    button_class: &'static str,
    button: &'static str,
    on_click: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="form-row">
            <TextField id=id label=label input_type="number" min=1 max=65535
                value=value on_input=Callback::new(move |v| value.set(v))
                error=Signal::derive(|| None::<String>) />
            <button type="button" class=button_class id=button_id on:click=move |_| on_click.run(())>{button}</button>
        </div>
    }
}
