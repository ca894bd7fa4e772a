//! The Ports page: every known port, grouped by host.

use crate::api::list_ports;
use crate::model::{group_by_host, PortEntry};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PortsPage() -> impl IntoView {
    let ports = Resource::new(|| (), |_| list_ports());
    view! {
        <Title text="Ports · Portall" />
        <div class="page-header">
            <h1>"Ports"</h1>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading ports…"</p> }>
            {move || Suspend::new(async move {
                match ports.await {
                    Ok(list) => view! { <HostPanels ports=list /> }.into_any(),
                    Err(e) => view! {
                        <p class="alert alert-error" role="alert">"Could not load ports: " {e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HostPanels(ports: Vec<PortEntry>) -> impl IntoView {
    if ports.is_empty() {
        return view! {
            <section class="card empty-state" id="ports-empty">
                <h2>"No ports yet"</h2>
                <p>"Add a Docker, Portainer or Komodo integration in Settings and Portall discovers them for you."</p>
                <a class="btn btn-primary" href="/settings">"Open Settings"</a>
            </section>
        }
        .into_any();
    }
    let groups = group_by_host(ports);
    view! {
        <div class="host-grid" id="host-panels">
            {groups
                .into_iter()
                .map(|(host, list)| {
                    let nickname = list.iter().find_map(|p| p.nickname.clone()).unwrap_or_default();
                    let count = list.len();
                    view! {
                        <section class="card host-panel" data-host=host.clone()>
                            <header class="host-header">
                                <h2 class="host-address">{host.clone()}</h2>
                                <span class="host-nickname muted">{nickname}</span>
                                <span class="badge">{format!("{count} ports")}</span>
                            </header>
                            <ul class="port-list">
                                {list.into_iter().map(|p| view! { <PortRow port=p /> }).collect_view()}
                            </ul>
                        </section>
                    }
                })
                .collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn PortRow(port: PortEntry) -> impl IntoView {
    let source_class = format!("badge badge-{}", port.source);
    view! {
        <li class="port-row" data-port-id=port.id>
            <span class="port-number">{port.port_number}</span>
            <span class="port-proto">{port.port_protocol.clone()}</span>
            <span class="port-desc">{port.description.clone()}</span>
            <span class=source_class>{port.source.clone()}</span>
            {port.is_immutable.then(|| view! { <span class="lock" title="Discovered: managed by its integration">"🔒"</span> })}
        </li>
    }
}
