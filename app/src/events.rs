//! Live events: what changed on the server, pushed to every open page over one Server-Sent-Events
//! stream (`GET /api/events`). The pages refetch only the data an event names, so the Settings page no
//! longer polls and a container started on a Docker host shows up on an open Ports page within seconds.
//!
//! The type is shared: the server serialises it, the browser parses the same enum. The SSE event name
//! is [`LiveEvent::name`], the data is the event as JSON.

use serde::{Deserialize, Serialize};

/// What started a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanTrigger {
    /// The instance's interval came round (or its first scan after start-up).
    Interval,
    /// "Scan now" in the UI or the API.
    Manual,
    /// The Docker engine reported a container or network change.
    Event,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "LiveEventFields")]
pub enum LiveEvent {
    /// An instance was created, edited or deleted.
    InstancesChanged { instance_id: i64 },
    /// A scan of the instance began.
    ScanStarted {
        instance_id: i64,
        trigger: ScanTrigger,
    },
    /// A scan ended; `message` is the one-line summary the instance block shows.
    ScanFinished {
        instance_id: i64,
        ok: bool,
        message: String,
    },
    /// Entries of these hosts were added, changed, turned stale or removed.
    PortsChanged { hosts: Vec<String> },
    /// A one-off host scan progressed or ended.
    HostScan { status: crate::hostscan::ScanStatus },
    /// The receiver fell behind and missed events: refetch everything.
    Resync,
}

/// [`LiveEvent`] as the browser reads it: one flat object, `type` and the fields of every kind.
///
/// Why not serde's own reading of a tagged enum: it buffers the whole object in a generic value
/// first and reads each variant from that, code that was about a tenth of what every page's wasm
/// spent on reading JSON. The wire format is the same both ways (serialising stays derived).
#[derive(Deserialize)]
struct LiveEventFields {
    #[serde(rename = "type")]
    kind: String,
    instance_id: Option<i64>,
    trigger: Option<ScanTrigger>,
    ok: Option<bool>,
    message: Option<String>,
    hosts: Option<Vec<String>>,
    status: Option<crate::hostscan::ScanStatus>,
}

impl TryFrom<LiveEventFields> for LiveEvent {
    type Error = String;

    fn try_from(f: LiveEventFields) -> Result<Self, String> {
        fn need<T>(value: Option<T>, kind: &str, field: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("a `{kind}` event needs `{field}`"))
        }
        let kind = f.kind.as_str();
        Ok(match kind {
            "instances_changed" => LiveEvent::InstancesChanged {
                instance_id: need(f.instance_id, kind, "instance_id")?,
            },
            "scan_started" => LiveEvent::ScanStarted {
                instance_id: need(f.instance_id, kind, "instance_id")?,
                trigger: need(f.trigger, kind, "trigger")?,
            },
            "scan_finished" => LiveEvent::ScanFinished {
                instance_id: need(f.instance_id, kind, "instance_id")?,
                ok: need(f.ok, kind, "ok")?,
                message: need(f.message, kind, "message")?,
            },
            "ports_changed" => LiveEvent::PortsChanged {
                hosts: need(f.hosts, kind, "hosts")?,
            },
            "host_scan" => LiveEvent::HostScan {
                status: need(f.status, kind, "status")?,
            },
            "resync" => LiveEvent::Resync,
            other => return Err(format!("unknown live event type `{other}`")),
        })
    }
}

impl LiveEvent {
    /// Every name [`LiveEvent::name`] gives (what a page listens for).
    pub const NAMES: [&'static str; 6] = [
        "instances_changed",
        "scan_started",
        "scan_finished",
        "ports_changed",
        "host_scan",
        "resync",
    ];

    /// The SSE event name (`event:` line), so a page can listen to just what it shows.
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::InstancesChanged { .. } => "instances_changed",
            LiveEvent::ScanStarted { .. } => "scan_started",
            LiveEvent::ScanFinished { .. } => "scan_finished",
            LiveEvent::PortsChanged { .. } => "ports_changed",
            LiveEvent::HostScan { .. } => "host_scan",
            LiveEvent::Resync => "resync",
        }
    }

    /// Whether the Settings page's integration list should be fetched again.
    pub fn touches_instances(&self) -> bool {
        !matches!(
            self,
            LiveEvent::PortsChanged { .. } | LiveEvent::HostScan { .. }
        )
    }

    /// Whether the Ports page's entries should be fetched again.
    pub fn touches_ports(&self) -> bool {
        matches!(
            self,
            LiveEvent::PortsChanged { .. } | LiveEvent::InstancesChanged { .. } | LiveEvent::Resync
        )
    }
}

#[cfg(feature = "ssr")]
pub use bus::EventBus;

#[cfg(feature = "ssr")]
mod bus {
    use super::LiveEvent;
    use tokio::sync::broadcast;

    /// One bus for the whole process: services publish, every SSE stream subscribes. Publishing never
    /// blocks or fails; a subscriber that falls behind by more than the capacity gets `Resync`.
    #[derive(Clone)]
    pub struct EventBus {
        tx: broadcast::Sender<LiveEvent>,
    }

    const CAPACITY: usize = 256;

    impl Default for EventBus {
        fn default() -> Self {
            Self::new()
        }
    }

    impl EventBus {
        pub fn new() -> Self {
            let (tx, _) = broadcast::channel(CAPACITY);
            Self { tx }
        }

        pub fn publish(&self, event: LiveEvent) {
            tracing::debug!(event = event.name(), "live event");
            // No subscriber is not an error: nobody has a page open.
            let _ = self.tx.send(event);
        }

        pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
            self.tx.subscribe()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_their_name_as_type() {
        let events = [
            LiveEvent::InstancesChanged { instance_id: 1 },
            LiveEvent::ScanStarted {
                instance_id: 2,
                trigger: ScanTrigger::Event,
            },
            LiveEvent::ScanFinished {
                instance_id: 2,
                ok: true,
                message: "1 container".into(),
            },
            LiveEvent::PortsChanged {
                hosts: vec!["10.0.0.5".into()],
            },
            LiveEvent::Resync,
        ];
        for e in events {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["type"], e.name(), "{json}");
            assert!(LiveEvent::NAMES.contains(&e.name()), "listened for");
            let back: LiveEvent = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
    }

    /// Read as the browser reads them (from the bytes of an SSE message), with clear refusals.
    #[test]
    fn events_read_from_bytes_and_refuse_what_is_incomplete() {
        let scan = LiveEvent::HostScan {
            status: crate::hostscan::ScanStatus {
                scan_id: 7,
                address: "127.0.0.1".into(),
                resolved: Some("127.0.0.1".into()),
                state: crate::hostscan::ScanState::Running,
                checked: 10,
                total: 100,
                found: vec![],
                error: None,
                duration_ms: 12,
            },
        };
        let bytes = serde_json::to_vec(&scan).unwrap();
        assert_eq!(serde_json::from_slice::<LiveEvent>(&bytes).unwrap(), scan);
        let resync: LiveEvent = serde_json::from_slice(br#"{"type":"resync"}"#).unwrap();
        assert_eq!(resync, LiveEvent::Resync);
        let err =
            serde_json::from_slice::<LiveEvent>(br#"{"type":"scan_started","instance_id":1}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("needs `trigger`"), "{err}");
        let err = serde_json::from_slice::<LiveEvent>(br#"{"type":"party"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown live event type `party`"), "{err}");
    }

    #[test]
    fn pages_refetch_only_what_an_event_touches() {
        let ports = LiveEvent::PortsChanged { hosts: vec![] };
        assert!(ports.touches_ports() && !ports.touches_instances());
        let started = LiveEvent::ScanStarted {
            instance_id: 1,
            trigger: ScanTrigger::Manual,
        };
        assert!(started.touches_instances() && !started.touches_ports());
        assert!(LiveEvent::Resync.touches_ports() && LiveEvent::Resync.touches_instances());
    }
}
