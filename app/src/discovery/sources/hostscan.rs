//! The host-scan source: a TCP connect scan of the one address the user entered. Each open port is
//! reported as one "container" named after its service and publishing that port on all interfaces,
//! so normalise and reconcile treat it as they treat every other source: a new port becomes an entry
//! (`source = scan`), a port that stops answering turns stale and comes back with the same id, and
//! manual entries on the host are never touched. Only fetching differs.

use super::{FetchContext, IntegrationClient, IntegrationError, TestReport};
use crate::discovery::model::{Container, RawPort, Source, SourceOutcome};
use crate::hostscan::scanner::{self, Ended, Progress};
use crate::hostscan::{describe, PortSet};
use crate::instances::HostScanConfig;
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct HostScanClient {
    address: String,
    ports: PortSet,
    timeout: Duration,
    concurrency: usize,
}

impl HostScanClient {
    pub fn new(config: &HostScanConfig) -> Result<Self, IntegrationError> {
        let address = config.address.trim().to_string();
        if address.is_empty() {
            return Err(IntegrationError::Config("no address to scan".into()));
        }
        Ok(Self {
            address,
            ports: config.ports.set().clone(),
            timeout: config.timeout(),
            concurrency: config.concurrency(),
        })
    }

    /// The longest one scan of this configuration may take.
    fn bound(&self) -> Duration {
        scanner::deadline_for(self.ports.len(), self.timeout, self.concurrency)
    }
}

/// One open port as a source item: its service's name, the port published on every interface.
fn listener(port: u16) -> Container {
    Container {
        id: format!("tcp/{port}"),
        name: describe(port),
        image: String::new(),
        state: "listening".into(),
        ports: vec![RawPort {
            ip: None,
            private_port: port,
            public_port: Some(port),
            protocol: Some("tcp".into()),
        }],
    }
}

#[async_trait::async_trait]
impl IntegrationClient for HostScanClient {
    async fn test(&self) -> Result<TestReport, IntegrationError> {
        let ip = scanner::resolve(&self.address)
            .await
            .map_err(IntegrationError::Unreachable)?;
        let bound = self.bound().saturating_sub(Duration::from_secs(10));
        Ok(TestReport {
            message: format!(
                "{} is {ip}: {} ports to scan, {} at once, at most {:.1} s",
                self.address,
                self.ports.len(),
                self.concurrency,
                bound.as_secs_f64()
            ),
            details: json!({"address": self.address, "resolved": ip.to_string(),
                "ports": self.ports.len(), "max_seconds": bound.as_secs_f64()}),
        })
    }

    async fn fetch(&self, ctx: &FetchContext) -> Result<Vec<Source>, IntegrationError> {
        let ip = scanner::resolve(&self.address)
            .await
            .map_err(IntegrationError::Unreachable)?;
        let progress = Progress::default();
        let ended = scanner::scan(
            ip,
            &self.ports,
            self.timeout,
            self.concurrency,
            &progress,
            &CancellationToken::new(),
        )
        .await;
        if ended != Ended::Done {
            // A partial scan would turn every port it did not reach stale.
            return Err(IntegrationError::Timeout(format!(
                "the scan of {} did not finish within {} s; entries are kept",
                self.address,
                self.bound().as_secs()
            )));
        }
        Ok(vec![Source {
            key: String::new(),
            name: ctx.instance_name.clone(),
            host: self.address.clone(),
            outcome: SourceOutcome::Listed(progress.found().into_iter().map(listener).collect()),
        }])
    }

    fn deadline(&self) -> Option<Duration> {
        Some(self.bound())
    }

    fn probed(&self) -> Option<(&str, &PortSet)> {
        Some((&self.address, &self.ports))
    }
}
