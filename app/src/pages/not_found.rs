//! The page shown for an unknown path (served with HTTP 404).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found · Portall" />
        <section class="card empty-state" id="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a class="btn btn-primary" href="/">"Back to ports"</a>
        </section>
    }
}
