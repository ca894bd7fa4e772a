//! Port generation: "give me a free port for this app". The settings (Settings → Ports) live in the
//! legacy `setting` rows (`port_start`, `port_end`, `port_exclude`, `port_length`, `copy_format`,
//! `default_ip`) so an upgraded database keeps its values; they are parsed here into one type, in the
//! browser and on the server alike. Unlike the Python Portall, exclusions take ranges (`8000-8100`)
//! and the length applies whatever the range, so a setting never silently yields nothing: a range
//! with no candidate is refused when saved.
//!
//! The app presets (`presets.json`, MIT, from the Python Portall; see `PRESETS-LICENSE.txt`) are
//! served by the server, not compiled into the browser's code.

#[cfg(feature = "ssr")]
pub mod service;

use crate::validation::{push_error, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// How many digits a generated port has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortLength {
    #[serde(rename = "any")]
    Any,
    #[default]
    #[serde(rename = "4")]
    Four,
    #[serde(rename = "5")]
    Five,
}

impl PortLength {
    pub fn as_str(self) -> &'static str {
        match self {
            PortLength::Any => "any",
            PortLength::Four => "4",
            PortLength::Five => "5",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "any" | "" => Some(PortLength::Any),
            "4" => Some(PortLength::Four),
            "5" => Some(PortLength::Five),
            _ => None,
        }
    }

    fn admits(self, n: u16) -> bool {
        match self {
            PortLength::Any => true,
            PortLength::Four => (1000..=9999).contains(&n),
            PortLength::Five => n >= 10000,
        }
    }
}

/// What the Copy button puts on the clipboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyFormat {
    #[default]
    PortOnly,
    FullUrl,
}

impl CopyFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            CopyFormat::PortOnly => "port_only",
            CopyFormat::FullUrl => "full_url",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "port_only" => Some(CopyFormat::PortOnly),
            "full_url" => Some(CopyFormat::FullUrl),
            _ => None,
        }
    }
}

/// The generation settings, parsed. `port_exclude` is kept as the user wrote it (normalised), its
/// parsed ranges come from [`PortSettings::exclusions`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortSettings {
    pub port_start: u16,
    pub port_end: u16,
    /// Numbers and ranges, comma separated: `22, 8000-8100`.
    pub port_exclude: String,
    /// `any`, `4` or `5`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub port_length: PortLength,
    /// `port_only` or `full_url`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub copy_format: CopyFormat,
    /// The host the New page preselects (empty: none).
    pub default_ip: String,
}

impl Default for PortSettings {
    /// The Python Portall's defaults: 1024–65535, four digits, copy the port only.
    fn default() -> Self {
        PortSettings {
            port_start: 1024,
            port_end: 65535,
            port_exclude: String::new(),
            port_length: PortLength::Four,
            copy_format: CopyFormat::PortOnly,
            default_ip: String::new(),
        }
    }
}

/// The setting keys, as the legacy `setting` table names them.
pub const KEYS: [&str; 6] = [
    "port_start",
    "port_end",
    "port_exclude",
    "port_length",
    "copy_format",
    "default_ip",
];

/// Parses `22, 80, 8000-8100` into ranges.
pub fn parse_exclusions(text: &str) -> Result<Vec<RangeInclusive<u16>>, String> {
    let mut out = Vec::new();
    for part in text.split([',', ';', ' ', '\n']).map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let number = |s: &str| {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    format!("'{part}' is not a port (1–65535) or a range like 8000-8100")
                })
        };
        let range = match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(format!("'{part}': the range starts after it ends"));
                }
                a..=b
            }
            None => {
                let n = number(part)?;
                n..=n
            }
        };
        out.push(range);
    }
    Ok(out)
}

fn normalise_exclusions(ranges: &[RangeInclusive<u16>]) -> String {
    ranges
        .iter()
        .map(|r| {
            if r.start() == r.end() {
                r.start().to_string()
            } else {
                format!("{}-{}", r.start(), r.end())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl PortSettings {
    pub fn exclusions(&self) -> Vec<RangeInclusive<u16>> {
        parse_exclusions(&self.port_exclude).unwrap_or_default()
    }

    /// Every number generation may pick from, before looking at what a host uses.
    pub fn candidates(&self) -> Vec<u16> {
        let excluded = self.exclusions();
        (self.port_start..=self.port_end)
            .filter(|n| self.port_length.admits(*n))
            .filter(|n| !excluded.iter().any(|r| r.contains(n)))
            .collect()
    }

    /// What the Copy button copies for `port` on `host`.
    pub fn copy_text(&self, host: &str, port: i64) -> String {
        match self.copy_format {
            CopyFormat::PortOnly => port.to_string(),
            CopyFormat::FullUrl => crate::ports::url(host, port),
        }
    }

    /// The settings stored in legacy rows, read leniently: a value that does not parse falls back
    /// to its default (it is shown, and fixed on the next save, never an error on display).
    pub fn from_stored(rows: &BTreeMap<String, String>) -> Self {
        let d = PortSettings::default();
        let get = |k: &str| rows.get(k).map(|v| v.trim().to_string());
        let number = |k: &str, fallback: u16| {
            get(k)
                .and_then(|v| v.parse::<u16>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(fallback)
        };
        PortSettings {
            port_start: number("port_start", d.port_start),
            port_end: number("port_end", d.port_end),
            port_exclude: get("port_exclude")
                .map(|v| parse_exclusions(&v).map_or(v, |r| normalise_exclusions(&r)))
                .unwrap_or_default(),
            port_length: get("port_length")
                .and_then(|v| PortLength::parse(&v))
                .unwrap_or(d.port_length),
            copy_format: get("copy_format")
                .and_then(|v| CopyFormat::parse(&v))
                .unwrap_or(d.copy_format),
            default_ip: get("default_ip").unwrap_or_default(),
        }
    }

    /// The rows to store.
    pub fn to_rows(&self) -> Vec<(&'static str, String)> {
        vec![
            ("port_start", self.port_start.to_string()),
            ("port_end", self.port_end.to_string()),
            ("port_exclude", self.port_exclude.clone()),
            ("port_length", self.port_length.as_str().to_string()),
            ("copy_format", self.copy_format.as_str().to_string()),
            ("default_ip", self.default_ip.clone()),
        ]
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Parses an edit of the settings over `current` (omitted fields keep their value).
pub fn parse_port_settings(
    input: &Value,
    current: &PortSettings,
) -> Result<PortSettings, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = input.as_object() else {
        push_error(&mut errors, "_body", "must be a JSON object");
        return Err(errors);
    };
    for key in obj.keys() {
        if !KEYS.contains(&key.as_str()) {
            push_error(&mut errors, key, "is not a port generation setting");
        }
    }
    let mut out = current.clone();
    let field = |key: &str, errors: &mut FieldErrors| -> Option<String> {
        let v = obj.get(key)?;
        let t = as_text(v);
        if t.is_none() {
            push_error(errors, key, "must be text or a number");
        }
        t
    };
    for key in ["port_start", "port_end"] {
        if let Some(t) = field(key, &mut errors) {
            match t.parse::<u16>().ok().filter(|n| *n > 0) {
                Some(n) if key == "port_start" => out.port_start = n,
                Some(n) => out.port_end = n,
                None => push_error(&mut errors, key, "must be a whole number from 1 to 65535"),
            }
        }
    }
    if let Some(t) = field("port_exclude", &mut errors) {
        match parse_exclusions(&t) {
            Ok(r) => out.port_exclude = normalise_exclusions(&r),
            Err(m) => push_error(&mut errors, "port_exclude", m),
        }
    }
    if let Some(t) = field("port_length", &mut errors) {
        match PortLength::parse(&t) {
            Some(l) => out.port_length = l,
            None => push_error(&mut errors, "port_length", "must be any, 4 or 5"),
        }
    }
    if let Some(t) = field("copy_format", &mut errors) {
        match CopyFormat::parse(&t) {
            Some(c) => out.copy_format = c,
            None => push_error(&mut errors, "copy_format", "must be port_only or full_url"),
        }
    }
    if let Some(t) = field("default_ip", &mut errors) {
        if !t.is_empty() {
            if let Err(m) = crate::validation::validate_host(&t) {
                push_error(&mut errors, "default_ip", m);
            }
        }
        out.default_ip = t;
    }
    if errors.is_empty() {
        if out.port_start > out.port_end {
            push_error(
                &mut errors,
                "port_end",
                format!("must not be below the start ({})", out.port_start),
            );
        } else if out.candidates().is_empty() {
            let (field, why) = if (out.port_start..=out.port_end).any(|n| out.port_length.admits(n))
            {
                (
                    "port_exclude",
                    "excludes every port of the range".to_string(),
                )
            } else {
                (
                    "port_length",
                    format!(
                        "leaves no candidate: {}–{} has no {}-digit number",
                        out.port_start,
                        out.port_end,
                        out.port_length.as_str()
                    ),
                )
            };
            push_error(&mut errors, field, why);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One app preset: a name and the port the app usually listens on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Preset {
    pub name: String,
    pub port: u16,
}

/// A number for a port dialog: the one asked for, or the next free one with a note saying why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub port_number: i64,
    pub note: Option<String>,
}

/// A generated port and where it is reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Generated {
    pub port_number: i64,
    pub url: String,
    /// What the Copy button copies (per `copy_format`).
    pub copy: String,
    /// The stored entry's id, when it was saved.
    pub id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exclusions_take_numbers_and_ranges() {
        assert_eq!(
            parse_exclusions("22, 8000-8002;9000").unwrap(),
            vec![22..=22, 8000..=8002, 9000..=9000]
        );
        assert!(parse_exclusions("80-70")
            .unwrap_err()
            .contains("starts after"));
        assert!(parse_exclusions("http").unwrap_err().contains("'http'"));
        assert!(parse_exclusions("0").is_err());
    }

    #[test]
    fn candidates_honour_every_setting() {
        let d = PortSettings::default();
        let c = d.candidates();
        assert_eq!((c[0], *c.last().unwrap(), c.len()), (1024, 9999, 8976));
        let s = parse_port_settings(
            &json!({"port_start": "8000", "port_end": 8010, "port_exclude": "8001-8008", "port_length": "any"}),
            &d,
        )
        .unwrap();
        assert_eq!(s.candidates(), vec![8000, 8009, 8010]);
        assert_eq!(s.port_exclude, "8001-8008");
        let s5 = parse_port_settings(
            &json!({"port_start": 9990, "port_end": 10005, "port_length": "5"}),
            &d,
        )
        .unwrap();
        assert_eq!(s5.candidates().first(), Some(&10000));
    }

    #[test]
    fn settings_that_yield_nothing_are_refused() {
        let d = PortSettings::default();
        let e =
            parse_port_settings(&json!({"port_start": 10000, "port_end": 20000}), &d).unwrap_err();
        assert!(e["port_length"][0].contains("no 4-digit number"));
        let e = parse_port_settings(
            &json!({"port_start": 5000, "port_end": 5010, "port_exclude": "5000-5010"}),
            &d,
        )
        .unwrap_err();
        assert!(e.contains_key("port_exclude"));
        let e = parse_port_settings(
            &json!({"port_start": 6000, "port_end": 5000, "copy_format": "x", "bogus": 1}),
            &d,
        )
        .unwrap_err();
        assert_eq!(e.keys().collect::<Vec<_>>(), vec!["bogus", "copy_format"]);
        let e =
            parse_port_settings(&json!({"port_start": 6000, "port_end": 5000}), &d).unwrap_err();
        assert!(e["port_end"][0].contains("below the start"));
    }

    #[test]
    fn stored_values_are_read_leniently() {
        let rows: BTreeMap<String, String> = [
            ("port_start", "2000"),
            ("port_end", "junk"),
            ("port_length", "5"),
            ("copy_format", "full_url"),
            ("port_exclude", "2001 ,2002-2003"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let s = PortSettings::from_stored(&rows);
        assert_eq!((s.port_start, s.port_end), (2000, 65535));
        assert_eq!(s.port_exclude, "2001, 2002-2003");
        assert_eq!(s.copy_text("::1", 8080), "http://[::1]:8080");
    }
}
