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
    let tab = Memo::new(move |_| tab_key(&query.with(|q| q.get("tab")).unwrap_or_default()));
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
        {move || Suspend::new(in_page(tab_view(tab.get())))}
    }
    .into_any()
}

/// The tab's view. Each tab but the small Tags one is a `#[lazy]` function, a wasm module of its
/// own: a first visit loads the page and the tab it opens on (`preload_tab`, before hydration, so
/// the tab hydrates synchronously like the page), and another tab's code when it is opened.
/// The server renders every tab as before (its `#[lazy]` functions are plain ones there, and name
/// their module for the page's preloads).
async fn tab_view(tab: &'static str) -> AnyView {
    match tab {
        "general" => general_tab().await,
        "tags" => view! { <TagsSettings /> }.into_any(),
        "appearance" => appearance_tab().await,
        "data" => data_tab().await,
        "account" => account_tab().await,
        "about" => about_tab().await,
        _ => integrations_tab().await,
    }
}

#[leptos::lazy]
fn integrations_tab() -> AnyView {
    view! { <integrations::DockerIntegration /> }.into_any()
}

#[leptos::lazy]
fn general_tab() -> AnyView {
    view! { <ports::PortsCard /> <ports::ReachabilityCard /> }.into_any()
}

#[leptos::lazy]
fn appearance_tab() -> AnyView {
    view! { <data::AppearanceCard /> }.into_any()
}

#[leptos::lazy]
fn data_tab() -> AnyView {
    view! { <data::DataCard /> }.into_any()
}

#[leptos::lazy]
fn account_tab() -> AnyView {
    view! { <account::AccountSection /> }.into_any()
}

#[leptos::lazy]
fn about_tab() -> AnyView {
    view! { <data::AboutCard /> <SystemCard /> }.into_any()
}

/// Loads the code of the tab `/settings?{search}` opens on (see [`tab_view`]); nothing on the server.
pub async fn preload_tab(search: &str) {
    #[cfg(not(feature = "hydrate"))]
    let _ = search;
    #[cfg(feature = "hydrate")]
    let asked = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("tab="))
        .unwrap_or_default();
    #[cfg(feature = "hydrate")]
    match tab_key(asked) {
        "general" => __preload_general_tab().await,
        "appearance" => __preload_appearance_tab().await,
        "data" => __preload_data_tab().await,
        "account" => __preload_account_tab().await,
        "about" => __preload_about_tab().await,
        "tags" => {}
        _ => __preload_integrations_tab().await,
    }
}

/// The tab a `tab=` value names; `ports` was General's old name, anything else the first tab.
fn tab_key(asked: &str) -> &'static str {
    // Generation settings and the default host share one form, under General.
    let asked = if asked == "ports" { "general" } else { asked };
    TABS.iter()
        .find(|(k, _)| *k == asked)
        .map_or(TABS[0].0, |(k, _)| *k)
}

/// A future `Suspend` can take (it asks for `Send`): in the browser, a loader's future stays in
/// its one thread.
#[cfg(not(feature = "ssr"))]
fn in_page<F: std::future::Future + 'static>(fut: F) -> send_wrapper::SendWrapper<F> {
    send_wrapper::SendWrapper::new(fut)
}

#[cfg(feature = "ssr")]
fn in_page<F: std::future::Future + Send + 'static>(fut: F) -> F {
    fut
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
    let status = crate::api::resource(|| (), |_| system_status());
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
