//! Clients for the upstream systems Portall reads (Docker Engine, Portainer, Komodo), behind one trait.
//! `client_for` is the factory: the instance's type picks the client; the rest of Portall sees the trait.

pub mod docker;
pub mod http;
pub mod komodo;
pub mod portainer;

use app::instances::InstanceType;
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
}

/// Process-wide settings the clients need besides the instance's own configuration.
#[derive(Clone, Debug, Default)]
pub struct ClientEnv {
    /// `HOST_IP`: the address for the local engine's all-interface bindings.
    pub host_ip: Option<String>,
}

pub(crate) fn text<'a>(config: &'a Map<String, Value>, key: &str) -> &'a str {
    config.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The instance's timeout (seconds), within 5–120, default 30.
pub(crate) fn timeout_of(config: &Map<String, Value>) -> Duration {
    let secs = config
        .get("timeout")
        .and_then(Value::as_i64)
        .unwrap_or(app::instances::TIMEOUT_DEFAULT)
        .clamp(app::instances::TIMEOUT_MIN, app::instances::TIMEOUT_MAX);
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
