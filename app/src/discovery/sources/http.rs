//! The HTTP client the Portainer and Komodo clients share: timeouts, TLS verification, error wording.
//!
//! Every request carries an admin key for a fleet, so the client is defensive: it follows **no
//! redirects** (a redirect would carry the key's headers to wherever the upstream, or whoever stands in
//! for it, points), reads at most [`BODY_CAP`] bytes of any answer (an upstream that streams forever or
//! answers a 50 MB error page cannot fill memory), and cuts the upstream's words it stores.

use super::IntegrationError;
use std::time::Duration;

/// The largest answer read from an upstream (a Portainer page of 1,000 containers is ~2 MiB).
pub const BODY_CAP: usize = 32 * 1024 * 1024;
/// The largest error answer read: only its first words are ever shown.
const ERROR_BODY_CAP: usize = 64 * 1024;
/// How much of an upstream's own error message is kept (it ends up in the instance's stored status).
pub const MESSAGE_CAP: usize = 300;

pub fn client(timeout: Duration, verify_tls: bool) -> Result<reqwest::Client, IntegrationError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .tls_danger_accept_invalid_certs(!verify_tls)
        .user_agent(concat!("portall/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| IntegrationError::Config(format!("cannot build an HTTP client: {e}")))
}

/// Describes a failed request (URLs never carry a key: keys travel in headers).
pub fn describe(e: &reqwest::Error, what: &str, timeout: Duration) -> IntegrationError {
    if e.is_timeout() {
        IntegrationError::Timeout(format!("{what}: no answer within {} s", timeout.as_secs()))
    } else if e.is_connect() {
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut root = e.to_string();
        while let Some(s) = source {
            root = s.to_string();
            source = s.source();
        }
        IntegrationError::Unreachable(format!("{what}: cannot connect ({root})"))
    } else {
        IntegrationError::Unreachable(format!("{what}: {e}"))
    }
}

/// Sends `req`; a redirect is an error naming the status and the target's host (never following it).
/// Returns the status, whether the answer says it is JSON, and the body read up to the cap.
pub async fn send(
    req: reqwest::RequestBuilder,
    what: &str,
    timeout: Duration,
) -> Result<(reqwest::StatusCode, bool, String), IntegrationError> {
    let mut resp = req.send().await.map_err(|e| describe(&e, what, timeout))?;
    let status = resp.status();
    if status.is_redirection() {
        let target = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| match reqwest::Url::parse(l) {
                Ok(u) => u.host_str().unwrap_or("?").to_string(),
                Err(_) => "this server".to_string(),
            })
            .unwrap_or_else(|| "nowhere".into());
        return Err(IntegrationError::Unreachable(format!(
            "{what}: answered HTTP {} redirecting to {target}; Portall does not follow redirects \
             (they would carry the key elsewhere): enter the final address",
            status.as_u16()
        )));
    }
    let is_json = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let cap = if status.is_success() {
        BODY_CAP
    } else {
        ERROR_BODY_CAP
    };
    let mut body: Vec<u8> = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - body.len();
                if chunk.len() > room {
                    if !status.is_success() {
                        body.extend_from_slice(&chunk[..room]);
                        break;
                    }
                    return Err(IntegrationError::Protocol(format!(
                        "{what}: the answer is larger than {} MiB; Portall stopped reading",
                        cap / (1024 * 1024)
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(describe(&e, what, timeout)),
        }
    }
    Ok((status, is_json, String::from_utf8_lossy(&body).into_owned()))
}

/// The upstream's own error message from a JSON body (`message`/`details` or `error`/`trace`), else the text.
pub fn upstream_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let parts: Vec<String> = ["message", "error", "details"]
            .iter()
            .filter_map(|k| v.get(*k).and_then(|m| m.as_str()).map(str::to_string))
            .chain(
                v.get("trace")
                    .and_then(|t| t.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_string)),
            )
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            return cut(&parts.join(": "));
        }
    }
    let body = body.trim();
    if body.is_empty() {
        "empty response".into()
    } else {
        cut(body)
    }
}

/// At most [`MESSAGE_CAP`] characters, on one line, with an ellipsis when cut.
pub fn cut(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= MESSAGE_CAP {
        one_line
    } else {
        let mut s: String = one_line.chars().take(MESSAGE_CAP - 1).collect();
        s.push('…');
        s
    }
}

/// The base URL without a trailing slash.
pub fn base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}
