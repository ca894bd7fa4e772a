//! Clients for the upstream systems Portall reads (Docker Engine, Portainer, Komodo, a host's ports),
//! behind one trait.
//! `client_for` is the factory: the instance's type picks the client; the rest of Portall sees the trait.

pub mod docker;
pub mod hostscan;
pub mod http;
pub mod komodo;
pub mod portainer;

use crate::address::Address;
use crate::discovery::model::Source;
use crate::instances::IntegrationConfig;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// What a successful connection test shows the user.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TestReport {
    /// One line, e.g. "Docker 20.10.24, API 1.41".
    pub message: String,
    /// Version and what was found (environments, servers, containers).
    pub details: Value,
}

/// Why talking to an upstream failed; the message names the URL and the upstream's own words, never a secret.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum IntegrationError {
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Protocol(String),
    #[error("{0}")]
    Config(String),
}

/// One upstream system.
#[async_trait::async_trait]
pub trait IntegrationClient: Send + Sync {
    /// Proves the address and the credentials work, and says what is there.
    async fn test(&self) -> Result<TestReport, IntegrationError>;

    /// Lists the containers of every environment / server / engine the instance reaches. A failure of
    /// one environment is that source's outcome; an `Err` means nothing could be read at all.
    async fn fetch(&self, ctx: &FetchContext) -> Result<Vec<Source>, IntegrationError>;

    /// How long a fetch may take when the scheduler's deadline is too short for it (a host scan's
    /// follows from its ports, timeout and concurrency); `None`: the scheduler's.
    fn deadline(&self) -> Option<Duration> {
        None
    }

    /// The address and ports the client connects to itself (a host scan): what it did not list
    /// there is known not to answer. `None` for clients that read an upstream's listing.
    fn probed(&self) -> Option<(&str, &crate::hostscan::PortSet)> {
        None
    }
}

/// What fetching needs besides the client's own configuration.
#[derive(Clone, Debug, Default)]
pub struct FetchContext {
    /// The instance's name (the source name of a plain Docker engine).
    pub instance_name: String,
    /// The instance's `public_host`, when set.
    pub public_host: Option<String>,
    /// `HOST_IP`: the address for a local engine's all-interface bindings.
    pub host_ip: Option<String>,
}

impl FetchContext {
    /// The address for a source that names none of its own: the instance's `public_host`, else the
    /// host of the server's URL.
    pub fn fallback_host(&self, url: &str) -> String {
        self.public_host
            .clone()
            .or_else(|| Address::host_of(url))
            .unwrap_or_default()
    }
}

/// Reads every source (environment, server) with at most `limit` at once; the results sorted by key.
pub async fn read_sources<T, F, Fut>(items: Vec<T>, limit: usize, read: F) -> Vec<Source>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Source>,
{
    use futures::StreamExt;
    let mut sources: Vec<Source> = futures::stream::iter(items)
        .map(read)
        .buffer_unordered(limit)
        .collect()
        .await;
    sources.sort_by(|a, b| a.key.cmp(&b.key));
    sources
}

/// Builds the client a configuration needs: its variant picks the client, and each client takes
/// only its own variant.
pub fn client_for(
    config: &IntegrationConfig,
) -> Result<Box<dyn IntegrationClient>, IntegrationError> {
    let timeout = config.request_timeout();
    Ok(match config {
        IntegrationConfig::Docker(c) => Box::new(docker::DockerClient::new(c, timeout)?),
        IntegrationConfig::Portainer(c) => Box::new(portainer::PortainerClient::new(c, timeout)?),
        IntegrationConfig::Komodo(c) => Box::new(komodo::KomodoClient::new(c, timeout)?),
        IntegrationConfig::HostScan(c) => Box::new(hostscan::HostScanClient::new(c)?),
    })
}
