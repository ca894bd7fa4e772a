//! Queries on the `port` table (the Ports page's entries) and who discovered them.

use crate::db::error::StoreError;
use crate::model::{Discovery, PortEntry};
use crate::ports::{PortSource, PortSpec, Protocol};
use sqlx::{Row, SqlitePool};

const SELECT: &str = r#"
SELECT p.id, p.ip_address, p.nickname, p.port_number, p.port_protocol, p.description, p."order", p.source, p.is_immutable,
       (SELECT json_group_array(json_object(
                   'instance_id', d.instance_id, 'name', i.name, 'type', i.type,
                   'seen', json(CASE WHEN d.seen THEN 'true' ELSE 'false' END), 'last_seen_at', d.last_seen_at,
                   'local_only', json(CASE WHEN d.local_only THEN 'true' ELSE 'false' END),
                   'container_name', d.container_name, 'container_port', d.container_port))
          FROM port_discovery d JOIN docker_instance i ON i.id = d.instance_id
         WHERE d.port_id = p.id) AS discovered_by,
       (SELECT json_group_array(json_object('id', t.id, 'name', t.name, 'color', t.color) ORDER BY t.name COLLATE NOCASE, t.id)
          FROM port_tag pt JOIN tag t ON t.id = pt.tag_id
         WHERE pt.port_id = p.id) AS tags,
       p.check_state, p.checked_at
FROM port p"#;

/// One entry from its row. A legacy row the Ports page cannot show (a protocol other than TCP/UDP, a
/// port number stored as text that is not a number) is skipped with a log line, never a panic.
fn row_to_entry(row: &sqlx::sqlite::SqliteRow) -> Option<PortEntry> {
    let id: i64 = row.try_get("id").ok()?;
    let port_number = match row.try_get::<i64, _>("port_number") {
        Ok(n) => Some(n),
        Err(_) => row
            .try_get::<String, _>("port_number")
            .ok()
            .and_then(|t| t.trim().parse().ok()),
    };
    let protocol = row.try_get::<String, _>("port_protocol").ok();
    let (Some(port_number), Some(port_protocol)) =
        (port_number, protocol.as_deref().and_then(Protocol::parse))
    else {
        tracing::warn!(
            id,
            ?protocol,
            "port entry skipped: its port number or protocol cannot be read"
        );
        return None;
    };
    let discovered: Option<String> = row.try_get("discovered_by").ok().flatten();
    let tags: Option<String> = row.try_get("tags").ok().flatten();
    Some(PortEntry {
        id,
        ip_address: row.try_get("ip_address").unwrap_or_default(),
        nickname: row.try_get("nickname").ok().flatten(),
        port_number,
        port_protocol,
        description: row
            .try_get::<Option<String>, _>("description")
            .ok()
            .flatten()
            .unwrap_or_default(),
        order: row
            .try_get::<Option<i64>, _>("order")
            .ok()
            .flatten()
            .unwrap_or(0),
        source: row
            .try_get::<Option<String>, _>("source")
            .ok()
            .flatten()
            .map(|s| PortSource::parse(&s))
            .unwrap_or_default(),
        is_immutable: row
            .try_get::<Option<bool>, _>("is_immutable")
            .ok()
            .flatten()
            .unwrap_or(false),
        discovered_by: discovered
            .and_then(|d| serde_json::from_str::<Vec<Discovery>>(&d).ok())
            .unwrap_or_default(),
        tags: tags
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
        check: check_of(
            row.try_get("check_state").ok().flatten(),
            row.try_get("checked_at").ok().flatten(),
        ),
    })
}

/// The stored reachability answer, when both halves are there and readable.
fn check_of(state: Option<String>, at: Option<String>) -> Option<crate::hostscan::PortCheck> {
    Some(crate::hostscan::PortCheck {
        state: crate::hostscan::CheckState::parse(&state?)?,
        at: at?,
    })
}

/// An entry as the list query's JSON document has it (legacy rows may hold text where a number
/// belongs; [`list`] applies the same rules as [`row_to_entry`]).
#[derive(serde::Deserialize)]
struct RawEntry {
    id: i64,
    #[serde(default)]
    ip_address: Option<String>,
    #[serde(default)]
    nickname: Option<String>,
    port_number: serde_json::Value,
    #[serde(default)]
    port_protocol: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    order: Option<i64>,
    #[serde(default)]
    source: Option<PortSource>,
    #[serde(default)]
    is_immutable: Option<i64>,
    #[serde(default)]
    discovered_by: Vec<Discovery>,
    #[serde(default)]
    tags: Vec<crate::tags::TagRef>,
    #[serde(default)]
    check_state: Option<String>,
    #[serde(default)]
    checked_at: Option<String>,
}

/// Every entry, in its stored order (within its host; `hosts::service::group` puts hosts in theirs).
/// SQLite builds the whole list as one JSON document: row by row through the driver costs several
/// times more at a few thousand entries, and this is what every Ports page load reads. Discoveries
/// and tags are gathered for the entries in scope only (a scan's few among thousands).
pub async fn list<'e>(ex: impl sqlx::SqliteExecutor<'e>) -> Result<Vec<PortEntry>, sqlx::Error> {
    list_where(ex, "true", None).await
}

/// The first `limit` entries (in their order) of each host given as `(address, limit)`: what an
/// unfiltered Ports page shows, without reading the entries it does not show.
pub async fn heads(
    pool: &SqlitePool,
    limits: &[(String, usize)],
) -> Result<Vec<PortEntry>, sqlx::Error> {
    let want = serde_json::to_string(limits).unwrap_or_else(|_| "[]".into());
    list_where(
        pool,
        r#"p.id IN (SELECT id FROM (
               SELECT q.id, ROW_NUMBER() OVER (PARTITION BY q.ip_address ORDER BY q."order", q.id) AS rn,
                      w.value ->> 1 AS lim
                 FROM port q JOIN json_each(?1) w ON w.value ->> 0 = q.ip_address)
             WHERE rn <= lim)"#,
        Some(want),
    )
    .await
}

/// The entries with these ids (what the rules run over after a change), in their stored order.
pub async fn by_ids<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    ids: &[i64],
) -> Result<Vec<PortEntry>, sqlx::Error> {
    list_where(
        ex,
        "p.id IN (SELECT value FROM json_each(?1))",
        Some(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())),
    )
    .await
}

async fn list_where<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    condition: &str,
    bind: Option<String>,
) -> Result<Vec<PortEntry>, sqlx::Error> {
    let query = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        r#"WITH scope AS MATERIALIZED (SELECT p.id FROM port p WHERE {condition}),
           found AS (
               SELECT d.port_id, json_group_array(json_object(
                          'instance_id', d.instance_id, 'name', i.name, 'type', i.type,
                          'seen', json(CASE WHEN d.seen THEN 'true' ELSE 'false' END), 'last_seen_at', d.last_seen_at,
                          'local_only', json(CASE WHEN d.local_only THEN 'true' ELSE 'false' END),
                          'container_name', d.container_name, 'container_port', d.container_port)
                          ORDER BY d.instance_id) AS list
                 FROM scope s JOIN port_discovery d ON d.port_id = s.id JOIN docker_instance i ON i.id = d.instance_id
                GROUP BY d.port_id),
           tagged AS (
               SELECT pt.port_id, json_group_array(json_object('id', t.id, 'name', t.name, 'color', t.color)
                          ORDER BY t.name COLLATE NOCASE, t.id) AS list
                 FROM scope s JOIN port_tag pt ON pt.port_id = s.id JOIN tag t ON t.id = pt.tag_id
                GROUP BY pt.port_id)
           SELECT json_group_array(json_object(
                      'id', p.id, 'ip_address', p.ip_address, 'nickname', p.nickname,
                      'port_number', p.port_number, 'port_protocol', p.port_protocol,
                      'description', p.description, 'order', p."order", 'source', p.source,
                      'is_immutable', CASE WHEN p.is_immutable THEN 1 ELSE 0 END,
                      'discovered_by', json(COALESCE(f.list, '[]')),
                      'tags', json(COALESCE(g.list, '[]')),
                      'check_state', p.check_state, 'checked_at', p.checked_at)
                      ORDER BY p."order", p.id)
             FROM scope s JOIN port p ON p.id = s.id
                  LEFT JOIN found f ON f.port_id = p.id LEFT JOIN tagged g ON g.port_id = p.id"#
    )));
    let query = match bind {
        Some(b) => query.bind(b),
        None => query,
    };
    let doc: Option<String> = query.fetch_one(ex).await?;
    let raw: Vec<RawEntry> = serde_json::from_str(doc.as_deref().unwrap_or("[]"))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(raw
        .into_iter()
        .filter_map(|r| {
            let port_number = r
                .port_number
                .as_i64()
                .or_else(|| r.port_number.as_str().and_then(|t| t.trim().parse().ok()));
            let protocol = r.port_protocol.as_deref().and_then(Protocol::parse);
            let (Some(port_number), Some(port_protocol)) = (port_number, protocol) else {
                tracing::warn!(
                    id = r.id,
                    protocol = ?r.port_protocol,
                    "port entry skipped: its port number or protocol cannot be read"
                );
                return None;
            };
            Some(PortEntry {
                id: r.id,
                ip_address: r.ip_address.unwrap_or_default(),
                nickname: r.nickname,
                port_number,
                port_protocol,
                description: r.description.unwrap_or_default(),
                order: r.order.unwrap_or(0),
                source: r.source.unwrap_or_default(),
                is_immutable: r.is_immutable.unwrap_or(0) != 0,
                discovered_by: r.discovered_by,
                tags: r.tags,
                check: check_of(r.check_state, r.checked_at),
            })
        })
        .collect())
}

/// One host's entries, in their stored order.
pub async fn by_host<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    ip: &str,
) -> Result<Vec<PortEntry>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        r#"{SELECT} WHERE p.ip_address = ? ORDER BY p."order", p.id"#
    )))
    .bind(ip)
    .fetch_all(ex)
    .await?;
    Ok(rows.iter().filter_map(row_to_entry).collect())
}

/// The port numbers a host uses, for one protocol or (`None`) any.
pub async fn used_numbers<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    ip: &str,
    protocol: Option<Protocol>,
) -> Result<std::collections::HashSet<i64>, sqlx::Error> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(port_number AS INTEGER) FROM port WHERE ip_address = ?1 AND (?2 IS NULL OR port_protocol = ?2)",
    )
    .bind(ip)
    .bind(protocol.map(Protocol::as_str))
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().collect())
}

pub async fn get<'e>(ex: impl sqlx::SqliteExecutor<'e>, id: i64) -> Result<PortEntry, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = ?")))
        .bind(id)
        .fetch_optional(ex)
        .await?
        .and_then(|r| row_to_entry(&r))
        .ok_or(StoreError::NotFound)
}

/// The entry holding (address, port, protocol), if any.
pub async fn find<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    ip: &str,
    port: i64,
    protocol: Protocol,
) -> Result<Option<PortEntry>, StoreError> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE p.ip_address = ? AND p.port_number = ? AND p.port_protocol = ?"
    )))
    .bind(ip)
    .bind(port)
    .bind(protocol.as_str())
    .fetch_optional(ex)
    .await?
    .and_then(|r| row_to_entry(&r)))
}

pub async fn count(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM port")
        .fetch_one(pool)
        .await
}

/// Adds a manual entry at the end of its host's list (the host gets a panel after the last one if it
/// is new). Without a nickname of its own it takes the host's.
pub async fn insert_manual(
    conn: &mut sqlx::SqliteConnection,
    spec: &PortSpec,
) -> Result<i64, StoreError> {
    insert(conn, spec, &PortSource::Manual, None).await
}

/// Adds a user's entry (`source`: manual, import, scan) at `order`, or at the end of its host's list.
pub async fn insert(
    conn: &mut sqlx::SqliteConnection,
    spec: &PortSpec,
    source: &PortSource,
    order: Option<i64>,
) -> Result<i64, StoreError> {
    crate::hosts::store::ensure(&mut *conn, &[spec.ip_address.as_str()]).await?;
    sqlx::query_scalar(
        r#"INSERT INTO port (ip_address, nickname, port_number, port_protocol, description, "order", source, is_immutable)
           VALUES (?1,
                   COALESCE(?2, (SELECT NULLIF(nickname, '') FROM host WHERE address = ?1),
                            (SELECT nickname FROM port WHERE ip_address = ?1 AND nickname IS NOT NULL ORDER BY "order", id LIMIT 1)),
                   ?3, ?4, ?5,
                   COALESCE(?6, (SELECT COALESCE(MAX("order"), -1) + 1 FROM port WHERE ip_address = ?1)),
                   ?7, 0)
           RETURNING id"#,
    )
    .bind(&spec.ip_address)
    .bind(&spec.nickname)
    .bind(spec.port_number)
    .bind(spec.port_protocol.as_str())
    .bind(&spec.description)
    .bind(order)
    .bind(source.as_str())
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)
}

pub async fn update(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    spec: &PortSpec,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE port SET ip_address = ?, nickname = ?, port_number = ?, port_protocol = ?, description = ? WHERE id = ?",
    )
    .bind(&spec.ip_address)
    .bind(&spec.nickname)
    .bind(spec.port_number)
    .bind(spec.port_protocol.as_str())
    .bind(&spec.description)
    .bind(id)
    .execute(conn)
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
