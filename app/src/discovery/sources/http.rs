//! The HTTP client the Portainer and Komodo clients share: timeouts, TLS verification, error wording.

use super::IntegrationError;
use std::time::Duration;

pub fn client(timeout: Duration, verify_tls: bool) -> Result<reqwest::Client, IntegrationError> {
    reqwest::Client::builder()
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
            return parts.join(": ");
        }
    }
    let body = body.trim();
    if body.is_empty() {
        "empty response".into()
    } else {
        body.chars().take(200).collect()
    }
}

/// The base URL without a trailing slash.
pub fn base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}
