//! Request extractors whose rejections are clear JSON errors (400 malformed JSON, 415 wrong type).

use super::error::client_error;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// A JSON request body, kept as a value: the shared validators turn it into field errors.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = media_type(req.headers()).is_some_and(|t| is_json_type(&t));
        if !is_json {
            return Err(client_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON (Content-Type: application/json)",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                client_error(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the body: {e}"),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| client_error(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))
    }
}

/// The body's media type, lowercase, without parameters (`text/plain;+json` → `text/plain`); `None`
/// when absent, `Some("")` when unreadable.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE).map(|v| {
        v.to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}

/// An HTML form's body.
pub fn is_form(headers: &HeaderMap) -> bool {
    media_type(headers).as_deref() == Some("application/x-www-form-urlencoded")
}

/// `application/json` or `application/<something>+json`; `text/plain;+json` is not.
fn is_json_type(essence: &str) -> bool {
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// A body sent as JSON (scripts, the app) or as a plain HTML form (the login and setup pages work
/// without JavaScript); `form` says which, so the answer can be a redirect for a form.
pub struct JsonOrForm {
    pub value: Value,
    pub form: bool,
}

impl<S: Send + Sync> FromRequest<S> for JsonOrForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = is_form(req.headers());
        if !is_form {
            let JsonBody(value) = JsonBody::from_request(req, state).await?;
            return Ok(JsonOrForm { value, form: false });
        }
        let axum::Form(map) =
            axum::Form::<std::collections::BTreeMap<String, String>>::from_request(req, state)
                .await
                .map_err(|e| {
                    client_error(StatusCode::BAD_REQUEST, format!("unreadable form: {e}"))
                })?;
        let value = Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        );
        Ok(JsonOrForm { value, form: true })
    }
}

/// A numeric id from the path; anything else is a 404 (no such record), not a 500.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| client_error(StatusCode::NOT_FOUND, "not found"))?;
        raw.parse::<i64>()
            .map(Id)
            .map_err(|_| client_error(StatusCode::NOT_FOUND, format!("'{raw}' is not an id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn essence(ct: &str) -> String {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        media_type(&h).unwrap()
    }

    #[test]
    fn json_types_by_essence() {
        assert!(is_json_type(&essence("application/json")));
        assert!(is_json_type(&essence("Application/JSON; charset=utf-8")));
        assert!(is_json_type(&essence("application/merge-patch+json")));
        assert!(!is_json_type(&essence("text/plain;+json")));
        assert!(!is_json_type(&essence("text/plain; application/json")));
    }
}
