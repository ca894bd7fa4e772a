//! Upgrades a legacy (Python) Portall database in place: a backup copy first, then one transaction that
//! adds the new schema, creates the default instances from the legacy settings and links what they
//! discovered, verified before commit. Any failure rolls back and leaves the file untouched.

use super::branch::Converted;
use super::MIGRATOR;
use crate::instances::{
    type_schema, InstanceType, SCAN_INTERVAL_DEFAULT, SCAN_INTERVAL_MAX, SCAN_INTERVAL_MIN,
};
use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Tables of the legacy schema (migration 0001), in creation order.
pub const LEGACY_TABLES: [&str; 11] = [
    "migration_versions",
    "port",
    "setting",
    "docker_service",
    "port_scan",
    "port_scan_schedule",
    "tag",
    "tagging_rule",
    "docker_port",
    "port_tag",
    "rule_execution_log",
];

/// What a database file holds before start-up touches it.
#[derive(Debug, PartialEq, Eq)]
pub enum DbKind {
    /// New or empty: the migrations create everything.
    Fresh,
    /// Already managed by this Portall (sqlx migration history present).
    Current,
    /// Written by the legacy Python Portall.
    Legacy,
}

#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct UpgradeError {
    pub reason: String,
    /// The backup copy, when it was made before the failure.
    pub backup: Option<PathBuf>,
}

/// What an upgrade did.
#[derive(Debug)]
pub struct UpgradeReport {
    pub backup: PathBuf,
    pub instances: Vec<(String, InstanceType, bool)>,
    pub services_linked: i64,
    pub ports_linked: i64,
}

async fn table_names(conn: &mut SqliteConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .fetch_all(conn)
        .await
}

/// Tells a fresh, a current and a legacy database apart; refuses a foreign one.
pub async fn detect(conn: &mut SqliteConnection) -> Result<DbKind, String> {
    let tables = table_names(conn)
        .await
        .map_err(|e| format!("cannot read the schema: {e}"))?;
    if tables.iter().any(|t| t == "_sqlx_migrations") {
        Ok(DbKind::Current)
    } else if tables.is_empty() {
        Ok(DbKind::Fresh)
    } else if tables.iter().any(|t| t == "port") && tables.iter().any(|t| t == "setting") {
        Ok(DbKind::Legacy)
    } else {
        Err(format!(
            "this is not a Portall database (it has the tables {}); point DATABASE_URL at a Portall database or a new file",
            tables.join(", ")
        ))
    }
}

fn stem_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "portall".into())
}

/// The backup file name next to `path`: `<stem>.pre-upgrade-<UTC timestamp>-<digest>.db`, where
/// `digest` names the legacy file's content (see [`existing_backup`]).
pub fn backup_path(path: &Path, now: chrono::DateTime<chrono::Utc>, digest: &str) -> PathBuf {
    path.with_file_name(format!(
        "{}.pre-upgrade-{}-{digest}.db",
        stem_of(path),
        now.format("%Y%m%dT%H%M%SZ")
    ))
}

/// The first 16 hex digits of the file's SHA-256.
async fn content_digest(path: &Path) -> Result<String, String> {
    use sha2::{Digest, Sha256};
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes))[..16].to_string())
}

/// A backup made earlier of exactly this content. A failed upgrade leaves the legacy file
/// byte-identical, so a restart loop (a container restarting on failure) finds its first backup here
/// instead of writing one more copy on every start until the disk is full.
fn existing_backup(path: &Path, digest: &str) -> Option<PathBuf> {
    let prefix = format!("{}.pre-upgrade-", stem_of(path));
    let suffix = format!("-{digest}.db");
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(&suffix))
        })
}

/// Upgrades `path` when it is a legacy database; `Ok(None)` when there is nothing to upgrade.
pub async fn upgrade_if_legacy(path: &Path) -> Result<Option<UpgradeReport>, UpgradeError> {
    if !path.exists() {
        return Ok(None);
    }
    let fail = |reason: String, backup: Option<&PathBuf>| UpgradeError {
        reason,
        backup: backup.cloned(),
    };
    // Journal mode untouched (legacy files use a rollback journal): a rolled-back transaction
    // leaves the file byte-identical.
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| fail(format!("cannot open: {e}"), None))?;
    match detect(&mut conn).await.map_err(|e| fail(e, None))? {
        DbKind::Legacy => {}
        _ => {
            let _ = conn.close().await;
            return Ok(None);
        }
    }

    let digest = content_digest(path).await.map_err(|e| fail(e, None))?;
    let backup = match existing_backup(path, &digest) {
        Some(earlier) => {
            tracing::info!(backup = %earlier.display(), "legacy Portall database found; the backup of an earlier attempt has this content, reusing it");
            earlier
        }
        None => {
            let backup = backup_path(path, chrono::Utc::now(), &digest);
            sqlx::query("VACUUM INTO ?")
                .bind(backup.to_string_lossy().to_string())
                .execute(&mut conn)
                .await
                .map_err(|e| {
                    fail(
                        format!("cannot write the backup {}: {e}", backup.display()),
                        None,
                    )
                })?;
            // A copy of every stored key: readable by the owner only.
            super::owner_only(&backup);
            tracing::info!(backup = %backup.display(), "legacy Portall database found; backup written before upgrading");
            backup
        }
    };

    let result = upgrade_in_transaction(&mut conn).await;
    let _ = conn.close().await;
    match result {
        Ok((instances, services_linked, ports_linked)) => {
            for (name, t, enabled) in &instances {
                tracing::info!(
                    name,
                    r#type = t.as_str(),
                    enabled,
                    "default instance created from legacy settings"
                );
            }
            tracing::info!(services_linked, ports_linked, "legacy database upgraded");
            Ok(Some(UpgradeReport {
                backup,
                instances,
                services_linked,
                ports_linked,
            }))
        }
        Err(reason) => Err(fail(reason, Some(&backup))),
    }
}

type Outcome = (Vec<(String, InstanceType, bool)>, i64, i64);

async fn upgrade_in_transaction(conn: &mut SqliteConnection) -> Result<Outcome, String> {
    let present: Vec<String> = table_names(conn).await.map_err(|e| e.to_string())?;
    let mut counts_before = Vec::new();
    for t in LEGACY_TABLES
        .iter()
        .filter(|t| present.iter().any(|p| p == *t))
    {
        counts_before.push((*t, count_rows(conn, t).await?));
    }
    let fk_before = foreign_key_violations(conn).await?;
    // A database of the multi-instance branch: its docker_service table is rebuilt, which needs
    // foreign key enforcement off (outside the transaction, as SQLite requires); the keys are
    // checked before commit all the same.
    let branch_db = present.iter().any(|t| t == "docker_instance");
    if branch_db {
        set_foreign_keys(conn, false).await?;
    }
    let result = upgrade_steps(conn, &present, &counts_before, fk_before, branch_db).await;
    if branch_db {
        set_foreign_keys(conn, true).await?;
    }
    result
}

async fn set_foreign_keys(conn: &mut SqliteConnection, on: bool) -> Result<(), String> {
    sqlx::raw_sql(if on {
        "PRAGMA foreign_keys = ON"
    } else {
        "PRAGMA foreign_keys = OFF"
    })
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(|e| format!("foreign_keys: {e}"))
}

async fn upgrade_steps(
    conn: &mut SqliteConnection,
    present: &[String],
    counts_before: &[(&'static str, i64)],
    fk_before: usize,
    branch_db: bool,
) -> Result<Outcome, String> {
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| format!("cannot start the upgrade transaction: {e}"))?;
    complete_legacy_schema(&mut tx, present).await?;
    let branch = if branch_db {
        super::branch::take(&mut tx).await?
    } else {
        Vec::new()
    };
    let theme: Option<String> =
        sqlx::query_scalar("SELECT value FROM setting WHERE \"key\" = 'theme'")
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| format!("reading the theme: {e}"))?;
    apply_migrations(&mut tx).await?;
    // The Python Portall applied its theme: it stays what its users saw.
    if let Some(theme) = theme {
        sqlx::query("UPDATE setting SET value = ? WHERE \"key\" = 'theme'")
            .bind(theme)
            .execute(&mut *tx)
            .await
            .map_err(|e| format!("keeping the theme: {e}"))?;
    }

    let settings: HashMap<String, String> = sqlx::query("SELECT \"key\", value FROM setting")
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| format!("reading settings: {e}"))?
        .into_iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect();
    let service_count = count_rows(&mut tx, "docker_service").await?;

    let mut instances = Vec::new();
    let mut services_linked = 0;
    let mut ports_linked = 0;
    // The branch's own instances first; a type it has no instance of gets the default below.
    let mut first_of_type: HashMap<InstanceType, i64> = HashMap::new();
    let mut taken = Vec::new();
    for b in &branch {
        let Some(c) = super::branch::convert(b, &mut taken) else {
            tracing::warn!(name = %b.name, r#type = %b.kind, "an instance of an unknown type was not kept");
            continue;
        };
        let id = insert_instance(&mut tx, &c).await?;
        services_linked += sqlx::query(
            "UPDATE docker_service SET instance_id = ? WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(id)
        .bind(serde_json::to_string(&b.services).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("linking services to {}: {e}", c.name))?
        .rows_affected() as i64;
        first_of_type.entry(c.t).or_insert(id);
        instances.push((c.name, c.t, c.enabled));
    }
    for t in InstanceType::LEGACY {
        let prefix = t.as_str();
        let id = match first_of_type.get(&t) {
            Some(&id) => id,
            None => {
                let enabled = setting(&settings, &format!("{prefix}_enabled")) == "true";
                let discovered: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM port WHERE source = ?")
                        .bind(prefix)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| e.to_string())?;
                let has_services = t == InstanceType::Docker && service_count > 0;
                // Kept (disabled) when it left services or entries behind, so nothing is orphaned.
                if !(enabled || has_services || discovered > 0) {
                    continue;
                }
                let c = Converted {
                    name: format!("Default {}", t.short_label()),
                    t,
                    enabled,
                    auto_detect: setting(&settings, &format!("{prefix}_auto_detect")) == "true",
                    scan_interval: legacy_interval(
                        setting(&settings, &format!("{prefix}_scan_interval")),
                        prefix,
                    ),
                    config: legacy_config(t, &settings),
                    note: None,
                };
                let id = insert_instance(&mut tx, &c).await?;
                instances.push((c.name, t, enabled));
                id
            }
        };
        if t == InstanceType::Docker {
            services_linked +=
                sqlx::query("UPDATE docker_service SET instance_id = ? WHERE instance_id IS NULL")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| format!("linking services: {e}"))?
                    .rows_affected() as i64;
        }
        ports_linked += sqlx::query(
            "INSERT INTO port_discovery (port_id, instance_id, seen) SELECT id, ?, 1 FROM port WHERE source = ?",
        )
        .bind(id)
        .bind(prefix)
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("recording what {prefix} discovered: {e}"))?
        .rows_affected() as i64;
    }

    verify(&mut tx, counts_before, fk_before).await?;
    tx.commit()
        .await
        .map_err(|e| format!("commit failed: {e}"))?;
    Ok((instances, services_linked, ports_linked))
}

/// Adds an instance the upgrade keeps or creates (its `note` says why it is disabled).
async fn insert_instance(conn: &mut SqliteConnection, c: &Converted) -> Result<i64, String> {
    sqlx::query_scalar(
        "INSERT INTO docker_instance (name, type, enabled, auto_detect, scan_interval, config, last_error) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&c.name)
    .bind(c.t.as_str())
    .bind(c.enabled)
    .bind(c.auto_detect)
    .bind(c.scan_interval)
    .bind(Value::Object(c.config.clone()).to_string())
    .bind(&c.note)
    .fetch_one(conn)
    .await
    .map_err(|e| format!("creating instance {}: {e}", c.name))
}

fn setting<'a>(settings: &'a HashMap<String, String>, key: &str) -> &'a str {
    settings.get(key).map(|s| s.trim()).unwrap_or_default()
}

/// A legacy scan interval as seconds within the allowed range; unusable values become 300.
pub fn legacy_interval(raw: &str, what: &str) -> i64 {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 => {
            let clamped = n.clamp(SCAN_INTERVAL_MIN, SCAN_INTERVAL_MAX);
            if clamped != n {
                tracing::warn!("{what}_scan_interval {n} is outside {SCAN_INTERVAL_MIN}–{SCAN_INTERVAL_MAX}; using {clamped}");
            }
            clamped
        }
        _ => {
            tracing::warn!("{what}_scan_interval '{raw}' is not a usable interval; using {SCAN_INTERVAL_DEFAULT}");
            SCAN_INTERVAL_DEFAULT
        }
    }
}

/// The instance configuration a legacy install's settings describe (schema defaults for the rest).
pub fn legacy_config(t: InstanceType, settings: &HashMap<String, String>) -> Map<String, Value> {
    let mut config: Map<String, Value> = type_schema(t)
        .fields
        .into_iter()
        .map(|f| {
            let default = match f.default {
                Value::Null => Value::String(String::new()),
                v => v,
            };
            (f.name, default)
        })
        .collect();
    let mut copy = |legacy_key: &str, field: &str| {
        let v = setting(settings, legacy_key);
        if !v.is_empty() {
            config.insert(field.into(), Value::String(v.to_string()));
        }
    };
    match t {
        InstanceType::Docker => copy("docker_host", "host"),
        InstanceType::Portainer => {
            copy("portainer_url", "url");
            copy("portainer_api_key", "api_key");
        }
        InstanceType::Komodo => {
            copy("komodo_url", "url");
            copy("komodo_api_key", "api_key");
            copy("komodo_api_secret", "api_secret");
        }
        // The Python Portall had no host-scan integration.
        InstanceType::HostScan => {}
    }
    if t == InstanceType::Portainer {
        let verify = setting(settings, "portainer_verify_ssl") != "false";
        config.insert("verify_ssl".into(), Value::Bool(verify));
        // The legacy app never read Edge environments; the upgrade keeps it that way.
        config.insert("include_edge".into(), Value::Bool(false));
    }
    config
}

async fn count_rows(conn: &mut SqliteConnection, table: &str) -> Result<i64, String> {
    // `table` is always one of our own table names, never input.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM \"{table}\""
    )))
    .fetch_one(conn)
    .await
    .map_err(|e| format!("counting {table}: {e}"))
}

async fn foreign_key_violations(conn: &mut SqliteConnection) -> Result<usize, String> {
    Ok(sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(conn)
        .await
        .map_err(|e| format!("foreign_key_check: {e}"))?
        .len())
}

/// The CREATE TABLE statement of `table` in migration 0001.
pub(super) fn legacy_ddl(table: &str) -> Option<String> {
    let first = MIGRATOR.iter().find(|m| m.version == 1)?;
    first
        .sql
        .as_str()
        .split(';')
        .map(str::trim)
        .find(|s| {
            s.lines()
                .find(|l| !l.trim_start().starts_with("--") && !l.trim().is_empty())
                .is_some_and(|l| l.trim() == format!("CREATE TABLE {table} ("))
        })
        .map(|s| s.to_string())
}

/// Older legacy installs lack tables or columns later legacy versions added: add them.
async fn complete_legacy_schema(
    conn: &mut SqliteConnection,
    present: &[String],
) -> Result<(), String> {
    for table in LEGACY_TABLES
        .iter()
        .filter(|t| !present.iter().any(|p| p == *t))
    {
        let ddl =
            legacy_ddl(table).ok_or_else(|| format!("no definition of legacy table {table}"))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
            .execute(&mut *conn)
            .await
            .map_err(|e| format!("creating missing legacy table {table}: {e}"))?;
        tracing::info!(table, "added a legacy table this older database lacked");
    }
    let columns: [(&str, &str, &str); 3] = [
        ("port", "source", "VARCHAR(20)"),
        ("port", "is_immutable", "BOOLEAN"),
        ("tagging_rule", "auto_execute", "BOOLEAN NOT NULL DEFAULT 0"),
    ];
    for (table, column, decl) in columns {
        let exists: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?")
                .bind(table)
                .bind(column)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| e.to_string())?;
        if exists == 0 {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {table} ADD COLUMN {column} {decl}"
            )))
            .execute(&mut *conn)
            .await
            .map_err(|e| format!("adding {table}.{column}: {e}"))?;
            tracing::info!(
                table,
                column,
                "added a legacy column this older database lacked"
            );
        }
    }
    Ok(())
}

/// Records migration 0001 (the legacy schema, present) and runs every later one, as sqlx would.
async fn apply_migrations(conn: &mut SqliteConnection) -> Result<(), String> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);",
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| format!("creating the migration history: {e}"))?;
    for m in MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
    {
        let start = std::time::Instant::now();
        if m.version > 1 {
            sqlx::raw_sql(m.sql.clone())
                .execute(&mut *conn)
                .await
                .map_err(|e| format!("migration {} ({}): {e}", m.version, m.description))?;
        }
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (?, ?, TRUE, ?, ?)",
        )
        .bind(m.version)
        .bind(m.description.as_ref())
        .bind(m.checksum.as_ref())
        .bind(start.elapsed().as_nanos() as i64)
        .execute(&mut *conn)
        .await
        .map_err(|e| format!("recording migration {}: {e}", m.version))?;
    }
    Ok(())
}

async fn verify(
    conn: &mut SqliteConnection,
    counts_before: &[(&str, i64)],
    fk_before: usize,
) -> Result<(), String> {
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| format!("integrity_check: {e}"))?;
    if integrity != "ok" {
        return Err(format!("integrity check failed: {integrity}"));
    }
    let fk_after = foreign_key_violations(conn).await?;
    if fk_after > fk_before {
        return Err(format!(
            "the upgrade would add {} foreign key violation(s)",
            fk_after - fk_before
        ));
    }
    if fk_before > 0 {
        tracing::warn!(
            fk_before,
            "the legacy database already had rows with dangling references; kept as they were"
        );
    }
    for (table, before) in counts_before {
        let after = count_rows(conn, table).await?;
        if after != *before {
            return Err(format!(
                "row count of {table} changed from {before} to {after}"
            ));
        }
    }
    let orphans: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM docker_service WHERE instance_id IS NULL")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
    if orphans > 0 {
        return Err(format!(
            "{orphans} docker_service row(s) would belong to no instance"
        ));
    }
    Ok(())
}
