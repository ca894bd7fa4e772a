//! Tags and tagging rules: the types and the parsing the browser and the server share.
//!
//! A rule is the legacy `tagging_rule` row: its `conditions` and `actions` are JSON text. Upgraded
//! rows were written by the Python Portall, which stored port values as strings and accepted a list
//! (AND), one condition, or an `{operator, conditions}` group; [`Condition`] reads all of those and
//! writes one canonical shape (numbers as numbers). Parsing happens once, into types; the engine
//! (server side, `engine`) only evaluates. Regular expressions are compiled there (the browser checks
//! the structure and asks the server for a preview, which reports a bad pattern on its condition).

pub mod api;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod templates;

use crate::ports::Protocol;
use crate::validation::{push_error, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::IpAddr;

/// A tag as a port entry shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TagRef {
    pub id: i64,
    pub name: String,
    pub color: String,
}

/// A tag with its description and how many entries carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub port_count: i64,
}

/// A tag as a form or a request gives it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagInput {
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

/// Colours that read well as badges in both themes; a new tag gets the first one no tag uses yet.
pub const PALETTE: [&str; 12] = [
    "#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
    "#4f46e5", "#059669", "#64748b", "#b45309",
];

/// The colour to offer for a new tag: the first of [`PALETTE`] not in `used`, else by count.
pub fn suggest_color<'a>(used: impl IntoIterator<Item = &'a str>) -> String {
    let used: Vec<String> = used.into_iter().map(str::to_ascii_lowercase).collect();
    PALETTE
        .iter()
        .find(|c| !used.iter().any(|u| u == *c))
        .unwrap_or(&PALETTE[used.len() % PALETTE.len()])
        .to_string()
}

/// `#rgb` or `#rrggbb` (any case) as lower-case `#rrggbb`.
pub fn normalise_color(s: &str) -> Option<String> {
    let hex = s.trim().strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(format!(
            "#{}",
            hex.chars()
                .flat_map(|c| [c, c])
                .collect::<String>()
                .to_ascii_lowercase()
        )),
        _ => None,
    }
}

/// Black or white, whichever contrasts more with `background` (WCAG relative luminance).
pub fn text_color(background: &str) -> &'static str {
    let Some(hex) = normalise_color(background) else {
        return "#ffffff";
    };
    let channel = |i: usize| {
        let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0) as f64 / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // Contrast with white is 1.05 / (l + 0.05), with black (l + 0.05) / 0.05; equal at l ≈ 0.179.
    if l > 0.179 {
        "#000000"
    } else {
        "#ffffff"
    }
}

fn text<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// Checks a tag's fields (name 1–50 characters, colour hex, description up to 200); without a
/// colour the tag gets `default_color`.
pub fn parse_tag(input: &Value, default_color: &str) -> Result<TagInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = text(input, "name").unwrap_or_default().trim().to_string();
    let length = name.chars().count();
    if length == 0 {
        push_error(&mut errors, "name", "is required");
    } else if length > 50 {
        push_error(
            &mut errors,
            "name",
            format!("is {length} characters; at most 50"),
        );
    }
    let color = match text(input, "color")
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => default_color.to_string(),
        Some(c) => normalise_color(c).unwrap_or_else(|| {
            push_error(&mut errors, "color", "must be a colour like #2563eb");
            String::new()
        }),
    };
    let description = text(input, "description")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    if let Some(d) = &description {
        let n = d.chars().count();
        if n > 200 {
            push_error(
                &mut errors,
                "description",
                format!("is {n} characters; at most 200"),
            );
        }
    }
    if errors.is_empty() {
        Ok(TagInput {
            name,
            color,
            description,
        })
    } else {
        Err(errors)
    }
}

/// `{"tag_ids": [..]}`: the complete set of tags an entry should carry.
pub fn parse_tag_ids(input: &Value, key: &str) -> Result<Vec<i64>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let ids = match input.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| {
                let id = v.as_i64().filter(|i| *i > 0);
                if id.is_none() {
                    push_error(&mut errors, key, format!("{v} is not a tag id"));
                }
                id
            })
            .collect(),
        Some(_) => {
            push_error(&mut errors, key, "must be a list of ids");
            Vec::new()
        }
    };
    if errors.is_empty() {
        let mut ids = ids;
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    } else {
        Err(errors)
    }
}

/// Many entries at once: `{"port_ids": [..], "add": [tag ids], "remove": [tag ids]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkTagging {
    pub port_ids: Vec<i64>,
    pub add: Vec<i64>,
    pub remove: Vec<i64>,
}

pub fn parse_bulk(input: &Value) -> Result<BulkTagging, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut take = |key: &str| {
        parse_tag_ids(input, key).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        })
    };
    let bulk = BulkTagging {
        port_ids: take("port_ids"),
        add: take("add"),
        remove: take("remove"),
    };
    if bulk.port_ids.is_empty() && !errors.contains_key("port_ids") {
        push_error(&mut errors, "port_ids", "select at least one port");
    }
    if bulk.add.is_empty() && bulk.remove.is_empty() {
        push_error(&mut errors, "add", "choose a tag to add or remove");
    }
    if let Some(both) = bulk.add.iter().find(|t| bulk.remove.contains(t)) {
        push_error(
            &mut errors,
            "remove",
            format!("tag {both} is both added and removed"),
        );
    }
    if errors.is_empty() {
        Ok(bulk)
    } else {
        Err(errors)
    }
}

/// How a group combines its conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    #[serde(rename = "AND")]
    And,
    #[serde(rename = "OR")]
    Or,
}

/// Where an entry came from, for the `source` condition: a kind (`manual`, `import`, `scan`, or an
/// integration type, which also matches entries any instance of that type reports) or one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceMatch {
    Kind(String),
    Instance(i64),
}

pub const SOURCE_KINDS: [&str; 6] = ["manual", "import", "scan", "docker", "portainer", "komodo"];

/// An IPv4 or IPv6 network, `10.0.0.0/8` or `fd00::/8` (a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{addr}' is not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("the prefix length must be 0–{max}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `address` (text, as entries store it; brackets allowed for IPv6) is inside.
    pub fn contains(&self, address: &str) -> bool {
        let Ok(ip) = address
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        else {
            return false;
        };
        let bits = |ip: IpAddr| -> (u128, u32) {
            match ip {
                IpAddr::V4(v) => (u32::from(v) as u128, 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let ((net, width), (ip, other)) = (bits(self.network), bits(ip));
        if width != other {
            return false;
        }
        let shift = width - self.prefix as u32;
        shift >= width || (net >> shift) == (ip >> shift)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// One condition of a rule, or a group of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub enum Condition {
    Group(Operator, Vec<Condition>),
    IpExact(String),
    IpPrefix(String),
    IpContains(String),
    /// Anchored at the start, as the Python Portall's `re.match` was.
    IpRegex(String),
    IpCidr(Cidr),
    PortExact(i64),
    PortRange(i64, i64),
    PortList(Vec<i64>),
    Protocol(Protocol),
    DescriptionContains(String),
    /// Searched anywhere, case-insensitive.
    DescriptionRegex(String),
    NicknameContains(String),
    NicknameRegex(String),
    Source(SourceMatch),
    TagPresent(String),
}

/// Every condition type, in the order the rule builder offers them, with its label.
pub const CONDITION_TYPES: [(&str, &str); 15] = [
    ("port_exact", "Port is"),
    ("port_range", "Port in range"),
    ("port_list", "Port in list"),
    ("protocol", "Protocol is"),
    ("ip_exact", "Address is"),
    ("ip_prefix", "Address starts with"),
    ("ip_contains", "Address contains"),
    ("ip_regex", "Address matches pattern"),
    ("ip_cidr", "Address in network (CIDR)"),
    ("description_contains", "Description contains"),
    ("description_regex", "Description matches pattern"),
    ("nickname_contains", "Nickname contains"),
    ("nickname_regex", "Nickname matches pattern"),
    ("source", "Source is"),
    ("tag_present", "Has tag"),
];

impl Condition {
    pub fn kind(&self) -> &'static str {
        match self {
            Condition::Group(..) => "group",
            Condition::IpExact(_) => "ip_exact",
            Condition::IpPrefix(_) => "ip_prefix",
            Condition::IpContains(_) => "ip_contains",
            Condition::IpRegex(_) => "ip_regex",
            Condition::IpCidr(_) => "ip_cidr",
            Condition::PortExact(_) => "port_exact",
            Condition::PortRange(..) => "port_range",
            Condition::PortList(_) => "port_list",
            Condition::Protocol(_) => "protocol",
            Condition::DescriptionContains(_) => "description_contains",
            Condition::DescriptionRegex(_) => "description_regex",
            Condition::NicknameContains(_) => "nickname_contains",
            Condition::NicknameRegex(_) => "nickname_regex",
            Condition::Source(_) => "source",
            Condition::TagPresent(_) => "tag_present",
        }
    }

    /// The canonical JSON: groups as `{operator, conditions}`, leaves as `{type, value}` (a range as
    /// `{type, start, end}`), numbers as numbers.
    pub fn to_json(&self) -> Value {
        let leaf = |v: Value| json!({"type": self.kind(), "value": v});
        match self {
            Condition::Group(op, items) => json!({
                "operator": op,
                "conditions": items.iter().map(Condition::to_json).collect::<Vec<_>>(),
            }),
            Condition::IpExact(s)
            | Condition::IpPrefix(s)
            | Condition::IpContains(s)
            | Condition::IpRegex(s)
            | Condition::DescriptionContains(s)
            | Condition::DescriptionRegex(s)
            | Condition::NicknameContains(s)
            | Condition::NicknameRegex(s)
            | Condition::TagPresent(s) => leaf(json!(s)),
            Condition::IpCidr(c) => leaf(json!(c.to_string())),
            Condition::PortExact(n) => leaf(json!(n)),
            Condition::PortRange(a, b) => json!({"type": "port_range", "start": a, "end": b}),
            Condition::PortList(l) => leaf(json!(l)),
            Condition::Protocol(p) => leaf(json!(p.as_str())),
            Condition::Source(SourceMatch::Kind(k)) => leaf(json!(k)),
            Condition::Source(SourceMatch::Instance(id)) => leaf(json!(format!("instance:{id}"))),
        }
    }

    /// Reads conditions as the legacy app and this one write them; errors go under `path`
    /// (`conditions`, `conditions.0.2`: the condition's place in the tree).
    pub fn parse(v: &Value, path: &str, errors: &mut FieldErrors) -> Option<Condition> {
        match v {
            Value::Array(items) => Some(Condition::Group(
                Operator::And,
                parse_items(items, path, errors)?,
            )),
            Value::Object(o) if o.contains_key("conditions") || o.contains_key("operator") => {
                let op = match o
                    .get("operator")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_uppercase)
                {
                    None => Operator::And,
                    Some(s) if s == "AND" => Operator::And,
                    Some(s) if s == "OR" => Operator::Or,
                    Some(s) => {
                        push_error(errors, path, format!("operator '{s}' must be AND or OR"));
                        return None;
                    }
                };
                let items = match o.get("conditions") {
                    Some(Value::Array(items)) => items.as_slice(),
                    _ => &[],
                };
                Some(Condition::Group(op, parse_items(items, path, errors)?))
            }
            Value::Object(o) if o.contains_key("type") => parse_leaf(v, path, errors),
            _ => {
                push_error(
                    errors,
                    path,
                    "is not a condition (expected a type, or operator and conditions)",
                );
                None
            }
        }
    }

    /// Whether any group is empty: an empty group would match every port, so a rule cannot have one.
    fn has_empty_group(&self) -> bool {
        match self {
            Condition::Group(_, items) => {
                items.is_empty() || items.iter().any(Self::has_empty_group)
            }
            _ => false,
        }
    }
}

fn parse_items(items: &[Value], path: &str, errors: &mut FieldErrors) -> Option<Vec<Condition>> {
    let before = errors.len();
    let parsed: Vec<Condition> = items
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Condition::parse(c, &format!("{path}.{i}"), errors))
        .collect();
    (errors.len() == before && parsed.len() == items.len()).then_some(parsed)
}

/// A number given as a number or as text (the Python Portall stored port values as strings).
fn number(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn port(v: Option<&Value>, path: &str, what: &str, errors: &mut FieldErrors) -> Option<i64> {
    let n = number(v).filter(|n| (1..=65535).contains(n));
    if n.is_none() {
        push_error(
            errors,
            path,
            format!("{what} must be a port number from 1 to 65535"),
        );
    }
    n
}

fn parse_leaf(v: &Value, path: &str, errors: &mut FieldErrors) -> Option<Condition> {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let value = v.get("value");
    let mut string = |label: &str| -> Option<String> {
        let s = match value {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        if s.is_empty() {
            push_error(errors, path, format!("{label}: enter a value"));
            None
        } else {
            Some(s)
        }
    };
    Some(match kind {
        "ip_exact" => Condition::IpExact(string("Address")?),
        "ip_prefix" => Condition::IpPrefix(string("Address prefix")?),
        "ip_contains" => Condition::IpContains(string("Address text")?),
        "ip_regex" => Condition::IpRegex(string("Address pattern")?),
        "ip_cidr" => {
            let s = string("Network")?;
            match Cidr::parse(&s) {
                Ok(c) => Condition::IpCidr(c),
                Err(e) => {
                    push_error(errors, path, format!("Network '{s}': {e}"));
                    return None;
                }
            }
        }
        "description_contains" => Condition::DescriptionContains(string("Description text")?),
        "description_regex" => Condition::DescriptionRegex(string("Description pattern")?),
        "nickname_contains" => Condition::NicknameContains(string("Nickname text")?),
        "nickname_regex" => Condition::NicknameRegex(string("Nickname pattern")?),
        "tag_present" => Condition::TagPresent(string("Tag")?),
        "protocol" => {
            let s = string("Protocol")?;
            match Protocol::parse(&s) {
                Some(p) => Condition::Protocol(p),
                None => {
                    push_error(errors, path, format!("Protocol '{s}' must be TCP or UDP"));
                    return None;
                }
            }
        }
        "source" => {
            let s = string("Source")?.to_ascii_lowercase();
            if let Some(id) = s.strip_prefix("instance:") {
                match id.trim().parse::<i64>() {
                    Ok(id) if id > 0 => Condition::Source(SourceMatch::Instance(id)),
                    _ => {
                        push_error(errors, path, format!("Source '{s}' names no integration"));
                        return None;
                    }
                }
            } else if SOURCE_KINDS.contains(&s.as_str()) {
                Condition::Source(SourceMatch::Kind(s))
            } else {
                push_error(
                    errors,
                    path,
                    format!(
                        "Source '{s}' must be one of {} or an integration",
                        SOURCE_KINDS.join(", ")
                    ),
                );
                return None;
            }
        }
        "port_exact" => Condition::PortExact(port(value, path, "Port", errors)?),
        "port_range" => {
            // `{start, end}`, or a legacy `value: "8000-8100"`.
            let (a, b) = match (v.get("start"), v.get("end"), value.and_then(Value::as_str)) {
                (None, None, Some(text)) => {
                    let (a, b) = text.split_once('-').unwrap_or((text, text));
                    (Some(json!(a.trim())), Some(json!(b.trim())))
                }
                (a, b, _) => (a.cloned(), b.cloned()),
            };
            let start = port(a.as_ref(), path, "Start", errors);
            let end = port(b.as_ref(), path, "End", errors);
            let (start, end) = (start?, end?);
            if start > end {
                push_error(errors, path, format!("Start {start} is after end {end}"));
                return None;
            }
            Condition::PortRange(start, end)
        }
        "port_list" => {
            let items: Vec<Value> = match value {
                Some(Value::Array(a)) => a.clone(),
                Some(Value::String(s)) => s
                    .split([',', ' '])
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| json!(p.trim()))
                    .collect(),
                Some(n @ Value::Number(_)) => vec![n.clone()],
                _ => Vec::new(),
            };
            if items.is_empty() {
                push_error(
                    errors,
                    path,
                    "Ports: enter one or more port numbers (22, 80, 443)",
                );
                return None;
            }
            let mut ports = Vec::new();
            for item in &items {
                match number(Some(item)).filter(|n| (1..=65535).contains(n)) {
                    Some(n) => ports.push(n),
                    None => {
                        push_error(
                            errors,
                            path,
                            format!("Ports: {item} is not a port number from 1 to 65535"),
                        );
                        return None;
                    }
                }
            }
            ports.sort_unstable();
            ports.dedup();
            Condition::PortList(ports)
        }
        "" => {
            push_error(errors, path, "choose a condition type");
            return None;
        }
        other => {
            push_error(
                errors,
                path,
                format!("'{other}' is not a condition type this Portall knows"),
            );
            return None;
        }
    })
}

impl TryFrom<Value> for Condition {
    type Error = String;
    fn try_from(v: Value) -> Result<Self, String> {
        let mut errors = FieldErrors::new();
        Condition::parse(&v, "conditions", &mut errors).ok_or_else(|| {
            errors
                .into_iter()
                .map(|(k, m)| format!("{k}: {}", m.join("; ")))
                .collect::<Vec<_>>()
                .join(". ")
        })
    }
}

impl From<Condition> for Value {
    fn from(c: Condition) -> Value {
        c.to_json()
    }
}

/// Which tag an action adds or removes: by name (created when missing) or, in legacy rules, by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagTarget {
    Name(String),
    Id(i64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct Action {
    pub add: bool,
    pub tag: TagTarget,
    /// The colour of the tag when the action creates it.
    pub color: Option<String>,
}

impl Action {
    pub fn to_json(&self) -> Value {
        let mut v = json!({"type": if self.add { "add_tag" } else { "remove_tag" }});
        match &self.tag {
            TagTarget::Name(n) => v["tag_name"] = json!(n),
            TagTarget::Id(id) => v["tag_id"] = json!(id),
        }
        if let Some(c) = &self.color {
            v["tag_color"] = json!(c);
        }
        v
    }

    pub fn parse(v: &Value, path: &str, errors: &mut FieldErrors) -> Option<Action> {
        let add = match v.get("type").and_then(Value::as_str) {
            Some("add_tag") => true,
            Some("remove_tag") => false,
            other => {
                push_error(
                    errors,
                    path,
                    format!(
                        "action '{}' must be add_tag or remove_tag",
                        other.unwrap_or("")
                    ),
                );
                return None;
            }
        };
        let name = v
            .get("tag_name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let tag = match (name, number(v.get("tag_id"))) {
            (Some(n), _) if n.chars().count() <= 50 => TagTarget::Name(n.to_string()),
            (Some(_), _) => {
                push_error(errors, path, "tag names have at most 50 characters");
                return None;
            }
            (None, Some(id)) => TagTarget::Id(id),
            (None, None) => {
                push_error(errors, path, "name the tag");
                return None;
            }
        };
        let color = match v.get("tag_color").and_then(Value::as_str).map(str::trim) {
            None | Some("") => None,
            Some(c) => match normalise_color(c) {
                Some(c) => Some(c),
                None => {
                    push_error(errors, path, format!("'{c}' is not a colour like #2563eb"));
                    return None;
                }
            },
        };
        Some(Action { add, tag, color })
    }
}

impl TryFrom<Value> for Action {
    type Error = String;
    fn try_from(v: Value) -> Result<Self, String> {
        let mut errors = FieldErrors::new();
        Action::parse(&v, "actions", &mut errors)
            .ok_or_else(|| crate::validation::all_messages(&errors))
    }
}

impl From<Action> for Value {
    fn from(a: Action) -> Value {
        a.to_json()
    }
}

/// A rule as a form or a request gives it, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub auto_execute: bool,
    pub priority: i64,
    pub conditions: Condition,
    pub actions: Vec<Action>,
}

/// A stored rule with its statistics. `problem` says why an upgraded rule cannot run (its stored
/// conditions or actions are unreadable); such a rule is shown and never applied until it is saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub auto_execute: bool,
    pub priority: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub conditions: Value,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub actions: Value,
    pub execution_count: i64,
    pub ports_affected: i64,
    pub last_executed: Option<String>,
    pub problem: Option<String>,
}

fn flag(input: &Value, key: &str, default: bool, errors: &mut FieldErrors) -> bool {
    match input.get(key) {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        Some(_) => {
            push_error(errors, key, "must be true or false");
            default
        }
    }
}

/// Checks a rule: a name (1–100), at most 500 characters of description, a priority, at least one
/// condition (no empty group) and at least one action.
pub fn parse_rule(input: &Value) -> Result<RuleSpec, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = text(input, "name").unwrap_or_default().trim().to_string();
    match name.chars().count() {
        0 => push_error(&mut errors, "name", "is required"),
        n if n > 100 => push_error(
            &mut errors,
            "name",
            format!("is {n} characters; at most 100"),
        ),
        _ => {}
    }
    let description = text(input, "description")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    if let Some(n) = description
        .as_ref()
        .map(|d| d.chars().count())
        .filter(|n| *n > 500)
    {
        push_error(
            &mut errors,
            "description",
            format!("is {n} characters; at most 500"),
        );
    }
    let priority = match input.get("priority") {
        None | Some(Value::Null) => 0,
        Some(p) => number(Some(p))
            .filter(|p| (-1000..=1000).contains(p))
            .unwrap_or_else(|| {
                push_error(
                    &mut errors,
                    "priority",
                    "must be a whole number from -1000 to 1000",
                );
                0
            }),
    };
    let enabled = flag(input, "enabled", true, &mut errors);
    let auto_execute = flag(input, "auto_execute", false, &mut errors);
    let conditions = match input.get("conditions") {
        None | Some(Value::Null) => {
            push_error(&mut errors, "conditions", "add at least one condition");
            None
        }
        Some(c) => Condition::parse(c, "conditions", &mut errors),
    };
    if let Some(c) = &conditions {
        if c.has_empty_group() {
            push_error(
                &mut errors,
                "conditions",
                "a rule needs at least one condition in every group (an empty group would match every port)",
            );
        }
    }
    let actions: Vec<Action> = match input.get("actions") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Action::parse(a, &format!("actions.{i}"), &mut errors))
            .collect(),
        _ => {
            push_error(
                &mut errors,
                "actions",
                "add at least one action (add or remove a tag)",
            );
            Vec::new()
        }
    };
    match (errors.is_empty(), conditions) {
        (true, Some(conditions)) => Ok(RuleSpec {
            name,
            description,
            enabled,
            auto_execute,
            priority,
            conditions,
            actions,
        }),
        _ => Err(errors),
    }
}

/// One line of a rule's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub executed_at: Option<String>,
    pub action: String,
    pub port_id: i64,
    /// `10.0.0.5:8080/TCP`, or empty when the entry is gone.
    pub port: String,
    pub tag: String,
    pub success: bool,
    pub error: Option<String>,
}

/// What running rules did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunReport {
    pub rules: usize,
    /// Entries that gained or lost a tag.
    pub ports_affected: usize,
    pub tags_added: usize,
    pub tags_removed: usize,
    pub tags_created: Vec<String>,
    pub message: String,
}

/// What a preview answers: the entries the conditions match now, and how many of them the actions
/// would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Preview {
    pub port_ids: Vec<i64>,
    pub would_change: usize,
    /// Up to 50 of the matching entries, for the list under the builder.
    pub ports: Vec<crate::model::PortEntry>,
    pub message: String,
}

/// A built-in set of rules that can be added in one click.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Template {
    pub name: String,
    pub title: String,
    pub description: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub rules: Vec<Value>,
}

/// What applying a template or importing a configuration did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Applied {
    pub added: Vec<String>,
    pub skipped: Vec<String>,
    pub tags_added: Vec<String>,
    pub tags_skipped: Vec<String>,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Condition, FieldErrors> {
        let mut errors = FieldErrors::new();
        Condition::parse(&v, "conditions", &mut errors).ok_or(errors)
    }

    #[test]
    fn legacy_shapes_read_into_one_canonical_form() {
        // A list is AND; port values as strings read as numbers.
        let c = parse(json!([
            {"type": "port_exact", "value": "22"},
            {"operator": "or", "conditions": [
                {"type": "port_range", "start": "8000", "end": "8100"},
                {"type": "port_list", "value": ["80", 443]},
                {"type": "port_list", "value": "3000, 3001"}
            ]}
        ]))
        .unwrap();
        assert_eq!(
            c,
            Condition::Group(
                Operator::And,
                vec![
                    Condition::PortExact(22),
                    Condition::Group(
                        Operator::Or,
                        vec![
                            Condition::PortRange(8000, 8100),
                            Condition::PortList(vec![80, 443]),
                            Condition::PortList(vec![3000, 3001]),
                        ]
                    )
                ]
            )
        );
        // Written back, numbers are numbers, and reading that gives the same rule.
        let written = c.to_json();
        assert_eq!(written["conditions"][0]["value"], json!(22));
        assert_eq!(parse(written).unwrap(), c);
        // One object alone is a leaf.
        assert_eq!(
            parse(json!({"type": "protocol", "value": "udp"})).unwrap(),
            Condition::Protocol(Protocol::Udp)
        );
        assert_eq!(
            parse(json!({"type": "port_range", "value": "20-25"})).unwrap(),
            Condition::PortRange(20, 25)
        );
    }

    #[test]
    fn bad_conditions_name_their_place() {
        let e = parse(json!({"operator": "AND", "conditions": [
            {"type": "port_exact", "value": 22},
            {"operator": "OR", "conditions": [{"type": "port_range", "start": 90, "end": 80}]},
            {"type": "ip_cidr", "value": "10.0.0.0/33"},
            {"type": "source", "value": "ftp"},
            {"type": "ip_contains"},
            {"type": "nope", "value": 1}
        ]}))
        .unwrap_err();
        assert!(e["conditions.1.0"][0].contains("after end"), "{e:?}");
        assert!(e["conditions.2"][0].contains("prefix length"), "{e:?}");
        assert!(e["conditions.3"][0].contains("must be one of"), "{e:?}");
        assert!(e["conditions.4"][0].contains("enter a value"), "{e:?}");
        assert!(e["conditions.5"][0].contains("'nope'"), "{e:?}");
        assert!(!e.contains_key("conditions.0"));
        // The legacy fixture's bare `{"port_range": "22"}` is not a condition.
        assert!(parse(json!({"port_range": "22"})).is_err());
    }

    #[test]
    fn rules_need_conditions_actions_and_no_empty_group() {
        let e = parse_rule(&json!({"name": " ", "conditions": {"operator": "AND", "conditions": [
            {"type": "port_exact", "value": 1}, {"operator": "OR", "conditions": []}]}, "actions": []}))
        .unwrap_err();
        assert!(e.contains_key("name"));
        assert!(e["conditions"][0].contains("empty group"), "{e:?}");
        assert!(e.contains_key("actions"));
        let ok = parse_rule(&json!({
            "name": "SSH", "priority": "5", "auto_execute": 1,
            "conditions": {"type": "port_exact", "value": "22"},
            "actions": [{"type": "add_tag", "tag_name": "ssh", "tag_color": "#ABC"}, {"type": "remove_tag", "tag_id": "3"}]
        }))
        .unwrap();
        assert_eq!(ok.priority, 5);
        assert!(ok.enabled && ok.auto_execute);
        assert_eq!(
            ok.actions,
            vec![
                Action {
                    add: true,
                    tag: TagTarget::Name("ssh".into()),
                    color: Some("#aabbcc".into())
                },
                Action {
                    add: false,
                    tag: TagTarget::Id(3),
                    color: None
                },
            ]
        );
    }

    #[test]
    fn cidr_for_both_families() {
        let v4 = Cidr::parse("192.168.1.0/24").unwrap();
        assert!(v4.contains("192.168.1.77"));
        assert!(!v4.contains("192.168.2.1"));
        assert!(!v4.contains("fe80::1"));
        assert!(!v4.contains("nas.lan"));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12:3456::1"));
        assert!(v6.contains("[fd00::5]"));
        assert!(!v6.contains("fe80::1"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8"));
        assert!(Cidr::parse("10.0.0.1").unwrap().contains("10.0.0.1"));
        assert!(!Cidr::parse("10.0.0.1").unwrap().contains("10.0.0.2"));
        assert!(Cidr::parse("10.0.0.0/40").is_err());
        assert!(Cidr::parse("ten/8").is_err());
    }

    #[test]
    fn tags_colours_and_contrast() {
        assert_eq!(normalise_color("#ABC").as_deref(), Some("#aabbcc"));
        assert_eq!(normalise_color("#0088FF").as_deref(), Some("#0088ff"));
        assert_eq!(normalise_color("red"), None);
        assert_eq!(text_color("#ffff00"), "#000000");
        assert_eq!(text_color("#1e3a8a"), "#ffffff");
        assert_eq!(suggest_color(["#2563eb"]), "#16a34a");
        let e =
            parse_tag(&json!({"name": "x".repeat(51), "color": "blue"}), "#000000").unwrap_err();
        assert!(e.contains_key("name") && e.contains_key("color"));
        let t = parse_tag(
            &json!({"name": " Média ", "color": "#FFF", "description": ""}),
            "#000000",
        )
        .unwrap();
        assert_eq!(
            parse_tag(&json!({"name": "n"}), "#16a34a").unwrap().color,
            "#16a34a"
        );
        assert_eq!(
            (t.name.as_str(), t.color.as_str(), t.description),
            ("Média", "#ffffff", None)
        );
        assert!(parse_bulk(&json!({"port_ids": [1], "add": [2], "remove": [2]})).is_err());
        assert!(parse_bulk(&json!({"port_ids": [], "add": [2]})).is_err());
    }
}
