//! Settings → Docker Integration: the instance blocks, live status, and the add/edit/delete flows.

use super::instance_block::InstanceBlock;
use super::instance_modal::{instance_dialog, ModalState};
use crate::api::{deletion_impact, list_instances, DeleteInstance, InstanceList};
use crate::components::dom::{focus_later, use_interval};
use crate::components::live::use_live_events;
use crate::components::modal::{close_modal, lazy_dialog, ModalFrame};
use crate::events::LiveEvent;
use crate::instances::InstanceView;
use leptos::prelude::*;
use std::collections::HashMap;

/// What the section shares with its blocks and modals.
#[derive(Clone, Copy)]
pub struct Section {
    pub refresh: RwSignal<u64>,
    pub list: crate::api::JsonResource<Result<InstanceList, ServerFnError>>,
    /// Instance id → (ok, message) of its last Scan Now / action.
    pub results: RwSignal<HashMap<i64, (bool, String)>>,
    pub modal: ModalState,
    pub delete: DeleteState,
    /// Focused once the list has been reloaded and drawn (the element may be new).
    pub focus_after_reload: RwSignal<Option<String>>,
}

impl Section {
    pub fn instances(&self) -> Vec<InstanceView> {
        self.list
            .get()
            .and_then(|r| r.ok())
            .map(|l| l.instances)
            .unwrap_or_default()
    }

    pub fn now(&self) -> String {
        self.list
            .get()
            .and_then(|r| r.ok())
            .map(|l| l.now)
            .unwrap_or_default()
    }

    pub fn reload(&self) {
        self.refresh.update(|n| *n += 1);
    }
}

/// Which of its three forms the integration list takes. The list view follows this, not the list
/// itself: re-run on every reload (each scan, save, live event), it would draw every block anew, and
/// the focus a save puts back on its Edit button would fall to the page.
#[derive(Clone, PartialEq)]
enum ListShape {
    Failed(String),
    Empty,
    Blocks,
}

impl ListShape {
    fn of(list: &Option<Result<InstanceList, ServerFnError>>) -> Self {
        match list {
            Some(Err(e)) => Self::Failed(e.to_string()),
            Some(Ok(l)) if l.instances.is_empty() => Self::Empty,
            _ => Self::Blocks,
        }
    }
}

/// The delete confirmation's state. Its server action and the count of entries that go with the
/// instance live in the dialog (`DeleteConfirm`), so their code loads with it.
#[derive(Clone, Copy)]
pub struct DeleteState {
    pub open: RwSignal<bool>,
    pub target: RwSignal<Option<(i64, String)>>,
    pub error: RwSignal<Option<String>>,
    pub opener: StoredValue<String>,
}

#[component]
pub fn DockerIntegration() -> impl IntoView {
    let refresh = RwSignal::new(0u64);
    let modal = ModalState::new();
    // `refresh` is bumped by a save or a delete (each moves the focus after the redraw) and by what
    // happened elsewhere (live events, the clock).
    let list = crate::api::resource(move || refresh.get(), |_| list_instances());
    let section = Section {
        refresh,
        list,
        results: RwSignal::new(HashMap::new()),
        modal,
        delete: DeleteState {
            open: RwSignal::new(false),
            target: RwSignal::new(None),
            error: RwSignal::new(None),
            opener: StoredValue::new(String::new()),
        },
        focus_after_reload: RwSignal::new(None),
    };
    provide_context(section);
    Effect::new(move |_| {
        if section.list.get().is_some() {
            if let Some(selector) = section.focus_after_reload.get_untracked() {
                section.focus_after_reload.set(None);
                focus_later(selector);
            }
        }
    });
    // Scans, saves and deletions (here, in another tab or by a script) show up as they happen.
    use_live_events(move |event| {
        if let LiveEvent::ScanFinished {
            instance_id,
            ok,
            message,
        } = &event
        {
            section
                .results
                .update(|r| drop(r.insert(*instance_id, (*ok, message.clone()))));
        }
        // An open dialog keeps its list as it is (saving or closing it reloads).
        if event.touches_instances() && !section.modal.open.get_untracked() {
            section.reload();
        }
    });
    // Relative times ("2 min ago") move on even when nothing happens.
    use_interval(30_000, move || {
        if !section.modal.open.get_untracked() {
            section.reload();
        }
    });

    view! {
        <section class="card" id="docker" aria-labelledby="docker-heading">
            <header class="card-header">
                <h2 id="docker-heading">"Docker Integration"</h2>
                <button
                    id="add-docker-instance-btn"
                    class="btn btn-primary"
                    on:click=move |_| section.modal.open_new("#add-docker-instance-btn")
                >
                    "+ Add Docker Integration"
                </button>
            </header>
            <div id="docker-instances-container" class="instance-list" aria-live="polite">
                <Transition fallback=|| view! { <p class="muted">"Loading integrations…"</p> }>
                    {
                        // Created inside the Transition, so reading the list still holds the server's
                        // rendering until it is there.
                        let shape = Memo::new(move |_| ListShape::of(&section.list.get()));
                        move || match shape.get() {
                        ListShape::Failed(e) => view! {
                            <p class="alert alert-error" role="alert">"Could not load integrations: " {e}</p>
                        }.into_any(),
                        ListShape::Empty => view! {
                            <div class="empty-state" id="instances-empty">
                                <h3>"No integrations yet"</h3>
                                <p>"Add a Docker Engine, Portainer or Komodo server and Portall finds the ports its containers publish."</p>
                                <button class="btn btn-primary" on:click=move |_| section.modal.open_new("#add-docker-instance-btn")>
                                    "Add your first integration"
                                </button>
                            </div>
                        }.into_any(),
                        ListShape::Blocks => view! {
                            <For
                                each=move || section.instances()
                                key=|i| i.id
                                children=move |i| view! { <InstanceBlock instance=i /> }
                            />
                        }.into_any(),
                    }}
                </Transition>
            </div>
        </section>
        {instance_dialog(section.modal)}
        {lazy_dialog(move || section.delete.open.get(), delete_dialog)}
    }
    .into_any()
}

/// Opens the delete confirmation for one instance, with how many entries go with it.
pub fn ask_delete(section: Section, id: i64, name: String) {
    let d = section.delete;
    d.target.set(Some((id, name)));
    d.error.set(None);
    d.opener.set_value(format!(
        ".docker-instance-block[data-instance-id='{id}'] .delete-instance-btn"
    ));
    d.open.set(true);
    focus_later("#confirm-delete-cancel".into());
}

#[leptos::lazy]
fn delete_dialog() -> AnyView {
    view! { <DeleteConfirm /> }.into_any()
}

#[component]
fn DeleteConfirm() -> impl IntoView {
    let section = expect_context::<Section>();
    let d = section.delete;
    let action = ServerAction::<DeleteInstance>::new();
    // How many entries go with the instance asked about.
    let impact = crate::api::resource(
        move || d.target.get().map(|(id, _)| id),
        |id| async move {
            match id {
                Some(id) => deletion_impact(id).await.ok(),
                None => None,
            }
        },
    );
    let close = move || close_modal(d.open, d.opener);
    let confirm = move |_| {
        if let Some((id, _)) = d.target.get_untracked() {
            d.error.set(None);
            action.dispatch(DeleteInstance { id });
        }
    };
    // The answer: close, reload the list and leave the focus on "Add", or say why it failed. The
    // reload is asked for after the focus target is set (as a save does).
    Effect::new(move |_| match action.value().get() {
        Some(Ok(outcome)) if outcome.ok => {
            d.open.set(false);
            if let Some((id, _)) = d.target.get_untracked() {
                section.results.update(|r| drop(r.remove(&id)));
            }
            section
                .focus_after_reload
                .set(Some("#add-docker-instance-btn".into()));
            section.reload();
        }
        Some(Ok(outcome)) => d.error.set(Some(outcome.message)),
        Some(Err(e)) => {
            let name = d.target.get_untracked().map(|t| t.1).unwrap_or_default();
            d.error.set(Some(format!("Could not delete '{name}': {e}")));
        }
        None => {}
    });
    let busy = action.pending();
    view! {
        <ModalFrame
            id="confirmDeleteModal"
            title_id="confirm-delete-title"
            open=d.open
            role="alertdialog"
            title=Signal::derive(move || format!("Delete '{}'?", d.target.get().map(|t| t.1).unwrap_or_default()))
            close=Callback::new(move |_| close())
        >
                <div class="modal-body">
                    <p id="confirm-delete-text">
                        {move || match impact.get().flatten() {
                            None => "Counting the ports it discovered…".to_string(),
                            Some(0) => "No discovered port goes with it. Manual ports always stay.".to_string(),
                            Some(1) => "1 discovered port goes with it. Manual ports stay.".to_string(),
                            Some(n) => format!("{n} discovered ports go with it. Manual ports stay."),
                        }}
                    </p>
                    {move || d.error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
                </div>
                <div class="modal-footer">
                    <button type="button" class="btn btn-secondary" id="confirm-delete-cancel" on:click=move |_| close()>
                        "Cancel"
                    </button>
                    <button type="button" class="btn btn-danger" id="confirm-delete-btn" disabled=move || busy.get() on:click=confirm>
                        {move || if busy.get() { "Deleting…" } else { "Delete" }}
                    </button>
                </div>
        </ModalFrame>
    }
    .into_any()
}
