//! The New page: "give me a free port for this app". Pick a host (the `default_ip` setting
//! preselects it; any new address works too), describe the app, choose the protocol, and Generate
//! picks a free port under Settings → Ports and saves it as a manual entry. The result shows the URL
//! and a Copy button (the port or the full URL, per `copy_format`).

use crate::api::{list_hosts, port_settings, GeneratePort, SaveOutcome};
use crate::components::dom::{copy_to_clipboard, focus_later};
use crate::components::field::{FieldError, TextField};
use crate::components::icon::{Icon, IconName};
use crate::validation::{first_error, push_error, validate_host, FieldErrors};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::json;

const FIELDS: [(&str, &str); 3] = [
    ("ip_address", "new-ip"),
    ("description", "new-description"),
    ("protocol", "new-protocol"),
];

#[component]
pub fn NewPage() -> impl IntoView {
    let setup = crate::api::resource(
        || (),
        |_| async { (list_hosts().await, port_settings().await) },
    );
    let ip = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let protocol = RwSignal::new("TCP".to_string());
    let errors = RwSignal::new(FieldErrors::new());
    let problem = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    let generate = ServerAction::<GeneratePort>::new();
    let err = move |k: &'static str| {
        Signal::derive(move || errors.with(|e| e.get(k).map(|v| v.join("; "))))
    };
    let show = move |e: FieldErrors| {
        let first = first_error(&e, FIELDS.iter().map(|(k, _)| *k));
        errors.set(e);
        if let Some((_, id)) = first.and_then(|k| FIELDS.iter().find(|(f, _)| *f == k)) {
            focus_later(format!("#{id}"));
        }
    };
    let submit = move || {
        let mut e = FieldErrors::new();
        let address = ip.get_untracked().trim().to_string();
        if address.is_empty() {
            push_error(&mut e, "ip_address", "is required");
        } else if let Err(m) = validate_host(&address) {
            push_error(&mut e, "ip_address", m);
        }
        let text = description.get_untracked().trim().to_string();
        if text.is_empty() {
            push_error(&mut e, "description", "is required");
        } else if text.chars().count() > crate::ports::DESCRIPTION_MAX {
            push_error(&mut e, "description", "must be at most 100 characters");
        }
        if !e.is_empty() {
            show(e);
            return;
        }
        errors.set(FieldErrors::new());
        problem.set(None);
        copied.set(false);
        generate.dispatch(GeneratePort {
            body: json!({
                "ip_address": address,
                "description": text,
                "protocol": protocol.get_untracked(),
                "save": true,
            })
            .to_string(),
        });
    };
    Effect::new(move |_| match generate.value().get() {
        Some(Ok(SaveOutcome::Invalid(e))) => show(e),
        Some(Ok(SaveOutcome::Conflict(m))) => problem.set(Some(m)),
        Some(Err(e)) => problem.set(Some(e.to_string())),
        Some(Ok(SaveOutcome::Saved(_))) => focus_later("#copy-btn".into()),
        None => {}
    });
    let result = move || match generate.value().get() {
        Some(Ok(SaveOutcome::Saved(g))) => Some(g),
        _ => None,
    };
    view! {
        <Title text="New port · Portall" />
        <div class="page-header">
            <h1>"New port"</h1>
        </div>
        <section class="card new-port-card">
            <p class="muted">"Portall picks a free port on the host (Settings → Ports decides the range) and adds it to the list."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading hosts…"</p> }>
                {move || Suspend::new(async move {
                    let (hosts, settings) = setup.await;
                    let hosts = hosts.unwrap_or_default();
                    let settings = settings.unwrap_or_default();
                    if ip.get_untracked().is_empty() {
                        let preselect = Some(settings.default_ip.clone())
                            .filter(|d| !d.is_empty())
                            .or_else(|| hosts.first().map(|h| h.address.clone()))
                            .unwrap_or_default();
                        ip.set(preselect);
                    }
                    view! {
                        <datalist id="known-hosts">
                            {hosts.into_iter().map(|h| {
                                let label = h.nickname.clone().unwrap_or_default();
                                view! { <option value=h.address>{label}</option> }
                            }).collect_view()}
                        </datalist>
                    }
                })}
            </Transition>
            <form id="new-port-form" class="new-port-form" novalidate=true
                on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <div class="form-group">
                    <label class="form-label" for="new-ip">"Host"</label>
                    <input id="new-ip" class="form-control" list="known-hosts" placeholder="192.168.1.20 or nas.lan"
                        aria-invalid=move || errors.with(|e| e.contains_key("ip_address")).to_string()
                        aria-describedby="new-ip-error"
                        prop:value=move || ip.get() on:input=move |ev| ip.set(event_target_value(&ev)) />
                    <small class="form-text">"A known host, or a new address (it gets its own panel)."</small>
                    <FieldError id="new-ip" messages=err("ip_address") />
                </div>
                <TextField id="new-description" label="Description" maxlength=100 placeholder="What will listen there, e.g. Jellyfin"
                    value=description on_input=Callback::new(move |v| description.set(v)) error=err("description") />
                <div class="form-group">
                    <label class="form-label" for="new-protocol">"Protocol"</label>
                    <select class="form-control" id="new-protocol" prop:value=move || protocol.get()
                        on:change=move |ev| protocol.set(event_target_value(&ev))>
                        <option value="TCP">"TCP"</option>
                        <option value="UDP">"UDP"</option>
                    </select>
                </div>
                <button type="submit" class="btn btn-primary" id="generate-btn" disabled=move || generate.pending().get()>
                    {move || if generate.pending().get() { "Generating…" } else { "Generate" }}
                </button>
            </form>
            {move || problem.get().map(|p| view! { <p class="alert alert-error" role="alert" id="generate-problem">{p}</p> })}
            {move || result().map(|g| {
                let copy = g.copy.clone();
                view! {
                    <div class="alert alert-success generated" id="generated" role="status">
                        <span>"Generated URL: "</span>
                        <a id="generated-url" href=g.url.clone() target="_blank" rel="noopener noreferrer">{g.url.clone()}</a>
                        <button type="button" class="btn btn-sm btn-outline" id="copy-btn" data-copy=copy.clone()
                            on:click=move |_| copied.set(copy_to_clipboard(&copy))>
                            <Icon name=IconName::Copy />
                            {move || if copied.get() { "Copied" } else { "Copy" }}
                        </button>
                    </div>
                }
            })}
        </section>
    }
    .into_any()
}
