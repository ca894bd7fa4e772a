//! The Komodo Core client (reqwest): `POST /read` calls with the API key and secret.

use super::http::{base, client, describe, upstream_message};
use super::{text, timeout_of, IntegrationClient, IntegrationError, TestReport};
use serde_json::{json, Map, Value};
use std::time::Duration;

pub struct KomodoClient {
    http: reqwest::Client,
    url: String,
    api_key: String,
    api_secret: String,
    timeout: Duration,
}

impl KomodoClient {
    pub fn new(config: &Map<String, Value>) -> Result<Self, IntegrationError> {
        let timeout = timeout_of(config);
        Ok(Self {
            http: client(timeout, true)?,
            url: base(text(config, "url")),
            api_key: text(config, "api_key").to_string(),
            api_secret: text(config, "api_secret").to_string(),
            timeout,
        })
    }

    /// One `/read` request; errors carry Komodo's own `error` and `trace`.
    pub async fn read(&self, request: &str, params: Value) -> Result<Value, IntegrationError> {
        let what = format!("Komodo at {}", self.url);
        let resp = self
            .http
            .post(format!("{}/read", self.url))
            .header("X-Api-Key", &self.api_key)
            .header("X-Api-Secret", &self.api_secret)
            .json(&json!({"type": request, "params": params}))
            .send()
            .await
            .map_err(|e| describe(&e, &what, self.timeout))?;
        let status = resp.status();
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let body = resp
            .text()
            .await
            .map_err(|e| describe(&e, &what, self.timeout))?;
        if status.as_u16() == 401 {
            return Err(IntegrationError::Auth(format!(
                "API key or secret rejected by {what} ({})",
                upstream_message(&body)
            )));
        }
        if !status.is_success() {
            return Err(IntegrationError::Protocol(format!(
                "{what}: {request} failed with HTTP {} ({})",
                status.as_u16(),
                upstream_message(&body)
            )));
        }
        if !is_json {
            return Err(IntegrationError::Protocol(format!(
                "{what} answered {request} with a web page, not JSON: is this Komodo Core's API URL?"
            )));
        }
        serde_json::from_str(&body).map_err(|e| {
            IntegrationError::Protocol(format!("{what}: {request} answered unreadable JSON ({e})"))
        })
    }
}

#[async_trait::async_trait]
impl IntegrationClient for KomodoClient {
    async fn test(&self) -> Result<TestReport, IntegrationError> {
        let v = self.read("GetVersion", json!({})).await?;
        let version = v
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let servers = self.read("ListServers", json!({})).await?;
        let count = servers.as_array().map(Vec::len);
        let message = match count {
            Some(n) => format!(
                "Komodo {version}, {n} server{}",
                if n == 1 { "" } else { "s" }
            ),
            None => format!("Komodo {version}"),
        };
        Ok(TestReport {
            message,
            details: json!({"version": version, "servers": count}),
        })
    }
}
