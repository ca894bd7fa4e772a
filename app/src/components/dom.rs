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
