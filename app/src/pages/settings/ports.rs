//! Settings → Ports: what port generation picks from and what Copy copies. The values live in the
//! legacy `setting` rows, so an upgraded database keeps them.

use crate::api::{port_settings, SaveOutcome, SavePortSettings};
use crate::components::field::{FieldError, TextField};
use crate::generation::{parse_port_settings, PortSettings};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use serde_json::json;

#[component]
pub fn PortsCard() -> impl IntoView {
    let save = ServerAction::<SavePortSettings>::new();
    // Read once: the form keeps what was typed, and a save answers with what was stored.
    let current = crate::api::resource(|| (), |_| port_settings());
    view! {
        <section class="card" id="port-settings-card">
            <header class="card-header"><h2>"Ports and default host"</h2></header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(s) => view! { <PortsForm s save /> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PortsForm(s: PortSettings, save: ServerAction<SavePortSettings>) -> impl IntoView {
    let start = RwSignal::new(s.port_start.to_string());
    let end = RwSignal::new(s.port_end.to_string());
    let exclude = RwSignal::new(s.port_exclude.clone());
    let length = RwSignal::new(s.port_length.as_str().to_string());
    let copy = RwSignal::new(s.copy_format.as_str().to_string());
    let default_ip = RwSignal::new(s.default_ip.clone());
    let errors = RwSignal::new(FieldErrors::new());
    let saved = RwSignal::new(false);
    let stored = StoredValue::new(s);
    let err = move |k: &'static str| {
        Signal::derive(move || errors.with(|e| e.get(k).map(|v| v.join("; "))))
    };
    let submit = move || {
        let body = json!({
            "port_start": start.get_untracked(),
            "port_end": end.get_untracked(),
            "port_exclude": exclude.get_untracked(),
            "port_length": length.get_untracked(),
            "copy_format": copy.get_untracked(),
            "default_ip": default_ip.get_untracked(),
        });
        saved.set(false);
        if let Err(e) = parse_port_settings(&body, &stored.get_value()) {
            errors.set(e);
            return;
        }
        errors.set(FieldErrors::new());
        save.dispatch(SavePortSettings {
            body: body.to_string(),
        });
    };
    Effect::new(move |_| match save.value().get() {
        Some(Ok(SaveOutcome::Saved(s))) => {
            exclude.set(s.port_exclude.clone());
            stored.set_value(s);
            saved.set(true);
        }
        Some(Ok(SaveOutcome::Invalid(e))) => errors.set(e),
        _ => {}
    });
    view! {
        <form id="port-settings-form" novalidate=true on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <p class="muted">"Generate picks a free port among these; Copy puts the port or the whole URL on the clipboard."</p>
            <div class="form-grid">
                <TextField id="port-start" label="First port" input_type="number" min=1 max=65535
                    value=start on_input=Callback::new(move |v| start.set(v)) error=err("port_start") />
                <TextField id="port-end" label="Last port" input_type="number" min=1 max=65535
                    value=end on_input=Callback::new(move |v| end.set(v)) error=err("port_end") />
                <div class="form-group">
                    <label class="form-label" for="port-length">"Digits"</label>
                    <select class="form-control" id="port-length" aria-describedby="port-length-error"
                        prop:value=move || length.get() on:change=move |ev| length.set(event_target_value(&ev))>
                        <option value="any">"Any"</option>
                        <option value="4">"4 (1000–9999)"</option>
                        <option value="5">"5 (10000–65535)"</option>
                    </select>
                    <FieldError id="port-length" messages=err("port_length") />
                </div>
            </div>
            <TextField id="port-exclude" label="Never pick" placeholder="22, 80, 8000-8100"
                help="Numbers and ranges, separated by commas."
                value=exclude on_input=Callback::new(move |v| exclude.set(v)) error=err("port_exclude") />
            <div class="form-grid">
                <div class="form-group">
                    <label class="form-label" for="copy-format">"Copy button copies"</label>
                    <select class="form-control" id="copy-format"
                        prop:value=move || copy.get() on:change=move |ev| copy.set(event_target_value(&ev))>
                        <option value="port_only">"The port (8080)"</option>
                        <option value="full_url">"The URL (http://host:8080)"</option>
                    </select>
                </div>
                <TextField id="default-ip" label="Default host for New" placeholder="192.168.1.20"
                    value=default_ip on_input=Callback::new(move |v| default_ip.set(v)) error=err("default_ip") />
            </div>
            <div class="row">
                <button type="submit" class="btn btn-primary" id="save-port-settings-btn" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
                {move || saved.get().then(|| view! { <span class="action-result ok" id="port-settings-saved" role="status">"Saved"</span> })}
            </div>
        </form>
    }
}

/// Settings → General: how often every entry's "is it listening?" is checked in the background.
#[component]
pub fn ReachabilityCard() -> impl IntoView {
    use crate::hostscan::api::{get_check_schedule, SaveCheckSchedule};
    use crate::hostscan::CHECK_INTERVALS;
    let current = crate::api::resource(|| (), |_| get_check_schedule());
    let save = ServerAction::<SaveCheckSchedule>::new();
    let chosen = RwSignal::new(None::<u32>);
    let message = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(SaveOutcome::Saved(s))) => {
            chosen.set(Some(s.interval_minutes));
            message.set(Some((true, "Saved".into())));
        }
        Some(Ok(SaveOutcome::Invalid(e))) => {
            message.set(Some((false, crate::validation::all_messages(&e))))
        }
        Some(Ok(SaveOutcome::Conflict(m))) => message.set(Some((false, m))),
        Some(Err(e)) => message.set(Some((false, e.to_string()))),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        message.set(None);
        let minutes = chosen.get_untracked().unwrap_or(0);
        save.dispatch(SaveCheckSchedule {
            body: json!({ "interval_minutes": minutes }).to_string(),
        });
    };
    view! {
        <section class="card" id="reachability-card">
            <header class="card-header"><h2>"Reachability checks"</h2></header>
            <p class="muted">
                "Whether each entry answers (a TCP connection; UDP cannot be checked) is shown by a dot after its port. "
                "\"Check\" on a host panel checks that host now; here every host can be checked in the background too."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let stored = current.await.map(|s| s.interval_minutes).unwrap_or(0);
                    if chosen.get_untracked().is_none() {
                        chosen.set(Some(stored));
                    }
                    view! {
                        <form id="reachability-form" on:submit=submit>
                            <div class="form-group">
                                <label class="form-label" for="check-interval">"Check every entry"</label>
                                <select id="check-interval" class="form-control"
                                    on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())>
                                    {CHECK_INTERVALS.into_iter().map(|(m, label)| view! {
                                        <option value=m.to_string() selected=move || chosen.get() == Some(m)>{label}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="row">
                                <button type="submit" class="btn btn-primary" id="save-reachability-btn"
                                    disabled=move || save.pending().get()>"Save"</button>
                                {move || message.get().map(|(ok, m)| view! {
                                    <span class=if ok { "action-result ok" } else { "action-result error" } id="reachability-result" role="status">{m}</span>
                                })}
                            </div>
                        </form>
                    }
                })}
            </Transition>
        </section>
    }
}
