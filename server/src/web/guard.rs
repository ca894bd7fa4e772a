//! The guards every request passes, outermost first:
//!
//! 1. **Host allowlist** (DNS rebinding): a `Host` that is not an IP literal, `localhost`, this
//!    machine's name or in `PORTALL_ALLOWED_HOSTS` gets 421 and a body naming the variable.
//! 2. **Security headers** on every answer (CSP, nosniff, referrer policy, no framing).
//! 3. **Who is asking** (`PORTALL_AUTH`): a session cookie or `Authorization: Bearer` token
//!    (password), a trusted proxy's user header (forward), or nobody (none). Pages without one are
//!    redirected to the login (or first-run setup) page; API calls get 401 JSON. The principal goes
//!    into the request's extensions for the handlers.
//! 4. **Request timeout** (the event stream excepted: it is meant to stay open).

use super::error::client_error;
use super::AppState;
use crate::config::Security;
use app::auth::service::{Principal, Via};
use app::auth::AuthMode;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "portall_session";

/// How long one request may take (a manual scan included; the scan itself goes on regardless).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The peer address of the connection (set by the listener).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

pub fn peer_ip(req_extensions: &axum::http::Extensions) -> IpAddr {
    req_extensions
        .get::<ConnectInfo<Peer>>()
        .map(|c| c.0 .0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

pub async fn allowed_host(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let host = match req.headers().get(header::HOST).map(|h| h.to_str()) {
        // HTTP/1.0 without Host: nothing for a rebinding page to abuse.
        None => None,
        Some(Ok(h)) => Some(h.to_string()),
        Some(Err(_)) => {
            return client_error(
                StatusCode::BAD_REQUEST,
                "the Host header is not readable text",
            )
        }
    };
    match host {
        Some(h) if !s.security.allowed_hosts.allows(&h) => {
            tracing::warn!(host = %h, uri = %req.uri(), "refused a request for a name not in the allowlist");
            let name = h
                .rsplit_once(':')
                .map_or(h.as_str(), |(n, _)| n)
                .to_string();
            (
                StatusCode::MISDIRECTED_REQUEST,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!(
                    "Portall does not answer to the name '{name}'.\n\
                     If you reach Portall under this name (a reverse proxy, a DNS name), add it to \
                     PORTALL_ALLOWED_HOSTS (comma-separated, *.home.lan patterns) and restart.\n\
                     This protects Portall from DNS rebinding: web pages that point their own name at it.\n"
                ),
            )
                .into_response()
        }
        _ => next.run(req).await,
    }
}

/// What every answer carries. The inline scripts are Leptos' hydration bootstrap and resource data;
/// `wasm-unsafe-eval` lets the page compile its own WebAssembly.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
                   style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // Portall's own browser files keep fixed names across versions (`pkg/chunk_7.wasm` is another
    // module after an upgrade), so the browser asks each time (a 304 when nothing changed) and never
    // runs a cached page module against a newer main module.
    let revalidate = is_browser_file(path);
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if revalidate {
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

pub async fn request_timeout(req: Request, next: Next) -> Response {
    if req.uri().path() == "/api/events" {
        return next.run(req).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => client_error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        ),
    }
}

/// What anyone may load and needs no identity: health, the browser assets, the API document.
fn is_static(path: &str) -> bool {
    is_browser_file(path) || matches!(path, "/healthz" | "/custom.css" | "/api/openapi.json")
}

/// Portall's own browser files (the build's output in the site root).
fn is_browser_file(path: &str) -> bool {
    path.starts_with("/pkg/") || matches!(path, "/favicon.svg" | "/portall.css")
}

/// The way in: open, but the pages depend on whether an account exists or one is signed in.
fn is_way_in(path: &str) -> bool {
    matches!(
        path,
        "/login"
            | "/setup"
            | "/api/auth/status"
            | "/api/auth/setup"
            | "/api/auth/login"
            | "/api/auth/logout"
    )
}

/// A person's browser loading a page (redirect it) rather than a script or the app's own calls (401).
fn is_page(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && !path.starts_with("/docker/")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|a| a.contains("text/html") || a.contains("*/*"))
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The user a trusted proxy named, if the peer is one of `PORTALL_TRUSTED_PROXIES`.
fn forwarded_user(security: &Security, peer: IpAddr, headers: &HeaderMap) -> Option<String> {
    if !security.trusted_proxies.iter().any(|n| n.contains(&peer)) {
        return None;
    }
    let user = headers.get(&security.auth_header)?.to_str().ok()?.trim();
    (!user.is_empty() && user.len() <= 256).then(|| user.to_string())
}

fn unauthorized(message: &str, setup_required: bool) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer realm=\"portall\"")],
        axum::Json(serde_json::json!({"error": message, "setup_required": setup_required})),
    )
        .into_response()
}

pub async fn authenticate(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    // Assets and health: no session lookup on every script, style and probe.
    if is_static(&path) {
        return next.run(req).await;
    }
    let auth = &s.services.auth;
    let principal = match s.security.mode {
        AuthMode::None => Some(Principal {
            user: "anonymous".into(),
            via: Via::Open,
        }),
        AuthMode::Forward => forwarded_user(&s.security, peer_ip(req.extensions()), req.headers())
            .map(|user| Principal {
                user,
                via: Via::Forward,
            }),
        AuthMode::Password => {
            let found = if let Some(token) = bearer(req.headers()) {
                auth.bearer(&token).await
            } else if let Some(session) = cookie(req.headers(), SESSION_COOKIE) {
                auth.session(&session).await
            } else {
                Ok(None)
            };
            match found {
                Ok(p) => p,
                Err(e) => return super::error::ApiError(e).into_response(),
            }
        }
    };
    let page = is_page(req.method(), &path, req.headers());
    if let Some(p) = principal {
        // Signed in already: the way-in pages lead home.
        if page
            && matches!(path.as_str(), "/login" | "/setup")
            && s.security.mode == AuthMode::Password
        {
            return Redirect::to("/").into_response();
        }
        req.extensions_mut().insert(p);
        return next.run(req).await;
    }
    let way_in_page = page && matches!(path.as_str(), "/login" | "/setup");
    if s.security.mode == AuthMode::Forward {
        if is_way_in(&path) && !way_in_page {
            return next.run(req).await;
        }
        tracing::warn!(peer = %peer_ip(req.extensions()), uri = %req.uri(), "no user header from a trusted proxy");
        let message = format!(
            "Portall expects the {} header from a trusted proxy (PORTALL_TRUSTED_PROXIES)",
            s.security.auth_header
        );
        return unauthorized(&message, false);
    }
    if is_way_in(&path) && !way_in_page {
        return next.run(req).await;
    }
    // Only a refusal or a way-in page needs to know whether the first account exists yet.
    let setup_required = match auth.setup_required().await {
        Ok(r) => r,
        Err(e) => return super::error::ApiError(e).into_response(),
    };
    if way_in_page {
        return match (path.as_str(), setup_required) {
            ("/login", true) => Redirect::to("/setup").into_response(),
            ("/setup", false) => Redirect::to("/login").into_response(),
            _ => next.run(req).await,
        };
    }
    if page {
        if setup_required {
            return Redirect::to("/setup").into_response();
        }
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let query = serde_urlencoded::to_string([("next", target.as_str())]).unwrap_or_default();
        return Redirect::to(&format!("/login?{query}")).into_response();
    }
    if setup_required {
        unauthorized("no account yet: create the admin account at /setup", true)
    } else {
        unauthorized(
            "sign in first (a session cookie or Authorization: Bearer <token>)",
            false,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_bearer_tokens_are_read_exactly() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; portall_session=abc; b=2".parse().unwrap(),
        );
        h.insert(header::AUTHORIZATION, "bearer ptl_x".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "portall"), None);
        assert_eq!(bearer(&h).as_deref(), Some("ptl_x"));
        h.insert(header::AUTHORIZATION, "Basic eDp5".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn pages_are_browser_loads_of_non_api_paths() {
        let html: HeaderMap = [(header::ACCEPT, HeaderValue::from_static("text/html"))]
            .into_iter()
            .collect();
        assert!(is_page(&Method::GET, "/settings", &html));
        assert!(!is_page(&Method::GET, "/api/ports", &html));
        assert!(!is_page(&Method::GET, "/docker/instances", &html));
        assert!(!is_page(&Method::POST, "/settings", &html));
        let json: HeaderMap = [(header::ACCEPT, HeaderValue::from_static("application/json"))]
            .into_iter()
            .collect();
        assert!(!is_page(&Method::GET, "/", &json));
        assert!(is_static("/pkg/portall.wasm") && !is_static("/pkgx"));
        assert!(is_way_in("/api/auth/login") && !is_way_in("/api/auth/password"));
    }
}
