//! The Portainer client (reqwest): reachability, API key check, environments and their containers.

use super::http::{base, client, describe, upstream_message};
use super::{text, timeout_of, IntegrationClient, IntegrationError, TestReport};
use serde_json::{json, Map, Value};
use std::time::Duration;

pub struct PortainerClient {
    http: reqwest::Client,
    url: String,
    api_key: String,
    timeout: Duration,
}

impl PortainerClient {
    pub fn new(config: &Map<String, Value>) -> Result<Self, IntegrationError> {
        let timeout = timeout_of(config);
        let verify = config
            .get("verify_ssl")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        Ok(Self {
            http: client(timeout, verify)?,
            url: base(text(config, "url")),
            api_key: text(config, "api_key").to_string(),
            timeout,
        })
    }

    /// GET `path` (with the API key unless `anonymous`); a non-2xx answer becomes an error.
    async fn get(
        &self,
        path: &str,
        anonymous: bool,
    ) -> Result<reqwest::Response, IntegrationError> {
        let what = format!("Portainer at {}", self.url);
        let mut req = self.http.get(format!("{}{path}", self.url));
        if !anonymous {
            req = req.header("X-API-Key", &self.api_key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| describe(&e, &what, self.timeout))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().await.unwrap_or_default();
        let detail = upstream_message(&body);
        Err(match status.as_u16() {
            401 => IntegrationError::Auth(format!("API key rejected by {what} ({detail})")),
            403 => IntegrationError::Auth(format!("{what}: access denied ({detail})")),
            404 => IntegrationError::Protocol(format!(
                "{what}: {path} not found (HTTP 404, {detail}); is this the Portainer URL?"
            )),
            code => IntegrationError::Protocol(format!("{what}: HTTP {code} on {path} ({detail})")),
        })
    }

    async fn json(&self, resp: reqwest::Response, path: &str) -> Result<Value, IntegrationError> {
        let text = resp
            .text()
            .await
            .map_err(|e| describe(&e, &self.url, self.timeout))?;
        serde_json::from_str(&text).map_err(|_| {
            IntegrationError::Protocol(format!(
                "Portainer at {}: {path} did not answer JSON; is this the Portainer URL?",
                self.url
            ))
        })
    }
}

#[async_trait::async_trait]
impl IntegrationClient for PortainerClient {
    async fn test(&self) -> Result<TestReport, IntegrationError> {
        let status_path = "/api/system/status";
        let resp = self.get(status_path, true).await?;
        let status = self.json(resp, status_path).await?;
        let version = status
            .get("Version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let endpoints = "/api/endpoints?limit=1&excludeSnapshots=true";
        let resp = self.get(endpoints, false).await?;
        let total = resp
            .headers()
            .get("X-Total-Count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok());
        self.json(resp, endpoints).await?;
        let message = match total {
            Some(n) => format!(
                "Portainer {version}, {n} environment{}",
                if n == 1 { "" } else { "s" }
            ),
            None => format!("Portainer {version}"),
        };
        Ok(TestReport {
            message,
            details: json!({"version": version, "environments": total}),
        })
    }
}
