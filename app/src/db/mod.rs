//! SQLite storage: opening the database, schema migrations, and the queries each table owner needs.

pub mod branch;
pub mod error;
pub mod legacy;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

/// The schema migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Connection options every Portall connection uses: WAL, foreign keys, a busy timeout.
pub fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
}

/// Why the database could not be opened (start-up stops with this line).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database {path}: {reason}")]
    Database { path: String, reason: String },
    #[error("legacy database upgrade failed, the database file is unchanged: {reason}{}", backup.as_ref().map(|b| format!(" (backup copy: {})", b.display())).unwrap_or_default())]
    Upgrade {
        reason: String,
        backup: Option<std::path::PathBuf>,
    },
}

/// Connections in the pool besides the scans': pages and API calls never wait for scans.
const SPARE_CONNECTIONS: u32 = 8;

/// Makes a file readable and writable by its owner only (the database holds API keys).
pub fn owner_only(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot restrict the file to its owner");
        }
    }
}

/// Opens (creating if needed) the database and brings its schema up to date, with a pool sized for
/// 8 concurrent scans.
pub async fn open(path: &Path) -> Result<SqlitePool, OpenError> {
    open_for(path, 8).await
}

/// As [`open`], with room for `scans` scans at once plus the pages' own connections.
pub async fn open_for(path: &Path, scans: usize) -> Result<SqlitePool, OpenError> {
    let db_error = |reason: String| OpenError::Database {
        path: path.display().to_string(),
        reason,
    };
    if let Err(e) = legacy::upgrade_if_legacy(path).await {
        return Err(OpenError::Upgrade {
            reason: e.reason,
            backup: e.backup,
        });
    }
    // Created owner-only (SQLite gives its -wal and -shm files the database file's mode).
    if !path.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| db_error(format!("cannot create: {e}")))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(scans as u32 + SPARE_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect_options(path))
        .await
        .map_err(|e| db_error(format!("cannot open: {e}")))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| db_error(format!("migration failed: {e}")))?;
    tracing::info!(path = %path.display(), "database ready");
    Ok(pool)
}

/// `ok`, or why the database cannot answer a query right now.
pub async fn check(pool: &SqlitePool) -> Result<(), String> {
    match tokio::time::timeout(
        Duration::from_secs(3),
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(pool),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".into()),
    }
}

/// The newest applied migration's version (0 when none).
pub async fn schema_version(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = 1")
        .fetch_one(pool)
        .await
}

/// How many integration instances exist.
pub async fn instance_count(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM docker_instance")
        .fetch_one(pool)
        .await
}

/// What the System card shows: database state, schema version and counts.
pub async fn system_health(pool: &SqlitePool) -> crate::model::SystemHealth {
    crate::model::SystemHealth {
        database: match check(pool).await {
            Ok(()) => "ok".to_string(),
            Err(e) => e,
        },
        schema_version: schema_version(pool).await.unwrap_or(0),
        port_count: crate::ports::store::count(pool).await.unwrap_or(0),
        instance_count: instance_count(pool).await.unwrap_or(0),
        version: env!("CARGO_PKG_VERSION").to_string(),
        checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

/// Writes setting rows (the legacy `setting` table) in one transaction: each key's value replaced.
pub async fn put_settings<K: AsRef<str>, V: AsRef<str>>(
    pool: &SqlitePool,
    rows: &[(K, V)],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for (key, value) in rows {
        sqlx::query(
            r#"INSERT INTO setting ("key", value) VALUES (?, ?)
               ON CONFLICT ("key") DO UPDATE SET value = excluded.value"#,
        )
        .bind(key.as_ref())
        .bind(value.as_ref())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database the previous release left (migrations 1–6, with an instance, its container, that
    /// container's binding, a discovered entry and a deleted instance) gains the host-scan type
    /// without losing a row: migration 7 rebuilds the instance table with foreign keys on.
    #[tokio::test]
    async fn migration_7_keeps_every_instance_container_and_discovery() {
        let path = std::env::temp_dir().join(format!("portall-m7-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(connect_options(&path))
            .await
            .unwrap();
        MIGRATOR.run_to(6, &pool).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO docker_instance (name, type) VALUES ('Docker', 'docker'), ('Gone', 'komodo'), ('NAS', 'portainer');
             DELETE FROM docker_instance WHERE name = 'Gone';
             INSERT INTO docker_service (id, container_id, name, image, status, instance_id, source_key)
                 VALUES (5, 'abc', 'web', 'nginx', 'running', 1, ''), (6, 'old', 'legacy', 'x', 'exited', NULL, '');
             INSERT INTO docker_port (id, service_id, host_ip, host_port, container_port, protocol)
                 VALUES (7, 5, '10.0.0.2', 8080, 80, 'tcp'), (8, 6, '10.0.0.2', 9000, 9000, 'tcp');
             INSERT INTO port (id, ip_address, port_number, port_protocol, description, source, is_immutable)
                 VALUES (9, '10.0.0.2', 8080, 'TCP', 'web (80/tcp)', 'docker', 1);
             INSERT INTO port_discovery (port_id, instance_id, container_name) VALUES (9, 1, 'web'), (9, 3, 'web');",
        )
        .execute(&pool)
        .await
        .unwrap();
        MIGRATOR.run(&pool).await.unwrap();
        let count = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(count("SELECT COUNT(*) FROM docker_instance").await, 2);
        assert_eq!(count("SELECT COUNT(*) FROM docker_service").await, 2);
        assert_eq!(count("SELECT COUNT(*) FROM docker_port").await, 2);
        assert_eq!(count("SELECT COUNT(*) FROM port_discovery").await, 2);
        assert_eq!(
            count("SELECT COUNT(*) FROM pragma_foreign_key_check").await,
            0
        );
        // The new type is accepted; a deleted instance's id is not handed out again.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO docker_instance (name, type) VALUES ('Scan', 'hostscan') RETURNING id",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(id, 4);
        // Cascades still work on the rebuilt table.
        sqlx::query("DELETE FROM docker_instance WHERE id = 1")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM docker_service").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM docker_port").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM port_discovery").await, 1);
        assert!(
            sqlx::query("INSERT INTO docker_instance (name, type) VALUES ('x', 'nmap')")
                .execute(&pool)
                .await
                .is_err()
        );
        pool.close().await;
        let _ = std::fs::remove_file(&path);
    }
}
