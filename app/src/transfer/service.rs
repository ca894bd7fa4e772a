//! Import, export, backup and purge. An import is parsed and checked in full before anything is
//! stored, then written in one transaction (the auto-run tagging rules included), so a file never
//! half-imports; a dry run stops before the transaction.

use super::files;
use super::{
    Candidate, ImportFormat, ImportReport, ImportedEntry, LineError, Parsed, PurgeReport,
    IMPORT_MAX_BYTES, PURGE_WORD,
};
use crate::error::ServiceError;
use crate::ports::{validate_port, PortSpec, DESCRIPTION_MAX};
use crate::validation::{validate_host, FieldErrors};
use serde_json::{json, Value};
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// An import request, parsed.
#[derive(Debug)]
pub struct ImportInput {
    pub format: ImportFormat,
    pub content: String,
    pub host: Option<String>,
    pub dry_run: bool,
}

pub fn parse_input(input: &Value) -> Result<ImportInput, ServiceError> {
    let mut errors = FieldErrors::new();
    let format = match input.get("format").and_then(Value::as_str) {
        Some(f) => ImportFormat::parse(f),
        None => None,
    };
    if format.is_none() {
        crate::validation::push_error(
            &mut errors,
            "format",
            "choose compose, caddyfile, json or csv",
        );
    }
    let content = input
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if content.trim().is_empty() {
        crate::validation::push_error(&mut errors, "content", "paste a file or choose one");
    } else if content.len() > IMPORT_MAX_BYTES {
        crate::validation::push_error(
            &mut errors,
            "content",
            format!("at most {} MiB", IMPORT_MAX_BYTES / 1024 / 1024),
        );
    }
    let host = match input.get("host") {
        None | Some(Value::Null) => None,
        Some(Value::String(h)) if h.trim().is_empty() => None,
        Some(Value::String(h)) => match validate_host(h.trim()) {
            Ok(()) => Some(h.trim().to_string()),
            Err(m) => {
                crate::validation::push_error(&mut errors, "host", m);
                None
            }
        },
        Some(_) => {
            crate::validation::push_error(&mut errors, "host", "must be an address");
            None
        }
    };
    let dry_run = match input.get("dry_run") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            crate::validation::push_error(&mut errors, "dry_run", "must be true or false");
            false
        }
    };
    match format {
        Some(format) if errors.is_empty() => Ok(ImportInput {
            format,
            content,
            host,
            dry_run,
        }),
        _ => Err(ServiceError::Validation(errors)),
    }
}

pub fn parse_content(format: ImportFormat, content: &str) -> Result<Parsed, super::ParseError> {
    match format {
        ImportFormat::Compose => super::compose::parse(content),
        ImportFormat::Caddyfile => super::caddy::parse(content),
        ImportFormat::Json => files::parse_json(content),
        ImportFormat::Csv => files::parse_csv(content),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// One checked entry of the file, ready to store.
struct Ready {
    spec: PortSpec,
    tags: Vec<String>,
    order: Option<i64>,
}

fn entry(spec: &PortSpec, line: Option<usize>, reason: Option<String>) -> ImportedEntry {
    ImportedEntry {
        ip_address: spec.ip_address.clone(),
        port_number: spec.port_number,
        port_protocol: spec.port_protocol,
        description: spec.description.clone(),
        line,
        reason,
    }
}

fn check(c: &Candidate, host: &str) -> Result<PortSpec, String> {
    let input = json!({
        "ip_address": c.ip_address.as_deref().unwrap_or(host),
        "port_number": c.port_number,
        "port_protocol": c.port_protocol.as_str(),
        "description": truncate(c.description.trim(), DESCRIPTION_MAX),
        "nickname": c.nickname,
    });
    validate_port(&input, None).map_err(|errors| {
        errors
            .iter()
            .map(|(k, v)| format!("{k} {}", v.join("; ")))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The address for entries that name none: the request's, the default host setting, or loopback.
async fn target_host(pool: &SqlitePool, host: Option<String>) -> Result<String, ServiceError> {
    if let Some(h) = host {
        return Ok(h);
    }
    let settings = crate::generation::service::settings(pool).await?;
    Ok(if settings.default_ip.is_empty() {
        "127.0.0.1".into()
    } else {
        settings.default_ip
    })
}

/// Reads the file, reports what would be added, skipped and not understood, and (unless a dry run)
/// adds the new entries with their tags in one transaction. 422 when the file cannot be read or
/// holds nothing to import.
pub async fn import(pool: &SqlitePool, input: &Value) -> Result<ImportReport, ServiceError> {
    let request = parse_input(input)?;
    let parsed = parse_content(request.format, &request.content)
        .map_err(|e| ServiceError::field("content", e.to_string()))?;
    let host = target_host(pool, request.host).await?;
    let (tags, rules) = crate::tags::service::parse_tagging(&json!({
        "tags": parsed.tags,
        "rules": parsed.rules,
    }))?;

    let existing: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT ip_address, port_number, upper(port_protocol), description FROM port",
    )
    .fetch_all(pool)
    .await?;
    let existing: HashMap<(String, i64, String), String> = existing
        .into_iter()
        .map(|(ip, port, proto, d)| ((ip.to_ascii_lowercase(), port, proto), d))
        .collect();
    let mut report = ImportReport {
        dry_run: request.dry_run,
        errors: parsed.errors,
        host: host.clone(),
        ..ImportReport::default()
    };
    let mut ready: Vec<Ready> = Vec::new();
    let mut seen: HashMap<(String, i64, String), Option<usize>> = HashMap::new();
    for c in &parsed.entries {
        let spec = match check(c, &host) {
            Ok(spec) => spec,
            Err(message) => {
                report.errors.push(LineError {
                    line: c.line,
                    message: format!("port {}: {message}", c.port_number),
                });
                continue;
            }
        };
        let key = (
            spec.ip_address.to_ascii_lowercase(),
            spec.port_number,
            spec.port_protocol.as_str().to_string(),
        );
        if let Some(description) = existing.get(&key) {
            let reason = format!("already in the list as '{description}'");
            report.skipped.push(entry(&spec, c.line, Some(reason)));
        } else if let Some(first) = seen.get(&key) {
            let reason = match first {
                Some(line) => format!("repeats line {line}"),
                None => "repeated in the file".into(),
            };
            report.skipped.push(entry(&spec, c.line, Some(reason)));
        } else {
            seen.insert(key, c.line);
            report.added.push(entry(&spec, c.line, None));
            ready.push(Ready {
                spec,
                tags: c.tags.clone(),
                order: c.order,
            });
        }
    }
    if report.added.is_empty() && report.skipped.is_empty() && tags.is_empty() && rules.is_empty() {
        let mut errors = FieldErrors::new();
        let messages: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        errors.insert(
            "content".into(),
            if messages.is_empty() {
                vec!["no ports found in this file".into()]
            } else {
                messages
            },
        );
        return Err(ServiceError::Validation(errors));
    }
    if !request.dry_run {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        if !tags.is_empty() || !rules.is_empty() {
            let applied = crate::tags::service::import_tagging(&mut tx, tags, &rules).await?;
            report.tags_added = applied.tags_added;
            report.rules_added = applied.added;
        }
        // Hosts in the order the file names them, before the entries claim their panels.
        let hosts: Vec<&str> = ready.iter().map(|r| r.spec.ip_address.as_str()).collect();
        crate::hosts::store::ensure(&mut tx, &hosts).await?;
        let names: Vec<String> = ready.iter().flat_map(|r| r.tags.clone()).collect();
        let tag_ids = crate::tags::service::ids_by_name(&mut tx, &names).await?;
        let mut ids = Vec::with_capacity(ready.len());
        for r in &ready {
            let id = crate::ports::store::insert(
                &mut tx,
                &r.spec,
                &crate::ports::PortSource::Import,
                r.order,
            )
            .await?;
            let tags: Vec<i64> = r
                .tags
                .iter()
                .filter_map(|n| tag_ids.get(n).copied())
                .collect();
            if !tags.is_empty() {
                crate::tags::store::assign(&mut tx, &[id], &tags, &[]).await?;
            }
            ids.push(id);
        }
        crate::tags::service::auto_run(&mut tx, crate::tags::service::Scope::Ids(&ids)).await?;
        tx.commit().await?;
    }
    report.message = summary(&report);
    Ok(report)
}

fn summary(r: &ImportReport) -> String {
    let (verb, skip) = if r.dry_run {
        ("Would add", "skip")
    } else {
        ("Added", "skipped")
    };
    let mut s = format!(
        "{verb} {} {}, {skip} {} already present",
        r.added.len(),
        if r.added.len() == 1 {
            "entry"
        } else {
            "entries"
        },
        r.skipped.len()
    );
    if !r.errors.is_empty() {
        s.push_str(&format!(", {} not understood", r.errors.len()));
    }
    if !r.tags_added.is_empty() || !r.rules_added.is_empty() {
        s.push_str(&format!(
            "; {} tags and {} rules added",
            r.tags_added.len(),
            r.rules_added.len()
        ));
    }
    s
}

/// Everything, as one JSON document: entries (order, tags, source, the integrations that found
/// them), hosts, tags, rules, settings and integrations without their secrets.
pub async fn export_json(
    pool: &SqlitePool,
    instances: &[crate::instances::InstanceView],
) -> Result<Value, ServiceError> {
    let entries = crate::ports::store::list(pool).await?;
    let hosts = crate::hosts::service::list(pool).await?;
    let tagging = crate::tags::service::export(pool).await?;
    let settings = crate::generation::service::settings(pool).await?;
    let appearance = super::appearance::load(pool).await?;
    Ok(json!({
        "format": files::FORMAT,
        "version": files::VERSION,
        "exported_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "app_version": env!("CARGO_PKG_VERSION"),
        "ports": entries.iter().map(files::port_json).collect::<Vec<_>>(),
        "hosts": hosts.iter().map(|h| json!({"address": h.address, "nickname": h.nickname})).collect::<Vec<_>>(),
        "tags": tagging.get("tags").cloned().unwrap_or(json!([])),
        "rules": tagging.get("rules").cloned().unwrap_or(json!([])),
        "settings": {"ports": settings, "appearance": appearance},
        "integrations": instances.iter().map(|i| json!({
            "name": i.name,
            "type": i.instance_type,
            "enabled": i.enabled,
            "auto_detect": i.auto_detect,
            "scan_interval": i.scan_interval,
            "config": i.config,
        })).collect::<Vec<_>>(),
    }))
}

pub async fn export_csv(pool: &SqlitePool) -> Result<String, ServiceError> {
    Ok(files::write_csv(&crate::ports::store::list(pool).await?))
}

/// Deletes the manual (and imported) entries, and with `discovered` the discovered ones too (they
/// come back at the next scan). Tags and rules stay. Needs `{"confirm": "purge"}`.
pub async fn purge(pool: &SqlitePool, input: &Value) -> Result<PurgeReport, ServiceError> {
    if input.get("confirm").and_then(Value::as_str).map(str::trim) != Some(PURGE_WORD) {
        return Err(ServiceError::field(
            "confirm",
            format!("type '{PURGE_WORD}' to confirm"),
        ));
    }
    let discovered = match input.get("discovered") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ServiceError::field("discovered", "must be true or false")),
    };
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM port p WHERE ?1 OR NOT EXISTS (SELECT 1 FROM port_discovery d WHERE d.port_id = p.id)",
    )
    .bind(discovered)
    .fetch_all(&mut *tx)
    .await?;
    let deleted = crate::ports::store::delete_many(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(PurgeReport {
        deleted,
        message: format!(
            "Deleted {deleted} {}{}",
            if deleted == 1 { "entry" } else { "entries" },
            if discovered {
                "; discovered ones come back at the next scan"
            } else {
                ""
            }
        ),
    })
}

/// A consistent copy of the database (`VACUUM INTO`) at `path`, which must not exist yet.
pub async fn snapshot(pool: &SqlitePool, path: &Path) -> Result<(), ServiceError> {
    sqlx::query("VACUUM INTO ?")
        .bind(path.to_string_lossy().as_ref())
        .execute(pool)
        .await?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).await;
    }
    Ok(())
}

/// A snapshot as an open file with no name left on disk: written next to the database (the one
/// folder Portall may write to; the image's root is read-only), opened, then unlinked.
pub async fn snapshot_file(pool: &SqlitePool) -> Result<tokio::fs::File, ServiceError> {
    let db = pool.connect_options().get_filename().to_path_buf();
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let tmp = dir.join(format!(".portall-backup-{}.db", hex::encode(random)));
    snapshot(pool, &tmp).await?;
    let file = tokio::fs::File::open(&tmp).await;
    let _ = tokio::fs::remove_file(&tmp).await;
    file.map_err(|e| ServiceError::Internal(format!("backup: {e}")))
}

/// The backup file name for a moment: `portall-20261128T120000Z.db`.
pub fn backup_name(now: chrono::DateTime<chrono::Utc>) -> String {
    format!("portall-{}.db", now.format("%Y%m%dT%H%M%SZ"))
}

/// Writes a snapshot into `dir` and keeps the newest `keep` of them (older `portall-*.db` files go).
pub async fn backup_to(
    pool: &SqlitePool,
    dir: &Path,
    keep: usize,
) -> Result<PathBuf, ServiceError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| ServiceError::Internal(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(backup_name(chrono::Utc::now()));
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(path);
    }
    snapshot(pool, &path).await?;
    let mut read = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| ServiceError::Internal(format!("cannot read {}: {e}", dir.display())))?;
    let mut found = Vec::new();
    while let Ok(Some(e)) = read.next_entry().await {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("portall-")
            && name.ends_with(".db")
            && name.len() == "portall-20261128T120000Z.db".len()
        {
            found.push(e.path());
        }
    }
    found.sort();
    let excess = found.len().saturating_sub(keep.max(1));
    for old in &found[..excess] {
        let _ = tokio::fs::remove_file(old).await;
    }
    Ok(path)
}

/// Version, build, schema, the database file and the counts.
pub async fn about(pool: &SqlitePool) -> Result<super::api::About, ServiceError> {
    let count = |table: &'static str| {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(pool)
    };
    let bytes: i64 = sqlx::query_scalar(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
    )
    .fetch_one(pool)
    .await?;
    Ok(super::api::About {
        version: env!("CARGO_PKG_VERSION").into(),
        build: option_env!("PORTALL_BUILD").unwrap_or("local build").into(),
        schema_version: crate::db::schema_version(pool).await?,
        database_path: pool.connect_options().get_filename().display().to_string(),
        database_bytes: bytes,
        ports: count("port").await?,
        hosts: count("host").await?,
        tags: count("tag").await?,
        rules: count("tagging_rule").await?,
        integrations: count("docker_instance").await?,
        backup_dir: std::env::var("PORTALL_BACKUP_DIR")
            .ok()
            .filter(|d| !d.is_empty()),
    })
}
