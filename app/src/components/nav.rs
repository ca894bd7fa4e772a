//! The top navigation bar, with who is signed in and "Sign out" (a plain form: works without JS).

use crate::api::auth_status;
use crate::auth::AuthMode;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopNav() -> impl IntoView {
    let status = crate::api::resource(|| (), |_| auth_status());
    view! {
        <header class="topbar">
            <nav class="container topbar-inner" aria-label="Main">
                <a class="brand" href="/" aria-label="Portall">
                    <span class="brand-mark" aria-hidden="true">"⚓"</span>
                    <span class="brand-name">"Portall"</span>
                </a>
                <ul class="nav-links">
                    <li><A href="/" exact=true attr:id="nav-ports">"Ports"</A></li>
                    <li><A href="/new" attr:id="nav-new">"New"</A></li>
                    <li><A href="/tags" attr:id="nav-tags">"Tags"</A></li>
                    <li><A href="/import" attr:id="nav-import">"Import"</A></li>
                    <li><A href="/settings" attr:id="nav-settings">"Settings"</A></li>
                </ul>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let user = status
                            .await
                            .ok()
                            .filter(|s| s.mode == AuthMode::Password)
                            .and_then(|s| s.user);
                        user.map(|u| view! {
                            <div class="nav-user">
                                <span class="muted" id="nav-user">{u}</span>
                                <form method="post" action="/api/auth/logout">
                                    <button type="submit" class="btn btn-secondary btn-sm" id="nav-logout">"Sign out"</button>
                                </form>
                            </div>
                        })
                    })}
                </Transition>
            </nav>
        </header>
    }
}
