//! The Komodo Core client (reqwest): `POST /read` calls with the API key and secret.

use super::http::{base, client, send, upstream_message};
use super::{read_sources, FetchContext, IntegrationClient, IntegrationError, TestReport};
use crate::address::Address;
use crate::discovery::model::{Container, RawPort, Source, SourceOutcome};
use crate::instances::KomodoConfig;
use serde::Deserialize;

/// Servers read at once.
const PARALLEL_SERVERS: usize = 4;

#[derive(Debug, Deserialize)]
struct Server {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    info: ServerInfo,
}

#[derive(Debug, Default, Deserialize)]
struct ServerInfo {
    #[serde(default)]
    state: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    external_address: Option<String>,
}

/// A Komodo container item (snake_case; ports keep Docker's PascalCase keys).
#[derive(Debug, Deserialize)]
struct KomodoContainer {
    name: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    ports: Option<Vec<RawPort>>,
}
use serde_json::{json, Value};
use std::time::Duration;

pub struct KomodoClient {
    http: reqwest::Client,
    url: String,
    api_key: String,
    api_secret: String,
    timeout: Duration,
}

impl KomodoClient {
    pub fn new(config: &KomodoConfig, timeout: Duration) -> Result<Self, IntegrationError> {
        Ok(Self {
            http: client(timeout, true)?,
            url: base(&config.url),
            api_key: config.api_key.expose().to_string(),
            api_secret: config.api_secret.expose().to_string(),
            timeout,
        })
    }

    /// One `/read` request; errors carry Komodo's own `error` and `trace`.
    pub async fn read(&self, request: &str, params: Value) -> Result<Value, IntegrationError> {
        let what = format!("Komodo at {}", self.url);
        let req = self
            .http
            .post(format!("{}/read", self.url))
            .header("X-Api-Key", &self.api_key)
            .header("X-Api-Secret", &self.api_secret)
            .json(&json!({"type": request, "params": params}));
        let (status, is_json, body) = send(req, &what, self.timeout).await?;
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

    async fn fetch(&self, ctx: &FetchContext) -> Result<Vec<Source>, IntegrationError> {
        let v = self.read("GetVersion", json!({})).await?;
        let major = v
            .get("version")
            .and_then(Value::as_str)
            .and_then(|s| s.split('.').next())
            .and_then(|m| m.parse::<u32>().ok())
            .unwrap_or(1);
        // 2.x paginates ListServers (default 50): limit 0 asks for all.
        let params = if major >= 2 {
            json!({"limit": 0})
        } else {
            json!({})
        };
        let servers: Vec<Server> = serde_json::from_value(self.read("ListServers", params).await?)
            .map_err(|e| {
                IntegrationError::Protocol(format!(
                    "Komodo at {}: unexpected server list ({e})",
                    self.url
                ))
            })?;
        let fallback = ctx.fallback_host(&self.url);
        Ok(read_sources(servers, PARALLEL_SERVERS, |s| self.server(s, &fallback)).await)
    }
}

impl KomodoClient {
    async fn server(&self, server: Server, fallback_host: &str) -> Source {
        let host = server
            .info
            .external_address
            .as_deref()
            .and_then(Address::host_of)
            .or_else(|| server.info.address.as_deref().and_then(Address::host_of))
            .unwrap_or_else(|| fallback_host.to_string());
        // NotOk and Disabled servers answer `[]`: never read that as "no containers".
        let outcome = match server.info.state.as_str() {
            "Ok" => match self
                .read("ListDockerContainers", json!({"server": server.id}))
                .await
            {
                Err(e) => SourceOutcome::Failed(e.to_string()),
                Ok(v) => match serde_json::from_value::<Vec<KomodoContainer>>(v) {
                    Err(e) => SourceOutcome::Failed(format!("unexpected container list ({e})")),
                    Ok(list) => SourceOutcome::Listed(
                        list.into_iter()
                            .map(|c| Container {
                                id: c.id.unwrap_or_else(|| format!("name:{}", c.name)),
                                name: c.name,
                                image: c.image.unwrap_or_default(),
                                state: c.state,
                                ports: c.ports.unwrap_or_default(),
                            })
                            .collect(),
                    ),
                },
            },
            "Disabled" => SourceOutcome::Skipped("server is disabled in Komodo".into()),
            other => SourceOutcome::Failed(format!(
                "Komodo reports the server as {} (not reachable from Komodo)",
                if other.is_empty() { "unknown" } else { other }
            )),
        };
        Source {
            key: format!("server:{}", server.id),
            name: if server.name.is_empty() {
                server.id.clone()
            } else {
                server.name
            },
            host,
            outcome,
        }
    }
}
