//! Clients for the upstream systems Portall reads (Docker Engine, Portainer, Komodo), behind one trait.
//! `client_for` is the factory: the instance's type picks the client; the rest of Portall sees the trait.

pub mod docker;
pub mod http;
pub mod komodo;
pub mod portainer;

use crate::discovery::model::Source;
use crate::instances::InstanceType;
use serde::Serialize;
use serde_json::{Map, Value};
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
            .or_else(|| host_part(url))
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

/// The host of an address: `tcp://h:1`, `https://h:1/x`, `h:1`, `[v6]:1`, or a bare host.
pub fn host_part(address: &str) -> Option<String> {
    let address = address.trim();
    if address.is_empty() || address.starts_with("unix://") {
        return None;
    }
    if address.contains("://") {
        return crate::instances::address_host(address);
    }
    if let Some(v6) = address.strip_prefix('[') {
        return v6.split(']').next().map(str::to_string);
    }
    if address.parse::<std::net::IpAddr>().is_ok() {
        return Some(address.to_string());
    }
    let host = match address.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => address,
    };
    let host = host.split('/').next().unwrap_or_default();
    (!host.is_empty()).then(|| host.to_string())
}

pub(crate) fn text<'a>(config: &'a Map<String, Value>, key: &str) -> &'a str {
    config.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The instance's timeout (seconds), within 5–120, default 30.
pub(crate) fn timeout_of(config: &Map<String, Value>) -> Duration {
    let secs = config
        .get("timeout")
        .and_then(Value::as_i64)
        .unwrap_or(crate::instances::TIMEOUT_DEFAULT)
        .clamp(crate::instances::TIMEOUT_MIN, crate::instances::TIMEOUT_MAX);
    Duration::from_secs(secs as u64)
}

/// Builds the client an instance of `instance_type` with `config` needs.
pub fn client_for(
    instance_type: InstanceType,
    config: &Map<String, Value>,
) -> Result<Box<dyn IntegrationClient>, IntegrationError> {
    Ok(match instance_type {
        InstanceType::Docker => Box::new(docker::DockerClient::new(config)?),
        InstanceType::Portainer => Box::new(portainer::PortainerClient::new(config)?),
        InstanceType::Komodo => Box::new(komodo::KomodoClient::new(config)?),
    })
}

#[cfg(test)]
mod tests {
    use super::host_part;

    #[test]
    fn hosts_of_addresses() {
        for (a, h) in [
            ("tcp://10.0.0.5:2375", Some("10.0.0.5")),
            ("https://nas.lan:9443/x", Some("nas.lan")),
            ("10.0.0.5:9001", Some("10.0.0.5")),
            ("10.0.0.5", Some("10.0.0.5")),
            ("fe80::1", Some("fe80::1")),
            ("[fe80::1]:8120", Some("fe80::1")),
            ("pi.lan", Some("pi.lan")),
            ("unix:///var/run/docker.sock", None),
            ("", None),
        ] {
            assert_eq!(host_part(a).as_deref(), h, "{a}");
        }
    }
}
