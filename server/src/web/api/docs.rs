//! The OpenAPI 3.1 document (`GET /api/openapi.json`). The REST routes are registered through
//! `utoipa_axum`'s `OpenApiRouter`, so a route exists exactly when it is documented; this module holds
//! what the handlers' own types cannot say: the request bodies (the handlers take loose JSON and
//! parse it with the shared validators), the error shapes and the two ways to authenticate.

use app::discovery::model::ScanSummary;
use app::instances::{InstanceType, InstanceView};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, SecurityRequirement};
use utoipa::ToSchema;

/// An error outside the field model: `{"error": "..."}` (401, 403, 404, 409, 415, 429, 500).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// Bad input (422): field → messages. Nothing was stored.
#[derive(Serialize, ToSchema)]
pub struct ValidationErrors {
    pub errors: BTreeMap<String, Vec<String>>,
}

/// An integration as created or updated; on update every field is optional and omitted ones keep
/// their value. Secrets (`api_key`, `api_secret`, `tls_key`) are write-only: blank keeps the stored one,
/// unless the address (`url`, `host`) changes, which needs them again.
#[derive(Serialize, ToSchema)]
pub struct InstanceInput {
    #[serde(rename = "type")]
    pub instance_type: Option<InstanceType>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub auto_detect: Option<bool>,
    /// Seconds between automatic scans (60–86400).
    pub scan_interval: Option<i64>,
    /// The type's fields, as `GET /docker/instances/types` describes them.
    #[schema(value_type = Object)]
    pub config: Option<serde_json::Value>,
}

/// A Ports-page entry as created or updated.
#[derive(Serialize, ToSchema)]
pub struct PortInput {
    pub ip_address: String,
    pub nickname: Option<String>,
    pub port_number: u16,
    /// TCP (default) or UDP.
    pub port_protocol: Option<String>,
    pub description: Option<String>,
}

/// Where a manual entry moves. `port_number` gives it another number; `existing_port_number` gives the
/// entry already there (manual only) another one; `position` is its index in the target panel.
#[derive(Serialize, ToSchema)]
pub struct MoveInput {
    pub ip_address: String,
    pub port_number: Option<u16>,
    pub existing_port_number: Option<u16>,
    pub position: Option<u32>,
}

/// 409 of a move: the entry holding that number and protocol, and the next free number there.
#[derive(Serialize, ToSchema)]
pub struct MoveConflict {
    pub error: String,
    pub conflict: app::model::PortEntry,
    pub suggested_port_number: Option<u16>,
}

/// A new host panel.
#[derive(Serialize, ToSchema)]
pub struct HostInput {
    pub address: String,
    pub nickname: Option<String>,
}

/// An edit of a host: a new address moves its manual entries; `merge` confirms moving them into an
/// address that is already a host.
#[derive(Serialize, ToSchema)]
pub struct HostEditInput {
    pub address: Option<String>,
    pub nickname: Option<String>,
    pub merge: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct HostOrder {
    pub hosts: Vec<String>,
}

/// A panel's new order: `port_ids` in order (left-out entries follow), or `sort` (`number`,
/// `protocol` or `description`, with `descending`) over all its entries.
#[derive(Serialize, ToSchema)]
pub struct PortOrder {
    pub port_ids: Option<Vec<i64>>,
    pub sort: Option<String>,
    pub descending: Option<bool>,
}

/// What to generate a port for; with `save: true` (and a description) it is stored as a manual entry.
#[derive(Serialize, ToSchema)]
pub struct GenerateInput {
    pub ip_address: String,
    /// TCP (default) or UDP.
    pub protocol: Option<String>,
    pub description: Option<String>,
    pub nickname: Option<String>,
    pub save: Option<bool>,
}

/// The answer of a scan: the summary, or the error that stopped it, and the instance as it is now.
#[derive(Serialize, ToSchema)]
pub struct ScanAnswer {
    pub ok: bool,
    pub summary: Option<ScanSummary>,
    pub error: Option<String>,
    pub instance: InstanceView,
}

#[derive(Serialize, ToSchema)]
pub struct Credentials {
    pub username: String,
    /// At least 12 characters on setup.
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    pub user: String,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenName {
    pub name: String,
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `error`.
    pub status: String,
    /// `ok`, or why the database cannot answer.
    pub database: String,
}

/// A legacy route's answer: `{"success", "message", "results"}` (scans) or the settings map.
#[derive(Serialize, ToSchema)]
pub struct LegacyScan {
    pub success: bool,
    pub message: String,
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<serde_json::Value>,
}

/// `GET /docker/containers`, in the Python Portall's shape.
#[derive(Serialize, ToSchema)]
pub struct LegacyContainers {
    pub containers: Vec<LegacyContainer>,
}

#[derive(Serialize, ToSchema)]
pub struct LegacyContainer {
    pub id: String,
    pub name: String,
    pub image: String,
    pub status: String,
    /// `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}`; `null` for exposed, unpublished ports.
    #[schema(value_type = Object)]
    pub ports: serde_json::Value,
}

pub const SESSION: &str = "session";
pub const BEARER: &str = "bearer";

/// Title, version, the two security schemes, and "either of them" as the default requirement
/// (the open routes say `security(())`).
pub fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info.title = "Portall".into();
    doc.info.description = Some(
        "What listens where, and is this port free. Every route needs a session cookie (sign in with \
         POST /api/auth/login) or an API token (Authorization: Bearer ptl_…) unless Portall runs with \
         PORTALL_AUTH=none; the routes marked open do not."
            .into(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("portall_session"))),
    );
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    // Handlers in different modules share names (`list`, `create`): ids from method and path instead.
    for (path, item) in doc.paths.paths.iter_mut() {
        let slug: String = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(|p| p.trim_matches(|c| c == '{' || c == '}'))
            .collect::<Vec<_>>()
            .join("_");
        for (method, op) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
        ] {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
    doc.security = Some(vec![
        SecurityRequirement::new(SESSION, Vec::<String>::new()),
        SecurityRequirement::new(BEARER, Vec::<String>::new()),
    ]);
    doc
}

/// A tag: name (1–50, differing from the others in more than case), colour (`#rrggbb`),
/// description (up to 200).
#[derive(Serialize, ToSchema)]
pub struct TagInput {
    pub name: String,
    pub color: Option<String>,
    pub description: Option<String>,
}

/// The complete set of tags an entry carries.
#[derive(Serialize, ToSchema)]
pub struct PortTagsInput {
    pub tag_ids: Vec<i64>,
}

/// Tags added to and removed from many entries.
#[derive(Serialize, ToSchema)]
pub struct BulkTagsInput {
    pub port_ids: Vec<i64>,
    pub add: Option<Vec<i64>>,
    pub remove: Option<Vec<i64>>,
}

/// Tags to delete.
#[derive(Serialize, ToSchema)]
pub struct TagIds {
    pub ids: Vec<i64>,
}

/// The names of the tags deleted.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: Vec<String>,
    pub message: String,
}

/// A tagging rule. `conditions`: one condition `{type, value}` (`port_range`: `{type, start, end}`),
/// a list (all must match) or a group `{operator: "AND"|"OR", conditions: [..]}`, nested freely.
/// Types: `ip_exact`, `ip_prefix`, `ip_contains`, `ip_regex`, `ip_cidr`, `port_exact`, `port_range`,
/// `port_list`, `protocol`, `description_contains`, `description_regex`, `nickname_contains`,
/// `nickname_regex`, `source` (`manual`, `import`, `scan`, `docker`, `portainer`, `komodo` or
/// `instance:<id>`), `tag_present`. `actions`: `[{type: "add_tag"|"remove_tag", tag_name, tag_color?}]`.
#[derive(Serialize, ToSchema)]
pub struct RuleInput {
    pub name: String,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub auto_execute: Option<bool>,
    pub priority: Option<i64>,
    #[schema(value_type = Object)]
    pub conditions: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub actions: serde_json::Value,
}

/// A tagging configuration: `{exported_at, version: "1.0", tags: [{name, color, description}],
/// rules: [rule bodies]}` (the Python Portall's export is accepted as it is).
#[derive(Serialize, ToSchema)]
pub struct TaggingConfig {
    pub exported_at: Option<String>,
    pub version: Option<String>,
    pub tags: Vec<TagInput>,
    pub rules: Vec<RuleInput>,
}

/// An import: the file's text, its format, the address for entries that name none (default: the
/// default host setting, else 127.0.0.1) and whether to only preview.
#[derive(Serialize, ToSchema)]
pub struct ImportInput {
    /// `compose`, `caddyfile`, `json` or `csv`.
    pub format: String,
    /// At most 1 MiB.
    pub content: String,
    pub host: Option<String>,
    pub dry_run: Option<bool>,
}

/// A purge: `confirm` must be `purge`; `discovered` also deletes the discovered entries.
#[derive(Serialize, ToSchema)]
pub struct PurgeInput {
    pub confirm: String,
    pub discovered: Option<bool>,
}

/// The appearance: `theme` (`system`, `light`, `dark`) and `custom_css` (at most 64 KiB); either may
/// be left out.
#[derive(Serialize, ToSchema)]
pub struct AppearanceInput {
    pub theme: Option<String>,
    pub custom_css: Option<String>,
}

/// A one-off host scan: ports and ranges (`1-1024, 3000-9999, !5432`; default `1-1024`), the connect
/// timeout per port (100–5000 ms, default 500) and how many ports are tried at once (1–512, default 128).
#[derive(Serialize, ToSchema)]
pub struct HostScanInput {
    pub ports: Option<String>,
    pub timeout_ms: Option<i64>,
    pub concurrency: Option<i64>,
}

/// The found ports to add (omitted: every one not yet known).
#[derive(Serialize, ToSchema)]
pub struct AddFoundInput {
    pub ports: Option<Vec<u16>>,
}

/// A started scan.
#[derive(Serialize, ToSchema)]
pub struct ScanStarted {
    pub scan_id: u64,
}

/// How often every entry is checked in the background: 0 (never), 5, 15, 60, 360 or 1440 minutes.
#[derive(Serialize, ToSchema)]
pub struct CheckScheduleInput {
    pub interval_minutes: u32,
}
