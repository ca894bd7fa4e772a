//! "Scan ports…" on a host panel: a one-off TCP connect scan of that host, its progress pushed live
//! (`host_scan` events, through the page's one event stream), then the open ports with "Add" or
//! "already known" each, and "Add all". The same parser as the server checks the port ranges before
//! anything is sent.

use super::PortsPageState;
use crate::api::{SaveInstance, SaveOutcome};
use crate::components::dom::focus_later;
use crate::components::field::TextField;
use crate::components::modal::{close_modal, lazy_dialog, ModalFrame};
use crate::hostscan::api::{AddScannedPorts, CancelHostScan, StartHostScan};
use crate::hostscan::{parse_scan_request, ScanState, ScanStatus, PORTS_DEFAULT};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use serde_json::json;

#[derive(Clone, Copy)]
pub(crate) struct ScanDialog {
    open: RwSignal<bool>,
    address: RwSignal<String>,
    ports: RwSignal<String>,
    timeout: RwSignal<String>,
    errors: RwSignal<FieldErrors>,
    problem: RwSignal<Option<String>>,
    status: RwSignal<Option<ScanStatus>>,
    /// The newest event of each scan seen on this page: a short scan can end before the answer
    /// that starts it arrives, and its events must not be lost.
    seen: StoredValue<std::collections::HashMap<u64, ScanStatus>>,
    opener: StoredValue<String>,
    scheduled: RwSignal<Option<String>>,
}

impl ScanDialog {
    pub fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            address: RwSignal::new(String::new()),
            ports: RwSignal::new(PORTS_DEFAULT.to_string()),
            timeout: RwSignal::new("500".into()),
            errors: RwSignal::new(FieldErrors::new()),
            problem: RwSignal::new(None),
            status: RwSignal::new(None),
            seen: StoredValue::new(Default::default()),
            opener: StoredValue::new(String::new()),
            scheduled: RwSignal::new(None),
        }
    }

    pub fn open_for(&self, address: String) {
        self.opener
            .set_value(format!(".host-panel[data-host='{address}'] .scan-host-btn"));
        // Reopening the host whose scan is shown keeps it (it may still be running).
        let same = self
            .status
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.address == address));
        if !same {
            self.status.set(None);
        }
        self.address.set(address);
        self.errors.set(FieldErrors::new());
        self.problem.set(None);
        self.scheduled.set(None);
        self.open.set(true);
        focus_later(
            if same {
                "#scan-close-btn"
            } else {
                "#scan-ports"
            }
            .into(),
        );
    }

    /// A `host_scan` event: shown when it is this dialog's scan.
    pub fn observe(&self, status: ScanStatus) {
        self.seen.update_value(|seen| {
            seen.insert(status.scan_id, status.clone());
        });
        let mine = self
            .status
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.scan_id == status.scan_id));
        if mine {
            self.status.set(Some(status));
        }
    }
}

fn found_line(s: &ScanStatus) -> String {
    let n = s.found.len();
    format!(
        "Checked {} of {} ports · {} open{}",
        s.checked,
        s.total,
        n,
        match s.state {
            ScanState::Running => " so far",
            ScanState::Done => "",
            ScanState::Cancelled => " (stopped)",
            ScanState::Failed => "",
        }
    )
}

/// The scan dialog, loaded on its first open (`lazy_dialog`).
pub(crate) fn scan_dialog(d: ScanDialog) -> impl IntoView {
    lazy_dialog(move || d.open.get(), scan_dialog_view)
}

#[leptos::lazy]
fn scan_dialog_view() -> AnyView {
    view! { <ScanDialogView /> }.into_any()
}

/// What the scan dialog sends.
#[derive(Clone, Copy)]
struct ScanActions {
    start: ServerAction<StartHostScan>,
    cancel: ServerAction<CancelHostScan>,
    add: ServerAction<AddScannedPorts>,
    /// "Scan every hour": the same scan as a host-scan integration.
    schedule: ServerAction<SaveInstance>,
}

#[component]
fn ScanDialogView() -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let d = state.scan;
    // The dialog's requests. They live here, not in `ScanDialog`, so their code loads with the
    // dialog; once opened, the dialog stays mounted (closed, it is hidden), and so do they.
    let actions = ScanActions {
        start: ServerAction::new(),
        cancel: ServerAction::new(),
        add: ServerAction::new(),
        schedule: ServerAction::new(),
    };
    let close = move || close_modal(d.open, d.opener);
    let err = move |k: &'static str| {
        Signal::derive(move || d.errors.with(|e| e.get(k).map(|v| v.join("; "))))
    };
    let submit = move || {
        if d.status.with_untracked(|s| s.is_some()) {
            return;
        }
        let body =
            json!({"ports": d.ports.get_untracked(), "timeout_ms": d.timeout.get_untracked()});
        // The server's parser, here first: a bad range is named before anything is sent.
        if let Err(e) = parse_scan_request(&body) {
            d.errors.set(e);
            focus_later("#scan-ports".into());
            return;
        }
        d.errors.set(FieldErrors::new());
        d.problem.set(None);
        actions.start.dispatch(StartHostScan {
            address: d.address.get_untracked(),
            body: body.to_string(),
        });
    };
    Effect::new(move |_| match actions.start.value().get() {
        Some(Ok(SaveOutcome::Saved(status))) => {
            let newest = d
                .seen
                .with_value(|seen| seen.get(&status.scan_id).cloned())
                .unwrap_or(status);
            let running = newest.state == ScanState::Running;
            d.status.set(Some(newest));
            focus_later(
                if running {
                    "#scan-stop-btn"
                } else {
                    "#scan-close-btn"
                }
                .into(),
            );
        }
        Some(Ok(SaveOutcome::Invalid(e))) => {
            d.errors.set(e);
            focus_later("#scan-ports".into());
        }
        Some(Ok(SaveOutcome::Conflict(m))) => d.problem.set(Some(m)),
        Some(Err(e)) => d.problem.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| match actions.cancel.value().get() {
        Some(Ok(status)) => d.observe(status),
        Some(Err(e)) => d.problem.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| match actions.add.value().get() {
        Some(Ok(SaveOutcome::Saved(status))) => {
            // The button pressed is gone ("already known"): focus goes on to what is left to do.
            let left = status.found.iter().any(|f| !f.known);
            d.observe(status);
            state.refresh.update(|n| *n += 1);
            focus_later(
                if left {
                    "#scan-add-all-btn"
                } else {
                    "#scan-close-btn"
                }
                .into(),
            );
        }
        Some(Ok(SaveOutcome::Invalid(e))) => {
            d.problem.set(Some(crate::validation::all_messages(&e)))
        }
        Some(Ok(SaveOutcome::Conflict(m))) => d.problem.set(Some(m)),
        Some(Err(e)) => d.problem.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| match actions.schedule.value().get() {
        Some(Ok(SaveOutcome::Saved(i))) => {
            d.scheduled.set(Some(format!(
                "Added the integration '{}': it scans these ports every hour (Settings → Integrations).",
                i.name
            )));
            focus_later("#scan-close-btn".into());
        }
        Some(Ok(SaveOutcome::Invalid(e))) => {
            d.problem.set(Some(crate::validation::all_messages(&e)))
        }
        Some(Ok(SaveOutcome::Conflict(m))) => d.problem.set(Some(m)),
        Some(Err(e)) => d.problem.set(Some(e.to_string())),
        None => {}
    });
    let schedule = move || {
        d.problem.set(None);
        actions.schedule.dispatch(SaveInstance {
            id: None,
            body: json!({
                "type": "hostscan",
                "scan_interval": 3600,
                "config": {
                    "address": d.address.get_untracked(),
                    "ports": d.ports.get_untracked(),
                    "timeout_ms": d.timeout.get_untracked(),
                },
            })
            .to_string(),
        });
    };
    let scan_id = move || d.status.with(|s| s.as_ref().map(|s| s.scan_id));
    // Progress arrives several times a second: only what changed is redrawn, so the buttons (and the
    // keyboard focus on them) stay put while a scan runs.
    let phase = Memo::new(move |_| {
        d.status.with(|s| match s.as_ref().map(|s| s.state) {
            None => Phase::Form,
            Some(ScanState::Running) => Phase::Running,
            Some(_) => Phase::Ended,
        })
    });
    let unknown = Memo::new(move |_| {
        d.status.with(|s| {
            s.as_ref()
                .map(|s| s.found.iter().filter(|f| !f.known).count())
                .unwrap_or(0)
        })
    });
    let found = move || {
        d.status
            .with(|s| s.as_ref().map(|s| s.found.clone()).unwrap_or_default())
    };
    let line = move || {
        d.status.with(|s| {
            s.as_ref()
                .map(|s| {
                    let mut text = found_line(s);
                    if let Some(r) = s.resolved.as_ref().filter(|r| **r != s.address) {
                        text.push_str(&format!(" · {r}"));
                    }
                    if s.state != ScanState::Running {
                        text.push_str(&format!(" · {:.1} s", s.duration_ms as f64 / 1000.0));
                    }
                    text
                })
                .unwrap_or_default()
        })
    };
    let nothing_found = move || {
        d.status.with(|s| {
            s.as_ref().is_some_and(|s| {
                s.found.is_empty() && matches!(s.state, ScanState::Done | ScanState::Cancelled)
            })
        })
    };
    let add_one = move |port: u16| {
        if let Some(id) = scan_id() {
            actions.add.dispatch(AddScannedPorts {
                scan_id: id,
                ports: Some(vec![port]),
            });
        }
    };
    let title = Signal::derive(move || format!("Scan ports of {}", d.address.get()));
    view! {
        <ModalFrame id="scan-dialog" title_id="scan-title" open=d.open title close=Callback::new(move |_| close())
            on_submit=Callback::new(move |_| submit())>
            <div class="modal-body">
                {move || d.problem.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                {move || match phase.get() {
                    Phase::Form => view! {
                        <TextField id="scan-ports" label="Ports" value=d.ports
                            on_input=Callback::new(move |v| d.ports.set(v)) error=err("ports")
                            placeholder="1-1024, 3000-9999, !5432"
                            help="Ports and ranges, separated by commas; ! excludes. TCP only: UDP cannot be told open from filtered without raw sockets." />
                        <TextField id="scan-timeout" label="Connect timeout (ms)" input_type="number"
                            min=crate::hostscan::TIMEOUT_MS_MIN max=crate::hostscan::TIMEOUT_MS_MAX
                            value=d.timeout on_input=Callback::new(move |v| d.timeout.set(v)) error=err("timeout_ms")
                            help="How long to wait for each port. On a LAN 200–500 ms is plenty." />
                        <p class="form-text">"Only this host is scanned, at most 128 ports at a time."</p>
                    }.into_any(),
                    _ => view! {
                        <progress id="scan-progress" aria-label="Ports checked"
                            max=move || d.status.with(|s| s.as_ref().map_or(0, |s| s.total)).to_string()
                            value=move || d.status.with(|s| s.as_ref().map_or(0, |s| s.checked)).to_string()></progress>
                        <p id="scan-line" role="status" aria-live="polite">{line}</p>
                        {move || d.status.with(|s| s.as_ref().and_then(|s| s.error.clone())).map(|e| view! {
                            <p class="alert alert-error" role="alert" id="scan-error">{e}</p>
                        })}
                        {move || nothing_found().then(|| view! {
                            <p class="muted" id="scan-none">"Nothing answered on these ports."</p>
                        })}
                        {move || d.scheduled.get().map(|m| view! {
                            <p class="alert alert-success" role="status" id="scan-scheduled">{m}</p>
                        })}
                        <ul class="scan-found" id="scan-found">
                            <For each=found key=|f| (f.port_number, f.known) let:f>
                                <li data-found=f.port_number>
                                    <span class="port-number">{f.port_number}</span>
                                    <span class="port-proto">"TCP"</span>
                                    <span class="port-desc">{f.service.clone()}</span>
                                    {if f.known {
                                        view! { <span class="badge">"already known"</span> }.into_any()
                                    } else {
                                        let port = f.port_number;
                                        view! {
                                            <button type="button" class="btn btn-sm btn-outline add-found-btn"
                                                aria-label=format!("Add port {port}")
                                                disabled=move || actions.add.pending().get()
                                                on:click=move |_| add_one(port)>"Add"</button>
                                        }.into_any()
                                    }}
                                </li>
                            </For>
                        </ul>
                    }.into_any(),
                }}
            </div>
            <div class="modal-footer">
                {move || match phase.get() {
                    Phase::Form => view! {
                        <button type="button" class="btn btn-outline" on:click=move |_| close()>"Cancel"</button>
                        <button type="submit" id="scan-start-btn" class="btn btn-primary"
                            disabled=move || actions.start.pending().get()>"Start scan"</button>
                    }.into_any(),
                    Phase::Running => view! {
                        <button type="button" id="scan-stop-btn" class="btn btn-outline"
                            on:click=move |_| if let Some(id) = scan_id() { actions.cancel.dispatch(CancelHostScan { scan_id: id }); }>
                            "Stop scan"
                        </button>
                        <button type="button" id="scan-close-btn" class="btn btn-outline" on:click=move |_| close()>"Hide"</button>
                    }.into_any(),
                    Phase::Ended => view! {
                        <button type="button" id="scan-again-btn" class="btn btn-outline"
                            on:click=move |_| { d.status.set(None); focus_later("#scan-ports".into()); }>"New scan"</button>
                        {move || (unknown.get() > 0).then(|| view! {
                            <button type="button" id="scan-add-all-btn" class="btn btn-primary"
                                disabled=move || actions.add.pending().get()
                                on:click=move |_| if let Some(id) = scan_id() { actions.add.dispatch(AddScannedPorts { scan_id: id, ports: None }); }>
                                {move || format!("Add all ({})", unknown.get())}
                            </button>
                        })}
                        {move || d.scheduled.with(Option::is_none).then(|| view! {
                            <button type="button" id="scan-schedule-btn" class="btn btn-outline"
                                title="Add these ports of this host as a host-scan integration: new ports are added and ports that stop answering turn stale by themselves"
                                disabled=move || actions.schedule.pending().get()
                                on:click=move |_| schedule()>"Scan every hour"</button>
                        })}
                        <button type="button" id="scan-close-btn" class="btn btn-outline" on:click=move |_| close()>"Close"</button>
                    }.into_any(),
                }}
            </div>
        </ModalFrame>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Form,
    Running,
    Ended,
}
