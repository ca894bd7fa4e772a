//! The Account section of Settings: who is signed in, the password, and API tokens for scripts.
//! Changes go through server actions; the token list is a resource keyed on their versions.

use crate::api::{auth_status, list_tokens, ChangePassword, CreateToken, RevokeToken, SaveOutcome};
use crate::auth::{parse_password_change, parse_token_name, AuthMode, AuthStatus, TokenView};
use crate::components::field::TextField;
use crate::validation::{push_error, FieldErrors};
use leptos::prelude::*;
use serde_json::json;

fn messages(errors: RwSignal<FieldErrors>, key: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || errors.with(|e| e.get(key).map(|v| v.join("; "))))
}

#[component]
pub fn AccountSection() -> impl IntoView {
    let status = crate::api::resource(|| (), |_| auth_status());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(st) => view! { <AccountCards st /> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AccountCards(st: AuthStatus) -> impl IntoView {
    match (st.mode, st.user) {
        (AuthMode::Password, Some(user)) => view! {
            <PasswordCard user />
            <TokensCard />
        }
        .into_any(),
        (AuthMode::Forward, user) => view! {
            <section class="card" id="account-card">
                <header class="card-header"><h2>"Account"</h2></header>
                <p>"Signed in as " <strong>{user.unwrap_or_default()}</strong> " by your authenticating proxy (PORTALL_AUTH=forward)."</p>
            </section>
        }
        .into_any(),
        _ => view! {
            <section class="card" id="account-card">
                <header class="card-header"><h2>"Account"</h2></header>
                <p class="muted">
                    "Sign-in is off (PORTALL_AUTH=none): anyone who reaches Portall can use it. Use it only on a \
                     loopback address or behind a proxy that authenticates."
                </p>
            </section>
        }
        .into_any(),
    }
}

#[component]
fn PasswordCard(user: String) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::new());
    let done = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |_| match change.value().get() {
        Some(Ok(SaveOutcome::Saved(()))) => {
            current.set(String::new());
            new.set(String::new());
            confirm.set(String::new());
            done.set(Some((
                true,
                "Password changed. Your other sessions were signed out.".into(),
            )));
        }
        Some(Ok(SaveOutcome::Invalid(e))) => errors.set(e),
        Some(Ok(SaveOutcome::Conflict(m))) => done.set(Some((false, m))),
        Some(Err(e)) => done.set(Some((false, e.to_string()))),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let input = json!({"current": current.get_untracked(), "new": new.get_untracked()});
        let mut e = parse_password_change(&input).err().unwrap_or_default();
        if new.get_untracked() != confirm.get_untracked() {
            push_error(&mut e, "confirm", "does not match the new password");
        }
        errors.set(e.clone());
        if e.is_empty() {
            change.dispatch(ChangePassword {
                current: current.get_untracked(),
                new: new.get_untracked(),
            });
        }
    };
    view! {
        <section class="card" id="account-card">
            <header class="card-header">
                <h2>"Account"</h2>
                <form method="post" action="/api/auth/logout">
                    <button type="submit" class="btn btn-secondary btn-sm" id="logout-btn">"Sign out"</button>
                </form>
            </header>
            <p>"Signed in as " <strong id="account-user">{user}</strong> "."</p>
            <form on:submit=submit id="password-form" novalidate>
                <TextField id="password-current" label="Current password" input_type="password"
                    autocomplete="current-password" value=current
                    on_input=Callback::new(move |v| current.set(v)) error=messages(errors, "current") />
                <TextField id="password-new" label="New password" input_type="password"
                    autocomplete="new-password" help="At least 12 characters."
                    value=new on_input=Callback::new(move |v| new.set(v)) error=messages(errors, "new") />
                <TextField id="password-confirm" label="New password again" input_type="password"
                    autocomplete="new-password" value=confirm
                    on_input=Callback::new(move |v| confirm.set(v)) error=messages(errors, "confirm") />
                {move || done.get().map(|(ok, m)| view! {
                    <p class=if ok { "alert alert-success" } else { "alert alert-error" } role="status" id="password-result">{m}</p>
                })}
                <button type="submit" class="btn btn-primary" id="password-submit" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn TokensCard() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = crate::api::resource(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let name = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::new());
    let shown = RwSignal::new(None::<(String, String)>);
    let failure = RwSignal::new(None::<String>);
    Effect::new(move |_| match create.value().get() {
        Some(Ok(SaveOutcome::Saved(t))) => {
            name.set(String::new());
            shown.set(Some((t.name, t.token)));
        }
        Some(Ok(SaveOutcome::Invalid(e))) => errors.set(e),
        Some(Ok(SaveOutcome::Conflict(m))) => failure.set(Some(m)),
        Some(Err(e)) => failure.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(o)) if !o.ok => failure.set(Some(o.message)),
        Some(Err(e)) => failure.set(Some(e.to_string())),
        _ => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        shown.set(None);
        match parse_token_name(&json!({"name": name.get_untracked()})) {
            Ok(n) => {
                errors.set(FieldErrors::new());
                create.dispatch(CreateToken { name: n });
            }
            Err(e) => errors.set(e),
        }
    };
    view! {
        <section class="card" id="tokens-card">
            <header class="card-header"><h2>"API tokens"</h2></header>
            <p class="muted">
                "For scripts and other tools: send "<code>"Authorization: Bearer <token>"</code>
                " with every request. A token is shown once, when it is created."
            </p>
            {move || shown.get().map(|(n, t)| view! {
                <div class="alert alert-success" role="status" id="token-created">
                    <p>"Token “" {n} "” created. Copy it now; Portall will not show it again:"</p>
                    <input class="form-control token-once" id="token-value" readonly value=t
                        aria-label="The new token" on:focus=move |ev| {
                            use leptos::wasm_bindgen::JsCast;
                            if let Some(i) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()) {
                                i.select();
                            }
                        } />
                </div>
            })}
            {move || failure.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <form on:submit=submit id="token-form" class="inline-form" novalidate>
                <TextField id="token-name" label="New token name" placeholder="e.g. backup script"
                    maxlength=64u32 value=name on_input=Callback::new(move |v| name.set(v))
                    error=messages(errors, "name") />
                <button type="submit" class="btn btn-primary" id="token-create" disabled=move || create.pending().get()>
                    "Create token"
                </button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted" id="tokens-empty">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! { <TokenTable list revoke /> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenTable(list: Vec<TokenView>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <table class="table" id="tokens-table">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
            <tbody>
                {list.into_iter().map(|t| {
                    let id = t.id;
                    let label = format!("Revoke token {}", t.name);
                    let name = t.name.clone();
                    view! {
                        <tr data-token-id=id>
                            <td>{t.name}</td>
                            <td><code>{t.hint}"…"</code></td>
                            <td>{t.last_used_at.map(|d| d.get(..16).unwrap_or(&d).to_string()).unwrap_or_else(|| "never".into())}</td>
                            <td>
                                <button type="button" class="btn btn-danger btn-sm revoke-token" aria-label=label
                                    on:click=move |_| {
                                        let sure = window()
                                            .confirm_with_message(&format!("Revoke “{name}”? Scripts using it stop working at once."))
                                            .unwrap_or(false);
                                        if sure {
                                            revoke.dispatch(RevokeToken { id });
                                        }
                                    }>"Revoke"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
