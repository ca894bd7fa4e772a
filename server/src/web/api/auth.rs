//! `/api/auth/*` and `/api/tokens`: first-run setup, sign in and out, password change, API tokens.
//! Setup and login take JSON (scripts; the answer is JSON and a cookie) or a plain HTML form (the
//! pages, which work without JavaScript; the answer is a redirect).

use crate::web::error::ApiError;
use crate::web::extract::{is_form_type, Id, JsonBody, JsonOrForm};
use crate::web::guard::{cookie, peer_ip, SESSION_COOKIE};
use crate::web::AppState;
use app::auth::service::{ClientMeta, NewSession, Principal, SESSION_DAYS};
use app::error::ServiceError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/status", get(status))
        .route("/api/auth/setup", post(setup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/password", post(change_password))
        .route("/api/tokens", get(tokens).post(create_token))
        .route("/api/tokens/{id}", delete(revoke_token))
}

/// The peer address and user agent, for the rate limit and the session record.
pub struct Meta(ClientMeta);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Meta(ClientMeta {
            address: peer_ip(&parts.extensions),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
        }))
    }
}

/// Secure when asked to, or when the browser came over HTTPS (through a proxy that says so).
fn secure(s: &AppState, headers: &HeaderMap) -> bool {
    let via_https = |name: header::HeaderName, prefix: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with(prefix))
    };
    s.security.cookie_secure
        || via_https(
            header::HeaderName::from_static("x-forwarded-proto"),
            "https",
        )
        || via_https(header::ORIGIN, "https://")
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).expect("a cookie of hex and ASCII")
}

/// Where a form goes after signing in: a path on this site only (never `//evil.example`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

fn signed_in(
    s: &AppState,
    headers: &HeaderMap,
    session: NewSession,
    form: bool,
    next: &str,
    status: StatusCode,
) -> Response {
    let cookie = session_cookie(&session.token, SESSION_DAYS * 86_400, secure(s, headers));
    let mut resp = if form {
        Redirect::to(next).into_response()
    } else {
        (status, Json(json!({"user": session.user}))).into_response()
    };
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A form's error: back to its page with the message in the query.
fn back_to(page: &str, pairs: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    Redirect::to(&format!("{page}?{query}")).into_response()
}

fn first_message(e: &ServiceError) -> String {
    match e {
        ServiceError::Validation(fields) => fields
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), v.join("; ")))
            .collect::<Vec<_>>()
            .join(". "),
        other => other.to_string(),
    }
}

async fn status(
    State(s): State<AppState>,
    who: Option<Extension<Principal>>,
) -> Result<Json<app::auth::AuthStatus>, ApiError> {
    Ok(Json(s.services.auth.status(who.as_deref()).await?))
}

async fn setup(
    State(s): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    body: JsonOrForm,
) -> Response {
    match s.services.auth.setup(&body.value, &meta).await {
        Ok(session) => signed_in(&s, &headers, session, body.form, "/", StatusCode::CREATED),
        Err(ServiceError::Conflict(_)) if body.form => Redirect::to("/login").into_response(),
        Err(e) if body.form => {
            let username = body.value["username"].as_str().unwrap_or_default();
            back_to(
                "/setup",
                &[("error", &first_message(&e)), ("username", username)],
            )
        }
        Err(e) => ApiError(e).into_response(),
    }
}

async fn login(
    State(s): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    body: JsonOrForm,
) -> Response {
    let next = safe_next(body.value["next"].as_str());
    match s.services.auth.login(&body.value, &meta).await {
        Ok(session) => signed_in(&s, &headers, session, body.form, &next, StatusCode::OK),
        Err(e) if body.form => {
            let username = body.value["username"].as_str().unwrap_or_default();
            let error = match &e {
                ServiceError::RateLimited(wait) => format!("slow:{wait}"),
                ServiceError::Unauthorized(_) => "wrong".into(),
                ServiceError::Validation(_) => "missing".into(),
                _ => "failed".into(),
            };
            back_to(
                "/login",
                &[("error", &error), ("username", username), ("next", &next)],
            )
        }
        Err(e) => ApiError(e).into_response(),
    }
}

async fn logout(State(s): State<AppState>, req: Request) -> Response {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_form_type);
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        if let Err(e) = s.services.auth.logout(&token).await {
            return ApiError(e).into_response();
        }
    }
    let mut resp = if form {
        Redirect::to("/login").into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    resp.headers_mut().append(
        header::SET_COOKIE,
        session_cookie("", 0, secure(&s, req.headers())),
    );
    resp
}

async fn change_password(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    s.services.auth.change_password(&who, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tokens(State(s): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(s.services.auth.tokens().await?).into_response())
}

async fn create_token(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let created = s.services.auth.create_token(&who, &body).await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"id": created.id, "name": created.name, "token": created.token})),
    )
        .into_response())
}

async fn revoke_token(State(s): State<AppState>, Id(id): Id) -> Result<StatusCode, ApiError> {
    s.services.auth.revoke_token(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(super::safe_next(Some("/settings?x=1")), "/settings?x=1");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "settings",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(super::safe_next(None), "/");
    }
}
