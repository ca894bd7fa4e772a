//! The Import page: paste or pick a Compose file, a Caddyfile, a Portall export (JSON) or our CSV,
//! preview what would be added, skipped and not understood (a dry run on the server, which holds the
//! parsers), then confirm. Nothing is stored before the confirmation, and a file that cannot be read
//! says why on its line.

use crate::api::SaveOutcome;
use crate::transfer::api::ImportData;
use crate::transfer::{ImportFormat, ImportReport, ImportedEntry, IMPORT_MAX_BYTES};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use leptos_meta::Title;

fn body(format: ImportFormat, content: &str, host: &str, dry_run: bool) -> String {
    serde_json::json!({
        "format": format.as_str(),
        "content": content,
        "host": host.trim(),
        "dry_run": dry_run,
    })
    .to_string()
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let format = RwSignal::new(ImportFormat::Compose);
    let content = RwSignal::new(String::new());
    let host = RwSignal::new(String::new());
    let file_name = RwSignal::new(None::<String>);
    let preview = RwSignal::new(None::<ImportReport>);
    let done = RwSignal::new(None::<ImportReport>);
    let errors = RwSignal::new(FieldErrors::new());
    let failure = RwSignal::new(None::<String>);
    let action = ServerAction::<ImportData>::new();

    Effect::new(move |_| {
        let Some(result) = action.value().get() else {
            return;
        };
        match result {
            Ok(SaveOutcome::Saved(report)) => {
                errors.set(FieldErrors::new());
                failure.set(None);
                if report.dry_run {
                    preview.set(Some(report));
                } else {
                    preview.set(None);
                    done.set(Some(report));
                }
            }
            Ok(SaveOutcome::Invalid(e)) => {
                preview.set(None);
                errors.set(e);
            }
            Ok(SaveOutcome::Conflict(m)) => failure.set(Some(m)),
            Err(e) => failure.set(Some(e.to_string())),
        }
    });
    // Any edit makes the preview stale: it must be asked for again.
    Effect::new(move |_| {
        format.track();
        content.track();
        host.track();
        preview.set(None);
    });
    let send = move |dry_run: bool| {
        done.set(None);
        action.dispatch(ImportData {
            body: body(
                format.get_untracked(),
                &content.get_untracked(),
                &host.get_untracked(),
                dry_run,
            ),
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        crate::components::file::read_picked_file(&ev, move |r| match r {
            Ok((name, text)) => {
                if let Some(f) = ImportFormat::guess(&name) {
                    format.set(f);
                }
                file_name.set(Some(name));
                content.set(text);
            }
            Err(m) => failure.set(Some(m)),
        });
    };
    let field_error = move |k: &'static str| {
        move || {
            errors.with(|e| {
                e.get(k).map(|m| {
                    view! {
                        <ul class="invalid-feedback list-plain" id=format!("import-{k}-error") role="alert">
                            {m.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })
            })
        }
    };
    let pending = action.pending();

    view! {
        <Title text="Import · Portall" />
        <div class="page-header">
            <h1>"Import"</h1>
            <a class="btn btn-secondary btn-sm" href="/settings?tab=data">"Export and backup"</a>
        </div>
        <section class="card" id="import-card">
            <p class="muted">
                "Add the ports a Docker Compose file publishes, the services a Caddyfile proxies to, or a Portall export. "
                "You see what would be added before anything is stored; entries already in the list are skipped."
            </p>
            <div class="form-grid">
                <div class="form-group">
                    <label class="form-label" for="import-format">"Format"</label>
                    <select id="import-format" class="form-control"
                        on:change=move |ev| {
                            if let Some(f) = ImportFormat::parse(&event_target_value(&ev)) {
                                format.set(f);
                            }
                        }>
                        {ImportFormat::ALL.into_iter().map(|f| view! {
                            <option value=f.as_str() selected=move || format.get() == f>{f.label()}</option>
                        }).collect_view()}
                    </select>
                    {field_error("format")}
                </div>
                <div class="form-group">
                    <label class="form-label" for="import-host">"Host for entries without an address"</label>
                    <input id="import-host" class="form-control" placeholder="the default host, else 127.0.0.1"
                        autocomplete="off" prop:value=move || host.get()
                        on:input=move |ev| host.set(event_target_value(&ev)) />
                    <p class="form-text">"Compose ports published on every interface, Caddy upstreams on localhost."</p>
                    {field_error("host")}
                </div>
            </div>
            <div class="form-group">
                <label class="form-label" for="import-upload">"File"</label>
                <input type="file" id="import-upload" class="form-control"
                    accept=".yml,.yaml,.json,.csv,.caddy,text/*,application/json" on:change=on_file />
                {move || file_name.get().map(|n| view! { <p class="form-text" id="import-file-name">"Read " {n}</p> })}
            </div>
            <div class="form-group">
                <label class="form-label" for="import-content">"Or paste it"</label>
                <textarea id="import-content" class="form-control mono" rows="12" spellcheck="false"
                    aria-describedby="import-content-hint"
                    prop:value=move || content.get()
                    on:input=move |ev| content.set(event_target_value(&ev))></textarea>
                <p class="form-text" id="import-content-hint">{format!("At most {} MiB.", IMPORT_MAX_BYTES / 1024 / 1024)}</p>
                {field_error("content")}
            </div>
            {move || failure.get().map(|m| view! { <p class="alert alert-error" role="alert" id="import-failure">{m}</p> })}
            <div class="row">
                <button class="btn btn-primary" id="import-preview-btn"
                    disabled=move || content.with(|c| c.trim().is_empty()) || pending.get()
                    on:click=move |_| send(true)>
                    {move || if pending.get() { "Reading…" } else { "Preview" }}
                </button>
            </div>
        </section>
        {move || preview.get().map(|r| view! { <Preview report=r confirm=Callback::new(move |_| send(false)) pending /> })}
        {move || done.get().map(|r| view! {
            <section class="card" id="import-done">
                <p class="alert alert-success" role="status" id="import-result">{r.message.clone()}</p>
                <a class="btn btn-secondary" href="/" id="import-to-ports">"See the Ports page"</a>
            </section>
        })}
    }
}

#[component]
fn Entries(
    id: &'static str,
    title: String,
    entries: Vec<ImportedEntry>,
    reason: bool,
) -> impl IntoView {
    view! {
        <h2 class="import-section-title">{title}</h2>
        <div class="table-wrap">
            <table class="table" id=id>
                <thead><tr>
                    <th>"Address"</th><th>"Port"</th><th>"Protocol"</th><th>"Description"</th><th>"Line"</th>
                    {reason.then(|| view! { <th>"Why"</th> })}
                </tr></thead>
                <tbody>
                    {entries.into_iter().map(|e| view! {
                        <tr>
                            <td class="mono">{e.ip_address}</td>
                            <td class="mono">{e.port_number}</td>
                            <td>{e.port_protocol.as_str()}</td>
                            <td>{e.description}</td>
                            <td class="mono">{e.line.map(|l| l.to_string()).unwrap_or_default()}</td>
                            {reason.then(|| view! { <td>{e.reason.unwrap_or_default()}</td> })}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Preview(report: ImportReport, confirm: Callback<()>, pending: Memo<bool>) -> impl IntoView {
    let count = report.added.len();
    let (added, skipped, errors) = (report.added, report.skipped, report.errors);
    view! {
        <section class="card" id="import-preview" aria-live="polite">
            <p id="import-summary"><strong>{report.message}</strong> " (on " <code>{report.host}</code> " where the file names no address)."</p>
            {(!added.is_empty()).then(|| view! {
                <Entries id="import-added" title=format!("Will be added ({})", added.len()) entries=added reason=false />
            })}
            {(!skipped.is_empty()).then(|| view! {
                <Entries id="import-skipped" title=format!("Skipped ({})", skipped.len()) entries=skipped reason=true />
            })}
            {(!errors.is_empty()).then(|| view! {
                <h2 class="import-section-title">{format!("Not understood ({})", errors.len())}</h2>
                <ul class="import-errors" id="import-errors">
                    {errors.into_iter().map(|e| view! {
                        <li><span class="mono">{e.line.map(|l| format!("line {l}")).unwrap_or_default()}</span> " " {e.message}</li>
                    }).collect_view()}
                </ul>
            })}
            <div class="row">
                <button class="btn btn-primary" id="import-confirm-btn"
                    disabled=move || count == 0 || pending.get()
                    on:click=move |_| confirm.run(())>
                    {move || if pending.get() { "Importing…".to_string() } else if count == 0 { "Nothing to add".to_string() } else { format!("Import {count} {}", if count == 1 { "entry" } else { "entries" }) }}
                </button>
            </div>
        </section>
    }
}
