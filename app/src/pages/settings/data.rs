//! Settings → Appearance (theme, custom CSS), Data (export, backup, import, purge) and About.

use crate::api::SaveOutcome;
use crate::transfer::api::{about_portall, get_appearance, PurgeEntries, SaveAppearance};
use crate::transfer::{Appearance, Theme, CSS_MAX_BYTES, PURGE_WORD};
use crate::validation::FieldErrors;
use leptos::prelude::*;

/// Puts a saved appearance in effect on the open page: the theme attribute and the style sheet link.
fn apply(_a: &Appearance) {
    #[cfg(feature = "hydrate")]
    {
        let doc = document();
        if let Some(html) = doc.document_element() {
            let _ = html.set_attribute("data-theme", _a.theme.as_str());
        }
        let old = doc.get_element_by_id("custom-css");
        if let Some(old) = &old {
            old.remove();
        }
        if let Some(href) = crate::transfer::css_href(&_a.custom_css) {
            if let (Ok(link), Some(head)) = (doc.create_element("link"), doc.head()) {
                let _ = link.set_attribute("rel", "stylesheet");
                let _ = link.set_attribute("id", "custom-css");
                let _ = link.set_attribute("href", &href);
                let _ = head.append_child(&link);
            }
        }
    }
}

#[component]
pub fn AppearanceCard() -> impl IntoView {
    let current = crate::api::resource(|| (), |_| get_appearance());
    view! {
        <section class="card" id="appearance-card">
            <header class="card-header"><h2>"Appearance"</h2></header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(a) => view! { <AppearanceForm a /> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AppearanceForm(a: Appearance) -> impl IntoView {
    let theme = RwSignal::new(a.theme);
    let css = RwSignal::new(a.custom_css);
    let errors = RwSignal::new(FieldErrors::new());
    let saved = RwSignal::new(false);
    let save = ServerAction::<SaveAppearance>::new();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(SaveOutcome::Saved(a))) => {
            errors.set(FieldErrors::new());
            saved.set(true);
            apply(&a);
        }
        Some(Ok(SaveOutcome::Invalid(e))) => errors.set(e),
        Some(Ok(SaveOutcome::Conflict(m))) | Some(Err(ServerFnError::ServerError(m))) => {
            errors.set(FieldErrors::from([("custom_css".to_string(), vec![m])]))
        }
        Some(Err(e)) => errors.set(FieldErrors::from([(
            "custom_css".to_string(),
            vec![e.to_string()],
        )])),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        save.dispatch(SaveAppearance {
            body: serde_json::json!({"theme": theme.get_untracked().as_str(), "custom_css": css.get_untracked()})
                .to_string(),
        });
    };
    let error = move |k: &'static str| {
        move || {
            errors.with(|e| {
                e.get(k).map(|m| view! { <div class="invalid-feedback" id=format!("appearance-{k}-error") role="alert">{m.join("; ")}</div> })
            })
        }
    };
    view! {
        <form id="appearance-form" on:submit=submit>
            <fieldset class="theme-choices">
                <legend class="form-label">"Theme"</legend>
                {Theme::ALL.into_iter().map(|t| view! {
                    <label class="form-check">
                        <input type="radio" name="theme" class="form-check-input" id=format!("theme-{}", t.as_str())
                            value=t.as_str() prop:checked=move || theme.get() == t
                            on:change=move |_| theme.set(t) />
                        {t.label()}
                    </label>
                }).collect_view()}
            </fieldset>
            {error("theme")}
            <div class="form-group">
                <label class="form-label" for="custom-css-input">"Custom CSS"</label>
                <textarea id="custom-css-input" class="form-control mono" rows="8" spellcheck="false"
                    placeholder=".brand-mark { background: #16a34a; }"
                    prop:value=move || css.get() on:input=move |ev| css.set(event_target_value(&ev))></textarea>
                <small class="form-text">{format!("Applied after Portall's own styles on every page; at most {} KiB.", CSS_MAX_BYTES / 1024)}</small>
                {error("custom_css")}
            </div>
            <div class="row">
                <button type="submit" class="btn btn-primary" id="save-appearance-btn" disabled=move || save.pending().get()>"Save"</button>
                {move || saved.get().then(|| view! { <span class="action-result ok" id="appearance-saved" role="status">"Saved"</span> })}
            </div>
        </form>
    }
}

#[component]
pub fn DataCard() -> impl IntoView {
    let confirm = RwSignal::new(String::new());
    let discovered = RwSignal::new(false);
    let result = RwSignal::new(None::<(bool, String)>);
    let purge = ServerAction::<PurgeEntries>::new();
    Effect::new(move |_| match purge.value().get() {
        Some(Ok(SaveOutcome::Saved(r))) => {
            result.set(Some((true, r.message)));
            confirm.set(String::new());
        }
        Some(Ok(SaveOutcome::Invalid(e))) => {
            result.set(Some((false, crate::validation::all_messages(&e))))
        }
        Some(Ok(SaveOutcome::Conflict(m))) => result.set(Some((false, m))),
        Some(Err(e)) => result.set(Some((false, e.to_string()))),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        purge.dispatch(PurgeEntries {
            body: serde_json::json!({"confirm": confirm.get_untracked(), "discovered": discovered.get_untracked()})
                .to_string(),
        });
    };
    view! {
        <section class="card" id="data-card">
            <header class="card-header"><h2>"Export and backup"</h2></header>
            <p class="muted">"The JSON export holds everything (entries with their order and tags, hosts, tags, rules, settings, integrations without their keys) and imports back on the Import page; the CSV opens in a spreadsheet."</p>
            <div class="row">
                <a class="btn btn-secondary" id="export-json" href="/api/export?format=json" download>"Export JSON"</a>
                <a class="btn btn-secondary" id="export-csv" href="/api/export?format=csv" download>"Export CSV"</a>
                <a class="btn btn-secondary" id="backup-download" href="/api/backup" download>"Download a backup"</a>
                <a class="btn btn-secondary" id="import-link" href="/import">"Import…"</a>
            </div>
            <p class="form-text">"A backup is a copy of the database. To restore it, stop Portall and start it with that file as its database (DATABASE_URL). Scheduled backups: set PORTALL_BACKUP_DIR."</p>
        </section>
        <section class="card danger-zone" id="purge-card">
            <header class="card-header"><h2>"Purge"</h2></header>
            <form on:submit=submit>
                <p class="muted">"Deletes every manual and imported entry. Tags and rules stay."</p>
                <label class="form-check">
                    <input type="checkbox" class="form-check-input" id="purge-discovered"
                        prop:checked=move || discovered.get() on:change=move |ev| discovered.set(event_target_checked(&ev)) />
                    "Discovered entries too (they come back at the next scan)"
                </label>
                <div class="form-group">
                    <label class="form-label" for="purge-confirm">{format!("Type “{PURGE_WORD}” to confirm")}</label>
                    <input id="purge-confirm" class="form-control" autocomplete="off"
                        prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev)) />
                </div>
                <div class="row">
                    <button type="submit" class="btn btn-danger" id="purge-btn"
                        disabled=move || confirm.with(|c| c.trim() != PURGE_WORD) || purge.pending().get()>"Purge entries"</button>
                    {move || result.get().map(|(ok, m)| view! {
                        <span id="purge-result" class=if ok { "action-result ok" } else { "alert alert-error" } role="status">{m}</span>
                    })}
                </div>
            </form>
        </section>
    }
}

fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.0} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

#[component]
pub fn AboutCard() -> impl IntoView {
    let about = crate::api::resource(|| (), |_| about_portall());
    view! {
        <section class="card" id="about-card">
            <header class="card-header"><h2>"About Portall"</h2></header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match about.await {
                        Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                        Ok(a) => view! {
                            <dl class="details" id="about-details">
                                <div class="detail-item"><dt>"Version"</dt><dd id="about-version">{a.version}</dd></div>
                                <div class="detail-item"><dt>"Build"</dt><dd>{a.build}</dd></div>
                                <div class="detail-item"><dt>"Schema"</dt><dd>{format!("version {}", a.schema_version)}</dd></div>
                                <div class="detail-item"><dt>"Database"</dt><dd class="mono" id="about-db">{a.database_path}</dd></div>
                                <div class="detail-item"><dt>"Size"</dt><dd>{size(a.database_bytes)}</dd></div>
                                <div class="detail-item"><dt>"Entries"</dt><dd>{a.ports}</dd></div>
                                <div class="detail-item"><dt>"Hosts"</dt><dd>{a.hosts}</dd></div>
                                <div class="detail-item"><dt>"Tags / rules"</dt><dd>{format!("{} / {}", a.tags, a.rules)}</dd></div>
                                <div class="detail-item"><dt>"Integrations"</dt><dd>{a.integrations}</dd></div>
                                <div class="detail-item"><dt>"Scheduled backups"</dt><dd>{a.backup_dir.unwrap_or_else(|| "off (PORTALL_BACKUP_DIR)".into())}</dd></div>
                            </dl>
                            <p class="form-text">"App presets from the Python Portall (MIT). Portall is free software."</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
