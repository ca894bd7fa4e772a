//! `/api/auth/*` and `/api/tokens`: first-run setup, sign in and out, password change, API tokens.
//! Setup and login take JSON (scripts; the answer is JSON and a cookie) or a plain HTML form (the
//! pages, which work without JavaScript; the answer is a redirect).

use crate::web::error::ApiError;
use crate::web::extract::{is_form, Id, JsonBody, JsonOrForm};
use crate::web::guard::{cookie, peer_ip, SESSION_COOKIE};
use crate::web::AppState;
use app::auth::service::{ClientMeta, NewSession, Principal, SESSION_DAYS};
use app::error::ServiceError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{Credentials, ErrorBody, PasswordChange, SignedIn, TokenName, ValidationErrors};
use app::auth::{AuthStatus, CreatedToken, TokenView};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(setup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(tokens, create_token))
        .routes(routes!(revoke_token))
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

/// The auth mode, whether the first-run setup is due, and who is signed in. Open.
#[utoipa::path(get, path = "/api/auth/status", tag = "auth", security(()),
    responses((status = 200, body = AuthStatus)))]
async fn status(
    State(s): State<AppState>,
    who: Option<Extension<Principal>>,
) -> Result<Json<app::auth::AuthStatus>, ApiError> {
    Ok(Json(s.services.auth.status(who.as_deref()).await?))
}

/// Creates the admin account (only while none exists) and signs it in (session cookie). Open.
/// Also takes the setup page's HTML form, answered with a redirect.
#[utoipa::path(post, path = "/api/auth/setup", tag = "auth", security(()), request_body = Credentials,
    responses((status = 201, body = SignedIn, headers(("set-cookie" = String, description = "portall_session"))),
        (status = 409, body = ErrorBody, description = "an account exists"), (status = 422, body = ValidationErrors)))]
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

/// Signs in (session cookie). Open. Five failures from one address within 15 minutes: 429 with
/// `Retry-After`. Also takes the login page's HTML form, answered with a redirect.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", security(()), request_body = Credentials,
    responses((status = 200, body = SignedIn, headers(("set-cookie" = String, description = "portall_session"))),
        (status = 401, body = ErrorBody, description = "wrong username or password"),
        (status = 429, body = ErrorBody, headers(("retry-after" = u64))), (status = 422, body = ValidationErrors)))]
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

/// Ends this session and clears the cookie. Open (without a session it only clears the cookie).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(()), responses((status = 204)))]
async fn logout(State(s): State<AppState>, req: Request) -> Response {
    let form = is_form(req.headers());
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

/// Changes the signed-in account's password; every other session of it ends.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn change_password(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    s.services.auth.change_password(&who, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The API tokens (never the tokens themselves: a name, the first characters, last use).
#[utoipa::path(get, path = "/api/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
async fn tokens(State(s): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(s.services.auth.tokens().await?).into_response())
}

/// A new API token for scripts; the answer is the only time it is shown.
#[utoipa::path(post, path = "/api/tokens", tag = "auth", request_body = TokenName,
    responses((status = 201, body = CreatedToken), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
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

/// Revokes a token: it stops working at once.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
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
