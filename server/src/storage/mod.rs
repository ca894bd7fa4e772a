//! SQLite storage: opening the database, schema migrations, and the queries each table owner needs.

pub mod error;
pub mod instances;
pub mod legacy;
pub mod ports;

use crate::error::StartupError;
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

/// Opens (creating if needed) the database and brings its schema up to date.
pub async fn open(path: &Path) -> Result<SqlitePool, StartupError> {
    let db_error = |reason: String| StartupError::Database {
        path: path.display().to_string(),
        reason,
    };
    if let Err(e) = legacy::upgrade_if_legacy(path).await {
        return Err(StartupError::Upgrade {
            reason: e.reason,
            backup: e.backup,
        });
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
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
