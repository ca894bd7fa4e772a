//! Tags on the Ports page: the coloured badges of an entry (each a link that filters by it, so it
//! works without JavaScript too) and the tag menu of one entry (its button, a right-click on the row,
//! or the keyboard): tick tags on and off, find one by typing, create one inline.

use crate::api::SaveOutcome;
use crate::components::dom::focus_later;
use crate::components::modal::{close_modal, lazy_dialog, ModalFrame};
use crate::hosts::tag_term;
use crate::model::PortEntry;
use crate::tags::api::{list_tags, SaveTag, SetPortTags};
use crate::tags::{suggest_color, text_color, Tag, TagRef};
use leptos::prelude::*;

/// `/?q=tag:name`, the address of the entries carrying a tag.
pub fn tag_href(name: &str) -> String {
    let term = tag_term(name);
    let mut out = String::from("/?q=");
    for b in term.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A tag as a coloured pill; text black or white, whichever reads better on its colour.
#[component]
pub fn TagPill(name: String, color: String) -> impl IntoView {
    let style = format!("--tag-bg:{color};--tag-fg:{}", text_color(&color));
    view! { <span class="tag-badge" style=style>{name}</span> }
}

/// An entry's tags as badges; a click filters the page by that tag (`on_pick`), the link does the
/// same without JavaScript.
#[component]
pub fn TagBadges(
    tags: Vec<TagRef>,
    #[prop(optional)] on_pick: Option<Callback<String>>,
) -> impl IntoView {
    (!tags.is_empty()).then(|| {
        view! {
            <span class="tag-list">
                {tags.into_iter().map(|t| {
                    let name = t.name.clone();
                    let style = format!("--tag-bg:{};--tag-fg:{}", t.color, text_color(&t.color));
                    view! {
                        <a class="tag-badge" href=tag_href(&t.name) style=style data-tag=t.name.clone()
                            title=format!("Show the entries tagged {}", t.name)
                            on:click=move |ev| {
                                if let Some(pick) = on_pick {
                                    ev.prevent_default();
                                    pick.run(name.clone());
                                }
                            }>
                            {t.name.clone()}
                        </a>
                    }
                }).collect_view()}
            </span>
        }
    })
}

/// The tag menu's state, shared by the page that shows it.
#[derive(Clone, Copy)]
pub struct TagMenu {
    pub open: RwSignal<bool>,
    pub port: RwSignal<Option<PortEntry>>,
    opener: StoredValue<String>,
    /// The tags the entry carries now (as the last save answered).
    selected: RwSignal<Vec<i64>>,
    /// Counts saves, so the page refetches its entries when the menu closes.
    pub saved: RwSignal<u64>,
    /// Where focus goes once the page has rendered its refetched entries (the row the menu was
    /// opened from is rendered anew, so the focus the close gave back would be lost).
    pub refocus: StoredValue<Option<String>>,
}

impl TagMenu {
    pub fn new() -> Self {
        TagMenu {
            open: RwSignal::new(false),
            port: RwSignal::new(None),
            opener: StoredValue::new(String::new()),
            selected: RwSignal::new(Vec::new()),
            saved: RwSignal::new(0),
            refocus: StoredValue::new(None),
        }
    }

    /// Gives focus back to the opener after the page rendered its new entries.
    pub fn restore_focus(&self) {
        if let Some(selector) = self.refocus.get_value() {
            self.refocus.set_value(None);
            focus_later(selector);
        }
    }

    /// Opens the menu for `port`; focus returns to `opener` (a CSS selector) when it closes.
    pub fn open_for(&self, port: PortEntry, opener: String) {
        self.selected.set(port.tags.iter().map(|t| t.id).collect());
        self.port.set(Some(port));
        self.opener.set_value(opener);
        self.open.set(true);
        focus_later("#tag-menu-search".into());
    }
}

impl Default for TagMenu {
    fn default() -> Self {
        Self::new()
    }
}

/// The tag menu, loaded on its first open (`lazy_dialog`); `on_close` runs when it closes.
pub fn tag_menu(menu: TagMenu, on_close: Callback<()>) -> impl IntoView {
    lazy_dialog(
        move || menu.open.get(),
        move || tag_menu_view(menu, on_close),
    )
}

#[leptos::lazy]
fn tag_menu_view(menu: TagMenu, on_close: Callback<()>) -> AnyView {
    view! { <TagMenuView menu on_close /> }.into_any()
}

#[component]
fn TagMenuView(menu: TagMenu, on_close: Callback<()>) -> impl IntoView {
    let set = ServerAction::<SetPortTags>::new();
    let create = ServerAction::<SaveTag>::new();
    let tags = LocalResource::new(move || {
        let open = menu.open.get();
        create.version().track();
        async move {
            if open {
                list_tags().await
            } else {
                Ok(Vec::new())
            }
        }
    });
    let query = RwSignal::new(String::new());
    let color = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let saved_at_open = StoredValue::new(0u64);
    Effect::new(move |_| {
        if menu.open.get() {
            saved_at_open.set_value(menu.saved.get_untracked());
        }
    });
    let close = Callback::new(move |_| {
        query.set(String::new());
        error.set(None);
        close_modal(menu.open, menu.opener);
        // Only a change refetches the page (and re-renders the row).
        if menu.saved.get_untracked() != saved_at_open.get_value() || set.pending().get_untracked()
        {
            menu.refocus.set_value(Some(menu.opener.get_value()));
            on_close.run(());
        }
    });
    let save = move |ids: Vec<i64>| {
        if let Some(p) = menu.port.get_untracked() {
            set.dispatch(SetPortTags {
                id: p.id,
                body: serde_json::json!({ "tag_ids": ids }).to_string(),
            });
        }
    };
    let toggle = move |id: i64| {
        let mut ids = menu.selected.get_untracked();
        if let Some(i) = ids.iter().position(|x| *x == id) {
            ids.remove(i);
        } else {
            ids.push(id);
        }
        menu.selected.set(ids.clone());
        save(ids);
    };
    Effect::new(move |_| match set.value().get() {
        Some(Ok(SaveOutcome::Saved(now))) => {
            menu.selected.set(now.iter().map(|t| t.id).collect());
            menu.saved.update(|n| *n += 1);
            error.set(None);
            // Closed before the answer came: the page refetches now that the change is stored.
            if !menu.open.get_untracked() {
                on_close.run(());
            }
        }
        Some(other) => error.set(super::refusal(&other)),
        None => {}
    });
    // A tag created here is ticked at once.
    Effect::new(move |_| match create.value().get() {
        Some(Ok(SaveOutcome::Saved(t))) => {
            query.set(String::new());
            let mut ids = menu.selected.get_untracked();
            ids.push(t.id);
            menu.selected.set(ids.clone());
            save(ids);
            focus_later("#tag-menu-search".into());
        }
        Some(other) => error.set(super::refusal(&other)),
        None => {}
    });
    let all = move || tags.get().and_then(Result::ok).unwrap_or_default();
    let shown = move || {
        let q = query.get().trim().to_lowercase();
        all()
            .into_iter()
            .filter(|t| q.is_empty() || t.name.to_lowercase().contains(&q))
            .collect::<Vec<Tag>>()
    };
    let creatable = move || {
        let q = query.get().trim().to_string();
        (!q.is_empty()
            && !all()
                .iter()
                .any(|t| t.name.to_lowercase() == q.to_lowercase()))
        .then_some(q)
    };
    let do_create = move || {
        if let Some(name) = creatable() {
            let c = color.get_untracked();
            let c = if c.is_empty() {
                suggest_color(all().iter().map(|t| t.color.as_str()).collect::<Vec<_>>())
            } else {
                c
            };
            create.dispatch(SaveTag {
                id: None,
                body: serde_json::json!({"name": name, "color": c}).to_string(),
            });
        }
    };
    // Enter in the search field ticks the only match, or creates the tag typed.
    let on_enter = Callback::new(move |_| {
        let list = shown();
        if creatable().is_some() {
            do_create();
        } else if let [only] = list.as_slice() {
            toggle(only.id);
        }
    });
    let title = Signal::derive(move || {
        menu.port
            .get()
            .map(|p| {
                format!(
                    "Tags of {}:{}/{}",
                    p.ip_address,
                    p.port_number,
                    p.port_protocol.as_str()
                )
            })
            .unwrap_or_default()
    });
    view! {
        <ModalFrame id="tag-menu" title_id="tag-menu-title" open=menu.open title close=close on_submit=on_enter>
            <div class="modal-body">
                <label class="form-label" for="tag-menu-search">"Find or create a tag"</label>
                <input id="tag-menu-search" class="form-control" type="text" autocomplete="off" maxlength="50"
                    placeholder="Type a name; Enter ticks the only match or creates it"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                <ul class="tag-choices" id="tag-menu-list" aria-label="Tags">
                    <For each=shown key=|t| (t.id, t.name.clone(), t.color.clone()) let:t>
                        {
                            let id = t.id;
                            let checked = move || menu.selected.with(|s| s.contains(&id));
                            view! {
                                <li>
                                    <label class="form-check tag-choice">
                                        <input type="checkbox" class="form-check-input" data-tag-id=id
                                            prop:checked=checked on:change=move |_| toggle(id) />
                                        <TagPill name=t.name.clone() color=t.color.clone() />
                                        <span class="muted">{format!("{} entr{}", t.port_count, if t.port_count == 1 { "y" } else { "ies" })}</span>
                                    </label>
                                </li>
                            }
                        }
                    </For>
                </ul>
                {move || (all().is_empty() && creatable().is_none()).then(|| view! {
                    <p class="muted">"No tags yet: type a name to create the first."</p>
                })}
                {move || creatable().map(|name| view! {
                    <div class="row tag-create">
                        <input type="color" id="tag-menu-color" aria-label="Colour of the new tag"
                            prop:value=move || { let c = color.get(); if c.is_empty() { suggest_color(all().iter().map(|t| t.color.as_str()).collect::<Vec<_>>()) } else { c } }
                            on:input=move |ev| color.set(event_target_value(&ev)) />
                        <button type="button" class="btn btn-secondary btn-sm" id="tag-menu-create"
                            disabled=move || create.pending().get() on:click=move |_| do_create()>
                            {format!("Create tag \u{201c}{name}\u{201d}")}
                        </button>
                    </div>
                })}
                {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert" id="tag-menu-error">{e}</p> })}
            </div>
            <div class="modal-footer">
                <a class="btn btn-link" href="/tags">"Manage tags and rules"</a>
                <button type="button" class="btn btn-primary" id="tag-menu-done" on:click=move |_| close.run(())>"Done"</button>
            </div>
        </ModalFrame>
    }
}
