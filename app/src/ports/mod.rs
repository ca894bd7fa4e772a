//! Validation of Ports-page entries (manual ones in full; discovered ones: description only).

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::model::PortEntry;
use crate::validation::{push_error, validate_host, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A port's protocol. Stored and sent as `TCP` / `UDP` (the legacy column's values); read from any
/// case. Docker's `sctp` has no place on the Ports page.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Protocol {
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    /// Lower case, as Docker writes it (`80/tcp`).
    pub fn lower(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an entry came from. Stored and sent as its lower-case name (the legacy `source` column);
/// a value this version does not know (a database written by something else) is kept as it is,
/// shown and exported unchanged, rather than refused or rewritten.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum PortSource {
    /// Entered by the user (also what an empty legacy column means).
    #[default]
    Manual,
    Docker,
    Portainer,
    Komodo,
    /// Found by a host port scan.
    Scan,
    /// Brought in by an import.
    Import,
    Other(String),
}

impl PortSource {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "manual" => PortSource::Manual,
            "docker" => PortSource::Docker,
            "portainer" => PortSource::Portainer,
            "komodo" => PortSource::Komodo,
            "scan" => PortSource::Scan,
            "import" => PortSource::Import,
            _ => PortSource::Other(s.trim().to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            PortSource::Manual => "manual",
            PortSource::Docker => "docker",
            PortSource::Portainer => "portainer",
            PortSource::Komodo => "komodo",
            PortSource::Scan => "scan",
            PortSource::Import => "import",
            PortSource::Other(s) => s,
        }
    }
}

impl std::fmt::Display for PortSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PortSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PortSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PortSource::parse(&String::deserialize(d)?))
    }
}

pub const DESCRIPTION_MAX: usize = 100;
pub const NICKNAME_MAX: usize = 50;

/// A validated entry, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub ip_address: String,
    pub nickname: Option<String>,
    pub port_number: i64,
    pub port_protocol: Protocol,
    pub description: String,
}

/// A trimmed text field of a JSON object (`null` is empty; a number is accepted for `port_number`);
/// `None` when absent, an error when of another type.
pub(crate) fn text_field(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match obj.get(key) {
        None => None,
        Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) if key == "port_number" => Some(n.to_string()),
        Some(_) => {
            push_error(errors, key, "must be text");
            None
        }
    }
}

/// Validates a new entry (`existing` = None) or an edit. Omitted fields keep their stored value.
/// A discovered (immutable) entry accepts a new description and nickname only.
pub fn validate_port(input: &Value, existing: Option<&PortEntry>) -> Result<PortSpec, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = input.as_object() else {
        push_error(&mut errors, "_body", "must be a JSON object");
        return Err(errors);
    };
    let ip_address = text_field(obj, "ip_address", &mut errors)
        .or_else(|| existing.map(|e| e.ip_address.clone()))
        .unwrap_or_default();
    let nickname = text_field(obj, "nickname", &mut errors)
        .map(|n| (!n.is_empty()).then_some(n))
        .unwrap_or_else(|| existing.and_then(|e| e.nickname.clone()));
    let port_raw = text_field(obj, "port_number", &mut errors);
    let port_number = match (&port_raw, existing) {
        (None, Some(e)) => e.port_number,
        (None, None) => {
            push_error(&mut errors, "port_number", "is required");
            0
        }
        (Some(raw), _) => match raw.parse::<i64>() {
            Ok(n) if (1..=65535).contains(&n) => n,
            _ => {
                push_error(
                    &mut errors,
                    "port_number",
                    "must be a whole number from 1 to 65535",
                );
                0
            }
        },
    };
    let port_protocol = match text_field(obj, "port_protocol", &mut errors) {
        None => existing.map(|e| e.port_protocol).unwrap_or_default(),
        Some(p) => Protocol::parse(&p).unwrap_or_else(|| {
            push_error(&mut errors, "port_protocol", "must be TCP or UDP");
            Protocol::Tcp
        }),
    };
    let description = text_field(obj, "description", &mut errors)
        .or_else(|| existing.map(|e| e.description.clone()))
        .unwrap_or_default();

    if ip_address.is_empty() {
        push_error(&mut errors, "ip_address", "is required");
    } else if let Err(m) = validate_host(&ip_address) {
        push_error(&mut errors, "ip_address", m);
    }
    if description.is_empty() {
        push_error(&mut errors, "description", "is required");
    } else if description.chars().count() > DESCRIPTION_MAX {
        push_error(
            &mut errors,
            "description",
            format!("must be at most {DESCRIPTION_MAX} characters"),
        );
    }
    if nickname
        .as_ref()
        .is_some_and(|n| n.chars().count() > NICKNAME_MAX)
    {
        push_error(
            &mut errors,
            "nickname",
            format!("must be at most {NICKNAME_MAX} characters"),
        );
    }
    if let Some(e) = existing.filter(|e| e.is_immutable) {
        let managed = format!(
            "is managed by the {} integration and cannot be changed",
            e.source
        );
        if ip_address != e.ip_address {
            push_error(&mut errors, "ip_address", managed.clone());
        }
        if port_number != e.port_number {
            push_error(&mut errors, "port_number", managed.clone());
        }
        if port_protocol != e.port_protocol {
            push_error(&mut errors, "port_protocol", managed);
        }
    }
    if errors.is_empty() {
        Ok(PortSpec {
            ip_address,
            nickname,
            port_number,
            port_protocol,
            description,
        })
    } else {
        Err(errors)
    }
}

/// Where a manual entry moves: another host, optionally another number, optionally a new number for
/// the entry already there (the conflict dialog's choices), and a place in the target panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveSpec {
    pub ip_address: String,
    pub port_number: Option<i64>,
    pub existing_port_number: Option<i64>,
    /// Index in the target panel (the end when omitted or past it).
    pub position: Option<usize>,
}

fn port_field(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<i64> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => {
            let n = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            match n {
                Some(n) if (1..=65535).contains(&n) => Some(n),
                _ => {
                    push_error(errors, key, "must be a whole number from 1 to 65535");
                    None
                }
            }
        }
    }
}

/// `{"ip_address", "port_number"?, "existing_port_number"?, "position"?}`.
pub fn parse_move(input: &Value) -> Result<MoveSpec, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = input.as_object() else {
        push_error(&mut errors, "_body", "must be a JSON object");
        return Err(errors);
    };
    let ip_address = text_field(obj, "ip_address", &mut errors).unwrap_or_default();
    if ip_address.is_empty() {
        push_error(&mut errors, "ip_address", "is required");
    } else if let Err(m) = validate_host(&ip_address) {
        push_error(&mut errors, "ip_address", m);
    }
    let port_number = port_field(obj, "port_number", &mut errors);
    let existing_port_number = port_field(obj, "existing_port_number", &mut errors);
    let position = match obj.get("position") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(p) => Some(p as usize),
            None => {
                push_error(&mut errors, "position", "must be 0 or more");
                None
            }
        },
    };
    if errors.is_empty() {
        Ok(MoveSpec {
            ip_address,
            port_number,
            existing_port_number,
            position,
        })
    } else {
        Err(errors)
    }
}

/// The URL a generated or moved port is reached at (`http://host:port`, IPv6 in brackets).
pub fn url(host: &str, port: i64) -> String {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.contains(':') {
        format!("http://[{host}]:{port}")
    } else {
        format!("http://{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_parse_from_the_stored_column_and_keep_what_they_do_not_know() {
        assert_eq!(PortSource::parse(""), PortSource::Manual);
        assert_eq!(PortSource::parse(" Docker "), PortSource::Docker);
        assert_eq!(PortSource::parse("scan"), PortSource::Scan);
        let other = PortSource::parse("caddy");
        assert_eq!(other, PortSource::Other("caddy".into()));
        assert_eq!(other.as_str(), "caddy");
        for s in [
            "manual",
            "docker",
            "portainer",
            "komodo",
            "scan",
            "import",
            "caddy",
        ] {
            let parsed: PortSource = serde_json::from_value(json!(s)).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), json!(s));
        }
    }

    #[test]
    fn manual_entries() {
        let spec = validate_port(
            &json!({"ip_address": " 192.168.1.5 ", "port_number": "8080", "port_protocol": "udp", "description": "Web"}),
            None,
        )
        .unwrap();
        assert_eq!(
            (spec.port_number, spec.port_protocol.as_str()),
            (8080, "UDP")
        );
        assert_eq!(spec.ip_address, "192.168.1.5");
        let e = validate_port(
            &json!({"ip_address": "", "port_number": 70000, "port_protocol": "SCTP"}),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            vec!["description", "ip_address", "port_number", "port_protocol"]
        );
        let e = validate_port(
            &json!({"ip_address": "h", "port_number": 0, "description": "x"}),
            None,
        )
        .unwrap_err();
        assert!(e.contains_key("port_number"));
        let e = validate_port(
            &json!({"ip_address": "h", "port_number": 1, "description": "d".repeat(101)}),
            None,
        )
        .unwrap_err();
        assert!(e["description"][0].contains("at most 100"));
    }

    #[test]
    fn moves_and_urls() {
        let m =
            parse_move(&json!({"ip_address": "10.0.0.2", "port_number": "8081", "position": 0}))
                .unwrap();
        assert_eq!(
            (m.port_number, m.existing_port_number, m.position),
            (Some(8081), None, Some(0))
        );
        let e = parse_move(&json!({"ip_address": "", "existing_port_number": 0, "position": -1}))
            .unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            vec!["existing_port_number", "ip_address", "position"]
        );
        assert_eq!(url("::1", 80), "http://[::1]:80");
        assert_eq!(url("[::1]", 80), "http://[::1]:80");
        assert_eq!(url("nas.lan", 8096), "http://nas.lan:8096");
    }

    #[test]
    fn discovered_entries_take_a_description_only() {
        let existing = PortEntry {
            id: 1,
            ip_address: "10.0.0.2".into(),
            nickname: None,
            port_number: 8096,
            port_protocol: Protocol::Tcp,
            description: "jellyfin (8096/tcp)".into(),
            order: 0,
            source: PortSource::Docker,
            is_immutable: true,
            discovered_by: vec![],
            tags: vec![],
            check: None,
        };
        let spec = validate_port(&json!({"description": "Media server"}), Some(&existing)).unwrap();
        assert_eq!(spec.description, "Media server");
        assert_eq!(spec.port_number, 8096);
        let e = validate_port(&json!({"port_number": 9000}), Some(&existing)).unwrap_err();
        assert!(e["port_number"][0].contains("managed by the docker integration"));
    }
}
