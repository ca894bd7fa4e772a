//! Small browser helpers (no-ops when rendering on the server).

use leptos::prelude::*;

/// Focuses the element matching `selector` after the next render, or at a later frame when it is
/// not there yet (up to about a second): a dialog whose code loads on first open mounts only once
/// that code has arrived (see `components::modal::lazy_dialog`).
pub fn focus_later(selector: String) {
    focus_within_frames(selector, 60);
}

fn focus_within_frames(selector: String, frames: u32) {
    request_animation_frame(move || {
        if !focus_now(&selector) && frames > 0 {
            focus_within_frames(selector, frames - 1);
        }
    });
}

/// Focuses the element matching `selector`; false when there is none.
pub fn focus_now(selector: &str) -> bool {
    use leptos::wasm_bindgen::JsCast;
    match document().query_selector(selector) {
        Ok(Some(el)) => {
            if let Ok(el) = el.dyn_into::<leptos::web_sys::HtmlElement>() {
                let _ = el.focus();
            }
            true
        }
        _ => false,
    }
}

/// Calls `tick` every `ms` milliseconds while the calling component lives (in the browser only).
pub fn use_interval(ms: u32, tick: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let handle = gloo_timers::callback::Interval::new(ms, tick);
        let handle = send_wrapper::SendWrapper::new(handle);
        on_cleanup(move || drop(handle));
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ms, tick);
    }
}

/// Puts `text` on the clipboard. The Clipboard API exists only in secure contexts (HTTPS or
/// localhost); Portall is often opened over plain HTTP on a LAN address, so there a hidden field is
/// selected and copied instead. Returns whether the copy was handed to the browser.
pub fn copy_to_clipboard(text: &str) -> bool {
    use leptos::wasm_bindgen::JsCast;
    let w = window();
    if w.is_secure_context() {
        let _ = w.navigator().clipboard().write_text(text);
        return true;
    }
    let doc = document();
    let Ok(el) = doc.create_element("input") else {
        return false;
    };
    let Ok(input) = el.dyn_into::<leptos::web_sys::HtmlInputElement>() else {
        return false;
    };
    input.set_value(text);
    let _ = input.set_attribute("style", "position:fixed;top:-100px;opacity:0");
    let Some(body) = doc.body() else {
        return false;
    };
    let _ = body.append_child(&input);
    input.select();
    let copied = doc
        .dyn_into::<leptos::web_sys::HtmlDocument>()
        .ok()
        .and_then(|d| d.exec_command("copy").ok())
        .unwrap_or(false);
    input.remove();
    copied
}
