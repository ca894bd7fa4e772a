//! The browser entry point: hydrates the server-rendered page with the `app` components.
#![recursion_limit = "256"]

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // No panic hook: the browser's std is built to abort on a panic without formatting a message
    // (`scripts/build-wasm.sh`), so a panic shows in the console as a wasm `unreachable` error.
    // Each page is a lazy route with its own wasm module (the server-rendered page preloads it):
    // hydration waits for it, then takes over the page's DOM synchronously (see `app::preload_page`).
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        let path = leptos::prelude::window()
            .location()
            .pathname()
            .unwrap_or_default();
        let search = leptos::prelude::window()
            .location()
            .search()
            .unwrap_or_default();
        app::preload_page(&path, &search).await;
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // The page now answers to its controls: a hook for the end-to-end tests, which wait for it.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
