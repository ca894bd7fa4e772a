//! Queries on the `port` table (the Ports page's entries) and who discovered them.

use crate::db::error::StoreError;
use crate::model::{Discovery, PortEntry};
use crate::ports::PortSpec;
use sqlx::{Row, SqlitePool};

const SELECT: &str = r#"
SELECT p.id, p.ip_address, p.nickname, p.port_number, p.port_protocol, p.description, p."order", p.source, p.is_immutable,
       (SELECT json_group_array(json_object(
                   'instance_id', d.instance_id, 'name', i.name, 'type', i.type,
                   'seen', json(CASE WHEN d.seen THEN 'true' ELSE 'false' END), 'last_seen_at', d.last_seen_at,
                   'local_only', json(CASE WHEN d.local_only THEN 'true' ELSE 'false' END),
                   'container_name', d.container_name, 'container_port', d.container_port))
          FROM port_discovery d JOIN docker_instance i ON i.id = d.instance_id
         WHERE d.port_id = p.id) AS discovered_by
FROM port p"#;

fn row_to_entry(row: &sqlx::sqlite::SqliteRow) -> PortEntry {
    let discovered: Option<String> = row.get("discovered_by");
    PortEntry {
        id: row.get("id"),
        ip_address: row.get("ip_address"),
        nickname: row.get("nickname"),
        port_number: row.get("port_number"),
        port_protocol: row.get("port_protocol"),
        description: row.get("description"),
        order: row.get::<Option<i64>, _>("order").unwrap_or(0),
        source: row
            .get::<Option<String>, _>("source")
            .unwrap_or_else(|| "manual".into()),
        is_immutable: row.get::<Option<bool>, _>("is_immutable").unwrap_or(false),
        discovered_by: discovered
            .and_then(|d| serde_json::from_str::<Vec<Discovery>>(&d).ok())
            .unwrap_or_default(),
    }
}

/// Every entry, by host then port.
pub async fn list(pool: &SqlitePool) -> Result<Vec<PortEntry>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY p.ip_address, p.port_number, p.port_protocol"
    )))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(row_to_entry).collect())
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<PortEntry, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = ?")))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(|r| row_to_entry(&r))
        .ok_or(StoreError::NotFound)
}

/// The entry holding (address, port, protocol), if any.
pub async fn find(
    pool: &SqlitePool,
    ip: &str,
    port: i64,
    protocol: &str,
) -> Result<Option<PortEntry>, StoreError> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE p.ip_address = ? AND p.port_number = ? AND p.port_protocol = ?"
    )))
    .bind(ip)
    .bind(port)
    .bind(protocol)
    .fetch_optional(pool)
    .await?
    .map(|r| row_to_entry(&r)))
}

pub async fn count(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM port")
        .fetch_one(pool)
        .await
}

/// Adds a manual entry at the end of its host's list; a new host's entry inherits no nickname
/// unless given, an existing host's keeps the host's nickname.
pub async fn insert_manual(pool: &SqlitePool, spec: &PortSpec) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        r#"INSERT INTO port (ip_address, nickname, port_number, port_protocol, description, "order", source, is_immutable)
           VALUES (?1,
                   COALESCE(?2, (SELECT nickname FROM port WHERE ip_address = ?1 AND nickname IS NOT NULL LIMIT 1)),
                   ?3, ?4, ?5,
                   (SELECT COALESCE(MAX("order"), -1) + 1 FROM port WHERE ip_address = ?1),
                   'manual', 0)
           RETURNING id"#,
    )
    .bind(&spec.ip_address)
    .bind(&spec.nickname)
    .bind(spec.port_number)
    .bind(&spec.port_protocol)
    .bind(&spec.description)
    .fetch_one(pool)
    .await
    .map_err(StoreError::from)
}

pub async fn update(pool: &SqlitePool, id: i64, spec: &PortSpec) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE port SET ip_address = ?, nickname = ?, port_number = ?, port_protocol = ?, description = ? WHERE id = ?",
    )
    .bind(&spec.ip_address)
    .bind(&spec.nickname)
    .bind(spec.port_number)
    .bind(&spec.port_protocol)
    .bind(&spec.description)
    .bind(id)
    .execute(pool)
    .await
    .map_err(StoreError::from)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete(pool: &SqlitePool, id: i64) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    if delete_many(&mut tx, &[id]).await? == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes entries with their tags and rule log rows (the legacy schema declares no cascade there).
pub async fn delete_many(
    conn: &mut sqlx::SqliteConnection,
    ids: &[i64],
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    for sql in [
        "DELETE FROM port_tag WHERE port_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM rule_execution_log WHERE port_id IN (SELECT value FROM json_each(?))",
    ] {
        sqlx::query(sql).bind(&ids).execute(&mut *conn).await?;
    }
    Ok(
        sqlx::query("DELETE FROM port WHERE id IN (SELECT value FROM json_each(?))")
            .bind(&ids)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

pub async fn rename_host(
    pool: &SqlitePool,
    ip: &str,
    nickname: Option<&str>,
) -> Result<usize, StoreError> {
    Ok(
        sqlx::query("UPDATE port SET nickname = ? WHERE ip_address = ?")
            .bind(nickname)
            .bind(ip)
            .execute(pool)
            .await?
            .rows_affected() as usize,
    )
}
