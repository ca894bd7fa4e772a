//! The Tags page (`/tags`): the tags with their usage (search, create, edit, delete one or many,
//! remove unused), tagging many entries at once, and the tagging rules (`rules`).

pub mod menu;
mod rules;

use crate::api::{list_ports, ActionOutcome, SaveOutcome};
use crate::components::dom::focus_later;
use crate::components::field::{FieldError, TextField};
use crate::components::modal::{close_modal, lazy_dialog, ModalFrame};
use crate::tags::api::{list_tags, BulkTag, DeleteTags, RemoveUnusedTags, SaveTag};
use crate::tags::{parse_tag, suggest_color, Tag};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use leptos_meta::Title;
use menu::{tag_href, TagBadges, TagPill};

/// Shared by the page's cards: a change anywhere refetches what shows tags.
#[derive(Clone, Copy)]
struct TagsPageState {
    delete: ServerAction<DeleteTags>,
    unused: ServerAction<RemoveUnusedTags>,
    bulk: ServerAction<BulkTag>,
    /// Bumped when a change made elsewhere on the page shows on the cards: the tag dialog saved (it
    /// owns its action, so the action's code loads with the dialog), or running rules changed tags.
    ran: RwSignal<u64>,
    notice: RwSignal<Option<(bool, String)>>,
}

impl TagsPageState {
    fn version(&self) -> (usize, usize, usize, u64) {
        (
            self.delete.version().get(),
            self.unused.version().get(),
            self.bulk.version().get(),
            self.ran.get(),
        )
    }
}

/// What a refused or failed save says, in one line (`None` for a success).
fn refusal<T>(r: &Result<SaveOutcome<T>, ServerFnError>) -> Option<String> {
    match r {
        Ok(SaveOutcome::Saved(_)) => None,
        Ok(SaveOutcome::Invalid(e)) => Some(
            e.iter()
                .map(|(k, v)| format!("{k}: {}", v.join("; ")))
                .collect::<Vec<_>>()
                .join(". "),
        ),
        Ok(SaveOutcome::Conflict(m)) => Some(m.clone()),
        Err(e) => Some(e.to_string()),
    }
}

fn report(r: Option<Result<ActionOutcome, ServerFnError>>) -> Option<(bool, String)> {
    match r? {
        Ok(o) => Some((o.ok, o.message)),
        Err(e) => Some((false, e.to_string())),
    }
}

#[component]
pub fn TagsPage() -> impl IntoView {
    let state = TagsPageState {
        delete: ServerAction::new(),
        unused: ServerAction::new(),
        bulk: ServerAction::new(),
        ran: RwSignal::new(0),
        notice: RwSignal::new(None),
    };
    provide_context(state);
    Effect::new(move |_| {
        if let Some(n) = report(state.delete.value().get()) {
            state.notice.set(Some(n));
        }
    });
    Effect::new(move |_| {
        if let Some(n) = report(state.unused.value().get()) {
            state.notice.set(Some(n));
        }
    });
    view! {
        <Title text="Tags · Portall" />
        <div class="page-header">
            <h1>"Tags and rules"</h1>
        </div>
        {move || state.notice.get().map(|(ok, msg)| view! {
            <p id="tags-notice" class=if ok { "alert alert-success" } else { "alert alert-error" } role="status">{msg}</p>
        })}
        <TagsCard />
        <BulkCard />
        <rules::RulesCard />
    }
}

/// The tag dialog's state.
#[derive(Clone, Copy)]
struct TagModal {
    open: RwSignal<bool>,
    editing: RwSignal<Option<Tag>>,
    opener: StoredValue<String>,
}

#[component]
fn TagsCard() -> impl IntoView {
    let state = expect_context::<TagsPageState>();
    let tags = crate::api::resource(move || state.version(), |_| list_tags());
    let search = RwSignal::new(String::new());
    let selected = RwSignal::new(Vec::<i64>::new());
    let confirming = RwSignal::new(None::<i64>);
    let modal = TagModal {
        open: RwSignal::new(false),
        editing: RwSignal::new(None),
        opener: StoredValue::new(String::new()),
    };
    let open_modal = move |tag: Option<Tag>, opener: String| {
        modal.editing.set(tag);
        modal.opener.set_value(opener);
        modal.open.set(true);
        focus_later("#tag-name".into());
    };
    Effect::new(move |_| {
        if state.delete.version().get() > 0 {
            selected.set(Vec::new());
        }
    });
    let shown = move |all: &[Tag]| {
        let q = search.get().trim().to_lowercase();
        all.iter()
            .filter(|t| {
                q.is_empty()
                    || t.name.to_lowercase().contains(&q)
                    || t.description
                        .as_deref()
                        .unwrap_or_default()
                        .to_lowercase()
                        .contains(&q)
            })
            .cloned()
            .collect::<Vec<Tag>>()
    };
    view! {
        <section class="card" id="tags-card">
            <header class="card-header">
                <h2>"Tags"</h2>
                <div class="toolbar">
                    <label class="sr-only" for="tag-search">"Search tags"</label>
                    <input id="tag-search" class="form-control search" type="search" placeholder="Search tags"
                        prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                    <button class="btn btn-primary" id="new-tag-btn" on:click=move |_| open_modal(None, "#new-tag-btn".into())>"New tag"</button>
                </div>
            </header>
            <div class="row">
                <button class="btn btn-outline btn-sm" id="delete-selected-tags"
                    disabled=move || selected.with(Vec::is_empty) || state.delete.pending().get()
                    on:click=move |_| { state.delete.dispatch(DeleteTags { body: serde_json::json!({ "ids": selected.get_untracked() }).to_string() }); }>
                    {move || format!("Delete selected ({})", selected.with(Vec::len))}
                </button>
                <button class="btn btn-outline btn-sm" id="remove-unused-tags" disabled=move || state.unused.pending().get()
                    title="Delete every tag no entry carries"
                    on:click=move |_| { state.unused.dispatch(RemoveUnusedTags {}); }>
                    "Remove unused"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading tags…"</p> }>
                {move || Suspend::new(async move {
                    match tags.await {
                        Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                        Ok(all) if all.is_empty() => view! {
                            <p class="muted" id="no-tags">"No tags yet. Create one here, from an entry's Tags menu on the Ports page, or let a rule create it."</p>
                        }.into_any(),
                        Ok(all) => {
                            let all = StoredValue::new(all);
                            view! {
                                <div class="table-wrap">
                                <table class="table" id="tags-table">
                                    <thead><tr>
                                        <th scope="col"><input type="checkbox" class="form-check-input" aria-label="Select all shown tags"
                                            prop:checked=move || { let s = shown(&all.get_value()); !s.is_empty() && selected.with(|sel| s.iter().all(|t| sel.contains(&t.id))) }
                                            on:change=move |ev| {
                                                let ids: Vec<i64> = shown(&all.get_value()).iter().map(|t| t.id).collect();
                                                selected.set(if event_target_checked(&ev) { ids } else { Vec::new() });
                                            } /></th>
                                        <th scope="col">"Tag"</th>
                                        <th scope="col" class="hide-narrow">"Description"</th>
                                        <th scope="col">"Entries"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        <For each=move || shown(&all.get_value()) key=|t| t.id let:t>
                                            {
                                                let id = t.id;
                                                let tag = StoredValue::new(t.clone());
                                                view! {
                                                    <tr data-tag-id=id data-tag=t.name.clone()>
                                                        <td><input type="checkbox" class="form-check-input" aria-label=format!("Select {}", t.name)
                                                            prop:checked=move || selected.with(|s| s.contains(&id))
                                                            on:change=move |ev| selected.update(|s| { s.retain(|x| *x != id); if event_target_checked(&ev) { s.push(id); } }) /></td>
                                                        <td><TagPill name=t.name.clone() color=t.color.clone() /></td>
                                                        <td class="hide-narrow muted">{t.description.clone().unwrap_or_default()}</td>
                                                        <td><a href=tag_href(&t.name) class="tag-count">{t.port_count}</a></td>
                                                        <td class="row-actions">
                                                            <button class="btn btn-link btn-sm edit-tag-btn" aria-label=format!("Edit tag {}", t.name)
                                                                on:click=move |_| open_modal(Some(tag.get_value()), format!("tr[data-tag-id='{id}'] .edit-tag-btn"))>"Edit"</button>
                                                            <button class="btn btn-link btn-sm delete-tag-btn" aria-label=format!("Delete tag {}", t.name)
                                                                on:click=move |_| {
                                                                    if confirming.get_untracked() == Some(id) {
                                                                        confirming.set(None);
                                                                        state.delete.dispatch(DeleteTags { body: serde_json::json!({ "ids": [id] }).to_string() });
                                                                    } else {
                                                                        confirming.set(Some(id));
                                                                    }
                                                                }>
                                                                {move || if confirming.get() == Some(id) { "Confirm delete" } else { "Delete" }}
                                                            </button>
                                                        </td>
                                                    </tr>
                                                }
                                            }
                                        </For>
                                    </tbody>
                                </table>
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            {lazy_dialog(move || modal.open.get(), move || tag_dialog(modal, tags))}
        </section>
    }
}

/// The tag form, loaded on its first open (`lazy_dialog`).
#[leptos::lazy]
fn tag_dialog(
    modal: TagModal,
    tags: crate::api::JsonResource<Result<Vec<Tag>, ServerFnError>>,
) -> AnyView {
    view! { <TagModalView modal tags /> }.into_any()
}

#[component]
fn TagModalView(
    modal: TagModal,
    tags: crate::api::JsonResource<Result<Vec<Tag>, ServerFnError>>,
) -> impl IntoView {
    let state = expect_context::<TagsPageState>();
    let save = ServerAction::<SaveTag>::new();
    crate::components::modal::bump_when_done(save.version(), state.ran);
    let name = RwSignal::new(String::new());
    let color = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::new());
    // Fill the form when it opens.
    Effect::new(move |_| {
        if !modal.open.get() {
            return;
        }
        errors.set(FieldErrors::new());
        match modal.editing.get_untracked() {
            Some(t) => {
                name.set(t.name);
                color.set(t.color);
                description.set(t.description.unwrap_or_default());
            }
            None => {
                let used: Vec<String> = tags
                    .get_untracked()
                    .and_then(Result::ok)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| t.color)
                    .collect();
                name.set(String::new());
                color.set(suggest_color(used.iter().map(String::as_str)));
                description.set(String::new());
            }
        }
    });
    let close = Callback::new(move |_| close_modal(modal.open, modal.opener));
    let submit = Callback::new(move |_| {
        let body = serde_json::json!({
            "name": name.get_untracked(),
            "color": color.get_untracked(),
            "description": description.get_untracked(),
        });
        if let Err(e) = parse_tag(&body, "#000000") {
            errors.set(e);
            return;
        }
        save.dispatch(SaveTag {
            id: modal.editing.get_untracked().map(|t| t.id),
            body: body.to_string(),
        });
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(SaveOutcome::Saved(_))) if modal.open.get_untracked() => close.run(()),
        Some(Ok(SaveOutcome::Invalid(e))) => errors.set(e),
        Some(Ok(SaveOutcome::Conflict(m))) => {
            errors.set(FieldErrors::from([("name".to_string(), vec![m])]))
        }
        Some(Err(e)) => errors.set(FieldErrors::from([(
            "name".to_string(),
            vec![e.to_string()],
        )])),
        _ => {}
    });
    let err = move |k: &'static str| {
        Signal::derive(move || errors.with(|e| e.get(k).map(|v| v.join("; "))))
    };
    let title = Signal::derive(move || {
        if modal.editing.get().is_some() {
            "Edit tag".to_string()
        } else {
            "New tag".to_string()
        }
    });
    view! {
        <ModalFrame id="tag-modal" title_id="tag-modal-title" open=modal.open title close on_submit=submit>
            <div class="modal-body">
                <TextField id="tag-name" label="Name" value=name on_input=Callback::new(move |v| name.set(v)) error=err("name") />
                <div class="form-group">
                    <label class="form-label" for="tag-color">"Colour"</label>
                    <div class="row">
                        <input type="color" id="tag-color" prop:value=move || color.get() on:input=move |ev| color.set(event_target_value(&ev)) />
                        {move || view! { <TagPill name=if name.get().is_empty() { "preview".to_string() } else { name.get() } color=color.get() /> }}
                    </div>
                    <FieldError id="tag-color" messages=err("color") />
                </div>
                <TextField id="tag-description" label="Description (optional)" value=description
                    on_input=Callback::new(move |v| description.set(v)) error=err("description") />
            </div>
            <div class="modal-footer">
                <button type="button" class="btn btn-secondary" on:click=move |_| close.run(())>"Cancel"</button>
                <button type="submit" class="btn btn-primary" id="save-tag-btn" disabled=move || save.pending().get()>"Save"</button>
            </div>
        </ModalFrame>
    }
}

/// Tag or untag many entries: filter them (the Ports page's filter, `tag:` included), tick them,
/// pick a tag, add or remove it.
#[component]
fn BulkCard() -> impl IntoView {
    let state = expect_context::<TagsPageState>();
    // Browser-only (read outside a Suspense boundary): the list appears once the page is live.
    let ports = LocalResource::new(move || {
        state.version();
        list_ports()
    });
    let tags = LocalResource::new(move || {
        state.version();
        list_tags()
    });
    let filter = RwSignal::new(String::new());
    let selected = RwSignal::new(Vec::<i64>::new());
    let tag = RwSignal::new(String::new());
    let result = RwSignal::new(None::<(bool, String)>);
    let matching = move || {
        let f = filter.get();
        ports
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !f.trim().is_empty() && crate::hosts::matches(p, &f))
            .collect::<Vec<_>>()
    };
    let apply = move |add: bool| {
        let Ok(tag_id) = tag.get_untracked().parse::<i64>() else {
            result.set(Some((false, "Choose a tag first".into())));
            return;
        };
        let key = if add { "add" } else { "remove" };
        state.bulk.dispatch(BulkTag {
            body: serde_json::json!({"port_ids": selected.get_untracked(), key: [tag_id]})
                .to_string(),
        });
    };
    Effect::new(move |_| match state.bulk.value().get() {
        Some(Ok(SaveOutcome::Saved(o))) => result.set(Some((true, o.message))),
        Some(other) => result.set(refusal(&other).map(|m| (false, m))),
        None => {}
    });
    view! {
        <section class="card" id="bulk-card">
            <header class="card-header"><h2>"Tag entries"</h2></header>
            <p class="muted">"Find entries as on the Ports page (a port number, text, tag:name), tick them, then add or remove a tag."</p>
            <div class="row">
                <label class="sr-only" for="bulk-filter">"Find entries"</label>
                <input id="bulk-filter" class="form-control search" type="search" placeholder="Find entries: 8080, jellyfin, tag:web"
                    prop:value=move || filter.get() on:input=move |ev| { filter.set(event_target_value(&ev)); selected.set(Vec::new()); } />
                <label class="sr-only" for="bulk-tag">"Tag"</label>
                <select id="bulk-tag" class="form-control narrow" prop:value=move || tag.get() on:change=move |ev| tag.set(event_target_value(&ev))>
                    <option value="">"Choose a tag"</option>
                    {move || tags.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| view! {
                        <option value=t.id.to_string()>{t.name.clone()}</option>
                    }).collect_view()}
                </select>
                <button class="btn btn-primary btn-sm" id="bulk-add" disabled=move || selected.with(Vec::is_empty) || state.bulk.pending().get()
                    on:click=move |_| apply(true)>{move || format!("Add to {}", selected.with(Vec::len))}</button>
                <button class="btn btn-outline btn-sm" id="bulk-remove" disabled=move || selected.with(Vec::is_empty) || state.bulk.pending().get()
                    on:click=move |_| apply(false)>"Remove"</button>
            </div>
            {move || result.get().map(|(ok, m)| view! { <p id="bulk-result" class=if ok { "action-result ok" } else { "alert alert-error" } role="status">{m}</p> })}
            {move || {
                let list = matching();
                (!filter.get().trim().is_empty()).then(|| {
                    let total = list.len();
                    let ids: Vec<i64> = list.iter().take(200).map(|p| p.id).collect();
                    let all_ids = StoredValue::new(ids);
                    view! {
                        <label class="form-check">
                            <input type="checkbox" class="form-check-input" id="bulk-select-all"
                                prop:checked=move || { let a = all_ids.get_value(); !a.is_empty() && selected.with(|s| a.iter().all(|i| s.contains(i))) }
                                on:change=move |ev| selected.set(if event_target_checked(&ev) { all_ids.get_value() } else { Vec::new() }) />
                            {format!("Select all {} shown{}", total.min(200), if total > 200 { format!(" (of {total})") } else { String::new() })}
                        </label>
                        <ul class="bulk-list" id="bulk-list">
                            {list.into_iter().take(200).map(|p| {
                                let id = p.id;
                                view! {
                                    <li data-port-id=id>
                                        <label class="form-check">
                                            <input type="checkbox" class="form-check-input"
                                                prop:checked=move || selected.with(|s| s.contains(&id))
                                                on:change=move |ev| selected.update(|s| { s.retain(|x| *x != id); if event_target_checked(&ev) { s.push(id); } }) />
                                            <span class="mono">{format!("{}:{}/{}", p.ip_address, p.port_number, p.port_protocol.as_str())}</span>
                                            <span>{p.description.clone()}</span>
                                            <TagBadges tags=p.tags.clone() />
                                        </label>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })
            }}
        </section>
    }
}
