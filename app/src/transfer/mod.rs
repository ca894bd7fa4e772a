//! Data in and out: importing port lists written by other tools (Docker Compose files, Caddyfiles,
//! Portall's and the Python Portall's JSON exports, our CSV), exporting everything, backups, purging,
//! and the appearance settings (theme, custom CSS). The request and report types are shared with the
//! browser; the parsers run on the server only (a YAML parser has no place in the page's WASM), so
//! the page previews an import by asking for a dry run.

pub mod api;
#[cfg(feature = "ssr")]
pub mod appearance;
#[cfg(feature = "ssr")]
pub mod caddy;
#[cfg(feature = "ssr")]
pub mod compose;
#[cfg(feature = "ssr")]
pub mod files;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(all(test, feature = "ssr"))]
mod tests;

use crate::ports::Protocol;
use serde::{Deserialize, Serialize};

/// The largest import accepted (a Compose file of a few hundred services is far smaller).
pub const IMPORT_MAX_BYTES: usize = 1024 * 1024;
/// The largest custom style sheet accepted.
pub const CSS_MAX_BYTES: usize = 64 * 1024;

/// What an import reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    #[default]
    Compose,
    Caddyfile,
    Json,
    Csv,
}

impl ImportFormat {
    pub const ALL: [ImportFormat; 4] = [
        ImportFormat::Compose,
        ImportFormat::Caddyfile,
        ImportFormat::Json,
        ImportFormat::Csv,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "compose" | "docker-compose" | "docker_compose" => Some(Self::Compose),
            "caddyfile" | "caddy" => Some(Self::Caddyfile),
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compose => "compose",
            Self::Caddyfile => "caddyfile",
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Compose => "Docker Compose",
            Self::Caddyfile => "Caddyfile",
            Self::Json => "JSON (Portall export)",
            Self::Csv => "CSV (Portall export)",
        }
    }

    /// The format a file name suggests (`docker-compose.yml`, `Caddyfile`, `export.json`).
    pub fn guess(file_name: &str) -> Option<Self> {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".yml") || lower.ends_with(".yaml") {
            Some(Self::Compose)
        } else if lower.ends_with(".json") {
            Some(Self::Json)
        } else if lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if lower.contains("caddyfile") || lower.ends_with(".caddy") {
            Some(Self::Caddyfile)
        } else {
            None
        }
    }
}

/// One entry an import would add (or did add).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportedEntry {
    pub ip_address: String,
    pub port_number: i64,
    pub port_protocol: Protocol,
    pub description: String,
    /// The line of the file it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Why it is skipped (skipped entries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What could not be understood, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LineError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// An import's answer: with `dry_run` what would happen, otherwise what happened.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub dry_run: bool,
    pub added: Vec<ImportedEntry>,
    pub skipped: Vec<ImportedEntry>,
    pub errors: Vec<LineError>,
    /// Tags and rules a Portall export brought along.
    #[serde(default)]
    pub tags_added: Vec<String>,
    #[serde(default)]
    pub rules_added: Vec<String>,
    /// The address used for entries that name none.
    pub host: String,
    pub message: String,
}

/// A parsed entry before validation: `ip_address: None` means "the import's target host".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Candidate {
    pub ip_address: Option<String>,
    pub port_number: i64,
    pub port_protocol: Protocol,
    pub description: String,
    pub nickname: Option<String>,
    pub tags: Vec<String>,
    pub order: Option<i64>,
    pub line: Option<usize>,
}

/// What a parser found: entries, what it could not read, and (Portall exports) tags and rules.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Candidate>,
    pub errors: Vec<LineError>,
    /// Tag definitions (`{name, color, description}`) and rules, in the tagging import's shape.
    pub tags: Vec<serde_json::Value>,
    pub rules: Vec<serde_json::Value>,
}

/// A file that cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The colour scheme: the system's, or always light or dark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "system" | "auto" | "" => Some(Theme::System),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }
}

/// The appearance settings (the legacy `theme` and `custom_css` rows).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Appearance {
    pub theme: Theme,
    pub custom_css: String,
}

/// Parses an appearance edit: `{theme, custom_css}` (either may be left out: it stays).
pub fn parse_appearance(
    input: &serde_json::Value,
    current: &Appearance,
) -> Result<Appearance, crate::validation::FieldErrors> {
    use crate::validation::push_error;
    let mut errors = crate::validation::FieldErrors::new();
    let mut out = current.clone();
    match input.get("theme") {
        None => {}
        Some(serde_json::Value::String(s)) => match Theme::parse(s) {
            Some(t) => out.theme = t,
            None => push_error(&mut errors, "theme", "choose system, light or dark"),
        },
        Some(_) => push_error(&mut errors, "theme", "choose system, light or dark"),
    }
    match input.get("custom_css") {
        None => {}
        Some(serde_json::Value::Null) => out.custom_css.clear(),
        Some(serde_json::Value::String(s)) if s.len() > CSS_MAX_BYTES => push_error(
            &mut errors,
            "custom_css",
            format!("at most {} KiB", CSS_MAX_BYTES / 1024),
        ),
        Some(serde_json::Value::String(s)) => out.custom_css = s.replace("\r\n", "\n"),
        Some(_) => push_error(&mut errors, "custom_css", "must be text"),
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A short name for the custom style sheet's content (FNV-1a, the same in the browser and on the
/// server): its link changes when the CSS does, so browsers may cache `/custom.css` for long.
pub fn css_version(css: &str) -> String {
    let hash = css.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The custom style sheet's address, or `None` when there is none.
pub fn css_href(css: &str) -> Option<String> {
    (!css.trim().is_empty()).then(|| format!("/custom.css?v={}", css_version(css)))
}

/// What a purge removed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PurgeReport {
    pub deleted: u64,
    pub message: String,
}

/// The word a purge must be confirmed with.
pub const PURGE_WORD: &str = "purge";
