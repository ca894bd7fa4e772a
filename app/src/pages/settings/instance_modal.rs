//! The add/edit integration modal: step 1 picks the type, step 2 takes the common and the type's fields
//! (rendered from the type schema), tests the connection, validates (shared rules) and saves.
//! Testing and saving are server actions: "Testing…"/"Saving…" are their pending states, their answers
//! are handled in one place each.

use super::integrations::Section;
use crate::api::{SaveInstance, SaveOutcome, TestInstance};
use crate::components::checkbox::Checkbox;
use crate::components::dom::focus_later;
use crate::components::field::{FieldError, TextField};
use crate::components::modal::{close_modal, lazy_dialog, ModalFrame};
use crate::instances::{
    target_of, type_schema, type_schemas, validate_instance, ExistingInstance, FieldKind,
    FieldSchema, InstanceType, InstanceView, SCAN_INTERVAL_DEFAULT,
};
use crate::validation::{first_error, FieldErrors};
use leptos::prelude::*;
use serde_json::{json, Map, Value};

#[derive(Clone, Copy)]
pub struct ModalState {
    pub open: RwSignal<bool>,
    pub step: RwSignal<u8>,
    pub editing: RwSignal<Option<InstanceView>>,
    pub itype: RwSignal<Option<InstanceType>>,
    pub name: RwSignal<String>,
    pub enabled: RwSignal<bool>,
    pub auto_detect: RwSignal<bool>,
    pub interval: RwSignal<String>,
    pub fields: RwSignal<Map<String, Value>>,
    pub errors: RwSignal<FieldErrors>,
    pub test: RwSignal<Option<(bool, String)>>,
    pub failure: RwSignal<Option<String>>,
    pub opener: StoredValue<String>,
}

/// The element id of a form field (the seed's ids: `docker-host`, `portainer-api-key`…).
pub fn field_id(t: InstanceType, name: &str) -> String {
    format!("{}-{}", t.as_str(), name.replace('_', "-"))
}

/// The element that shows an error key.
fn error_target(t: Option<InstanceType>, key: &str) -> String {
    match (key, t) {
        ("name", _) => "instance-name".into(),
        ("scan_interval", _) => "instance-scan-interval".into(),
        ("enabled", _) => "instance-enabled".into(),
        ("auto_detect", _) => "instance-auto-detect".into(),
        (k, Some(t)) if k.starts_with("config.") => field_id(t, &k["config.".len()..]),
        _ => "instance-name".into(),
    }
}

fn defaults(t: InstanceType) -> Map<String, Value> {
    type_schema(t)
        .fields
        .into_iter()
        .map(|f| {
            let v = match (f.kind, f.default) {
                (FieldKind::Checkbox, Value::Bool(b)) => Value::Bool(b),
                (FieldKind::Checkbox, _) => Value::Bool(false),
                (_, Value::Null) => Value::String(String::new()),
                (_, Value::Number(n)) => Value::String(n.to_string()),
                (_, v) => v,
            };
            (f.name, v)
        })
        .collect()
}

impl ModalState {
    pub fn new() -> Self {
        ModalState {
            open: RwSignal::new(false),
            step: RwSignal::new(1),
            editing: RwSignal::new(None),
            itype: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            enabled: RwSignal::new(true),
            auto_detect: RwSignal::new(true),
            interval: RwSignal::new(SCAN_INTERVAL_DEFAULT.to_string()),
            fields: RwSignal::new(Map::new()),
            errors: RwSignal::new(FieldErrors::new()),
            test: RwSignal::new(None),
            failure: RwSignal::new(None),
            opener: StoredValue::new(String::new()),
        }
    }

    fn reset(&self) {
        self.errors.set(FieldErrors::new());
        self.test.set(None);
        self.failure.set(None);
    }

    pub fn open_new(&self, opener: &str) {
        self.reset();
        self.editing.set(None);
        self.itype.set(None);
        self.name.set(String::new());
        self.enabled.set(true);
        self.auto_detect.set(true);
        self.interval.set(SCAN_INTERVAL_DEFAULT.to_string());
        self.fields.set(Map::new());
        self.step.set(1);
        self.opener.set_value(opener.to_string());
        self.open.set(true);
        focus_later("#type-docker".into());
    }

    /// Edit opens at step 2 with the stored values (secrets blank: "leave blank to keep").
    pub fn open_edit(&self, i: InstanceView) {
        self.reset();
        let mut fields = defaults(i.instance_type);
        for (k, v) in &i.config {
            if fields.contains_key(k) {
                let v = match v {
                    Value::Number(n) => Value::String(n.to_string()),
                    other => other.clone(),
                };
                fields.insert(k.clone(), v);
            }
        }
        self.itype.set(Some(i.instance_type));
        self.name.set(i.name.clone());
        self.enabled.set(i.enabled);
        self.auto_detect.set(i.auto_detect);
        self.interval.set(i.scan_interval.to_string());
        self.fields.set(fields);
        self.opener.set_value(format!(
            ".docker-instance-block[data-instance-id='{}'] .edit-instance-btn",
            i.id
        ));
        self.editing.set(Some(i));
        self.step.set(2);
        self.open.set(true);
        focus_later("#instance-name".into());
    }

    fn choose(&self, t: InstanceType) {
        if self.itype.get_untracked() != Some(t) {
            self.fields.set(defaults(t));
        }
        self.itype.set(Some(t));
    }

    fn next(&self) {
        match self.itype.get_untracked() {
            Some(t) => {
                if self.fields.with_untracked(Map::is_empty) {
                    self.fields.set(defaults(t));
                }
                self.step.set(2);
                focus_later("#instance-name".into());
            }
            None => {
                let mut e = FieldErrors::new();
                crate::validation::push_error(&mut e, "type", "choose the kind of integration");
                self.errors.set(e);
                focus_later("#type-docker".into());
            }
        }
    }

    /// The form as the API takes it; blank secrets are left out (the stored ones stay).
    fn input(&self) -> Value {
        let t = self.itype.get_untracked().unwrap_or(InstanceType::Docker);
        let schema = type_schema(t);
        let mut config = Map::new();
        for (k, v) in self.fields.get_untracked() {
            let secret = schema.fields.iter().any(|f| f.name == k && f.secret);
            if secret && v.as_str().is_some_and(str::is_empty) {
                continue;
            }
            config.insert(k, v);
        }
        let mut body = json!({
            "type": t.as_str(),
            "name": self.name.get_untracked(),
            "enabled": self.enabled.get_untracked(),
            "auto_detect": self.auto_detect.get_untracked(),
            "scan_interval": self.interval.get_untracked(),
            "config": config,
        });
        if let Some(e) = self.editing.get_untracked() {
            body["id"] = json!(e.id);
        }
        body
    }

    /// What the shared validator compares against when editing: the redacted configuration, whose
    /// `<secret>_set` flags tell the validator which secrets can be kept.
    fn existing(&self) -> Option<ExistingInstance> {
        self.editing.get_untracked().map(|e| ExistingInstance {
            id: e.id,
            name: e.name,
            instance_type: e.instance_type,
            enabled: e.enabled,
            auto_detect: e.auto_detect,
            scan_interval: e.scan_interval,
            config: e.config,
        })
    }

    fn show_errors(&self, errors: FieldErrors) {
        // The first field in the form's order, not the map's.
        let t = self.itype.get_untracked();
        let mut order: Vec<String> = ["type", "name", "enabled", "auto_detect", "scan_interval"]
            .iter()
            .map(|k| k.to_string())
            .collect();
        if let Some(t) = t {
            order.extend(
                type_schema(t)
                    .fields
                    .into_iter()
                    .map(|f| format!("config.{}", f.name)),
            );
        }
        let first = first_error(&errors, order.iter().map(String::as_str));
        self.errors.set(errors);
        if let Some(key) = first {
            focus_later(format!("#{}", error_target(t, &key)));
        }
    }

    fn test_connection(&self, test_action: ServerAction<TestInstance>) {
        self.test.set(None);
        test_action.dispatch(TestInstance {
            body: self.input().to_string(),
        });
    }

    /// What a connection test answered (run when the test action's value changes).
    fn tested(&self, answer: Result<SaveOutcome<crate::api::ActionOutcome>, ServerFnError>) {
        match answer {
            Ok(SaveOutcome::Saved(o)) => self.test.set(Some((o.ok, o.message))),
            Ok(SaveOutcome::Invalid(e)) => self.show_errors(e),
            Ok(SaveOutcome::Conflict(m)) => self.test.set(Some((false, m))),
            Err(e) => self.test.set(Some((false, e.to_string()))),
        }
    }

    /// What saving answered: closed, the list reloaded and, once it is drawn anew, the focus on what
    /// opened the dialog; or the errors beside their fields. The reload is asked for here, after the
    /// focus target is set, rather than keyed on the save's version: a refetch that lands before
    /// the target is set would leave the focus on the page.
    fn saved(&self, section: Section, answer: Result<SaveOutcome<InstanceView>, ServerFnError>) {
        match answer {
            Ok(SaveOutcome::Saved(_)) => {
                self.open.set(false);
                section
                    .focus_after_reload
                    .set(Some(self.opener.get_value()));
                section.reload();
            }
            Ok(SaveOutcome::Invalid(e)) => self.show_errors(e),
            Ok(SaveOutcome::Conflict(m)) => self.failure.set(Some(m)),
            Err(e) => self.failure.set(Some(format!("Could not save: {e}"))),
        }
    }

    fn save(&self, section: Section, save_action: ServerAction<SaveInstance>) {
        let me = *self;
        let existing = me.existing();
        let others: Vec<String> = section
            .instances()
            .into_iter()
            .filter(|i| existing.as_ref().is_none_or(|e| e.id != i.id))
            .map(|i| i.name)
            .collect();
        let mut input = me.input();
        // The shared rules first, in the browser; the server checks again.
        let mut check = input.clone();
        if let (Some(e), Some(cfg)) = (
            &existing,
            check.get_mut("config").and_then(Value::as_object_mut),
        ) {
            for (k, v) in &e.config {
                cfg.entry(k.clone()).or_insert(v.clone());
            }
        }
        if let Err(errors) = validate_instance(&check, existing.as_ref(), &others) {
            me.show_errors(errors);
            return;
        }
        me.errors.set(FieldErrors::new());
        me.failure.set(None);
        let id = existing.map(|e| e.id);
        if let Some(o) = input.as_object_mut() {
            o.remove("id");
        }
        save_action.dispatch(SaveInstance {
            id,
            body: input.to_string(),
        });
    }
}

/// Messages of one error key, shown under its field.
fn errors_of(m: ModalState, key: &'static str) -> impl Fn() -> Option<String> {
    move || m.errors.with(|e| e.get(key).map(|v| v.join("; ")))
}

/// The integration dialog, loaded on its first open (`lazy_dialog`).
pub fn instance_dialog(m: ModalState) -> impl IntoView {
    lazy_dialog(move || m.open.get(), instance_dialog_view)
}

#[leptos::lazy]
fn instance_dialog_view() -> AnyView {
    view! { <InstanceModal /> }.into_any()
}

#[component]
fn InstanceModal() -> impl IntoView {
    let section = expect_context::<Section>();
    let m = section.modal;
    // The dialog's requests live with it (their code loads when it first opens); once opened, the
    // dialog stays mounted, hidden while closed, and so do they.
    let test_action = ServerAction::<TestInstance>::new();
    let save_action = ServerAction::<SaveInstance>::new();
    let close = move || close_modal(m.open, m.opener);
    // An answer that arrives after the dialog was closed is not shown in the next one.
    Effect::new(move |_| {
        if let Some(answer) = test_action.value().get() {
            if m.open.get_untracked() {
                m.tested(answer);
            }
        }
    });
    Effect::new(move |_| {
        if let Some(answer) = save_action.value().get() {
            m.saved(section, answer);
        }
    });
    let testing = test_action.pending();
    let saving = save_action.pending();
    let title = move || match (m.editing.get(), m.step.get(), m.itype.get()) {
        (Some(e), _, _) => format!("Edit {}", e.name),
        (None, 2, Some(t)) => format!("Add {} Integration", t.label()),
        _ => "Add Docker Integration".to_string(),
    };
    let on_submit = move || {
        if m.step.get_untracked() == 1 {
            m.next();
        } else {
            m.save(section, save_action);
        }
    };
    view! {
        <ModalFrame
            id="dockerInstanceModal"
            title_id="dockerInstanceModalLabel"
            open=m.open
            title=Signal::derive(title)
            close=Callback::new(move |_| close())
            on_submit=Callback::new(move |_| on_submit())
        >
                <div class="modal-body">
                    <div id="instance-type-step" class="modal-step" hidden=move || m.step.get() != 1>
                        <fieldset class="type-selection">
                            <legend class="form-label">"Choose Integration Type:"</legend>
                            {type_schemas().into_iter().map(|s| {
                                let t = s.instance_type;
                                let id = format!("type-{}", t.as_str());
                                let label_for = id.clone();
                                view! {
                                    <label class="type-card" for=label_for>
                                        <input
                                            class="form-check-input"
                                            type="radio"
                                            name="instance_type"
                                            id=id
                                            value=t.as_str()
                                            prop:checked=move || m.itype.get() == Some(t)
                                            on:change=move |_| m.choose(t)
                                        />
                                        <span>
                                            <strong>{s.label.clone()}</strong>
                                            <small>{s.description.clone()}</small>
                                        </span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                        <FieldError id="type-docker" messages=Signal::derive(errors_of(m, "type")) />
                    </div>
                    <div id="instance-config-step" class="modal-step" hidden=move || m.step.get() != 2>
                        <CommonFields />
                        {move || m.itype.get().map(|t| view! { <TypeFields itype=t /> })}
                        {move || m.test.get().map(|(ok, msg)| view! {
                            <p id="test-connection-result" class=if ok { "alert alert-success" } else { "alert alert-error" } role="status">
                                {if ok { "Connected: " } else { "Failed: " }} {msg}
                            </p>
                        })}
                        {move || m.failure.get().map(|msg| view! { <p class="alert alert-error" role="alert" id="save-error">{msg}</p> })}
                    </div>
                </div>
                <div class="modal-footer">
                    <button type="button" class="btn btn-secondary" id="instance-cancel-btn" on:click=move |_| close()>"Cancel"</button>
                    <button
                        type="button"
                        id="instance-back-btn"
                        class="btn btn-outline"
                        hidden=move || m.step.get() != 2 || m.editing.get().is_some()
                        on:click=move |_| {
                            m.step.set(1);
                            focus_later("#type-docker".into());
                        }
                    >
                        "Back"
                    </button>
                    <button type="submit" id="instance-next-btn" class="btn btn-primary" hidden=move || m.step.get() != 1>
                        "Next"
                    </button>
                    <button
                        type="button"
                        id="test-connection-btn"
                        class="btn btn-outline"
                        hidden=move || m.step.get() != 2
                        disabled=move || testing.get()
                        on:click=move |_| m.test_connection(test_action)
                    >
                        {move || if testing.get() { "Testing…" } else { "Test Connection" }}
                    </button>
                    <button
                        type="submit"
                        id="save-instance-btn"
                        class="btn btn-success"
                        hidden=move || m.step.get() != 2
                        disabled=move || saving.get()
                    >
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
        </ModalFrame>
    }
    .into_any()
}

#[component]
fn CommonFields() -> impl IntoView {
    let m = expect_context::<Section>().modal;
    view! {
        <TextField
            id="instance-name"
            name="name"
            label="Name"
            maxlength=100
            placeholder="Leave blank to name it after its address"
            value=m.name
            on_input=Callback::new(move |v| m.name.set(v))
            error=Signal::derive(errors_of(m, "name"))
        />
        <Checkbox
            id="instance-enabled"
            name="enabled"
            label="Enable Integration"
            checked=m.enabled
            on_change=Callback::new(move |v| m.enabled.set(v))
        />
        <Checkbox
            id="instance-auto-detect"
            name="auto_detect"
            label="Auto-detect Ports"
            checked=m.auto_detect
            on_change=Callback::new(move |v| m.auto_detect.set(v))
        />
        <TextField
            id="instance-scan-interval"
            name="scan_interval"
            label="Scan Interval (seconds)"
            input_type="number"
            min=60
            max=86400
            help="60 seconds to 1 day; 300 = every 5 minutes."
            value=m.interval
            on_input=Callback::new(move |v| m.interval.set(v))
            error=Signal::derive(errors_of(m, "scan_interval"))
        />
    }
    .into_any()
}

#[component]
fn TypeFields(itype: InstanceType) -> impl IntoView {
    let schema = type_schema(itype);
    view! {
        <div id=format!("{}-config", itype.as_str()) class="type-config">
            {schema.fields.into_iter().map(|f| view! { <ConfigField itype f /> }).collect_view()}
        </div>
    }
}

#[component]
fn ConfigField(itype: InstanceType, f: FieldSchema) -> impl IntoView {
    let section = expect_context::<Section>();
    let m = section.modal;
    let id = field_id(itype, &f.name);
    let key = f.name.clone();
    let err_key = format!("config.{}", f.name);
    let messages = Signal::derive(move || m.errors.with(|e| e.get(&err_key).map(|v| v.join("; "))));
    let value = {
        let key = key.clone();
        move || {
            m.fields.with(|c| {
                c.get(&key)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
        }
    };
    let set = {
        let key = key.clone();
        move |v: Value| {
            m.fields.update(|c| {
                c.insert(key.clone(), v);
            })
        }
    };
    if f.kind == FieldKind::Checkbox {
        let key = key.clone();
        let checked = Signal::derive(move || {
            m.fields
                .with(|c| c.get(&key).and_then(Value::as_bool).unwrap_or(false))
        });
        return view! {
            <Checkbox id name=f.name.clone() label=f.label.clone() checked
                help=(!f.help.is_empty()).then(|| f.help.clone())
                on_change=Callback::new(move |v| set(Value::Bool(v))) />
        }
        .into_any();
    }
    let input_type = match f.kind {
        FieldKind::Url => "url",
        FieldKind::Password => "password",
        FieldKind::Number => "number",
        _ => "text",
    };
    let secret_saved = {
        let name = f.name.clone();
        move || {
            f.secret
                && m.editing.with(|e| {
                    e.as_ref()
                        .and_then(|e| e.config.get(&format!("{name}_set")))
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                })
        }
    };
    // A stored secret stays bound to the address it was entered for (the validator says so too).
    let address_changed = move || {
        m.editing.with(|e| {
            e.as_ref().is_some_and(|e| {
                let t = e.instance_type;
                m.fields
                    .with(|f| target_of(t, f) != target_of(t, &e.config))
            })
        })
    };
    let placeholder = {
        let p = f.placeholder.clone();
        let secret_saved = secret_saved.clone();
        move || {
            if secret_saved() && address_changed() {
                "new address — enter it again".to_string()
            } else if secret_saved() {
                "saved — leave blank to keep".to_string()
            } else {
                p.clone()
            }
        }
    };
    view! {
        <TextField
            id
            name=key
            label=f.label.clone()
            input_type
            min=f.min
            max=f.max
            autocomplete=if f.secret { "new-password" } else { "off" }
            placeholder=Signal::derive(placeholder)
            help=(!f.help.is_empty()).then(|| f.help.clone())
            value=Signal::derive(value)
            on_input=Callback::new(move |v| set(Value::String(v)))
            error=messages
        />
    }
    .into_any()
}
