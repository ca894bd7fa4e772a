//! Integration instances as both sides see them: types, their field schemas, validated specs and the
//! redacted view the API returns. Validation of instance input lives here, once.

pub mod config;
#[cfg(feature = "ssr")]
pub mod manager;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub use manager::{
    DeleteSummary, InstanceChange, InstanceManager, Notice, TestOutcome, DEFAULT_DOCKER_NAME,
};

pub use config::{
    DockerConfig, HostScanConfig, IntegrationConfig, KomodoConfig, PortainerConfig, Ports, Secret,
};

use crate::address::Address;
use crate::validation::{push_error, validate_docker_host, validate_host, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const NAME_MAX: usize = 100;
pub const SCAN_INTERVAL_MIN: i64 = 60;
pub const SCAN_INTERVAL_MAX: i64 = 86_400;
pub const SCAN_INTERVAL_DEFAULT: i64 = 300;
pub const TIMEOUT_MIN: i64 = 5;
pub const TIMEOUT_MAX: i64 = 120;
pub const TIMEOUT_DEFAULT: i64 = 30;
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum InstanceType {
    Docker,
    Portainer,
    Komodo,
    /// A TCP connect scan of one host (`hostscan`).
    #[serde(rename = "hostscan")]
    HostScan,
}

impl InstanceType {
    pub const ALL: [InstanceType; 4] =
        [Self::Docker, Self::Portainer, Self::Komodo, Self::HostScan];
    /// The types the Python Portall had (its settings keys and routes know only these).
    pub const LEGACY: [InstanceType; 3] = [Self::Docker, Self::Portainer, Self::Komodo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Docker => "docker",
            Self::Portainer => "portainer",
            Self::Komodo => "komodo",
            Self::HostScan => "hostscan",
        }
    }

    /// The `source` of the entries it discovers: the type, except `scan` for a host scan (the value
    /// tagging rules have always used for scanned ports).
    pub fn port_source(self) -> crate::ports::PortSource {
        use crate::ports::PortSource;
        match self {
            Self::Docker => PortSource::Docker,
            Self::Portainer => PortSource::Portainer,
            Self::Komodo => PortSource::Komodo,
            Self::HostScan => PortSource::Scan,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// "Docker", "Portainer", "Komodo": used in generated names.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::Docker => "Docker",
            Self::Portainer => "Portainer",
            Self::Komodo => "Komodo",
            Self::HostScan => "Host scan",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Docker => "Docker Engine",
            Self::Portainer => "Portainer",
            Self::Komodo => "Komodo",
            Self::HostScan => "Host port scan",
        }
    }
}

/// How a field is entered and stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum FieldKind {
    Text,
    Url,
    Password,
    Number,
    Checkbox,
}

/// One type-specific configuration field, as `GET /docker/instances/types` describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldSchema {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub default: Value,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub secret: bool,
    pub help: String,
    pub placeholder: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TypeSchema {
    #[serde(rename = "type")]
    pub instance_type: InstanceType,
    pub label: String,
    pub description: String,
    pub fields: Vec<FieldSchema>,
}

fn field(name: &str, label: &str, kind: FieldKind) -> FieldSchema {
    FieldSchema {
        name: name.into(),
        label: label.into(),
        kind,
        required: false,
        default: Value::Null,
        min: None,
        max: None,
        secret: false,
        help: String::new(),
        placeholder: String::new(),
    }
}

impl FieldSchema {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn secret(mut self) -> Self {
        self.secret = true;
        self.required = true;
        self
    }
    /// Write-only like a secret, but optional.
    fn write_only(mut self) -> Self {
        self.secret = true;
        self
    }
    fn default(mut self, v: Value) -> Self {
        self.default = v;
        self
    }
    fn range(mut self, min: i64, max: i64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }
    fn help(mut self, h: &str) -> Self {
        self.help = h.into();
        self
    }
    fn placeholder(mut self, p: &str) -> Self {
        self.placeholder = p.into();
        self
    }
}

fn timeout_field() -> FieldSchema {
    field("timeout", "Connection Timeout (seconds)", FieldKind::Number)
        .default(Value::from(TIMEOUT_DEFAULT))
        .range(TIMEOUT_MIN, TIMEOUT_MAX)
        .help("How long one request may take before it counts as failed.")
}

fn public_host_field(when_unset: &str) -> FieldSchema {
    field("public_host", "Public Host (optional)", FieldKind::Text)
        .placeholder("e.g. 192.168.1.20 or nas.lan")
        .help(&format!(
            "Address recorded for ports published on all interfaces. When empty: {when_unset}."
        ))
}

/// The type-specific fields of each instance type.
pub fn type_schemas() -> Vec<TypeSchema> {
    vec![
        TypeSchema {
            instance_type: InstanceType::Docker,
            label: InstanceType::Docker.label().into(),
            description: "A Docker Engine reached through its socket or TCP (plain, socket proxy or TLS).".into(),
            fields: vec![
                field("host", "Docker Host", FieldKind::Text)
                    .required()
                    .default(Value::from(DEFAULT_DOCKER_HOST))
                    .help("Examples: unix:///var/run/docker.sock, tcp://docker.example.com:2376"),
                timeout_field(),
                field("tls_ca", "TLS CA Certificate (path)", FieldKind::Text)
                    .placeholder("/certs/ca.pem")
                    .help("For https:// or TLS on tcp://: the CA that signed the engine's certificate."),
                field("tls_cert", "TLS Client Certificate (path)", FieldKind::Text).placeholder("/certs/cert.pem"),
                field("tls_key", "TLS Client Key (path)", FieldKind::Password)
                    .write_only()
                    .placeholder("/certs/key.pem")
                    .help("Write-only, and bound to this host: changing the host asks for it again."),
                public_host_field("the tcp:// host, else HOST_IP, else 127.0.0.1"),
            ],
        },
        TypeSchema {
            instance_type: InstanceType::Portainer,
            label: InstanceType::Portainer.label().into(),
            description: "A Portainer CE/BE server: every Docker environment it manages.".into(),
            fields: vec![
                field("url", "Portainer URL", FieldKind::Url)
                    .required()
                    .placeholder("https://portainer.example.com"),
                field("api_key", "API Key", FieldKind::Password)
                    .secret()
                    .help("My account → Access tokens in Portainer."),
                field("verify_ssl", "Verify SSL Certificates", FieldKind::Checkbox).default(Value::Bool(true)),
                field("include_edge", "Include Edge Environments", FieldKind::Checkbox)
                    .default(Value::Bool(false))
                    .help("Edge agents answer slowly (up to ~10 s each) and only while their tunnel is open."),
                timeout_field(),
                public_host_field("the environment's public URL, else the Portainer host"),
            ],
        },
        TypeSchema {
            instance_type: InstanceType::Komodo,
            label: InstanceType::Komodo.label().into(),
            description: "A Komodo Core server: the containers of every server it manages.".into(),
            fields: vec![
                field("url", "Komodo URL", FieldKind::Url)
                    .required()
                    .placeholder("https://komodo.example.com"),
                field("api_key", "API Key", FieldKind::Password).secret(),
                field("api_secret", "API Secret", FieldKind::Password).secret(),
                timeout_field(),
                public_host_field("the server's address, else the Komodo host"),
            ],
        },
        TypeSchema {
            instance_type: InstanceType::HostScan,
            label: InstanceType::HostScan.label().into(),
            description: "A TCP connect scan of one host you name: finds what listens outside containers \
                (a hypervisor's web UI, a NAS's SMB). UDP is not scanned: without raw sockets a UDP probe \
                cannot tell an open port from a filtered one."
                .into(),
            fields: vec![
                field("address", "Address", FieldKind::Text)
                    .required()
                    .placeholder("e.g. 192.168.1.20 or nas.lan")
                    .help("One host: an IP address or a hostname (resolved once per scan)."),
                field("ports", "Ports", FieldKind::Text)
                    .required()
                    .default(Value::from(crate::hostscan::PORTS_DEFAULT))
                    .placeholder("1-1024, 3000-9999, !5432")
                    .help("Ports and ranges, separated by commas; ! excludes."),
                field("timeout_ms", "Connect Timeout (ms)", FieldKind::Number)
                    .default(Value::from(crate::hostscan::TIMEOUT_MS_DEFAULT))
                    .range(crate::hostscan::TIMEOUT_MS_MIN, crate::hostscan::TIMEOUT_MS_MAX)
                    .help("How long to wait for each port; on a LAN 200–500 ms is plenty."),
                field("concurrency", "Concurrency", FieldKind::Number)
                    .default(Value::from(crate::hostscan::CONCURRENCY_DEFAULT))
                    .range(crate::hostscan::CONCURRENCY_MIN, crate::hostscan::CONCURRENCY_MAX)
                    .help("Ports tried at once."),
            ],
        },
    ]
}

pub fn type_schema(t: InstanceType) -> TypeSchema {
    type_schemas()
        .into_iter()
        .find(|s| s.instance_type == t)
        .expect("every type has a schema")
}

/// What an input says about a write-only secret: keep the stored one, or set a new one. Blank or
/// omitted keeps; the browser never holds a stored secret, only whether one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretInput {
    Keep,
    Set(String),
}

impl SecretInput {
    pub fn parse(given: Option<&Value>) -> Result<Self, &'static str> {
        match given {
            None | Some(Value::Null) => Ok(SecretInput::Keep),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(SecretInput::Keep),
            Some(Value::String(s)) => Ok(SecretInput::Set(s.trim().to_string())),
            Some(_) => Err("must be text"),
        }
    }
}

/// The secret `name` a stored configuration holds: its value on the server, or, in the redacted
/// configuration the browser has, an empty value standing for "set" (`<name>_set: true`).
fn stored_secret(config: &Map<String, Value>, name: &str) -> Option<String> {
    match config.get(name).and_then(Value::as_str) {
        Some(s) if !s.is_empty() => Some(s.to_string()),
        _ => (config.get(&format!("{name}_set")) == Some(&Value::Bool(true))).then(String::new),
    }
}

/// A validated instance, ready to store: its configuration typed, every field there, defaults
/// filled in. Its `Debug` shows secrets only as set or unset.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    pub name: String,
    pub enabled: bool,
    pub auto_detect: bool,
    pub scan_interval: i64,
    pub config: IntegrationConfig,
}

impl InstanceSpec {
    pub fn instance_type(&self) -> InstanceType {
        self.config.instance_type()
    }
}

/// The stored state an update starts from. Its `Debug` shows secrets as `<name>_set`.
#[derive(Clone, PartialEq)]
pub struct ExistingInstance {
    pub id: i64,
    pub name: String,
    pub instance_type: InstanceType,
    pub enabled: bool,
    pub auto_detect: bool,
    pub scan_interval: i64,
    pub config: Map<String, Value>,
}

// A stored key must not reach a log line through `{:?}`: it shows the redacted configuration.
impl std::fmt::Debug for ExistingInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExistingInstance")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("instance_type", &self.instance_type)
            .field("enabled", &self.enabled)
            .field("auto_detect", &self.auto_detect)
            .field("scan_interval", &self.scan_interval)
            .field("config", &redact_config(self.instance_type, &self.config))
            .finish()
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "1" | "yes" => Some(true),
            "false" | "off" | "0" | "no" | "" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Validates create (`existing` = None) or update input. `other_names` are the names of every other
/// instance (for the case-insensitive uniqueness check). A blank name stays blank here: the manager
/// generates one. On update, omitted fields keep their stored value, and an omitted or empty secret
/// keeps the stored secret.
pub fn validate_instance(
    input: &Value,
    existing: Option<&ExistingInstance>,
    other_names: &[String],
) -> Result<InstanceSpec, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = input.as_object() else {
        push_error(&mut errors, "_body", "must be a JSON object");
        return Err(errors);
    };

    // Type: required on create, fixed afterwards.
    let instance_type = match (obj.get("type"), existing) {
        (None, Some(e)) => Some(e.instance_type),
        (None, None) => {
            push_error(
                &mut errors,
                "type",
                "is required: docker, portainer, komodo or hostscan",
            );
            None
        }
        (Some(v), _) => match v.as_str().and_then(InstanceType::parse) {
            Some(t) => match existing {
                Some(e) if e.instance_type != t => {
                    push_error(&mut errors, "type", "cannot be changed after creation");
                    None
                }
                _ => Some(t),
            },
            None => {
                push_error(
                    &mut errors,
                    "type",
                    "must be one of docker, portainer, komodo, hostscan",
                );
                None
            }
        },
    };

    let name = match obj.get("name") {
        None => existing.map(|e| e.name.clone()).unwrap_or_default(),
        Some(v) => match as_text(v) {
            Some(n) => n,
            None => {
                push_error(&mut errors, "name", "must be text");
                String::new()
            }
        },
    };
    if name.chars().count() > NAME_MAX {
        push_error(
            &mut errors,
            "name",
            format!("must be at most {NAME_MAX} characters"),
        );
    } else if existing.is_some() && name.is_empty() {
        push_error(&mut errors, "name", "is required");
    }
    if !name.is_empty()
        && other_names
            .iter()
            .any(|o| o.trim().to_lowercase() == name.to_lowercase())
    {
        push_error(
            &mut errors,
            "name",
            format!("another integration is already named '{name}'"),
        );
    }

    let mut flag = |key: &str, stored: Option<bool>| match obj.get(key) {
        None => stored.unwrap_or(true),
        Some(v) => as_bool(v).unwrap_or_else(|| {
            push_error(&mut errors, key, "must be true or false");
            true
        }),
    };
    let enabled = flag("enabled", existing.map(|e| e.enabled));
    let auto_detect = flag("auto_detect", existing.map(|e| e.auto_detect));

    let scan_interval = match obj.get("scan_interval") {
        None => existing.map_or(SCAN_INTERVAL_DEFAULT, |e| e.scan_interval),
        Some(v) => match as_int(v) {
            Some(n) if (SCAN_INTERVAL_MIN..=SCAN_INTERVAL_MAX).contains(&n) => n,
            Some(_) => {
                push_error(
                    &mut errors,
                    "scan_interval",
                    format!("must be between {SCAN_INTERVAL_MIN} and {SCAN_INTERVAL_MAX} seconds"),
                );
                SCAN_INTERVAL_DEFAULT
            }
            None => {
                push_error(
                    &mut errors,
                    "scan_interval",
                    "must be a whole number of seconds",
                );
                SCAN_INTERVAL_DEFAULT
            }
        },
    };

    let config = match instance_type {
        Some(t) => validate_config(
            t,
            obj.get("config"),
            existing.map(|e| &e.config),
            &mut errors,
        ),
        None => Map::new(),
    };

    match instance_type {
        Some(instance_type) if errors.is_empty() => {
            // Everything the schema names has been checked: the typed form cannot fail here, but
            // if the two ever disagree the answer is an error on the body, never a panic.
            match IntegrationConfig::parse(instance_type, &config) {
                Ok(config) => Ok(InstanceSpec {
                    name,
                    enabled,
                    auto_detect,
                    scan_interval,
                    config,
                }),
                Err(e) => {
                    push_error(&mut errors, "config", e);
                    Err(errors)
                }
            }
        }
        _ => Err(errors),
    }
}

fn validate_config(
    t: InstanceType,
    input: Option<&Value>,
    stored: Option<&Map<String, Value>>,
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    let empty = Map::new();
    let input = match input {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => {
            push_error(errors, "config", "must be a JSON object");
            return Map::new();
        }
    };
    let schema = type_schema(t);
    let mut out = Map::new();
    for f in &schema.fields {
        let key = f.name.as_str();
        let path = format!("config.{key}");
        let given = input.get(key);
        let previous = stored.and_then(|s| s.get(key));
        let value = match f.kind {
            FieldKind::Checkbox => {
                let v = match given {
                    Some(v) => as_bool(v).unwrap_or_else(|| {
                        push_error(errors, &path, "must be true or false");
                        false
                    }),
                    None => previous
                        .and_then(as_bool)
                        .or_else(|| as_bool(&f.default))
                        .unwrap_or(false),
                };
                Value::Bool(v)
            }
            FieldKind::Number => {
                let raw = given
                    .filter(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
                    .or(previous)
                    .unwrap_or(&f.default);
                match as_int(raw) {
                    Some(n) if f.min.is_none_or(|m| n >= m) && f.max.is_none_or(|m| n <= m) => {
                        Value::from(n)
                    }
                    Some(_) => {
                        push_error(
                            errors,
                            &path,
                            format!(
                                "must be between {} and {}",
                                f.min.unwrap_or(0),
                                f.max.unwrap_or(i64::MAX)
                            ),
                        );
                        Value::Null
                    }
                    None => {
                        push_error(errors, &path, "must be a whole number");
                        Value::Null
                    }
                }
            }
            FieldKind::Password if f.secret => match SecretInput::parse(given) {
                Err(msg) => {
                    push_error(errors, &path, msg);
                    Value::String(String::new())
                }
                Ok(SecretInput::Set(secret)) => {
                    // API keys travel as HTTP header values: one line of visible ASCII.
                    if key.starts_with("api_") && !secret.chars().all(|c| c.is_ascii_graphic()) {
                        push_error(
                            errors,
                            &path,
                            "must be one line of visible characters (no spaces or line breaks: \
                             was more than the key pasted?)",
                        );
                    }
                    Value::String(secret)
                }
                Ok(SecretInput::Keep) => {
                    let kept = stored.and_then(|c| stored_secret(c, key));
                    if kept.is_none() && f.required {
                        push_error(errors, &path, "is required");
                    }
                    Value::String(kept.unwrap_or_default())
                }
            },
            FieldKind::Text | FieldKind::Url | FieldKind::Password => {
                let text = match given.map(as_text) {
                    Some(Some(s)) => s,
                    Some(None) => {
                        push_error(errors, &path, "must be text");
                        String::new()
                    }
                    None => previous
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                        .or_else(|| f.default.as_str().map(str::to_string))
                        .unwrap_or_default(),
                };
                if text.is_empty() {
                    if f.required {
                        push_error(errors, &path, "is required");
                    }
                    Value::String(text)
                } else {
                    let check = match (t, key) {
                        (InstanceType::Docker, "host") => validate_docker_host(&text),
                        (InstanceType::HostScan, "address") => validate_host(&text),
                        (InstanceType::HostScan, "ports") => {
                            crate::hostscan::PortSet::parse(&text).map(|_| ())
                        }
                        (_, "url") => Address::http_url(&text).map(|_| ()),
                        (_, "public_host") => validate_host(&text),
                        _ => Ok(()),
                    };
                    if let Err(msg) = check {
                        push_error(errors, &path, msg);
                    }
                    Value::String(text)
                }
            }
        };
        out.insert(key.to_string(), value);
    }
    if let Some(stored) = stored {
        bind_secrets_to_target(t, &schema, input, stored, &out, errors);
    }
    // TLS to an engine (https://, or tcp:// with certificates) takes the CA, certificate and key, as
    // `docker --tlsverify` does; the engine's certificate is always verified.
    if t == InstanceType::Docker {
        let has = |k: &str| {
            out.get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        let https = out
            .get("host")
            .and_then(Value::as_str)
            .is_some_and(|h| h.starts_with("https://"));
        if https || has("tls_ca") || has("tls_cert") || has("tls_key") {
            for (key, what) in [
                ("tls_ca", "the CA certificate"),
                ("tls_cert", "the client certificate"),
                ("tls_key", "the client key"),
            ] {
                if !has(key) {
                    push_error(
                        errors,
                        &format!("config.{key}"),
                        format!("TLS needs {what} (a file path)"),
                    );
                }
            }
        }
    }
    for key in input.keys() {
        // `<secret>_set` is what a read answers in place of a secret: sending a read back is fine.
        let is_set_flag = key
            .strip_suffix("_set")
            .is_some_and(|k| schema.fields.iter().any(|f| f.secret && f.name == k));
        if !is_set_flag && !schema.fields.iter().any(|f| &f.name == key) {
            push_error(
                errors,
                &format!("config.{key}"),
                format!("is not a {} setting", t.short_label()),
            );
        }
    }
    out
}

/// The field holding the address an instance's secrets are sent to.
pub fn target_field(t: InstanceType) -> &'static str {
    match t {
        InstanceType::Docker => "host",
        InstanceType::Portainer | InstanceType::Komodo => "url",
        InstanceType::HostScan => "address",
    }
}

/// The address a configuration's secrets go to, compared loosely (case, trailing slash).
pub fn target_of(t: InstanceType, config: &Map<String, Value>) -> String {
    config
        .get(target_field(t))
        .and_then(Value::as_str)
        .map(|s| s.trim().trim_end_matches('/').to_ascii_lowercase())
        .unwrap_or_default()
}

/// The message on a kept secret when the address changed.
pub const REENTER_SECRET: &str =
    "enter it again for the new address: a stored secret only goes to the address it was entered for";

/// A stored secret is bound to the address it was entered for: whoever can edit an instance must not
/// be able to point it elsewhere and have Portall send the stored key there. So when the target
/// changes, every stored secret the input keeps (blank or omitted) is refused, naming the field.
fn bind_secrets_to_target(
    t: InstanceType,
    schema: &TypeSchema,
    input: &Map<String, Value>,
    stored: &Map<String, Value>,
    out: &Map<String, Value>,
    errors: &mut FieldErrors,
) {
    if target_of(t, stored) == target_of(t, out) {
        return;
    }
    for f in schema.fields.iter().filter(|f| f.secret) {
        let kept = matches!(
            SecretInput::parse(input.get(&f.name)),
            Ok(SecretInput::Keep)
        );
        if kept && stored_secret(stored, &f.name).is_some() {
            push_error(errors, &format!("config.{}", f.name), REENTER_SECRET);
        }
    }
}

/// The name a new instance gets when none is given: "Docker @ nas.lan", else "Docker", "Docker 2"…
pub fn generate_name(config: &IntegrationConfig, taken: &[String]) -> String {
    let is_free = |n: &str| {
        !taken
            .iter()
            .any(|o| o.trim().to_lowercase() == n.to_lowercase())
    };
    let t = config.instance_type();
    let address = config.target();
    let host = match t {
        InstanceType::HostScan => Some(address.trim().to_string()).filter(|a| !a.is_empty()),
        _ => Address::host_of(address),
    };
    if let Some(host) = host {
        let name = format!("{} @ {host}", t.short_label());
        if name.chars().count() <= NAME_MAX && is_free(&name) {
            return name;
        }
    }
    let base = t.short_label().to_string();
    if is_free(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|n| is_free(n))
        .expect("some number is free")
}

/// The instance's configuration with secrets removed and `<secret>_set: bool` in their place.
pub fn redact_config(t: InstanceType, config: &Map<String, Value>) -> Map<String, Value> {
    let mut out = config.clone();
    for f in type_schema(t).fields.iter().filter(|f| f.secret) {
        let set = out
            .remove(&f.name)
            .and_then(|v| v.as_str().map(|s| !s.is_empty()))
            .unwrap_or(false);
        out.insert(format!("{}_set", f.name), Value::Bool(set));
    }
    out
}

/// The state an instance block shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum InstanceState {
    Ok,
    /// The last scan read some environments/servers and failed on others (named in `last_error`).
    Partial,
    /// The last scan could read nothing.
    Error,
    /// Waiting for a free scan slot.
    Queued,
    Scanning,
    Disabled,
    Never,
}

/// What the scans of an instance left behind, as stored: times, the last error, what it reports now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScanRecord {
    pub last_scan_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub service_count: i64,
    pub port_count: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(from = "InstanceStatusFields")]
pub struct InstanceStatus {
    pub state: InstanceState,
    /// Flattened: the API's status object keeps its fields side by side.
    #[serde(flatten)]
    pub record: ScanRecord,
    /// An automatic scan task is running for it.
    #[serde(default)]
    pub auto_scan: bool,
}

/// [`InstanceStatus`] as the wire has it, read without `flatten`: serde reads a flattened struct
/// through a buffer of every field, code the browser's wasm would carry for this one type.
#[derive(Deserialize)]
struct InstanceStatusFields {
    state: InstanceState,
    last_scan_at: Option<String>,
    last_success_at: Option<String>,
    last_error: Option<String>,
    last_duration_ms: Option<i64>,
    service_count: i64,
    port_count: i64,
    #[serde(default)]
    auto_scan: bool,
}

impl From<InstanceStatusFields> for InstanceStatus {
    fn from(f: InstanceStatusFields) -> Self {
        InstanceStatus {
            state: f.state,
            record: ScanRecord {
                last_scan_at: f.last_scan_at,
                last_success_at: f.last_success_at,
                last_error: f.last_error,
                last_duration_ms: f.last_duration_ms,
                service_count: f.service_count,
                port_count: f.port_count,
            },
            auto_scan: f.auto_scan,
        }
    }
}

/// An instance as the API and the UI see it: secrets never included.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InstanceView {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub instance_type: InstanceType,
    pub enabled: bool,
    pub auto_detect: bool,
    pub scan_interval: i64,
    pub config: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    pub status: InstanceStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The status reads back what it writes: one flat object, `auto_scan` optional.
    #[test]
    fn status_is_one_flat_object_both_ways() {
        let status = InstanceStatus {
            state: InstanceState::Error,
            record: ScanRecord {
                last_scan_at: Some("2026-12-03T10:00:00Z".into()),
                last_success_at: None,
                last_error: Some("connection refused".into()),
                last_duration_ms: Some(42),
                service_count: 3,
                port_count: 5,
            },
            auto_scan: true,
        };
        let wire = serde_json::to_value(&status).unwrap();
        assert_eq!(wire["last_error"], "connection refused");
        assert_eq!(wire["port_count"], 5);
        assert_eq!(
            serde_json::from_value::<InstanceStatus>(wire.clone()).unwrap(),
            status
        );
        let mut without = wire;
        without.as_object_mut().unwrap().remove("auto_scan");
        without.as_object_mut().unwrap().remove("last_success_at");
        let back: InstanceStatus = serde_json::from_value(without).unwrap();
        assert!(!back.auto_scan);
        assert_eq!(back.record, status.record);
    }

    fn errs(input: Value) -> FieldErrors {
        validate_instance(&input, None, &["Home NAS".to_string()]).unwrap_err()
    }

    #[test]
    fn valid_docker_instance_gets_defaults() {
        let spec =
            validate_instance(&json!({"type": "docker", "name": "  Edge  "}), None, &[]).unwrap();
        assert_eq!(spec.name, "Edge");
        assert_eq!(spec.scan_interval, 300);
        assert!(spec.enabled && spec.auto_detect);
        assert_eq!(spec.config.to_map()["host"], json!(DEFAULT_DOCKER_HOST));
        assert_eq!(spec.config.to_map()["timeout"], json!(30));
    }

    #[test]
    fn every_rule_reports_its_field() {
        let e = errs(
            json!({"type": "docker", "name": "home nas", "scan_interval": 10, "config": {"host": "ftp://x", "timeout": 500}}),
        );
        assert!(e["name"][0].contains("already named"), "{e:?}");
        assert!(e["scan_interval"][0].contains("between 60 and 86400"));
        assert!(e["config.host"][0].contains("not a Docker address"));
        assert!(e["config.timeout"][0].contains("between 5 and 120"));

        let e = errs(json!({"type": "portainer", "config": {"url": "portainer.lan"}}));
        assert!(e["config.url"][0].contains("http:// or https://"));
        assert_eq!(e["config.api_key"], vec!["is required"]);

        let e = errs(json!({"type": "komodo", "config": {"url": "https://k.lan", "api_key": "k"}}));
        assert_eq!(e.keys().collect::<Vec<_>>(), vec!["config.api_secret"]);

        // A secret can be kept only when one is stored: in the browser, the redacted view says so.
        let redacted = ExistingInstance {
            id: 1,
            name: "K".into(),
            instance_type: InstanceType::Komodo,
            enabled: true,
            auto_detect: true,
            scan_interval: 300,
            config: json!({"url": "https://k.lan", "api_key_set": true, "api_secret_set": false, "timeout": 30, "public_host": ""})
                .as_object()
                .unwrap()
                .clone(),
        };
        let e = validate_instance(&json!({"config": {"api_key": ""}}), Some(&redacted), &[])
            .unwrap_err();
        assert_eq!(e.keys().collect::<Vec<_>>(), vec!["config.api_secret"]);
        assert!(validate_instance(
            &json!({"config": {"api_secret": "s"}}),
            Some(&redacted),
            &[]
        )
        .is_ok());
        assert_eq!(
            SecretInput::parse(Some(&json!("  "))),
            Ok(SecretInput::Keep)
        );
        assert_eq!(
            SecretInput::parse(Some(&json!(" k "))),
            Ok(SecretInput::Set("k".into()))
        );
        assert_eq!(SecretInput::parse(Some(&json!(5))), Err("must be text"));

        let e = errs(json!({"type": "lxc"}));
        assert!(e["type"][0].contains("one of"));
        let e = errs(json!({"name": "x"}));
        assert!(e["type"][0].contains("required"));
        let e = errs(json!({"type": "docker", "name": "x".repeat(101)}));
        assert!(e["name"][0].contains("at most 100"));
        let e = errs(json!({"type": "docker", "scan_interval": "abc", "enabled": "maybe"}));
        assert!(e.contains_key("scan_interval") && e.contains_key("enabled"));
        let e = errs(json!({"type": "docker", "config": {"bogus": 1}}));
        assert!(e["config.bogus"][0].contains("not a Docker setting"));
        let e = errs(json!({"type": "docker", "config": {"tls_cert": "/c.pem"}}));
        assert!(e.contains_key("config.tls_key") && e.contains_key("config.tls_ca"));
        let e = errs(json!({"type": "docker", "config": {"host": "https://h:2376"}}));
        assert_eq!(e.len(), 3, "{e:?}");
        let e = errs(json!([1, 2]));
        assert!(e.contains_key("_body"));
    }

    #[test]
    fn update_keeps_type_and_secrets() {
        let existing = ExistingInstance {
            id: 1,
            name: "P".into(),
            instance_type: InstanceType::Portainer,
            enabled: true,
            auto_detect: true,
            scan_interval: 300,
            config: json!({"url": "https://p.lan", "api_key": "secret-1", "verify_ssl": true, "timeout": 30, "public_host": ""})
                .as_object()
                .unwrap()
                .clone(),
        };
        let spec = validate_instance(
            &json!({"scan_interval": 600, "config": {"api_key": ""}}),
            Some(&existing),
            &[],
        )
        .unwrap();
        assert_eq!(spec.config.to_map()["api_key"], json!("secret-1"));
        assert_eq!(spec.scan_interval, 600);
        let spec = validate_instance(
            &json!({"config": {"api_key": "secret-2"}}),
            Some(&existing),
            &[],
        )
        .unwrap();
        assert_eq!(spec.config.to_map()["api_key"], json!("secret-2"));
        let e = validate_instance(&json!({"type": "docker"}), Some(&existing), &[]).unwrap_err();
        assert!(e["type"][0].contains("cannot be changed"));
        let e = validate_instance(&json!({"name": " "}), Some(&existing), &[]).unwrap_err();
        assert_eq!(e["name"], vec!["is required"]);
    }

    #[test]
    fn names_are_generated_from_the_address() {
        let cfg = |t: InstanceType, k: &str, v: &str| {
            IntegrationConfig::parse(t, json!({ k: v }).as_object().unwrap()).unwrap()
        };
        assert_eq!(
            generate_name(
                &cfg(InstanceType::Docker, "host", "tcp://nas.lan:2375"),
                &[]
            ),
            "Docker @ nas.lan"
        );
        assert_eq!(
            generate_name(
                &cfg(InstanceType::Portainer, "url", "https://10.0.0.5:9443/"),
                &[]
            ),
            "Portainer @ 10.0.0.5"
        );
        let taken = vec!["docker".to_string(), "Docker 2".to_string()];
        assert_eq!(
            generate_name(
                &cfg(InstanceType::Docker, "host", DEFAULT_DOCKER_HOST),
                &taken
            ),
            "Docker 3"
        );
        let taken = vec!["Docker @ nas.lan".to_string()];
        assert_eq!(
            generate_name(
                &cfg(InstanceType::Docker, "host", "tcp://nas.lan:2375"),
                &taken
            ),
            "Docker"
        );
    }

    #[test]
    fn stored_secrets_stay_bound_to_their_address() {
        let stored = |t: InstanceType, config: Value| ExistingInstance {
            id: 1,
            name: "X".into(),
            instance_type: t,
            enabled: true,
            auto_detect: true,
            scan_interval: 300,
            config: config.as_object().unwrap().clone(),
        };
        let komodo = stored(
            InstanceType::Komodo,
            json!({"url": "https://k.lan", "api_key": "k", "api_secret": "s"}),
        );
        let moved = |input: Value, e: &ExistingInstance| validate_instance(&input, Some(e), &[]);
        let e = moved(json!({"config": {"url": "https://evil.example"}}), &komodo).unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            vec!["config.api_key", "config.api_secret"]
        );
        assert_eq!(e["config.api_key"], vec![REENTER_SECRET]);
        // Only the kept one is refused; re-entering both moves the instance.
        let e = moved(
            json!({"config": {"url": "https://evil.example", "api_key": "k2"}}),
            &komodo,
        )
        .unwrap_err();
        assert_eq!(e.keys().collect::<Vec<_>>(), vec!["config.api_secret"]);
        let ok = moved(
            json!({"config": {"url": "https://evil.example", "api_key": "k2", "api_secret": "s2"}}),
            &komodo,
        )
        .unwrap();
        assert_eq!(ok.config.to_map()["api_secret"], "s2");
        // The same address, written differently, keeps them; a read sent back is accepted.
        let same = moved(
            json!({"config": {"url": "https://K.lan/", "api_key_set": true}}),
            &komodo,
        )
        .unwrap();
        assert_eq!(same.config.to_map()["api_key"], "k");
        // Docker: the TLS client key path is write-only and bound to the host.
        let docker = stored(
            InstanceType::Docker,
            json!({"host": "tcp://nas.lan:2376", "tls_ca": "/c/ca.pem", "tls_cert": "/c/cert.pem", "tls_key": "/c/key.pem"}),
        );
        let e = moved(
            json!({"config": {"host": "tcp://evil.example:2376"}}),
            &docker,
        )
        .unwrap_err();
        assert_eq!(e.keys().collect::<Vec<_>>(), vec!["config.tls_key"]);
        assert!(moved(json!({"config": {"timeout": 20}}), &docker).is_ok());
        // A key that would break an HTTP header.
        // Debug output never shows a secret.
        assert!(!format!("{komodo:?}").contains("\"s\""), "{komodo:?}");
        assert!(!format!("{ok:?}").contains("s2"), "{ok:?}");
        let e = errs(
            json!({"type": "portainer", "config": {"url": "https://p.lan", "api_key": "ptr_a\r\nX: 1"}}),
        );
        assert!(e["config.api_key"][0].contains("one line"), "{e:?}");
    }

    #[test]
    fn secrets_are_redacted() {
        let cfg = json!({"url": "https://k", "api_key": "k1", "api_secret": ""})
            .as_object()
            .unwrap()
            .clone();
        let r = redact_config(InstanceType::Komodo, &cfg);
        assert_eq!(
            Value::Object(r),
            json!({"url": "https://k", "api_key_set": true, "api_secret_set": false})
        );
        // Neither a validated spec nor a stored row shows a secret through `{:?}`.
        let spec = validate_instance(
            &json!({"type": "komodo", "config": {"url": "https://k", "api_key": "K-77", "api_secret": "S-88"}}),
            None,
            &[],
        )
        .unwrap();
        let stored = ExistingInstance {
            id: 1,
            name: "k".into(),
            instance_type: InstanceType::Komodo,
            enabled: true,
            auto_detect: true,
            scan_interval: 300,
            config: spec.config.to_map(),
        };
        for shown in [format!("{spec:?}"), format!("{stored:?}")] {
            assert!(
                !shown.contains("K-77") && !shown.contains("S-88"),
                "{shown}"
            );
        }
    }

    #[test]
    fn urls() {
        assert!(Address::http_url("https://portainer.lan:9443").is_ok());
        assert!(Address::http_url("http://[::1]:9000/base").is_ok());
        assert!(Address::http_url("https://").is_err());
        assert!(Address::http_url("https://u:p@h").is_err());
        assert!(Address::http_url("https://h:99999").is_err());
        assert_eq!(
            Address::host_of("tcp://nas.lan:2375").as_deref(),
            Some("nas.lan")
        );
        assert_eq!(Address::host_of("unix:///var/run/docker.sock"), None);
        assert_eq!(
            Address::host_of("https://[fe80::1]:9443/x").as_deref(),
            Some("fe80::1")
        );
    }
}
