//! The top navigation bar.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopNav() -> impl IntoView {
    view! {
        <header class="topbar">
            <nav class="container topbar-inner" aria-label="Main">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"⚓"</span>
                    "Portall"
                </a>
                <ul class="nav-links">
                    <li><A href="/" exact=true attr:id="nav-ports">"Ports"</A></li>
                    <li><A href="/settings" attr:id="nav-settings">"Settings"</A></li>
                </ul>
            </nav>
        </header>
    }
}
