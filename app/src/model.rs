//! Data types exchanged between the server and the browser.

use crate::ports::Protocol;
use serde::{Deserialize, Serialize};

/// One row of the Ports page, with the legacy Portall field names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortEntry {
    pub id: i64,
    pub ip_address: String,
    pub nickname: Option<String>,
    pub port_number: i64,
    pub port_protocol: Protocol,
    pub description: String,
    pub order: i64,
    /// `manual`, `docker`, `portainer`, `komodo`, `scan` or `import`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub source: crate::ports::PortSource,
    pub is_immutable: bool,
    /// The instances that reported this entry (empty for manual ones).
    #[serde(default)]
    pub discovered_by: Vec<Discovery>,
    /// Its tags, by name (Portall's own data: they stay through rescans, stale and back).
    #[serde(default)]
    pub tags: Vec<crate::tags::TagRef>,
    /// The last "is it listening?" answer (a check or a host scan), when there was one.
    #[serde(default)]
    pub check: Option<crate::hostscan::PortCheck>,
}

impl PortEntry {
    /// Discovered, but no instance reports it any more.
    pub fn is_stale(&self) -> bool {
        !self.discovered_by.is_empty() && self.discovered_by.iter().all(|d| !d.seen)
    }

    /// Discovered and still reported: its integration owns it, so it cannot be deleted or moved.
    pub fn is_reported(&self) -> bool {
        self.is_immutable && self.discovered_by.iter().any(|d| d.seen)
    }

    /// The integrations that report it now.
    pub fn reported_by(&self) -> Vec<String> {
        self.discovered_by
            .iter()
            .filter(|d| d.seen)
            .map(|d| d.name.clone())
            .collect()
    }

    /// Every instance that reports it sees it on loopback only.
    pub fn is_local_only(&self) -> bool {
        let seen: Vec<&Discovery> = self.discovered_by.iter().filter(|d| d.seen).collect();
        !seen.is_empty() && seen.iter().all(|d| d.local_only)
    }

    /// When it was last reported (the newest of its discoveries).
    pub fn last_seen(&self) -> Option<&str> {
        self.discovered_by
            .iter()
            .map(|d| d.last_seen_at.as_str())
            .max()
    }
}

/// One instance's report of a Ports-page entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Discovery {
    pub instance_id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub instance_type: String,
    /// Reported by the instance's latest successful scan.
    pub seen: bool,
    pub last_seen_at: String,
    /// Published on the host's loopback only: not reachable from other machines.
    #[serde(default)]
    pub local_only: bool,
    #[serde(default)]
    pub container_name: Option<String>,
    #[serde(default)]
    pub container_port: Option<i64>,
}

/// What the System card on the Settings page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemHealth {
    /// `ok`, or the reason the database is unusable.
    pub database: String,
    /// The newest applied schema migration.
    pub schema_version: i64,
    pub port_count: i64,
    pub instance_count: i64,
    /// Portall's own version.
    pub version: String,
    /// RFC 3339 time of this check (UTC, milliseconds).
    pub checked_at: String,
}

/// The answer to "is port N free?" over the hosts the Ports page knows, or `None` when `query` is not
/// a port number. Stale entries (no longer reported) don't count as in use.
pub fn port_availability(groups: &[(String, Vec<PortEntry>)], query: &str) -> Option<String> {
    let port: i64 = query
        .trim()
        .parse()
        .ok()
        .filter(|p| (1..=65535).contains(p))?;
    let users: Vec<String> = groups
        .iter()
        .filter_map(|(host, list)| {
            let mut protocols: Vec<&str> = list
                .iter()
                .filter(|p| p.port_number == port && !p.is_stale())
                .map(|p| p.port_protocol.as_str())
                .collect();
            protocols.dedup();
            (!protocols.is_empty()).then(|| {
                let name = list
                    .iter()
                    .find_map(|p| p.nickname.as_deref())
                    .filter(|n| !n.is_empty());
                match name {
                    Some(n) => format!("{host} ({n}, {})", protocols.join("+")),
                    None => format!("{host} ({})", protocols.join("+")),
                }
            })
        })
        .collect();
    let hosts = groups.len();
    let plural = |n: usize| if n == 1 { "host" } else { "hosts" };
    Some(match users.len() {
        0 => format!("Port {port} is free on all {hosts} {}.", plural(hosts)),
        1 if hosts == 1 => format!("Port {port} is in use on {}.", users[0]),
        n if n == hosts => format!("Port {port} is in use on every host: {}.", users.join(", ")),
        n => format!(
            "Port {port} is in use on {}; free on the other {} {}.",
            users.join(", "),
            hosts - n,
            plural(hosts - n)
        ),
    })
}

/// A manual entry for unit tests.
#[cfg(test)]
pub(crate) fn manual_entry(
    id: i64,
    ip: &str,
    port: i64,
    protocol: Protocol,
    description: &str,
) -> PortEntry {
    PortEntry {
        id,
        ip_address: ip.into(),
        nickname: None,
        port_number: port,
        port_protocol: protocol,
        description: description.into(),
        order: 0,
        source: crate::ports::PortSource::Manual,
        is_immutable: false,
        discovered_by: vec![],
        tags: vec![],
        check: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, ip: &str, port: i64, proto: &str) -> PortEntry {
        manual_entry(
            id,
            ip,
            port,
            Protocol::parse(proto).unwrap(),
            &format!("svc {id}"),
        )
    }

    /// Ports grouped by host address, hosts and ports sorted (the input `port_availability` takes).
    fn group_by_host(mut ports: Vec<PortEntry>) -> Vec<(String, Vec<PortEntry>)> {
        ports.sort_by(|a, b| {
            a.ip_address
                .cmp(&b.ip_address)
                .then(a.port_number.cmp(&b.port_number))
                .then(a.port_protocol.cmp(&b.port_protocol))
        });
        let mut groups: Vec<(String, Vec<PortEntry>)> = Vec::new();
        for port in ports {
            match groups.last_mut() {
                Some((host, list)) if *host == port.ip_address => list.push(port),
                _ => groups.push((port.ip_address.clone(), vec![port])),
            }
        }
        groups
    }

    #[test]
    fn groups_hosts_and_sorts_ports() {
        let groups = group_by_host(vec![
            entry(1, "10.0.0.2", 8080, "TCP"),
            entry(2, "10.0.0.1", 443, "TCP"),
            entry(3, "10.0.0.2", 22, "TCP"),
            entry(4, "10.0.0.2", 22, "UDP"),
        ]);
        let shape: Vec<(String, Vec<i64>)> = groups
            .into_iter()
            .map(|(h, l)| (h, l.into_iter().map(|p| p.id).collect()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("10.0.0.1".to_string(), vec![2]),
                ("10.0.0.2".to_string(), vec![3, 4, 1]),
            ]
        );
    }

    #[test]
    fn port_availability_answers_for_a_port_number() {
        let mut nas = entry(1, "10.0.0.2", 8080, "TCP");
        nas.nickname = Some("nas".into());
        let mut stale = entry(3, "10.0.0.3", 8080, "TCP");
        stale.discovered_by = vec![Discovery {
            instance_id: 1,
            name: "Docker".into(),
            instance_type: "docker".into(),
            seen: false,
            last_seen_at: "2026-11-01T00:00:00Z".into(),
            local_only: false,
            container_name: None,
            container_port: None,
        }];
        let groups = group_by_host(vec![
            nas,
            entry(2, "10.0.0.1", 443, "TCP"),
            stale,
            entry(4, "10.0.0.2", 8080, "UDP"),
        ]);
        assert_eq!(port_availability(&groups, "web"), None);
        assert_eq!(port_availability(&groups, "70000"), None);
        assert_eq!(
            port_availability(&groups, "22").unwrap(),
            "Port 22 is free on all 3 hosts."
        );
        assert_eq!(
            port_availability(&groups, " 8080 ").unwrap(),
            "Port 8080 is in use on 10.0.0.2 (nas, TCP+UDP); free on the other 2 hosts."
        );
        let one = group_by_host(vec![entry(5, "10.0.0.9", 53, "UDP")]);
        assert_eq!(
            port_availability(&one, "53").unwrap(),
            "Port 53 is in use on 10.0.0.9 (UDP)."
        );
        let two = group_by_host(vec![
            entry(5, "10.0.0.9", 53, "UDP"),
            entry(6, "10.0.0.8", 53, "TCP"),
        ]);
        assert_eq!(
            port_availability(&two, "53").unwrap(),
            "Port 53 is in use on every host: 10.0.0.8 (TCP), 10.0.0.9 (UDP)."
        );
    }
}
