//! An accessible modal dialog: Esc closes, Tab stays inside, focus returns to the opener.

use super::dom::focus_now;
use leptos::prelude::*;

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), a[href]";

/// Keeps Tab / Shift+Tab inside `#{dialog_id}` (Esc: see `close_on_escape`).
pub fn trap_keys(dialog_id: &'static str, ev: leptos::ev::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    if ev.key() != "Tab" {
        return;
    }
    let Ok(Some(dialog)) = document().query_selector(&format!("#{dialog_id}")) else {
        return;
    };
    let Ok(nodes) = dialog.query_selector_all(FOCUSABLE) else {
        return;
    };
    let items: Vec<leptos::web_sys::HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|n| n.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        .filter(|e| e.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = document().active_element();
    let is = |e: &leptos::web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == e.unchecked_ref::<leptos::web_sys::Element>())
    };
    if ev.shift_key() && is(first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && is(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// Esc closes the modal wherever focus is (a button that disabled itself leaves focus on the body).
pub fn close_on_escape(open: RwSignal<bool>, close: impl Fn() + Clone + 'static) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.get_untracked() && ev.key() == "Escape" {
            ev.prevent_default();
            close();
        }
    });
    on_cleanup(move || handle.remove());
}

/// A dialog whose code the browser loads the first time `is_open` turns true, and keeps mounted
/// from then on. `load` calls a `#[lazy]` function that returns the dialog's view.
///
/// Why: a dialog is most of a page's code (the Ports page's five are a third of what its first
/// visit loads), and it is closed on the first render, on the server as in the browser, and
/// without JavaScript it can never open. So neither renders it: its wasm module is fetched on
/// the first open, it mounts open, and `dom::focus_later` waits the few frames until its field is
/// there. The dialog's own effects then run once at mount, with the values of that moment.
pub fn lazy_dialog<Fut>(
    is_open: impl Fn() -> bool + Send + Sync + 'static,
    load: impl Fn() -> Fut + Send + Sync + 'static,
) -> impl IntoView
where
    Fut: std::future::Future<Output = AnyView> + 'static,
{
    let wanted = RwSignal::new(false);
    Effect::new(move |_| {
        if is_open() && !wanted.get_untracked() {
            wanted.set(true);
        }
    });
    // The loader's future stays in the browser's one thread; `Suspend` asks for `Send`.
    move || {
        wanted
            .get()
            .then(|| Suspend::new(send_wrapper::SendWrapper::new(load())))
    }
}

/// Bumps `counter` each time an action finishes (`version` of a `ServerAction`). A lazy dialog owns
/// its actions, so their code loads with it; the page keys its data on `counter` to fetch it again.
pub fn bump_when_done(version: RwSignal<usize>, counter: RwSignal<u64>) {
    Effect::watch(
        move || version.get(),
        move |_, _, _| counter.update(|n| *n += 1),
        false,
    );
}

/// Closes a modal and gives focus back to the element that opened it.
pub fn close_modal(open: RwSignal<bool>, opener: StoredValue<String>) {
    open.set(false);
    let selector = opener.get_value();
    if !selector.is_empty() {
        request_animation_frame(move || {
            focus_now(&selector);
        });
    }
}

/// The frame every dialog shares: backdrop, labelled dialog form, title bar with a close button, Esc,
/// the Tab trap and Enter-to-submit. `children` are the body and footer.
#[component]
pub fn ModalFrame(
    /// The dialog's element id (tests and scripts use it).
    id: &'static str,
    /// The title element's id (`aria-labelledby`).
    title_id: &'static str,
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    close: Callback<()>,
    /// Enter / a submit button; none for dialogs whose buttons act on their own.
    #[prop(optional)]
    on_submit: Option<Callback<()>>,
    /// `alertdialog` for confirmations.
    #[prop(default = "dialog")]
    role: &'static str,
    children: Children,
) -> impl IntoView {
    close_on_escape(open, move || close.run(()));
    view! {
        <div class="modal-backdrop" hidden=move || !open.get()>
            <form
                class="modal-dialog"
                id=id
                role=role
                aria-modal="true"
                aria-labelledby=title_id
                novalidate=true
                on:submit=move |ev| {
                    ev.prevent_default();
                    if let Some(submit) = on_submit {
                        submit.run(());
                    }
                }
                on:keydown=move |ev| trap_keys(id, ev)
            >
                <div class="modal-header">
                    <h2 class="modal-title" id=title_id>{move || title.get()}</h2>
                    <button type="button" class="btn-close" aria-label="Close" on:click=move |_| close.run(())>"×"</button>
                </div>
                {children()}
            </form>
        </div>
    }
}
