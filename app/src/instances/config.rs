//! An integration's configuration as types: one variant per integration type, each with exactly the
//! fields that type has. Validation (`validate_instance`, schema-driven so the browser form and the
//! server share it) ends by parsing its output into this enum; from there on nothing reads loose JSON:
//! storage writes it, the clients take their own variant, and a stored row is parsed back into it
//! before a client is built. The stored JSON keeps the shape the schema names, so rows written
//! before this type existed read back unchanged.

use super::{InstanceType, TIMEOUT_DEFAULT, TIMEOUT_MAX, TIMEOUT_MIN};
use crate::hostscan::{
    PortSet, CONCURRENCY_DEFAULT, CONCURRENCY_MAX, CONCURRENCY_MIN, PORTS_DEFAULT,
    TIMEOUT_MS_DEFAULT, TIMEOUT_MS_MAX, TIMEOUT_MS_MIN,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::time::Duration;

/// A write-only value (an API key, a client key's path). Stored and sent to its target, but its
/// `Debug` says only whether it is set, so no `{:?}` can put it in a log line.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for the one place it goes: the request to its target.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_set() { "<set>" } else { "<unset>" })
    }
}

/// A Docker Engine: a socket, TCP (plain or behind a socket proxy) or TLS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DockerConfig {
    pub host: String,
    pub timeout: i64,
    pub tls_ca: String,
    pub tls_cert: String,
    pub tls_key: Secret,
    pub public_host: String,
}

impl Default for DockerConfig {
    fn default() -> Self {
        DockerConfig {
            host: super::DEFAULT_DOCKER_HOST.into(),
            timeout: TIMEOUT_DEFAULT,
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: Secret::default(),
            public_host: String::new(),
        }
    }
}

/// A Portainer server and every Docker environment it manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PortainerConfig {
    pub url: String,
    pub api_key: Secret,
    pub verify_ssl: bool,
    pub include_edge: bool,
    pub timeout: i64,
    pub public_host: String,
}

impl Default for PortainerConfig {
    fn default() -> Self {
        PortainerConfig {
            url: String::new(),
            api_key: Secret::default(),
            verify_ssl: true,
            include_edge: false,
            timeout: TIMEOUT_DEFAULT,
            public_host: String::new(),
        }
    }
}

/// A Komodo Core server and the containers of every server it manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KomodoConfig {
    pub url: String,
    pub api_key: Secret,
    pub api_secret: Secret,
    pub timeout: i64,
    pub public_host: String,
}

impl Default for KomodoConfig {
    fn default() -> Self {
        KomodoConfig {
            url: String::new(),
            api_key: Secret::default(),
            api_secret: Secret::default(),
            timeout: TIMEOUT_DEFAULT,
            public_host: String::new(),
        }
    }
}

/// A TCP connect scan of one host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostScanConfig {
    pub address: String,
    pub ports: Ports,
    pub timeout_ms: i64,
    pub concurrency: i64,
}

impl Default for HostScanConfig {
    fn default() -> Self {
        HostScanConfig {
            address: String::new(),
            ports: Ports::parse(PORTS_DEFAULT).expect("the default port set parses"),
            timeout_ms: TIMEOUT_MS_DEFAULT,
            concurrency: CONCURRENCY_DEFAULT,
        }
    }
}

impl HostScanConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.clamp(TIMEOUT_MS_MIN, TIMEOUT_MS_MAX) as u64)
    }
    pub fn concurrency(&self) -> usize {
        self.concurrency.clamp(CONCURRENCY_MIN, CONCURRENCY_MAX) as usize
    }
}

/// The ports to scan: the set, and the text the user wrote for it (kept as written, so the form
/// shows "1-1024, !22" back rather than the ranges it stands for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ports {
    text: String,
    set: PortSet,
}

impl Ports {
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(Ports {
            text: text.trim().to_string(),
            set: PortSet::parse(text)?,
        })
    }
    pub fn set(&self) -> &PortSet {
        &self.set
    }
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl Serialize for Ports {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Ports {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ports::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An integration's configuration: which type it is decides which fields exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntegrationConfig {
    Docker(DockerConfig),
    Portainer(PortainerConfig),
    Komodo(KomodoConfig),
    HostScan(HostScanConfig),
}

impl IntegrationConfig {
    pub fn instance_type(&self) -> InstanceType {
        match self {
            IntegrationConfig::Docker(_) => InstanceType::Docker,
            IntegrationConfig::Portainer(_) => InstanceType::Portainer,
            IntegrationConfig::Komodo(_) => InstanceType::Komodo,
            IntegrationConfig::HostScan(_) => InstanceType::HostScan,
        }
    }

    /// Parses a configuration of type `t` from its JSON form (a stored row, or what validation
    /// produced). Missing fields take their defaults; a field of the wrong kind is an error that names it.
    pub fn parse(t: InstanceType, config: &Map<String, Value>) -> Result<Self, String> {
        fn typed<T: serde::de::DeserializeOwned>(config: &Map<String, Value>) -> Result<T, String> {
            T::deserialize(Value::Object(config.clone()))
                .map_err(|e| format!("the stored configuration is unreadable: {e}"))
        }
        Ok(match t {
            InstanceType::Docker => IntegrationConfig::Docker(typed(config)?),
            InstanceType::Portainer => IntegrationConfig::Portainer(typed(config)?),
            InstanceType::Komodo => IntegrationConfig::Komodo(typed(config)?),
            InstanceType::HostScan => IntegrationConfig::HostScan(typed(config)?),
        })
    }

    /// The JSON form, secrets included: what storage writes. Never an API answer (that is
    /// `redact_config` of this).
    pub fn to_map(&self) -> Map<String, Value> {
        let value = match self {
            IntegrationConfig::Docker(c) => serde_json::to_value(c),
            IntegrationConfig::Portainer(c) => serde_json::to_value(c),
            IntegrationConfig::Komodo(c) => serde_json::to_value(c),
            IntegrationConfig::HostScan(c) => serde_json::to_value(c),
        };
        match value {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    /// The address this configuration's secrets are sent to.
    pub fn target(&self) -> &str {
        match self {
            IntegrationConfig::Docker(c) => &c.host,
            IntegrationConfig::Portainer(c) => &c.url,
            IntegrationConfig::Komodo(c) => &c.url,
            IntegrationConfig::HostScan(c) => &c.address,
        }
    }

    /// The address for ports published on every interface, when the user set one.
    pub fn public_host(&self) -> Option<&str> {
        let host = match self {
            IntegrationConfig::Docker(c) => &c.public_host,
            IntegrationConfig::Portainer(c) => &c.public_host,
            IntegrationConfig::Komodo(c) => &c.public_host,
            IntegrationConfig::HostScan(_) => return None,
        };
        Some(host.trim()).filter(|h| !h.is_empty())
    }

    /// How long one request may take (the host scan bounds its attempts itself).
    pub fn request_timeout(&self) -> Duration {
        let secs = match self {
            IntegrationConfig::Docker(c) => c.timeout,
            IntegrationConfig::Portainer(c) => c.timeout,
            IntegrationConfig::Komodo(c) => c.timeout,
            IntegrationConfig::HostScan(_) => TIMEOUT_DEFAULT,
        };
        Duration::from_secs(secs.clamp(TIMEOUT_MIN, TIMEOUT_MAX) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_stored_row_parses_into_its_variant_and_writes_back_the_same_shape() {
        let stored = map(
            json!({"url": "https://p:9443", "api_key": "ptr_x", "verify_ssl": false,
            "include_edge": true, "timeout": 45, "public_host": "nas.lan"}),
        );
        let c = IntegrationConfig::parse(InstanceType::Portainer, &stored).unwrap();
        let IntegrationConfig::Portainer(p) = &c else {
            panic!("{c:?}")
        };
        assert_eq!(p.api_key.expose(), "ptr_x");
        assert!(!p.verify_ssl && p.include_edge);
        assert_eq!(c.request_timeout(), Duration::from_secs(45));
        assert_eq!(c.public_host(), Some("nas.lan"));
        assert_eq!(c.to_map(), stored);
    }

    #[test]
    fn every_type_has_exactly_the_fields_its_schema_names_with_the_same_defaults() {
        for schema in super::super::type_schemas() {
            let typed = IntegrationConfig::parse(schema.instance_type, &Map::new())
                .unwrap()
                .to_map();
            let mut keys: Vec<&String> = typed.keys().collect();
            let mut names: Vec<&String> = schema.fields.iter().map(|f| &f.name).collect();
            keys.sort();
            names.sort();
            assert_eq!(keys, names, "{:?}", schema.instance_type);
            for f in schema.fields.iter().filter(|f| !f.default.is_null()) {
                assert_eq!(
                    typed[&f.name], f.default,
                    "{:?}.{}",
                    schema.instance_type, f.name
                );
            }
        }
    }

    #[test]
    fn the_target_is_the_field_the_schema_binds_secrets_to() {
        for (t, field) in [
            (InstanceType::Docker, "host"),
            (InstanceType::Portainer, "url"),
            (InstanceType::Komodo, "url"),
            (InstanceType::HostScan, "address"),
        ] {
            let c = IntegrationConfig::parse(t, &map(json!({ field: "nas.lan" }))).unwrap();
            assert_eq!(c.target(), "nas.lan", "{t:?}");
            assert_eq!(super::super::target_of(t, &c.to_map()), "nas.lan", "{t:?}");
        }
    }

    #[test]
    fn missing_fields_take_the_schema_defaults() {
        let c = IntegrationConfig::parse(InstanceType::HostScan, &map(json!({"address": "nas"})))
            .unwrap();
        let IntegrationConfig::HostScan(h) = c else {
            panic!()
        };
        assert_eq!(h.ports.text(), PORTS_DEFAULT);
        assert_eq!(
            h.timeout(),
            Duration::from_millis(TIMEOUT_MS_DEFAULT as u64)
        );
        assert_eq!(h.concurrency(), CONCURRENCY_DEFAULT as usize);
        let d = IntegrationConfig::parse(InstanceType::Docker, &Map::new()).unwrap();
        assert_eq!(d.target(), super::super::DEFAULT_DOCKER_HOST);
        assert_eq!(d.public_host(), None);
        let p = IntegrationConfig::parse(InstanceType::Portainer, &Map::new()).unwrap();
        assert!(matches!(
            p,
            IntegrationConfig::Portainer(PortainerConfig {
                verify_ssl: true,
                ..
            })
        ));
    }

    #[test]
    fn a_field_of_the_wrong_kind_is_named() {
        let err = IntegrationConfig::parse(InstanceType::Komodo, &map(json!({"timeout": "soon"})))
            .unwrap_err();
        assert!(err.contains("unreadable"), "{err}");
        let err = IntegrationConfig::parse(InstanceType::HostScan, &map(json!({"ports": "1-x"})))
            .unwrap_err();
        assert!(err.contains("'x'"), "{err}");
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let c = IntegrationConfig::Komodo(KomodoConfig {
            api_key: Secret::new("K-123"),
            api_secret: Secret::new("S-456"),
            ..KomodoConfig::default()
        });
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("K-123") && !shown.contains("S-456"),
            "{shown}"
        );
        assert!(
            shown.contains("<set>") && !shown.contains("<unset>"),
            "{shown}"
        );
    }
}
