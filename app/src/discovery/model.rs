//! What fetching produces (containers per environment/server) and what normalising makes of it.

use serde::{Deserialize, Serialize};

/// One port item in Docker's shape (`/containers/json`, Portainer's proxy, Komodo's container items).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct RawPort {
    #[serde(rename = "IP", default)]
    pub ip: Option<String>,
    #[serde(rename = "PrivatePort")]
    pub private_port: u16,
    #[serde(rename = "PublicPort", default)]
    pub public_port: Option<u16>,
    #[serde(rename = "Type", default)]
    pub protocol: Option<String>,
}

/// A container as any upstream reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    /// running, exited, created…
    pub state: String,
    pub ports: Vec<RawPort>,
}

/// How one environment (Portainer), server (Komodo) or engine (Docker) fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceOutcome {
    Listed(Vec<Container>),
    /// Deliberately not read (down, disabled, unsupported kind): its entries are kept as they are.
    Skipped(String),
    /// Reading failed: its entries are kept as they are, and the scan reports the error.
    Failed(String),
}

/// One environment / server / engine of an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Stable key within the instance: '' for a Docker engine, `env:<id>`, `server:<id>`.
    pub key: String,
    /// Shown to the user and used as a new host group's nickname.
    pub name: String,
    /// The address recorded for bindings on all interfaces or on loopback.
    pub host: String,
    pub outcome: SourceOutcome,
}

/// A published port, normalised: the unit the Ports page shows.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Binding {
    pub host: String,
    pub host_port: u16,
    pub protocol: crate::ports::Protocol,
    pub container_id: String,
    pub container_name: String,
    pub container_port: u16,
    /// Published on the host's loopback only.
    pub local_only: bool,
}

/// A source's error or skip reason, for the scan summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SourceIssue {
    pub source: String,
    pub message: String,
}

/// The result of one scan of one instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScanSummary {
    pub containers: usize,
    pub bindings: usize,
    pub added: usize,
    pub updated: usize,
    pub stale: usize,
    pub duration_ms: u64,
    /// Sources that failed: their entries were left untouched.
    pub errors: Vec<SourceIssue>,
    /// Sources deliberately not read (down, disabled).
    pub skipped: Vec<SourceIssue>,
    /// The hosts of the sources that were read (what a "ports changed" event names).
    #[serde(skip)]
    pub hosts: Vec<String>,
    /// A host scan's summary: what it counts are open ports, not containers.
    #[serde(skip)]
    pub open_ports: bool,
}

impl ScanSummary {
    /// One line for the instance block: what a scan found and changed, and what failed.
    pub fn describe(&self) -> String {
        let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
        let found = if self.open_ports {
            plural(self.bindings, "open port")
        } else {
            format!(
                "{}, {}",
                plural(self.containers, "container"),
                plural(self.bindings, "port")
            )
        };
        let mut text = format!(
            "{found}: {} new, {} back, {} stale",
            self.added, self.updated, self.stale
        );
        for e in &self.errors {
            text.push_str(&format!("; {} failed: {}", e.source, e.message));
        }
        for k in &self.skipped {
            text.push_str(&format!("; {} skipped: {}", k.source, k.message));
        }
        text
    }
}
