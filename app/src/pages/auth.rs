//! The way in: the first-run setup page and the login page. Both are plain HTML forms posting to
//! `/api/auth/*`, so they work before (and without) the WebAssembly; the server answers a form with a
//! redirect, carrying an error back in the query string.

use crate::auth::PASSWORD_MIN;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The message for the login page's `error` code.
fn login_error(code: &str) -> String {
    match code {
        "wrong" => "Wrong username or password.".into(),
        "missing" => "Enter your username and password.".into(),
        c if c.starts_with("slow:") => {
            let secs: u64 = c[5..].parse().unwrap_or(900);
            format!(
                "Too many failed attempts from this address. Try again in {} min.",
                secs.div_ceil(60)
            )
        }
        _ => "Could not sign in; the server log says why.".into(),
    }
}

/// A query parameter as the form's redirect left it ("" when absent).
fn query_value(k: &str) -> String {
    use_query_map()
        .with_untracked(|q| q.get(k))
        .unwrap_or_default()
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let get = query_value;
    let error = get("error");
    let next = get("next");
    let username = get("username");
    let has_user = !username.is_empty();
    view! {
        <Title text="Sign in · Portall" />
        <section class="card auth-card" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            {(!error.is_empty()).then(|| view! {
                <p class="alert alert-error" role="alert" id="login-error">{login_error(&error)}</p>
            })}
            <form method="post" action="/api/auth/login" class="auth-form">
                <input type="hidden" name="next" value=next />
                <div class="form-group">
                    <label for="login-username" class="form-label">"Username"</label>
                    <input id="login-username" name="username" class="form-control" autocomplete="username"
                        required autofocus=!has_user value=username />
                </div>
                <div class="form-group">
                    <label for="login-password" class="form-label">"Password"</label>
                    <input id="login-password" name="password" type="password" class="form-control"
                        autocomplete="current-password" required autofocus=has_user />
                </div>
                <button type="submit" class="btn btn-primary" id="login-submit">"Sign in"</button>
            </form>
            <p class="muted auth-hint">
                "Forgot the password? Run "<code>"portall reset-auth"</code>
                " where Portall runs (e.g. "<code>"docker exec portall portall reset-auth"</code>
                "), then create the account again."
            </p>
        </section>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let get = query_value;
    let error = get("error");
    let username = get("username");
    let min = PASSWORD_MIN.to_string();
    view! {
        <Title text="Welcome · Portall" />
        <section class="card auth-card" aria-labelledby="setup-title">
            <h1 id="setup-title">"Welcome to Portall"</h1>
            <p class="muted">
                "Create the admin account. Portall stores keys that control your Docker hosts, so it \
                 asks for a password before anything else."
            </p>
            {(!error.is_empty()).then(|| view! {
                <p class="alert alert-error" role="alert" id="setup-error">{error}</p>
            })}
            <form method="post" action="/api/auth/setup" class="auth-form">
                <div class="form-group">
                    <label for="setup-username" class="form-label">"Username"</label>
                    <input id="setup-username" name="username" class="form-control" autocomplete="username"
                        required maxlength="64" autofocus value=username />
                </div>
                <div class="form-group">
                    <label for="setup-password" class="form-label">"Password"</label>
                    <input id="setup-password" name="password" type="password" class="form-control"
                        autocomplete="new-password" required minlength=min.clone()
                        aria-describedby="setup-password-help" />
                    <small class="form-text" id="setup-password-help">
                        {format!("At least {PASSWORD_MIN} characters; a phrase of a few words is easy to remember.")}
                    </small>
                </div>
                <div class="form-group">
                    <label for="setup-confirm" class="form-label">"Password again"</label>
                    <input id="setup-confirm" name="password_confirm" type="password" class="form-control"
                        autocomplete="new-password" required minlength=min />
                </div>
                <button type="submit" class="btn btn-primary" id="setup-submit">"Create account"</button>
            </form>
        </section>
    }
}
