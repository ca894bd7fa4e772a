//! Small browser helpers (no-ops when rendering on the server).

use leptos::prelude::*;

/// Focuses the element matching `selector` after the next render.
pub fn focus_later(selector: String) {
    request_animation_frame(move || focus_now(&selector));
}

pub fn focus_now(selector: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Ok(Some(el)) = document().query_selector(selector) {
        if let Ok(el) = el.dyn_into::<leptos::web_sys::HtmlElement>() {
            let _ = el.focus();
        }
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
