//! The Docker Engine client (bollard): unix sockets, plain TCP/HTTP (socket proxies included) and TLS.

use super::{FetchContext, IntegrationClient, IntegrationError, TestReport};
use crate::address::Address;
use crate::discovery::model::{Container, RawPort, Source, SourceOutcome};
use crate::instances::DockerConfig;
use bollard::Docker;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

pub struct DockerClient {
    docker: Docker,
    address: String,
    timeout: Duration,
}

fn describe(e: bollard::errors::Error, address: &str, timeout: Duration) -> IntegrationError {
    use bollard::errors::Error as E;
    match e {
        E::RequestTimeoutError => IntegrationError::Timeout(format!(
            "Docker at {address}: no answer within {} s",
            timeout.as_secs()
        )),
        E::SocketNotFoundError(path) => {
            IntegrationError::Unreachable(format!("Docker at {address}: no socket at {path}"))
        }
        E::DockerResponseServerError {
            status_code,
            message,
        } => {
            let what = match status_code {
                401 | 403 => "refused",
                _ => "answered",
            };
            IntegrationError::Protocol(format!(
                "Docker at {address} {what} with HTTP {status_code}: {message}"
            ))
        }
        other => {
            let mut msg = other.to_string();
            let mut source = std::error::Error::source(&other);
            while let Some(s) = source {
                msg = format!("{msg}: {s}");
                source = s.source();
            }
            IntegrationError::Unreachable(format!("Docker at {address}: {msg}"))
        }
    }
}

impl DockerClient {
    pub fn new(config: &DockerConfig, timeout: Duration) -> Result<Self, IntegrationError> {
        let address = config.host.clone();
        let secs = timeout.as_secs();
        let version = bollard::API_DEFAULT_VERSION;
        let (ca, cert, key) = (
            config.tls_ca.as_str(),
            config.tls_cert.as_str(),
            config.tls_key.expose(),
        );
        let docker = if let Some(path) = address.strip_prefix("unix://") {
            Docker::connect_with_socket(path, secs, version)
        } else if address.starts_with("https://") || !cert.is_empty() {
            for p in [ca, cert, key] {
                if !Path::new(p).is_file() {
                    return Err(IntegrationError::Config(format!(
                        "TLS file '{p}' does not exist on the Portall host"
                    )));
                }
            }
            let addr = address.replacen("https://", "tcp://", 1);
            Docker::connect_with_ssl(
                &addr,
                Path::new(key),
                Path::new(cert),
                Path::new(ca),
                secs,
                version,
            )
        } else if address.starts_with("tcp://") || address.starts_with("http://") {
            Docker::connect_with_http(&address, secs, version)
        } else {
            return Err(IntegrationError::Config(format!(
                "'{address}' is not a Docker address"
            )));
        }
        .map_err(|e| describe(e, &address, timeout))?;
        Ok(Self {
            docker,
            address,
            timeout,
        })
    }

    /// The client with the API version agreed with the engine (old and new engines alike).
    pub async fn negotiated(&self) -> Result<Docker, IntegrationError> {
        let fut = self.docker.clone().negotiate_version();
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r.map_err(|e| describe(e, &self.address, self.timeout)),
            Err(_) => Err(describe(
                bollard::errors::Error::RequestTimeoutError,
                &self.address,
                self.timeout,
            )),
        }
    }
}

impl DockerClient {
    /// The negotiated client, once the engine has answered a ping within the timeout.
    pub async fn reachable(&self) -> Result<Docker, IntegrationError> {
        let docker = self.negotiated().await?;
        let timed = |e| describe(e, &self.address, self.timeout);
        tokio::time::timeout(self.timeout, docker.ping())
            .await
            .map_err(|_| timed(bollard::errors::Error::RequestTimeoutError))?
            .map_err(timed)?;
        Ok(docker)
    }
}

#[async_trait::async_trait]
impl IntegrationClient for DockerClient {
    async fn test(&self) -> Result<TestReport, IntegrationError> {
        let docker = self.reachable().await?;
        let timed = |e| describe(e, &self.address, self.timeout);
        let v = tokio::time::timeout(self.timeout, docker.version())
            .await
            .map_err(|_| timed(bollard::errors::Error::RequestTimeoutError))?
            .map_err(timed)?;
        let version = v.version.unwrap_or_else(|| "?".into());
        let api = v.api_version.unwrap_or_else(|| "?".into());
        Ok(TestReport {
            message: format!("Docker {version}, API {api}"),
            details: json!({"version": version, "api_version": api, "os": v.os, "arch": v.arch}),
        })
    }

    async fn fetch(&self, ctx: &FetchContext) -> Result<Vec<Source>, IntegrationError> {
        let docker = self.negotiated().await?;
        let options = bollard::query_parameters::ListContainersOptions {
            all: true,
            ..Default::default()
        };
        let list = tokio::time::timeout(self.timeout, docker.list_containers(Some(options)))
            .await
            .map_err(|_| {
                describe(
                    bollard::errors::Error::RequestTimeoutError,
                    &self.address,
                    self.timeout,
                )
            })?
            .map_err(|e| describe(e, &self.address, self.timeout))?;
        let host = ctx
            .public_host
            .clone()
            .or_else(|| Address::host_of(&self.address))
            .or_else(|| ctx.host_ip.clone())
            .unwrap_or_else(|| "127.0.0.1".into());
        Ok(vec![Source {
            key: String::new(),
            name: ctx.instance_name.clone(),
            host,
            outcome: SourceOutcome::Listed(list.into_iter().map(container_of).collect()),
        }])
    }
}

fn container_of(c: bollard::models::ContainerSummary) -> Container {
    let id = c.id.unwrap_or_default();
    let name = c
        .names
        .and_then(|n| n.into_iter().next())
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_else(|| id.chars().take(12).collect());
    Container {
        name,
        image: c.image.unwrap_or_default(),
        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        ports: c
            .ports
            .unwrap_or_default()
            .into_iter()
            .map(|p| RawPort {
                ip: p.ip,
                private_port: p.private_port,
                public_port: p.public_port,
                protocol: p.typ.map(|t| t.to_string()),
            })
            .collect(),
        id,
    }
}
