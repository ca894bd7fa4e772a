//! Turns containers' raw port items into bindings: one per (host, port, protocol), published ports only.

use super::model::{Binding, Container, Source, SourceOutcome};
use crate::ports::Protocol;
use std::collections::BTreeMap;

fn is_unspecified(ip: &str) -> bool {
    matches!(ip, "" | "0.0.0.0" | "::" | "[::]")
}

fn is_loopback(ip: &str) -> bool {
    ip.trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_ok_and(|a| a.is_loopback())
}

/// The bindings of one container published on `host` (the source's address).
pub fn container_bindings(container: &Container, host: &str) -> Vec<Binding> {
    // Keyed by (address, port, protocol): `0.0.0.0` and `::` of one port collapse into one binding.
    let mut out: BTreeMap<(String, u16, Protocol), Binding> = BTreeMap::new();
    for p in &container.ports {
        let Some(public) = p.public_port.filter(|p| *p > 0) else {
            continue; // exposed, not published
        };
        let protocol = match p.protocol.as_deref().unwrap_or("tcp") {
            "" => Protocol::Tcp,
            other => match Protocol::parse(other) {
                Some(p) => p,
                None => continue, // sctp: the Ports page knows TCP and UDP only
            },
        };
        let ip = p.ip.as_deref().unwrap_or_default();
        let (address, local_only) = if is_unspecified(ip) {
            (host.to_string(), false)
        } else if is_loopback(ip) {
            (host.to_string(), true)
        } else {
            (ip.trim_matches(['[', ']']).to_string(), false)
        };
        let key = (address.clone(), public, protocol);
        let binding = Binding {
            host: address,
            host_port: public,
            protocol,
            container_id: container.id.clone(),
            container_name: container.name.clone(),
            container_port: p.private_port,
            local_only,
        };
        // A port published both on loopback and on every interface is reachable: not local-only.
        out.entry(key)
            .and_modify(|b| b.local_only &= binding.local_only)
            .or_insert(binding);
    }
    out.into_values().collect()
}

/// Every binding of a listed source, sorted; other outcomes have none.
pub fn source_bindings(source: &Source) -> Vec<Binding> {
    let SourceOutcome::Listed(containers) = &source.outcome else {
        return Vec::new();
    };
    let mut all: Vec<Binding> = containers
        .iter()
        .flat_map(|c| container_bindings(c, &source.host))
        .collect();
    all.sort();
    all.dedup_by(|a, b| (&a.host, a.host_port, &a.protocol) == (&b.host, b.host_port, &b.protocol));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::model::RawPort;

    fn port(ip: Option<&str>, private: u16, public: Option<u16>, proto: &str) -> RawPort {
        RawPort {
            ip: ip.map(str::to_string),
            private_port: private,
            public_port: public,
            protocol: Some(proto.into()),
        }
    }

    fn container(ports: Vec<RawPort>) -> Container {
        Container {
            id: "c1".into(),
            name: "web".into(),
            image: "busybox".into(),
            state: "running".into(),
            ports,
        }
    }

    #[test]
    fn all_interfaces_v4_and_v6_are_one_binding() {
        let c = container(vec![
            port(Some("::"), 80, Some(8080), "tcp"),
            port(Some("0.0.0.0"), 80, Some(8080), "tcp"),
            port(Some("0.0.0.0"), 53, Some(5353), "udp"),
            port(Some("::"), 53, Some(5353), "udp"),
        ]);
        let b = container_bindings(&c, "10.0.0.2");
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].host.as_str(), b[0].host_port, b[0].protocol.as_str()),
            ("10.0.0.2", 5353, "UDP")
        );
        assert_eq!(
            (b[1].host_port, b[1].protocol.as_str(), b[1].container_port),
            (8080, "TCP", 80)
        );
        assert!(b.iter().all(|b| !b.local_only));
    }

    #[test]
    fn loopback_specific_and_unpublished() {
        let c = container(vec![
            port(Some("127.0.0.1"), 5432, Some(15432), "tcp"),
            port(Some("192.168.1.7"), 443, Some(8443), "tcp"),
            port(None, 9000, None, "tcp"),
            port(Some("::1"), 6379, Some(16379), "tcp"),
            port(Some("0.0.0.0"), 132, Some(132), "sctp"),
        ]);
        let b = container_bindings(&c, "nas.lan");
        let view: Vec<(&str, u16, bool)> = b
            .iter()
            .map(|b| (b.host.as_str(), b.host_port, b.local_only))
            .collect();
        assert_eq!(
            view,
            vec![
                ("192.168.1.7", 8443, false),
                ("nas.lan", 15432, true),
                ("nas.lan", 16379, true)
            ]
        );
    }

    #[test]
    fn loopback_plus_all_interfaces_is_reachable() {
        let c = container(vec![
            port(Some("127.0.0.1"), 80, Some(8080), "tcp"),
            port(Some("0.0.0.0"), 80, Some(8080), "tcp"),
        ]);
        let b = container_bindings(&c, "h");
        assert_eq!(b.len(), 1);
        assert!(!b[0].local_only);
    }
}
