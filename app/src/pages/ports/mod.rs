//! The Ports page: every host as a panel, in the order the user arranged, with its entries in theirs;
//! a filter that also answers "is port N free?"; adding, editing, moving and deleting entries and
//! hosts.
//!
//! Rearranging has three ways in, all ending in the same [`arrange::commit`]: the pointer (mouse,
//! pen and touch: pointer events on a grip handle, captured, with a drop marker), the keyboard (the
//! same handle: Space picks up, arrows move, Space drops, Esc cancels, each step announced through
//! an `aria-live` region) and the per-panel sort buttons. A move shows at once (a preview of the
//! arrangement) and is saved by one request; the list is fetched again when it is done.

mod arrange;
mod dialogs;
mod scan;

use crate::api::{ports_page, DeletePort, MoveOutcome, MovePort, OrderHosts, OrderPorts};
use crate::components::dom::focus_later;
use crate::components::icon::{Icon, IconName};
use crate::components::live::use_live_events;
use crate::hosts::HostGroup;
use crate::hosts::SortKey;
use crate::hostscan::api::CheckHost;
use crate::model::PortEntry;
use crate::pages::tags::menu::{tag_menu, TagBadges, TagMenu};
use arrange::{Commit, Dragged};
use dialogs::{HostModal, PortModal};
use leptos::prelude::*;
use leptos_meta::Title;
use scan::ScanDialog;
use serde_json::json;

/// Where a pointer drag would drop: panel index and index inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DropAt {
    group: usize,
    index: usize,
}

/// A pointer drag in progress.
#[derive(Clone, Debug)]
struct PointerDrag {
    dragged: Dragged,
    pointer: i32,
}

/// The page's state. Changes go through server actions; the page data is a resource keyed on their
/// versions (and on live events), so every finished change refetches it.
#[derive(Clone, Copy)]
pub(crate) struct PortsPageState {
    /// Bumped to fetch the page again: by live events, the tag menu, and the dialogs' requests (each
    /// dialog owns its actions, so their code loads with the dialog, not with the page).
    refresh: RwSignal<u64>,
    delete: ServerAction<DeletePort>,
    order_hosts: ServerAction<OrderHosts>,
    order_ports: ServerAction<OrderPorts>,
    move_port: ServerAction<MovePort>,
    filter: RwSignal<String>,
    modal: PortModal,
    host_modal: HostModal,
    notice: RwSignal<Option<(bool, String)>>,
    /// The arrangement as the server last sent it.
    base: StoredValue<Vec<HostGroup>>,
    /// The "is port N free?" answer, and whether there is no host at all.
    info: StoredValue<(Option<String>, bool)>,
    /// Panels shown whole (long or collapsed ones the user opened).
    open: RwSignal<Vec<String>>,
    /// A rearrangement not saved yet (shown instead of `base`).
    preview: RwSignal<Option<Vec<HostGroup>>>,
    /// What the keyboard has picked up.
    held: RwSignal<Option<Dragged>>,
    pointer: StoredValue<Option<PointerDrag>>,
    drop_at: RwSignal<Option<DropAt>>,
    /// Screen-reader announcements.
    announce: RwSignal<String>,
    compact: RwSignal<bool>,
    /// The last sort of each panel: (host, key, ascending).
    sorted: StoredValue<Option<(String, SortKey, bool)>>,
    conflict: RwSignal<Option<dialogs::Conflict>>,
    /// The last move asked for (the action forgets its input once done; the conflict dialog resends it).
    last_move: StoredValue<Option<(i64, String)>>,
    tag_menu: TagMenu,
    /// "Scan ports…" on a host panel.
    scan: ScanDialog,
    /// "Check now" on a host panel.
    check: ServerAction<CheckHost>,
}

impl PortsPageState {
    fn groups_now(&self) -> Vec<HostGroup> {
        self.preview
            .get_untracked()
            .unwrap_or_else(|| self.base.get_value())
    }

    /// Saves a rearrangement (`after`) of what `dragged` was part of.
    fn save_arrangement(&self, after: Vec<HostGroup>, dragged: &Dragged) {
        let before = self.base.get_value();
        match arrange::commit(&before, &after, dragged) {
            Commit::Nothing => self.preview.set(None),
            Commit::Hosts(hosts) => {
                self.preview.set(Some(after));
                self.order_hosts.dispatch(OrderHosts {
                    body: json!({ "hosts": hosts }).to_string(),
                });
            }
            Commit::Ports { host, ids } => {
                self.preview.set(Some(after));
                self.order_ports.dispatch(OrderPorts {
                    address: host,
                    body: json!({ "port_ids": ids }).to_string(),
                });
            }
            Commit::Move { id, host, position } => {
                self.preview.set(Some(after));
                self.dispatch_move(id, json!({ "ip_address": host, "position": position }));
            }
        }
    }

    fn dispatch_move(&self, id: i64, body: serde_json::Value) {
        let body = body.to_string();
        self.last_move.set_value(Some((id, body.clone())));
        self.move_port.dispatch(MovePort { id, body });
    }

    /// Shows a host's panel whole (the one just added to or moved into).
    fn reveal(&self, host: &str) {
        if !self.open.with_untracked(|o| o.iter().any(|h| h == host)) {
            self.open.update(|o| o.push(host.to_string()));
        }
    }

    /// Fetches the page again each time a dialog's request is done (`version` of its action).
    fn refetch_after(&self, version: RwSignal<usize>) {
        crate::components::modal::bump_when_done(version, self.refresh);
    }

    fn say(&self, text: String) {
        self.announce.set(text);
    }
}

const COMPACT_KEY: &str = "portall.ports.compact";

fn remember_compact(on: bool) {
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(COMPACT_KEY, if on { "1" } else { "0" });
    }
}

#[component]
pub fn PortsPage() -> impl IntoView {
    // The filter and the opened panels come from the address too, so both work without JavaScript
    // (a GET form and plain links) and a filtered view can be bookmarked.
    let query = leptos_router::hooks::use_query_map();
    let (initial_filter, initial_open) = query.with_untracked(|q| {
        (
            q.get("q").unwrap_or_default(),
            q.get("open")
                .map(|o| o.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        )
    });
    let state = PortsPageState {
        refresh: RwSignal::new(0),
        delete: ServerAction::new(),
        order_hosts: ServerAction::new(),
        order_ports: ServerAction::new(),
        move_port: ServerAction::new(),
        filter: RwSignal::new(initial_filter),
        modal: PortModal::new(),
        host_modal: HostModal::new(),
        notice: RwSignal::new(None),
        base: StoredValue::new(Vec::new()),
        info: StoredValue::new((None, false)),
        open: RwSignal::new(initial_open),
        preview: RwSignal::new(None),
        held: RwSignal::new(None),
        pointer: StoredValue::new(None),
        drop_at: RwSignal::new(None),
        announce: RwSignal::new(String::new()),
        compact: RwSignal::new(false),
        sorted: StoredValue::new(None),
        conflict: RwSignal::new(None),
        last_move: StoredValue::new(None),
        tag_menu: TagMenu::new(),
        scan: ScanDialog::new(),
        check: ServerAction::new(),
    };
    provide_context(state);
    let data = crate::api::resource(
        move || {
            (
                state.refresh.get(),
                state.delete.version().get(),
                (
                    state.order_hosts.version().get(),
                    state.order_ports.version().get(),
                    state.move_port.version().get(),
                ),
                state.filter.get(),
                state.open.get().join(","),
            )
        },
        |(.., filter, open)| ports_page(filter, open),
    );
    // The density the user chose last time (in the browser only).
    Effect::new(move |_| {
        if let Ok(Some(storage)) = window().local_storage() {
            if let Ok(Some(v)) = storage.get_item(COMPACT_KEY) {
                state.compact.set(v == "1");
            }
        }
    });
    // What a delete, a reorder or a move answered, when it was not a success.
    let report = move |r: Option<Result<crate::api::ActionOutcome, ServerFnError>>| match r {
        Some(Ok(o)) if !o.ok => Some(o.message),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    Effect::new(move |_| {
        if let Some(message) = report(state.delete.value().get()) {
            state.notice.set(Some((false, message)));
        }
    });
    Effect::new(move |_| {
        if let Some(message) = report(state.order_ports.value().get())
            .or_else(|| report(state.order_hosts.value().get()))
        {
            state.notice.set(Some((false, message)));
        }
    });
    Effect::new(move |_| match state.check.value().get() {
        Some(Ok(crate::api::SaveOutcome::Saved(c))) => {
            let text = format!(
                "{}: {} listening, {} not answering{}",
                c.address,
                c.listening,
                c.not_answering,
                if c.unknown > 0 {
                    format!(", {} UDP (cannot be checked)", c.unknown)
                } else {
                    String::new()
                }
            );
            state.say(text.clone());
            state.notice.set(Some((true, text)));
        }
        Some(Ok(crate::api::SaveOutcome::Invalid(e))) => state
            .notice
            .set(Some((false, crate::validation::all_messages(&e)))),
        Some(Ok(crate::api::SaveOutcome::Conflict(m))) => state.notice.set(Some((false, m))),
        Some(Err(e)) => state.notice.set(Some((false, e.to_string()))),
        None => {}
    });
    Effect::new(move |_| match state.move_port.value().get() {
        Some(Ok(MoveOutcome::Moved(e))) => {
            state.reveal(&e.ip_address);
            state.say(format!("Port {} moved to {}", e.port_number, e.ip_address));
        }
        Some(Ok(MoveOutcome::Taken {
            message,
            existing,
            suggestion,
        })) => {
            let moving = state.last_move.get_value();
            state.conflict.set(Some(dialogs::Conflict {
                moving_id: moving.as_ref().map(|m| m.0).unwrap_or_default(),
                request: moving
                    .and_then(|m| serde_json::from_str(&m.1).ok())
                    .unwrap_or_default(),
                message,
                existing,
                suggestion,
            }));
        }
        Some(Ok(MoveOutcome::Refused(m))) => state.notice.set(Some((false, m))),
        Some(Err(e)) => state.notice.set(Some((false, e.to_string()))),
        None => {}
    });
    // Entries found by a scan (a container started on a Docker host) appear without a reload.
    use_live_events(move |event| {
        if let crate::events::LiveEvent::HostScan { status } = &event {
            state.scan.observe(status.clone());
        }
        if event.touches_ports() {
            state.refresh.update(|n| *n += 1);
        }
    });
    view! {
        <Title text="Ports · Portall" />
        <div class="page-header">
            <h1>"Ports"</h1>
            <div class="toolbar">
                <form method="get" action="/" role="search" class="filter-form" on:submit=move |ev| ev.prevent_default()>
                    <label class="sr-only" for="port-filter">"Filter ports"</label>
                    <input
                        id="port-filter"
                        name="q"
                        class="form-control search"
                        type="search"
                        placeholder="Filter: port number or text"
                        prop:value=move || state.filter.get()
                        on:input=move |ev| state.filter.set(event_target_value(&ev))
                    />
                </form>
                <button
                    id="density-btn"
                    class="btn btn-outline"
                    aria-pressed=move || state.compact.get().to_string()
                    title="One line per entry, so a big host fits on one screen"
                    on:click=move |_| {
                        let on = !state.compact.get_untracked();
                        state.compact.set(on);
                        remember_compact(on);
                    }
                >
                    "Compact"
                </button>
                <button
                    id="add-host-btn"
                    class="btn btn-outline"
                    on:click=move |_| state.host_modal.open_new()
                >
                    <Icon name=IconName::Plus />
                    "Add host"
                </button>
                <button
                    id="add-port-btn"
                    class="btn btn-primary"
                    on:click=move |_| state.modal.open_with(None, None, "#add-port-btn".into())
                >
                    <Icon name=IconName::Plus />
                    "Add Port"
                </button>
            </div>
        </div>
        <p id="dnd-help" class="sr-only">
            "To move, press Space on a move handle, use the arrow keys (left and right change host), then Space to drop or Escape to cancel."
        </p>
        <div id="dnd-live" class="sr-only" aria-live="assertive" role="status">{move || state.announce.get()}</div>
        {move || state.notice.get().map(|(ok, msg)| view! {
            <p id="ports-notice" class=if ok { "alert alert-success" } else { "alert alert-error" } role="status">{msg}</p>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading ports…"</p> }>
            {move || match data.get() {
                None => view! { <p class="muted">"Loading ports…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <p class="alert alert-error" role="alert">"Could not load ports: " {e.to_string()}</p>
                }.into_any(),
                Some(Ok(page)) => {
                    state.info.set_value((page.availability, page.empty));
                    state.base.set_value(page.groups);
                    // A fresh list from the server replaces any preview.
                    state.preview.set(None);
                    state.tag_menu.restore_focus();
                    view! { <HostPanels /> }.into_any()
                }
            }}
        </Transition>
        {dialogs::dialogs(state)}
        {scan::scan_dialog(state.scan)}
        {tag_menu(state.tag_menu, Callback::new(move |_| state.refresh.update(|n| *n += 1)))}
    }
    .into_any()
}

#[component]
fn HostPanels() -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    view! {
        {move || {
            let groups = state.preview.get().unwrap_or_else(|| state.base.get_value());
            let (availability, empty) = state.info.get_value();

            if empty {
                return view! {
                    <section class="card empty-state" id="ports-empty">
                        <h2>"No ports yet"</h2>
                        <p>"Add a port by hand, generate one on the New page, or add a Docker, Portainer or Komodo integration in Settings and Portall discovers them for you."</p>
                        <a class="btn btn-primary" href="/settings">"Open Settings"</a>
                    </section>
                }
                .into_any();
            }
            let filtering = !state.filter.get_untracked().trim().is_empty();
            // A port number in the filter also answers "is it free?" (over every entry).
            let answer = availability.map(|text| view! {
                <p id="port-availability" class="alert alert-info availability" role="status">{text}</p>
            });
            let nothing = groups.is_empty().then(|| view! {
                <p class="muted" id="no-match">"No port matches the filter."</p>
            });
            view! {
                <div class="host-grid" id="host-panels" class:compact=move || state.compact.get()
                    class:dragging=move || state.pointer.with_value(|p| p.is_some()) && state.drop_at.get().is_some()>
                    {answer}
                    {nothing}
                    {groups
                        .into_iter()
                        .enumerate()
                        .map(|(index, group)| view! { <HostPanel index group filtering /> })
                        .collect_view()}
                </div>
            }
            .into_any()
        }}
    }
}

/// Where the pointer is over the page's panels, for a drag of `dragged`.
fn drop_target(x: i32, y: i32, dragged: &Dragged, groups: &[HostGroup]) -> Option<DropAt> {
    let el = document().element_from_point(x as f32, y as f32)?;
    let panel = el.closest(".host-panel").ok()??;
    let host = panel.get_attribute("data-host")?;
    let group = groups.iter().position(|g| g.address == host)?;
    match dragged {
        Dragged::Host(_) => Some(DropAt { group, index: 0 }),
        Dragged::Port(_) => {
            let index = el
                .closest("[data-port-id]")
                .ok()
                .flatten()
                .and_then(|row| row.get_attribute("data-port-id"))
                .and_then(|id| id.parse::<i64>().ok())
                .and_then(|id| groups[group].entries.iter().position(|e| e.id == id))
                .unwrap_or(groups[group].entries.len());
            Some(DropAt { group, index })
        }
    }
}

/// Starts a pointer drag on a handle (primary button, a finger or a pen).
fn pointer_down(state: PortsPageState, dragged: Dragged, ev: leptos::ev::PointerEvent) {
    use leptos::wasm_bindgen::JsCast;
    if ev.button() != 0 || state.held.get_untracked().is_some() {
        return;
    }
    ev.prevent_default();
    if let Some(el) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
    {
        let _ = el.set_pointer_capture(ev.pointer_id());
    }
    state.pointer.set_value(Some(PointerDrag {
        dragged,
        pointer: ev.pointer_id(),
    }));
}

fn pointer_move(state: PortsPageState, ev: leptos::ev::PointerEvent) {
    let Some(drag) = state.pointer.get_value() else {
        return;
    };
    if drag.pointer != ev.pointer_id() {
        return;
    }
    let at = drop_target(
        ev.client_x(),
        ev.client_y(),
        &drag.dragged,
        &state.base.get_value(),
    );
    if at != state.drop_at.get_untracked() {
        state.drop_at.set(at);
    }
}

fn pointer_up(state: PortsPageState, ev: leptos::ev::PointerEvent, cancelled: bool) {
    let Some(drag) = state.pointer.get_value() else {
        return;
    };
    state.pointer.set_value(None);
    let at = state.drop_at.get_untracked();
    state.drop_at.set(None);
    let Some(at) = at.filter(|_| !cancelled && drag.pointer == ev.pointer_id()) else {
        return;
    };
    let mut after = state.base.get_value();
    match &drag.dragged {
        Dragged::Host(address) => {
            if let Some(from) = after.iter().position(|g| &g.address == address) {
                arrange::place_host(&mut after, from, at.group);
            }
        }
        Dragged::Port(id) => {
            let Some((g, i)) = arrange::locate(&after, *id) else {
                return;
            };
            if after[g].entries[i].is_immutable && g != at.group {
                state.notice.set(Some((
                    false,
                    "A discovered entry stays on the host its integration reports.".into(),
                )));
                return;
            }
            // Dropping below itself in the same panel: the removal shifts the target up by one.
            let index = if g == at.group && at.index > i {
                at.index - 1
            } else {
                at.index
            };
            arrange::place_port(&mut after, *id, at.group, index);
        }
    }
    state.save_arrangement(after, &drag.dragged);
}

/// The keyboard way: Space/Enter picks up and drops, arrows move, Esc cancels.
fn handle_key(state: PortsPageState, dragged: Dragged, ev: leptos::ev::KeyboardEvent) {
    let key = ev.key();
    let holding = state.held.get_untracked().as_ref() == Some(&dragged);
    let focus = |d: &Dragged| {
        focus_later(match d {
            Dragged::Port(id) => format!("[data-port-id='{id}'] .drag-handle"),
            Dragged::Host(a) => format!(".host-panel[data-host='{a}'] .host-handle"),
        })
    };
    let describe = |groups: &[HostGroup]| match &dragged {
        Dragged::Port(id) => arrange::locate(groups, *id)
            .map(|(g, i)| {
                format!(
                    "position {} of {} on {}",
                    i + 1,
                    groups[g].entries.len(),
                    groups[g].address
                )
            })
            .unwrap_or_default(),
        Dragged::Host(a) => groups
            .iter()
            .position(|g| &g.address == a)
            .map(|i| format!("host {} of {}", i + 1, groups.len()))
            .unwrap_or_default(),
    };
    match key.as_str() {
        " " | "Enter" if !holding => {
            ev.prevent_default();
            state.held.set(Some(dragged.clone()));
            state.preview.set(Some(state.base.get_value()));
            state.say(format!(
                "Picked up, {}. Arrow keys move, Space drops, Escape cancels.",
                describe(&state.base.get_value())
            ));
        }
        " " | "Enter" => {
            ev.prevent_default();
            state.held.set(None);
            let after = state.groups_now();
            state.say(format!("Dropped, {}.", describe(&after)));
            state.save_arrangement(after, &dragged);
            focus(&dragged);
        }
        "Escape" if holding => {
            ev.prevent_default();
            ev.stop_propagation();
            state.held.set(None);
            state.preview.set(None);
            state.say("Move cancelled.".into());
            focus(&dragged);
        }
        "ArrowUp" | "ArrowDown" | "ArrowLeft" | "ArrowRight" if holding => {
            ev.prevent_default();
            let mut groups = state.groups_now();
            let back = key == "ArrowUp" || key == "ArrowLeft";
            let delta: isize = if back { -1 } else { 1 };
            let moved = match &dragged {
                Dragged::Port(id) if key == "ArrowUp" || key == "ArrowDown" => {
                    arrange::step_port(&mut groups, *id, delta)
                }
                Dragged::Port(id) => {
                    let discovered = arrange::locate(&groups, *id)
                        .is_some_and(|(g, i)| groups[g].entries[i].is_immutable);
                    if discovered {
                        state.say(
                            "A discovered entry stays on the host its integration reports.".into(),
                        );
                        return;
                    }
                    arrange::hop_port(&mut groups, *id, delta)
                }
                Dragged::Host(a) => match groups.iter().position(|g| &g.address == a) {
                    Some(from)
                        if (from as isize + delta) >= 0
                            && ((from as isize + delta) as usize) < groups.len() =>
                    {
                        arrange::place_host(&mut groups, from, (from as isize + delta) as usize);
                        true
                    }
                    _ => false,
                },
            };
            if moved {
                state.say(describe(&groups));
                state.preview.set(Some(groups));
                focus(&dragged);
            } else {
                state.say(format!("Cannot move further, {}.", describe(&groups)));
            }
        }
        _ => {}
    }
}

#[component]
fn MoveHandle(
    dragged: Dragged,
    label: String,
    #[prop(optional)] host: bool,
    /// While the filter hides entries, moving is off (positions would be ambiguous).
    #[prop(optional)]
    disabled: bool,
) -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let held = {
        let d = StoredValue::new(dragged.clone());
        move || d.with_value(|d| state.held.get().as_ref() == Some(d))
    };
    let (d1, d2) = (dragged.clone(), dragged.clone());
    view! {
        <button
            type="button"
            class=if host { "drag-handle host-handle" } else { "drag-handle" }
            class:held=held
            aria-label=label
            aria-describedby="dnd-help"
            disabled=disabled
            title=disabled.then_some("Clear the filter to move")
            aria-pressed=move || held().to_string()
            on:pointerdown=move |ev| pointer_down(state, d1.clone(), ev)
            on:pointermove=move |ev| pointer_move(state, ev)
            on:pointerup=move |ev| pointer_up(state, ev, false)
            on:pointercancel=move |ev| pointer_up(state, ev, true)
            on:keydown=move |ev| handle_key(state, d2.clone(), ev)
        ></button>
    }
}

#[component]
fn HostPanel(index: usize, group: HostGroup, filtering: bool) -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let host = group.address.clone();
    let nickname = group.nickname.clone();
    let total = group.total;
    let matched = group.entries.len() + group.hidden;
    let noun = if total == 1 { "port" } else { "ports" };
    let count = if matched == total {
        format!("{total} {noun}")
    } else {
        format!("{matched} of {total} {noun}")
    };
    let hidden = group.hidden;
    let collapsed = group.entries.is_empty() && hidden > 0;
    let open_host = host.clone();
    let show_all = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let h = open_host.clone();
        state.open.update(|o| {
            if !o.contains(&h) {
                o.push(h)
            }
        });
    };
    let panel_id = format!("host-{}", host.replace(['.', ':', '[', ']'], "-"));
    let drop_end = move || {
        state.drop_at.get().is_some_and(|d| d.group == index)
            && state
                .pointer
                .with_value(|p| matches!(p.as_ref().map(|p| &p.dragged), Some(Dragged::Host(_))))
    };
    let sort = {
        let host = host.clone();
        move |key: SortKey| {
            let host = host.clone();
            move |_| {
                let ascending = match state.sorted.get_value() {
                    Some((h, k, asc)) if h == host && k == key => !asc,
                    _ => true,
                };
                state.sorted.set_value(Some((host.clone(), key, ascending)));
                state.say(format!(
                    "{host} sorted by {} {}",
                    key.label(),
                    if ascending { "ascending" } else { "descending" }
                ));
                // Sorted on the server: a long panel shows only its first entries.
                state.order_ports.dispatch(OrderPorts {
                    address: host.clone(),
                    body: json!({ "sort": key.label(), "descending": !ascending }).to_string(),
                });
            }
        }
    };
    let facts = StoredValue::new(group.facts());
    let add_for = (host.clone(), nickname.clone());
    view! {
        <section class="card host-panel" data-host=host.clone() id=panel_id aria-label=format!("Host {host}")
            class:drop-target=drop_end>
            <header class="host-header">
                <MoveHandle dragged=Dragged::Host(host.clone()) label=format!("Move host {host}") host=true disabled=filtering />
                <h2 class="host-address">{host.clone()}</h2>
                <span class="host-nickname muted">{nickname.clone()}</span>
                <span class="badge host-count">{count}</span>
                <div class="host-tools" role="group" aria-label=format!("Arrange and manage {host}")>
                    <button type="button" class="btn btn-link btn-sm sort-btn" data-sort="number" title="Sort by number (again reverses)"
                        aria-label=format!("Sort {host} by number") on:click=sort(SortKey::Number)>"#"</button>
                    <button type="button" class="btn btn-link btn-sm sort-btn" data-sort="protocol" title="Sort by protocol (again reverses)"
                        aria-label=format!("Sort {host} by protocol") on:click=sort(SortKey::Protocol)>"Proto"</button>
                    <button type="button" class="btn btn-link btn-sm sort-btn" data-sort="description" title="Sort by description (again reverses)"
                        aria-label=format!("Sort {host} by description") on:click=sort(SortKey::Description)>"A–Z"</button>
                    <button type="button" class="btn btn-link btn-sm check-host-btn" title="Check whether each entry answers now"
                        aria-label=format!("Check the ports of {host} now")
                        disabled=move || state.check.pending().get()
                        on:click={
                            let host = host.clone();
                            move |_| { state.check.dispatch(CheckHost { address: host.clone() }); }
                        }>"Check"</button>
                    <button type="button" class="btn btn-link btn-sm scan-host-btn" title="Scan this host for open TCP ports"
                        aria-label=format!("Scan ports of {host}") aria-haspopup="dialog"
                        on:click={
                            let host = host.clone();
                            move |_| state.scan.open_for(host.clone())
                        }>"Scan…"</button>
                    <button type="button" class="btn btn-link btn-sm edit-host-btn" title="Edit host"
                        aria-label=format!("Edit host {host}")
                        on:click=move |_| state.host_modal.open_edit(facts.get_value())>
                        <Icon name=IconName::Pencil />
                    </button>
                    <button type="button" class="btn btn-link btn-sm delete-host-btn" title="Delete host"
                        aria-label=format!("Delete host {host}")
                        on:click=move |_| state.host_modal.open_delete(facts.get_value())>
                        <Icon name=IconName::Trash />
                    </button>
                </div>
            </header>
            <ul class="port-list">
                {group.entries.into_iter().enumerate().map(|(i, p)| view! { <PortRow port=p group=index index=i filtering /> }).collect_view()}
            </ul>
            {(total == 0).then(|| view! { <p class="muted empty-host">"No ports on this host yet."</p> })}
            {(hidden > 0).then(|| view! {
                <a class="btn btn-sm btn-link show-all-btn" href=format!("/?open={host}") on:click=show_all>
                    {if collapsed { format!("Show {hidden} {noun}") } else { format!("Show {hidden} more") }}
                </a>
            })}
            <button
                class="btn btn-sm btn-outline add-host-port-btn"
                on:click=move |_| {
                    state.modal.open_with(None, Some(add_for.clone()), "#add-port-btn".into())
                }
            >
                <Icon name=IconName::Plus />
                "Add port on this host"
            </button>
        </section>
    }
    .into_any()
}

#[component]
fn PortRow(port: PortEntry, group: usize, index: usize, filtering: bool) -> impl IntoView {
    let state = expect_context::<PortsPageState>();
    let stale = port.is_stale();
    let local = port.is_local_only();
    let id = port.id;
    let confirming = RwSignal::new(false);
    let source_label = match port
        .discovered_by
        .iter()
        .map(|d| d.name.clone())
        .collect::<Vec<_>>()
    {
        names if names.is_empty() => port.source.to_string(),
        names => format!("{} · {}", port.source, names.join(", ")),
    };
    let can_delete = !port.is_reported();
    let last_seen = port
        .last_seen()
        .map(|s| s.get(..16).unwrap_or(s).to_string());
    let entry = StoredValue::new(port.clone());
    let remove = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        state.delete.dispatch(DeletePort { id });
        confirming.set(false);
    };
    let drop_before = move || {
        state.drop_at.get() == Some(DropAt { group, index })
            && state.pointer.with_value(
                |p| matches!(p.as_ref().map(|p| &p.dragged), Some(Dragged::Port(x)) if *x != id),
            )
    };
    let held = move || state.held.get() == Some(Dragged::Port(id));
    let open_tags = move || {
        state.tag_menu.open_for(
            entry.get_value(),
            format!("[data-port-id='{id}'] .tag-port-btn"),
        )
    };
    let pick_tag =
        Callback::new(move |name: String| state.filter.set(crate::hosts::tag_term(&name)));
    view! {
        <li class="port-row" class:stale=stale class:drop-before=drop_before class:held=held
            data-port-id=id data-port=port.port_number
            on:contextmenu=move |ev| { ev.prevent_default(); open_tags(); }>
            <MoveHandle dragged=Dragged::Port(id) label=format!("Move port {} {}", port.port_number, port.port_protocol) disabled=filtering />
            <span class="port-number">{port.port_number}</span>
            {port.check.clone().map(|c| {
                let at = c.at.get(..16).unwrap_or(&c.at).to_string();
                let text = format!("{} · checked {at} UTC", c.state.label());
                view! { <span class=format!("check check-{}", c.state.as_str()) title=text.clone() role="img" aria-label=text></span> }
            })}
            <span class="port-proto">{port.port_protocol.as_str()}</span>
            <span class="port-desc" title=port.description.clone()>
                {port.description.clone()}
                {local.then(|| view! { " " <span class="badge badge-local" title="Published on the host's loopback only: not reachable from other machines">"local only"</span> })}
                {stale.then(|| view! { " " <span class="badge badge-stale">{format!("last seen {}", last_seen.clone().unwrap_or_default())}</span> })}
                <TagBadges tags=port.tags.clone() on_pick=pick_tag />
            </span>
            <span class=format!("badge badge-source badge-{}", port.source)>{source_label}</span>
            <span class="row-actions">
                {port.is_immutable.then(|| view! {
                    <span class="lock" title="Discovered: its integration manages number and protocol" role="img" aria-label="Discovered">
                        <Icon name=IconName::Lock />
                    </span>
                })}
                // The icon comes from the style sheet: one per row adds up on a page of hundreds.
                <button
                    class="btn btn-link btn-sm tag-port-btn"
                    aria-label=format!("Tags of port {}", port.port_number)
                    aria-haspopup="dialog"
                    on:click=move |_| open_tags()
                ></button>
                <button
                    class="btn btn-link btn-sm edit-port-btn"
                    aria-label=format!("Edit port {}", port.port_number)
                    on:click=move |_| state.modal.open_with(Some(entry.get_value()), None, format!("[data-port-id='{id}'] .edit-port-btn"))
                >
                    "Edit"
                </button>
                {can_delete.then(|| view! {
                    <button class="btn btn-link btn-sm delete-port-btn" aria-label=format!("Delete port {}", port.port_number) on:click=remove>
                        {move || if confirming.get() { "Confirm delete" } else if stale { "Remove" } else { "Delete" }}
                    </button>
                })}
            </span>
        </li>
    }
    .into_any()
}
