//! Refuses state-changing requests sent by another site's page. The session cookie is
//! `SameSite=Strict` already; this also covers API tokens pasted into a browser extension, forward
//! auth (the proxy's own cookie may be lax) and `PORTALL_AUTH=none`.
//!
//! An `Origin` is compared with the names Portall answers to (the Host allowlist), not with the
//! request's own `Host`: behind a proxy the two differ, and under DNS rebinding the `Host` is the
//! attacker's. Bodies typed `text/plain` (what a cross-site form or `no-cors` fetch can send without a
//! preflight, e.g. `text/plain;+json`) are refused outright.

use super::error::client_error;
use super::extract::media_type;
use super::AppState;
use crate::config::AllowedHosts;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Browsers say where a request comes from (`Sec-Fetch-Site`, `Origin`); scripts send neither.
/// An unreadable (non-UTF-8) value counts as cross-site.
pub fn is_cross_site(
    method: &Method,
    headers: &axum::http::HeaderMap,
    allowed: &AllowedHosts,
) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return true;
        };
        let Some((_, host)) = origin.split_once("://") else {
            return true; // "null" and other opaque origins
        };
        return !allowed.allows(host);
    }
    false
}

/// A body a cross-site page can send without a preflight and that is not a form: `text/plain`.
fn is_plain_text_body(headers: &axum::http::HeaderMap) -> bool {
    // Unreadable counts as plain text: refused.
    media_type(headers).is_some_and(|t| t == "text/plain" || t.is_empty())
}

pub async fn same_origin_only(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && is_plain_text_body(req.headers()) {
        return client_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send JSON (application/json) or a form, not text/plain",
        );
    }
    if is_cross_site(req.method(), req.headers(), &s.security.allowed_hosts) {
        tracing::warn!(method = %req.method(), uri = %req.uri(), "refused a cross-site request");
        return client_error(
            StatusCode::FORBIDDEN,
            "cross-site requests cannot change Portall's data",
        );
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn is_cross_site(method: &Method, headers: &HeaderMap) -> bool {
        let allowed = AllowedHosts::parse("portall.home.lan", Some("nas")).unwrap();
        super::is_cross_site(method, headers, &allowed)
    }

    #[test]
    fn plain_text_bodies_are_recognised_whatever_follows() {
        assert!(is_plain_text_body(&headers(&[(
            "content-type",
            "text/plain;+json"
        )])));
        assert!(is_plain_text_body(&headers(&[(
            "content-type",
            "Text/Plain; charset=utf-8"
        )])));
        assert!(!is_plain_text_body(&headers(&[(
            "content-type",
            "application/json"
        )])));
        assert!(!is_plain_text_body(&headers(&[])));
    }

    #[test]
    fn origins_are_checked_against_the_allowlist_not_the_host() {
        let post = Method::POST;
        // Behind a proxy: Host is the upstream address, Origin the public name.
        assert!(!is_cross_site(
            &post,
            &headers(&[
                ("origin", "https://portall.home.lan"),
                ("host", "127.0.0.1:8080")
            ])
        ));
        // Rebinding: the attacker's name in both.
        assert!(is_cross_site(
            &post,
            &headers(&[
                ("origin", "http://evil.example:8080"),
                ("host", "evil.example:8080")
            ])
        ));
        assert!(is_cross_site(&post, &headers(&[("origin", "null")])));
        let mut h = HeaderMap::new();
        h.insert(
            "origin",
            axum::http::HeaderValue::from_bytes(b"http://\xff").unwrap(),
        );
        assert!(is_cross_site(&post, &h), "non-UTF-8");
    }

    #[test]
    fn decides_by_fetch_metadata_then_origin() {
        let post = Method::POST;
        assert!(!is_cross_site(&post, &headers(&[])), "scripts and curl");
        assert!(!is_cross_site(
            &post,
            &headers(&[("sec-fetch-site", "same-origin")])
        ));
        assert!(is_cross_site(
            &post,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(is_cross_site(
            &post,
            &headers(&[("sec-fetch-site", "same-site")])
        ));
        assert!(!is_cross_site(
            &post,
            &headers(&[("origin", "http://nas:8080"), ("host", "nas:8080")])
        ));
        assert!(is_cross_site(
            &post,
            &headers(&[("origin", "http://evil.example"), ("host", "nas:8080")])
        ));
        assert!(!is_cross_site(
            &Method::GET,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
    }
}
