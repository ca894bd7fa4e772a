//! The Settings page: the Docker Integration section, the account (password, API tokens) and the
//! system status card.

mod account;
mod instance_block;
mod instance_modal;
mod integrations;
mod ports;

use crate::api::system_status;
use crate::model::SystemHealth;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings · Portall" />
        <div class="page-header">
            <h1>"Settings"</h1>
        </div>
        <integrations::DockerIntegration />
        <ports::PortsCard />
        <account::AccountSection />
        <SystemCard />
    }
    .into_any()
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
