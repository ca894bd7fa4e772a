//! Portall, organised by feature. Each feature folder holds the types and validation the browser and
//! the server share and, behind the `ssr` feature, its service and its queries:
//! `auth/` (accounts, sessions, tokens), `instances/` (integrations), `ports/` (the Ports page entries, moving them), `hosts/` (panels: order, add, edit, delete), `generation/` (free ports, presets, their settings), `tags/` (tags, tagging rules and their engine, templates), `hostscan/` (the TCP connect scan, one-off scans, reachability checks), `discovery/` (sources, normalise,
//! reconcile, scheduler, Docker events), `events` (the live event bus). `db/` opens and upgrades the
//! database; `api` holds the server functions, thin callers of the same service functions the REST
//! API calls; `pages/` and `components/` are the user interface.
#![recursion_limit = "256"]

pub mod address;
pub mod api;
pub mod auth;
pub mod components;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod discovery;
#[cfg(feature = "ssr")]
pub mod error;
pub mod events;
pub mod generation;
pub mod hosts;
pub mod hostscan;
pub mod instances;
pub mod model;
pub mod pages;
pub mod ports;
#[cfg(feature = "ssr")]
pub mod services;
pub mod tags;
pub mod transfer;
pub mod validation;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

/// The HTML document the server renders around the app on the first load.
/// The theme (`<html data-theme>`, so the first paint has the right colours) and the custom style
/// sheet (`/custom.css?v=…`, after Portall's own so it wins) come from Settings → Appearance.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let (theme, custom_css) = appearance_now();
    let color_scheme = match theme {
        transfer::Theme::System => "light dark",
        other => other.as_str(),
    };
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.as_str()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content=color_scheme />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="stylesheet" href="/portall.css" />
                {custom_css.map(|href| view! { <link rel="stylesheet" id="custom-css" href=href /> })}
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The stored theme and the custom style sheet's address (none when it is empty).
fn appearance_now() -> (transfer::Theme, Option<String>) {
    #[cfg(feature = "ssr")]
    if let Some(s) = use_context::<services::Services>() {
        let a = s.appearance.get();
        return (a.theme, transfer::css_href(&a.custom_css));
    }
    (transfer::Theme::System, None)
}

/// The application: navigation and the client-side routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title text="Portall" />
        <Router>
            <components::nav::TopNav />
            <main class="container">
                <Routes fallback=pages::not_found::NotFound>
                    // In-order streaming: the data is in place in the HTML, so a page is complete
                    // before any script runs (and without JavaScript at all).
                    <Route path=path!("/") view={Lazy::<PortsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/new") view={Lazy::<NewRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/tags") view={Lazy::<TagsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/import") view={Lazy::<ImportRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} />
                    <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} />
                </Routes>
            </main>
        </Router>
    }
}

/// Loads the code of the page at `path` (in the browser; nothing on the server), before hydration;
/// for Settings, the code of the tab `search` (the URL's `?…`) opens on as well.
///
/// Why: the pages are lazy routes, and hydration then waits for the page's module anyway; with it
/// loaded first, every view below the page hydrates synchronously. Portall's copy of Leptos' view
/// crate (`vendor/tachys`) relies on that: it leaves out the asynchronous hydration code of every
/// type-erased view, about a seventh of the wasm. The paths are the `<Routes>` above.
pub async fn preload_page(path: &str, search: &str) {
    match path.trim_end_matches('/') {
        "" => PortsRoute::preload().await,
        "/new" => NewRoute::preload().await,
        "/tags" => TagsRoute::preload().await,
        "/import" => ImportRoute::preload().await,
        "/settings" => {
            SettingsRoute::preload().await;
            pages::settings::preload_tab(search).await;
        }
        "/login" => LoginRoute::preload().await,
        "/setup" => SetupRoute::preload().await,
        _ => {}
    }
}

/// Declares a page as a lazy route: the browser loads its code (a wasm module of its own, see
/// `scripts/build-wasm.sh`) when the page is shown, so the first visit does not download every page.
/// On the server it renders as any route does.
macro_rules! lazy_pages {
    ($($route:ident => $page:path),* $(,)?) => {$(
        #[derive(Clone)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    PortsRoute => pages::ports::PortsPage,
    NewRoute => pages::new::NewPage,
    TagsRoute => pages::tags::TagsPage,
    ImportRoute => pages::import::ImportPage,
    SettingsRoute => pages::settings::SettingsPage,
    LoginRoute => pages::auth::LoginPage,
    SetupRoute => pages::auth::SetupPage,
}
