//! Host port scanning and "is it listening?": what the browser and the server share.
//!
//! A host scan is a TCP connect scan (tokio, no raw sockets, no root): it finds what answers on a
//! host that no container platform reports (a hypervisor's web UI, a NAS's SMB). It runs two ways:
//! as a discovery source (an instance of type `hostscan`, scanned on its interval through the same
//! normalise → reconcile path as Docker, Portainer and Komodo), and as a one-off scan started from
//! a host panel, whose findings the user adds one by one.
//!
//! UDP is not offered: without raw sockets a UDP probe cannot tell "open and silent" from "filtered",
//! so any answer would be a guess.
//!
//! The port-set syntax (`1-1024, 3000-9999, !5432`) is parsed here, once, for both sides.

pub mod api;
#[cfg(feature = "ssr")]
pub mod scanner;
#[cfg(feature = "ssr")]
pub mod service;

use crate::validation::{push_error, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const TIMEOUT_MS_MIN: i64 = 100;
pub const TIMEOUT_MS_MAX: i64 = 5_000;
pub const TIMEOUT_MS_DEFAULT: i64 = 500;
pub const CONCURRENCY_MIN: i64 = 1;
pub const CONCURRENCY_MAX: i64 = 512;
pub const CONCURRENCY_DEFAULT: i64 = 128;
/// What a new scan offers: the well-known ports.
pub const PORTS_DEFAULT: &str = "1-1024";
/// Longest port-set text accepted.
pub const PORTS_TEXT_MAX: usize = 2_000;

/// A set of TCP ports: inclusive ranges, sorted, disjoint, exclusions already taken out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

fn parse_port(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=65_535).contains(&n) => Ok(n as u16),
        Ok(_) => Err(format!("'{}' is not a port: ports are 1–65535", s.trim())),
        Err(_) => Err(format!("'{}' is not a port number", s.trim())),
    }
}

fn parse_range(item: &str) -> Result<(u16, u16), String> {
    match item.split_once('-') {
        None => parse_port(item).map(|p| (p, p)),
        Some((a, b)) => {
            let (a, b) = (parse_port(a)?, parse_port(b)?);
            if a > b {
                Err(format!("'{item}': the range starts after it ends"))
            } else {
                Ok((a, b))
            }
        }
    }
}

/// Sorts and merges overlapping or adjacent ranges.
fn merge(mut ranges: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    ranges.sort();
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a as u32 <= last.1 as u32 + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

impl PortSet {
    /// Parses `1-1024, 3000-9999, !5432` (commas or spaces between items; `!` excludes a port or a
    /// range). Every item's problem is reported, not only the first.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > PORTS_TEXT_MAX {
            return Err(format!("must be at most {PORTS_TEXT_MAX} characters"));
        }
        let mut take = Vec::new();
        let mut drop = Vec::new();
        let mut problems = Vec::new();
        for item in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (list, body) = match item.strip_prefix('!') {
                Some(rest) => (&mut drop, rest),
                None => (&mut take, item),
            };
            match parse_range(body) {
                Ok(r) => list.push(r),
                Err(e) => problems.push(e),
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        if take.is_empty() {
            return Err("name the ports to scan, e.g. 1-1024, 3000-9999, !5432".into());
        }
        let mut ranges = Vec::new();
        let drop = merge(drop);
        for (a, b) in merge(take) {
            let mut start = a as u32;
            for &(x, y) in &drop {
                let (x, y) = (x as u32, y as u32);
                if y < start || x > b as u32 {
                    continue;
                }
                if x > start {
                    ranges.push((start as u16, (x - 1) as u16));
                }
                start = y + 1;
            }
            if start <= b as u32 {
                ranges.push((start as u16, b));
            }
        }
        if ranges.is_empty() {
            return Err("the exclusions leave no port to scan".into());
        }
        Ok(Self { ranges })
    }

    /// The set of exactly these ports (none is a port 0).
    pub fn of(ports: impl IntoIterator<Item = u16>) -> Self {
        Self {
            ranges: merge(
                ports
                    .into_iter()
                    .filter(|p| *p > 0)
                    .map(|p| (p, p))
                    .collect(),
            ),
        }
    }

    /// How many ports the set holds.
    pub fn len(&self) -> usize {
        self.ranges
            .iter()
            .map(|(a, b)| (*b - *a) as usize + 1)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn contains(&self, port: u16) -> bool {
        self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&port))
    }

    /// Every port, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.ranges.iter().flat_map(|(a, b)| *a..=*b)
    }

    /// The set written back in the syntax it was parsed from (`1-1024,3000-9999`).
    pub fn text(&self) -> String {
        self.ranges
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The service usually behind a well-known TCP port: what a found port is described as until the
/// user writes a description of their own.
pub fn service_name(port: u16) -> Option<&'static str> {
    Some(match port {
        20 | 21 => "ftp",
        22 => "ssh",
        23 => "telnet",
        25 | 465 | 587 => "smtp",
        53 => "dns",
        80 | 8080 | 8000 | 8008 => "http",
        88 => "kerberos",
        110 | 995 => "pop3",
        111 => "rpcbind",
        123 => "ntp",
        135 => "msrpc",
        139 | 445 => "smb",
        143 | 993 => "imap",
        161 => "snmp",
        389 | 636 => "ldap",
        443 | 8443 => "https",
        514 => "syslog",
        548 => "afp",
        631 => "ipp",
        873 => "rsync",
        1080 => "socks",
        1433 => "mssql",
        1521 => "oracle",
        1883 | 8883 => "mqtt",
        2049 => "nfs",
        2375 | 2376 => "docker",
        3000 => "grafana",
        3306 => "mysql",
        3389 => "rdp",
        3493 => "nut",
        5000 | 5001 => "synology dsm",
        5432 => "postgresql",
        5900..=5903 => "vnc",
        5984 => "couchdb",
        6379 => "redis",
        6443 => "kubernetes api",
        8006 => "proxmox ve",
        8086 => "influxdb",
        8123 => "home assistant",
        8096 => "jellyfin",
        9000 => "portainer",
        9090 => "prometheus",
        9100 => "node exporter",
        9200 => "elasticsearch",
        9443 => "portainer https",
        11211 => "memcached",
        25565 => "minecraft",
        27017 => "mongodb",
        32400 => "plex",
        51820 => "wireguard",
        _ => return None,
    })
}

/// A found port's description: the service name, else "port N".
pub fn describe(port: u16) -> String {
    service_name(port).map_or_else(|| format!("port {port}"), str::to_string)
}

/// A one-off scan's parameters, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRequest {
    pub ports: PortSet,
    pub timeout_ms: u64,
    pub concurrency: usize,
}

fn number(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    (min, max, default): (i64, i64, i64),
    errors: &mut FieldErrors,
) -> i64 {
    let v = match obj.get(key) {
        None | Some(Value::Null) => return default,
        Some(Value::String(s)) if s.trim().is_empty() => return default,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match v {
        Some(n) if (min..=max).contains(&n) => n,
        _ => {
            push_error(
                errors,
                key,
                format!("must be a whole number from {min} to {max}"),
            );
            default
        }
    }
}

/// The timeout and concurrency fields' bounds and defaults.
pub const TIMEOUT_BOUNDS: (i64, i64, i64) = (TIMEOUT_MS_MIN, TIMEOUT_MS_MAX, TIMEOUT_MS_DEFAULT);
pub const CONCURRENCY_BOUNDS: (i64, i64, i64) =
    (CONCURRENCY_MIN, CONCURRENCY_MAX, CONCURRENCY_DEFAULT);

/// Parses `{"ports", "timeout_ms"?, "concurrency"?}`: 422 material, field → messages.
pub fn parse_scan_request(input: &Value) -> Result<ScanRequest, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = input.as_object() else {
        push_error(&mut errors, "_body", "must be a JSON object");
        return Err(errors);
    };
    let ports = match obj.get("ports") {
        None | Some(Value::Null) => PortSet::parse(PORTS_DEFAULT),
        Some(Value::String(s)) => PortSet::parse(s),
        Some(_) => Err("must be text such as 1-1024, 3000-9999, !5432".into()),
    };
    let ports = ports.unwrap_or_else(|e| {
        push_error(&mut errors, "ports", e);
        PortSet::default()
    });
    let timeout_ms = number(obj, "timeout_ms", TIMEOUT_BOUNDS, &mut errors);
    let concurrency = number(obj, "concurrency", CONCURRENCY_BOUNDS, &mut errors);
    if errors.is_empty() {
        Ok(ScanRequest {
            ports,
            timeout_ms: timeout_ms as u64,
            concurrency: concurrency as usize,
        })
    } else {
        Err(errors)
    }
}

/// Where a one-off scan is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ScanState {
    Running,
    Done,
    Cancelled,
    /// The address could not be resolved, or the scan could not run (`error` says why).
    Failed,
}

/// A port a one-off scan found open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FoundPort {
    pub port_number: u16,
    /// The host already has a TCP entry on this port.
    pub known: bool,
    /// The usual service on this port, or "port N".
    pub service: String,
}

/// A one-off scan as `GET /api/scans/{id}` and the live `host_scan` event report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScanStatus {
    pub scan_id: u64,
    /// The address as entered.
    pub address: String,
    /// What it resolved to (once, at the start).
    pub resolved: Option<String>,
    pub state: ScanState,
    pub checked: usize,
    pub total: usize,
    pub found: Vec<FoundPort>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// What a reachability check found for an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CheckState {
    /// A TCP connection was accepted.
    Listening,
    /// Refused, or no answer within the timeout.
    NotAnswering,
    /// UDP: a connect check cannot tell.
    Unknown,
}

impl CheckState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Listening => "listening",
            Self::NotAnswering => "not_answering",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Listening, Self::NotAnswering, Self::Unknown]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Listening => "listening",
            Self::NotAnswering => "not answering",
            Self::Unknown => "unknown (UDP cannot be checked)",
        }
    }
}

/// An entry's last reachability answer and when it was given (UTC, `YYYY-MM-DD HH:MM:SS.sss`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortCheck {
    pub state: CheckState,
    pub at: String,
}

/// One entry's answer in `POST /api/hosts/{address}/check`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntryCheck {
    pub id: i64,
    pub port_number: i64,
    pub protocol: crate::ports::Protocol,
    pub state: CheckState,
}

/// What checking a host's entries found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HostCheck {
    pub address: String,
    pub checked_at: String,
    pub entries: Vec<EntryCheck>,
    pub listening: usize,
    pub not_answering: usize,
    pub unknown: usize,
}

/// The setting that holds how often every entry is checked in the background (minutes; 0 = never).
pub const CHECK_INTERVAL_KEY: &str = "reachability_interval";

/// The background check intervals offered (minutes, label).
pub const CHECK_INTERVALS: [(u32, &str); 6] = [
    (0, "Never (only when asked)"),
    (5, "Every 5 minutes"),
    (15, "Every 15 minutes"),
    (60, "Every hour"),
    (360, "Every 6 hours"),
    (1440, "Every day"),
];

/// How often every entry's reachability is checked in the background.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckSchedule {
    /// Minutes between checks; 0: never.
    pub interval_minutes: u32,
}

/// Parses `{"interval_minutes": N}`: one of [`CHECK_INTERVALS`].
pub fn parse_check_schedule(input: &Value) -> Result<CheckSchedule, FieldErrors> {
    let mut errors = FieldErrors::new();
    let minutes = input.get("interval_minutes").and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    match minutes
        .and_then(|m| u32::try_from(m).ok())
        .filter(|m| CHECK_INTERVALS.iter().any(|(i, _)| i == m))
    {
        Some(interval_minutes) => Ok(CheckSchedule { interval_minutes }),
        None => {
            let allowed: Vec<String> = CHECK_INTERVALS.iter().map(|(m, _)| m.to_string()).collect();
            push_error(
                &mut errors,
                "interval_minutes",
                format!(
                    "must be one of {} (minutes; 0 is never)",
                    allowed.join(", ")
                ),
            );
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_sets_parse_ranges_and_exclusions() {
        let s = PortSet::parse("1-1024, 3000-9999, !5432").unwrap();
        assert_eq!(s.len(), 1024 + 7000 - 1);
        assert!(s.contains(22) && s.contains(5431) && !s.contains(5432) && !s.contains(2000));
        assert_eq!(s.text(), "1-1024,3000-5431,5433-9999");

        let s = PortSet::parse("80 443 8000-8010 !8005-8006 8080,8081").unwrap();
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![80, 443, 8000, 8001, 8002, 8003, 8004, 8007, 8008, 8009, 8010, 8080, 8081]
        );
        // Overlaps and adjacency merge; the whole range.
        assert_eq!(PortSet::parse("1-10,5-20,21").unwrap().text(), "1-21");
        assert_eq!(PortSet::parse("1-65535").unwrap().len(), 65_535);
        assert_eq!(
            PortSet::parse("!1-100, 1-65535").unwrap().text(),
            "101-65535"
        );
    }

    #[test]
    fn port_sets_refuse_what_is_not_a_port() {
        for (bad, says) in [
            ("", "name the ports"),
            ("!22", "name the ports"),
            ("0", "ports are 1–65535"),
            ("70000", "ports are 1–65535"),
            ("10-5", "starts after it ends"),
            ("http", "not a port number"),
            ("22, 1-2-3", "not a port number"),
            ("22-22, !22", "leave no port"),
        ] {
            let e = PortSet::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e = PortSet::parse("0, x").unwrap_err();
        assert!(e.contains("'0'") && e.contains("'x'"), "every problem: {e}");
    }

    #[test]
    fn scan_requests_take_defaults_and_name_fields() {
        let r = parse_scan_request(&serde_json::json!({})).unwrap();
        assert_eq!(
            (r.ports.len(), r.timeout_ms, r.concurrency),
            (1024, 500, 128)
        );
        let e = parse_scan_request(
            &serde_json::json!({"ports": "1-99999", "timeout_ms": 50, "concurrency": 1000}),
        )
        .unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            vec!["concurrency", "ports", "timeout_ms"]
        );
    }

    #[test]
    fn check_schedules_are_one_of_the_offered_intervals() {
        let ok = |v| parse_check_schedule(&v).map(|s| s.interval_minutes);
        assert_eq!(ok(serde_json::json!({"interval_minutes": 15})), Ok(15));
        assert_eq!(ok(serde_json::json!({"interval_minutes": "0"})), Ok(0));
        for bad in [
            serde_json::json!({"interval_minutes": 7}),
            serde_json::json!({}),
            serde_json::json!({"interval_minutes": -5}),
        ] {
            let e = parse_check_schedule(&bad).unwrap_err();
            assert!(e["interval_minutes"][0].contains("one of 0, 5, 15, 60, 360, 1440"));
        }
    }

    #[test]
    fn found_ports_are_described() {
        assert_eq!(describe(22), "ssh");
        assert_eq!(describe(8006), "proxmox ve");
        assert_eq!(describe(40000), "port 40000");
    }
}
