//! Queries on `docker_instance` and the counts and status shown with each instance.

use crate::db::error::StoreError;
use crate::instances::{ExistingInstance, InstanceSpec, InstanceType, ScanRecord};
use serde_json::Value;
use sqlx::{Row, SqlitePool};

/// One stored instance, secrets included (never sent to a client as is): its settings and its status.
#[derive(Clone, Debug)]
pub struct InstanceRow {
    pub instance: ExistingInstance,
    pub created_at: String,
    pub updated_at: String,
    pub record: ScanRecord,
}

const SELECT: &str = r#"
SELECT i.id, i.name, i.type, i.enabled, i.auto_detect, i.scan_interval, i.config, i.created_at, i.updated_at,
       i.last_scan_at, i.last_success_at, i.last_error, i.last_duration_ms,
       (SELECT COUNT(*) FROM docker_service s WHERE s.instance_id = i.id) AS service_count,
       (SELECT COUNT(*) FROM port_discovery d WHERE d.instance_id = i.id AND d.seen = 1) AS port_count
FROM docker_instance i"#;

fn from_row(row: &sqlx::sqlite::SqliteRow) -> InstanceRow {
    let type_text: String = row.get("type");
    let config: String = row.get("config");
    InstanceRow {
        instance: ExistingInstance {
            id: row.get("id"),
            name: row.get("name"),
            // The CHECK constraint admits only the three types.
            instance_type: InstanceType::parse(&type_text).unwrap_or(InstanceType::Docker),
            enabled: row.get("enabled"),
            auto_detect: row.get("auto_detect"),
            scan_interval: row.get("scan_interval"),
            config: serde_json::from_str(&config).unwrap_or_default(),
        },
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        record: ScanRecord {
            last_scan_at: row.get("last_scan_at"),
            last_success_at: row.get("last_success_at"),
            last_error: row.get("last_error"),
            last_duration_ms: row.get("last_duration_ms"),
            service_count: row.get("service_count"),
            port_count: row.get("port_count"),
        },
    }
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<InstanceRow>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY i.id")))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<InstanceRow, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE i.id = ?")))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(|r| from_row(&r))
        .ok_or(StoreError::NotFound)
}

pub async fn find_by_name(
    pool: &SqlitePool,
    name: &str,
) -> Result<Option<InstanceRow>, StoreError> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE i.name = ? COLLATE NOCASE"
    )))
    .bind(name)
    .fetch_optional(pool)
    .await?
    .map(|r| from_row(&r)))
}

/// Every instance's (id, name), for uniqueness checks and name generation.
pub async fn names(pool: &SqlitePool) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(
        sqlx::query("SELECT id, name FROM docker_instance ORDER BY id")
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect(),
    )
}

pub async fn insert(pool: &SqlitePool, spec: &InstanceSpec) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO docker_instance (name, type, enabled, auto_detect, scan_interval, config) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&spec.name)
    .bind(spec.instance_type().as_str())
    .bind(spec.enabled)
    .bind(spec.auto_detect)
    .bind(spec.scan_interval)
    .bind(Value::Object(spec.config.to_map()).to_string())
    .fetch_one(pool)
    .await
    .map_err(StoreError::from)
}

pub async fn update(pool: &SqlitePool, id: i64, spec: &InstanceSpec) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE docker_instance SET name = ?, enabled = ?, auto_detect = ?, scan_interval = ?, config = ?,
                updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
         WHERE id = ?",
    )
    .bind(&spec.name)
    .bind(spec.enabled)
    .bind(spec.auto_detect)
    .bind(spec.scan_interval)
    .bind(Value::Object(spec.config.to_map()).to_string())
    .bind(id)
    .execute(pool)
    .await
    .map_err(StoreError::from)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// How many Ports-page entries only this instance reports (they go with it).
pub async fn exclusive_port_count(pool: &SqlitePool, id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM port p JOIN port_discovery d ON d.port_id = p.id AND d.instance_id = ?
         WHERE COALESCE(p.source, 'manual') <> 'manual'
           AND NOT EXISTS (SELECT 1 FROM port_discovery o WHERE o.port_id = p.id AND o.instance_id <> ?)",
    )
    .bind(id)
    .bind(id)
    .fetch_one(pool)
    .await?)
}

/// Deletes the instance, its services and bindings (cascade), and the entries only it discovered.
/// Manual entries and entries another instance also reports stay. Returns the removed entry count.
pub async fn delete(pool: &SqlitePool, id: i64) -> Result<u64, StoreError> {
    // Immediate: the write lock first, so a scan committing meanwhile makes this wait (busy timeout)
    // instead of failing the upgrade from a read to a write transaction.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT p.id FROM port p JOIN port_discovery d ON d.port_id = p.id AND d.instance_id = ?
         WHERE COALESCE(p.source, 'manual') <> 'manual'
           AND NOT EXISTS (SELECT 1 FROM port_discovery o WHERE o.port_id = p.id AND o.instance_id <> ?)",
    )
    .bind(id)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let removed = crate::ports::store::delete_many(&mut tx, &ids).await?;
    let done = sqlx::query("DELETE FROM docker_instance WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await?;
    Ok(removed)
}

/// Records a finished scan on the instance: time, duration, summary or error. A scan whose
/// environments partly failed is a success with the failures named in `last_error` (shown as
/// "partial"); only a scan that could read nothing leaves `last_success_at` behind ("error").
pub async fn record_scan(
    pool: &SqlitePool,
    id: i64,
    result: &Result<crate::discovery::model::ScanSummary, String>,
    duration_ms: u64,
) -> Result<(), StoreError> {
    let (error, summary) = match result {
        Ok(s) if s.errors.is_empty() => (None, Some(s)),
        Ok(s) => (
            Some(
                s.errors
                    .iter()
                    .map(|e| format!("{}: {}", e.source, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Some(s),
        ),
        Err(e) => (Some(e.clone()), None),
    };
    let success = match result {
        Ok(s) => s.errors.is_empty() || !s.hosts.is_empty(),
        Err(_) => false,
    };
    sqlx::query(
        "UPDATE docker_instance SET
            last_scan_at = strftime('%Y-%m-%d %H:%M:%f', 'now'),
            last_success_at = CASE WHEN ? THEN strftime('%Y-%m-%d %H:%M:%f', 'now') ELSE last_success_at END,
            last_error = ?, last_duration_ms = ?, last_result = COALESCE(?, last_result)
         WHERE id = ?",
    )
    .bind(success)
    .bind(error)
    .bind(duration_ms as i64)
    .bind(summary.map(|s| serde_json::to_string(s).unwrap_or_default()))
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}
