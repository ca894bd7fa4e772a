//! The browser entry point: hydrates the server-rendered page with the `app` components.
#![recursion_limit = "256"]

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Each page is a lazy route with its own wasm module, so hydration is asynchronous: it waits for
    // the page's module (preloaded by the server-rendered page) before it takes over the page's DOM.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // The page now answers to its controls: a hook for the end-to-end tests, which wait for it.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
