//! One instance block: name, type, status, last scan, counts, auto-scan, and its actions.

use super::integrations::{ask_delete, Section};
use crate::api::ScanInstance;
use crate::components::time::{every, relative};
use crate::instances::{InstanceState, InstanceView};
use leptos::prelude::*;

fn plural(n: i64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn status_text(i: &InstanceView) -> String {
    match i.status.state {
        InstanceState::Ok => "OK".into(),
        InstanceState::Error => {
            format!(
                "Error: {}",
                i.status.record.last_error.clone().unwrap_or_default()
            )
        }
        InstanceState::Partial => format!(
            "Partial: {}",
            i.status.record.last_error.clone().unwrap_or_default()
        ),
        InstanceState::Queued => "Queued…".into(),
        InstanceState::Scanning => "Scanning…".into(),
        // An upgrade that had to disable an instance says why (an SSH host, say).
        InstanceState::Disabled => match &i.status.record.last_error {
            Some(note) if !note.is_empty() => format!("Disabled: {note}"),
            _ => "Disabled".into(),
        },
        InstanceState::Never => "Never scanned".into(),
    }
}

fn state_class(s: InstanceState) -> &'static str {
    match s {
        InstanceState::Ok => "ok",
        InstanceState::Partial => "partial",
        InstanceState::Error => "error",
        InstanceState::Queued => "queued",
        InstanceState::Scanning => "scanning",
        InstanceState::Disabled => "disabled",
        InstanceState::Never => "never",
    }
}

/// One block, keyed by the instance id: it stays mounted (and keeps focus) while the list reloads and
/// follows the instance's data as it changes.
#[component]
pub fn InstanceBlock(instance: InstanceView) -> impl IntoView {
    let section = expect_context::<Section>();
    let id = instance.id;
    let i = Memo::new(move |previous: Option<&InstanceView>| {
        section
            .list
            .with(|l| {
                l.as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|l| l.instances.iter().find(|x| x.id == id).cloned())
            })
            // Gone from the list: the block is about to be removed; keep what it showed.
            .unwrap_or_else(|| previous.cloned().unwrap_or_else(|| instance.clone()))
    });
    let scan_action = ServerAction::<ScanInstance>::new();
    let pending = scan_action.pending();
    let busy = move || pending.get();
    let state = move || {
        if busy() {
            InstanceState::Scanning
        } else {
            i.with(|i| i.status.state)
        }
    };
    let scan = move |_| {
        section.results.update(|r| {
            r.remove(&id);
        });
        scan_action.dispatch(ScanInstance { id });
    };
    Effect::new(move |_| {
        let Some(answer) = scan_action.value().get() else {
            return;
        };
        let outcome = match answer {
            Ok(o) => (o.ok, o.message),
            Err(e) => (false, e.to_string()),
        };
        section.results.update(|r| {
            r.insert(id, outcome);
        });
        section.reload();
    });
    let itype = i.with_untracked(|i| i.instance_type);
    let name = move || i.with(|i| i.name.clone());
    let last_scan = move || {
        i.with(|v| match &v.status.record.last_scan_at {
            Some(at) => view! { <time datetime=at.clone() title=format!("{at} UTC")>{relative(&section.now(), at)}</time> }.into_any(),
            None => view! { <span>"Never"</span> }.into_any(),
        })
    };
    view! {
        <article class="docker-instance-block card" data-instance-id=id data-state=move || state_class(state())>
            <div class="instance-header">
                <h3>
                    <span class="instance-name">{name}</span>
                    <span class=format!("badge badge-{}", itype.as_str())>{itype.short_label()}</span>
                </h3>
                <div class="instance-status">
                    <span class=move || format!("status-indicator {}", state_class(state()))></span>
                    <span class="status-text">
                        {move || if busy() { "Scanning…".to_string() } else { i.with(status_text) }}
                    </span>
                </div>
            </div>
            <div class="instance-details">
                <div class="detail-item">
                    <span class="label">"Last Scan: "</span>
                    <span class="value last-scan">{last_scan}</span>
                </div>
                <div class="detail-item">
                    <span class="label">"Services: "</span>
                    <span class="value services">
                        {move || i.with(|v| if v.instance_type == crate::instances::InstanceType::HostScan {
                            plural(v.status.record.port_count, "open port")
                        } else {
                            format!("{}, {}", plural(v.status.record.service_count, "container"), plural(v.status.record.port_count, "port"))
                        })}
                    </span>
                </div>
                <div class="detail-item">
                    <span class="label">"Auto-scan: "</span>
                    <span class="value auto-scan">
                        {move || i.with(|v| if v.enabled && v.auto_detect { every(v.scan_interval) } else { "off".to_string() })}
                    </span>
                </div>
            </div>
            <div class="instance-actions">
                <button
                    class="btn btn-sm btn-secondary scan-instance-btn"
                    disabled=move || busy() || !i.with(|v| v.enabled)
                    title=move || if i.with(|v| v.enabled) { "Scan now" } else { "Enable it to scan" }
                    on:click=scan
                >
                    {move || if busy() { "Scanning…" } else { "Scan Now" }}
                </button>
                <button
                    class="btn btn-sm btn-outline edit-instance-btn"
                    on:click=move |_| section.modal.open_edit(i.get_untracked())
                >
                    "Edit"
                </button>
                <button
                    class="btn btn-sm btn-outline-danger delete-instance-btn"
                    on:click=move |_| ask_delete(section, id, i.with_untracked(|i| i.name.clone()))
                >
                    "Delete"
                </button>
            </div>
            {move || section.results.with(|r| r.get(&id).cloned()).map(|(ok, msg)| view! {
                <p class=if ok { "action-result scan-result ok" } else { "action-result scan-result error" } role="status">{msg}</p>
            })}
        </article>
    }
    .into_any()
}
