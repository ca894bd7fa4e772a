//! The Portainer client (reqwest): reachability, API key check, environments and their containers.

use super::http::{base, client, send, upstream_message};
use super::{read_sources, FetchContext, IntegrationClient, IntegrationError, TestReport};
use crate::address::Address;
use crate::discovery::model::{Container, RawPort, Source, SourceOutcome};
use crate::instances::PortainerConfig;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Environments read at once.
const PARALLEL_ENVIRONMENTS: usize = 4;

/// The fields of `GET /api/endpoints` items that matter (unknown ones ignored).
#[derive(Debug, Deserialize)]
struct Endpoint {
    #[serde(rename = "Id")]
    id: i64,
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Type", default)]
    kind: i64,
    #[serde(rename = "URL", default)]
    url: String,
    #[serde(rename = "PublicURL", default)]
    public_url: String,
    #[serde(rename = "Status", default)]
    status: i64,
}

/// A container of Docker's `/containers/json` as Portainer proxies it.
#[derive(Debug, Deserialize)]
struct DockerContainer {
    #[serde(rename = "Id", default)]
    id: String,
    #[serde(rename = "Names", default)]
    names: Vec<String>,
    #[serde(rename = "Image", default)]
    image: String,
    #[serde(rename = "State", default)]
    state: String,
    #[serde(rename = "Ports", default)]
    ports: Vec<RawPort>,
}

pub struct PortainerClient {
    http: reqwest::Client,
    url: String,
    api_key: String,
    timeout: Duration,
    /// Also read Edge agent environments (type 4), which Portainer reaches through a tunnel.
    include_edge: bool,
}

/// Portainer's environment types whose Docker API it proxies: Docker (socket/TCP), Agent, Edge agent.
const DOCKER: i64 = 1;
const AGENT: i64 = 2;
const EDGE_AGENT: i64 = 4;

impl PortainerClient {
    pub fn new(config: &PortainerConfig, timeout: Duration) -> Result<Self, IntegrationError> {
        Ok(Self {
            http: client(timeout, config.verify_ssl)?,
            url: base(&config.url),
            api_key: config.api_key.expose().to_string(),
            timeout,
            include_edge: config.include_edge,
        })
    }

    /// The environment types read: Docker and Agent, and Edge agents when asked for.
    fn wanted(&self, kind: i64) -> bool {
        kind == DOCKER || kind == AGENT || (kind == EDGE_AGENT && self.include_edge)
    }

    /// GET `path` (with the API key unless `anonymous`) as JSON; a non-2xx answer becomes an error.
    async fn get(&self, path: &str, anonymous: bool) -> Result<Value, IntegrationError> {
        let what = format!("Portainer at {}", self.url);
        let mut req = self.http.get(format!("{}{path}", self.url));
        if !anonymous {
            req = req.header("X-API-Key", &self.api_key);
        }
        let (status, _, body) = send(req, &what, self.timeout).await?;
        if status.is_success() {
            return serde_json::from_str(&body).map_err(|_| {
                IntegrationError::Protocol(format!(
                    "{what}: {path} did not answer JSON; is this the Portainer URL?"
                ))
            });
        }
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

    /// Every environment, a page at a time (at most [`MAX_PAGES`] pages: a fleet larger than that is
    /// read in part, and the log says so).
    async fn endpoints(&self, types: &str) -> Result<Vec<Value>, IntegrationError> {
        let mut all = Vec::new();
        for page in 0..MAX_PAGES {
            let path = format!(
                "/api/endpoints?{types}excludeSnapshots=true&start={}&limit={PAGE}",
                page * PAGE + 1 // 1-based
            );
            let items = match self.get(&path, false).await? {
                Value::Array(items) => items,
                _ => {
                    return Err(IntegrationError::Protocol(format!(
                        "Portainer at {}: the environment list is not a list",
                        self.url
                    )))
                }
            };
            let n = items.len();
            all.extend(items);
            // A Portainer that ignores `limit` answers everything at once.
            if n != PAGE {
                return Ok(all);
            }
        }
        tracing::warn!(url = %self.url, "more than {} environments: reading the first {}", MAX_PAGES * PAGE, MAX_PAGES * PAGE);
        Ok(all)
    }
}

/// Environments per page, and the most pages read.
const PAGE: usize = 100;
const MAX_PAGES: usize = 20;

#[async_trait::async_trait]
impl IntegrationClient for PortainerClient {
    async fn test(&self) -> Result<TestReport, IntegrationError> {
        let status_path = "/api/system/status";
        let status = self.get(status_path, true).await?;
        let version = status
            .get("Version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let total = self.endpoints("").await?.len();
        let message = format!(
            "Portainer {version}, {total} environment{}",
            if total == 1 { "" } else { "s" }
        );
        Ok(TestReport {
            message,
            details: json!({"version": version, "environments": total}),
        })
    }

    async fn fetch(&self, ctx: &FetchContext) -> Result<Vec<Source>, IntegrationError> {
        // Bracket form: plain `types=1` is silently ignored by Portainer.
        let types: String = [DOCKER, AGENT, EDGE_AGENT]
            .into_iter()
            .filter(|k| self.wanted(*k))
            .map(|k| format!("types[]={k}&"))
            .collect();
        let value = Value::Array(self.endpoints(&types).await?);
        let endpoints: Vec<Endpoint> = serde_json::from_value(value).map_err(|e| {
            IntegrationError::Protocol(format!(
                "Portainer at {}: unexpected environment list ({e})",
                self.url
            ))
        })?;
        let fallback = ctx.fallback_host(&self.url);
        Ok(read_sources(endpoints, PARALLEL_ENVIRONMENTS, |env| {
            self.environment(env, &fallback)
        })
        .await)
    }
}

impl PortainerClient {
    /// One environment's containers; its failure is its own outcome.
    async fn environment(&self, env: Endpoint, fallback_host: &str) -> Source {
        // The address of its ports: the public URL, else a TCP environment's URL, else the instance's.
        let host = Address::host_of(&env.public_url)
            .or_else(|| {
                env.url
                    .starts_with("tcp://")
                    .then(|| Address::host_of(&env.url))
                    .flatten()
            })
            .unwrap_or_else(|| fallback_host.to_string());
        let outcome = if env.status == 2 {
            SourceOutcome::Skipped("environment is down in Portainer".into())
        } else if !self.wanted(env.kind) {
            SourceOutcome::Skipped(format!("environment type {} is not read", env.kind))
        } else {
            let path = format!("/api/endpoints/{}/docker/containers/json?all=1", env.id);
            // Portainer has no dial timeout of its own for down agents: bound each environment here.
            let hint = if env.kind == EDGE_AGENT {
                "; an Edge agent answers only while its tunnel to Portainer is open"
            } else {
                ""
            };
            match tokio::time::timeout(self.timeout, self.get(&path, false)).await {
                Err(_) => SourceOutcome::Failed(format!(
                    "no answer within {} s{hint}",
                    self.timeout.as_secs()
                )),
                Ok(Err(e)) => SourceOutcome::Failed(format!("{e}{hint}")),
                Ok(Ok(v)) => match serde_json::from_value::<Vec<DockerContainer>>(v) {
                    Err(e) => SourceOutcome::Failed(format!("unexpected container list ({e})")),
                    Ok(list) => SourceOutcome::Listed(
                        list.into_iter()
                            .map(|c| Container {
                                name: c
                                    .names
                                    .first()
                                    .map(|n| n.trim_start_matches('/').to_string())
                                    .unwrap_or_else(|| c.id.chars().take(12).collect()),
                                id: c.id,
                                image: c.image,
                                state: c.state,
                                ports: c.ports,
                            })
                            .collect(),
                    ),
                },
            }
        };
        Source {
            key: format!("env:{}", env.id),
            name: if env.name.is_empty() {
                format!("Environment {}", env.id)
            } else {
                env.name
            },
            host,
            outcome,
        }
    }
}
