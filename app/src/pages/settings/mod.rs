//! The Settings page, in tabs that are links (`/settings?tab=data`), so each has an address and
//! works without JavaScript: General (generation, default host), Integrations, Tags, Appearance,
//! Data, Account, About.

mod account;
mod data;
mod instance_block;
mod instance_modal;
mod integrations;
mod ports;

use crate::api::system_status;
use crate::model::SystemHealth;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// (query value, label); the first is where `/settings` opens.
const TABS: [(&str, &str); 7] = [
    ("integrations", "Integrations"),
    ("general", "General"),
    ("tags", "Tags"),
    ("appearance", "Appearance"),
    ("data", "Data"),
    ("account", "Account"),
    ("about", "About"),
];

#[component]
pub fn SettingsPage() -> impl IntoView {
    let query = use_query_map();
    let tab = Memo::new(move |_| {
        let asked = query.with(|q| q.get("tab")).unwrap_or_default();
        // Generation settings and the default host share one form, under General.
        let asked = if asked == "ports" {
            "general".into()
        } else {
            asked
        };
        TABS.iter()
            .find(|(k, _)| *k == asked)
            .map_or(TABS[0].0, |(k, _)| *k)
    });
    view! {
        <Title text="Settings · Portall" />
        <div class="page-header">
            <h1>"Settings"</h1>
        </div>
        <nav aria-label="Settings sections">
            <ul class="tabs" id="settings-tabs">
                {TABS.into_iter().map(|(key, label)| view! {
                    <li><a href=format!("/settings?tab={key}") id=format!("tab-{key}")
                        aria-current=move || (tab.get() == key).then_some("page")>{label}</a></li>
                }).collect_view()}
            </ul>
        </nav>
        {move || match tab.get() {
            "general" => view! { <ports::PortsCard /> <ports::ReachabilityCard /> }.into_any(),
            "tags" => view! { <TagsSettings /> }.into_any(),
            "appearance" => view! { <data::AppearanceCard /> }.into_any(),
            "data" => view! { <data::DataCard /> }.into_any(),
            "account" => view! { <account::AccountSection /> }.into_any(),
            "about" => view! { <data::AboutCard /> <SystemCard /> }.into_any(),
            _ => view! { <integrations::DockerIntegration /> }.into_any(),
        }}
    }
    .into_any()
}

/// Tags and rules have their own page; here: where they are and their configuration as a file.
#[component]
fn TagsSettings() -> impl IntoView {
    view! {
        <section class="card" id="tags-settings-card">
            <header class="card-header"><h2>"Tags and rules"</h2></header>
            <p class="muted">"Tags, tagging rules, templates and the rule log are on the Tags page. Auto-run rules tag entries when they are added, edited, imported or discovered."</p>
            <div class="row">
                <a class="btn btn-secondary" href="/tags" id="tags-page-link">"Open the Tags page"</a>
                <a class="btn btn-secondary" href="/api/tagging/export" download id="tagging-export">"Export tags and rules"</a>
            </div>
        </section>
    }
}

/// Database health, schema and counts; "Check now" asks the server again.
#[component]
fn SystemCard() -> impl IntoView {
    let status = Resource::new(|| (), |_| system_status());
    let checking = RwSignal::new(false);
    view! {
        <section class="card" id="system-card">
            <header class="card-header">
                <h2>"System"</h2>
                <button
                    id="check-status-btn"
                    class="btn btn-secondary btn-sm"
                    disabled=move || checking.get()
                    on:click=move |_| status.refetch()
                >
                    {move || if checking.get() { "Checking…" } else { "Check now" }}
                </button>
            </header>
            <Transition
                fallback=|| view! { <p class="muted">"Checking…"</p> }
                set_pending=checking.write_only()
            >
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(health) => view! { <HealthDetails health /> }.into_any(),
                        Err(e) => view! {
                            <p class="alert alert-error" role="alert">"Status unavailable: " {e.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn HealthDetails(health: SystemHealth) -> impl IntoView {
    let db_ok = health.database == "ok";
    let time = health
        .checked_at
        .get(11..23)
        .unwrap_or(&health.checked_at)
        .to_string();
    view! {
        <dl class="details" id="system-status" data-checked-at=health.checked_at.clone()>
            <div class="detail-item">
                <dt>"Database"</dt>
                <dd>
                    <span class=if db_ok { "status-indicator ok" } else { "status-indicator error" }></span>
                    <span id="db-status">{health.database.clone()}</span>
                </dd>
            </div>
            <div class="detail-item"><dt>"Schema"</dt><dd>{format!("version {}", health.schema_version)}</dd></div>
            <div class="detail-item"><dt>"Ports"</dt><dd id="port-count">{health.port_count}</dd></div>
            <div class="detail-item"><dt>"Integrations"</dt><dd>{health.instance_count}</dd></div>
            <div class="detail-item"><dt>"Portall"</dt><dd>{health.version.clone()}</dd></div>
            <div class="detail-item"><dt>"API"</dt><dd><a href="/api/openapi.json" id="openapi-link" rel="external">"OpenAPI document"</a></dd></div>
            <div class="detail-item"><dt>"Checked"</dt><dd id="checked-at">{format!("{time} UTC")}</dd></div>
        </dl>
    }
}
