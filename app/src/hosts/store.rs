//! Queries on the `host` table: panel order, nicknames, hand-added hosts.

use crate::hosts::HostSummary;
use sqlx::{Row, SqliteConnection};

/// Every host with entries or pinned, in panel order. Hosts without a row (none after the 0004
/// migration, since every writer calls [`ensure`]) go last, in the order their entries were made.
pub async fn list<'e>(ex: impl sqlx::SqliteExecutor<'e>) -> Result<Vec<HostSummary>, sqlx::Error> {
    let rows = sqlx::query(
        r#"WITH stats AS MATERIALIZED (
               SELECT p.ip_address AS address, COUNT(*) AS total,
                      SUM(CASE WHEN COALESCE(p.is_immutable, 0) = 0 THEN 1 ELSE 0 END) AS manual,
                      SUM(CASE WHEN COALESCE(p.is_immutable, 0) <> 0 AND EXISTS (SELECT 1 FROM port_discovery d WHERE d.port_id = p.id AND d.seen) THEN 1 ELSE 0 END) AS reported,
                      MIN(COALESCE(p."order", 0)) AS first, MIN(p.id) AS first_id
                 FROM port p
                GROUP BY p.ip_address),
           -- The first non-empty nickname by (order, id): with a single MIN(), SQLite takes the bare
           -- column from the row holding that minimum.
           nick AS MATERIALIZED (
               SELECT ip_address AS address, nickname AS first_nickname,
                      MIN(COALESCE("order", 0) * 4294967296 + id)
                 FROM port WHERE COALESCE(nickname, '') <> ''
                GROUP BY ip_address),
           owners AS MATERIALIZED (
               SELECT p.ip_address AS address, json_group_array(DISTINCT i.name) AS names
                 FROM port p JOIN port_discovery d ON d.port_id = p.id AND d.seen
                 JOIN docker_instance i ON i.id = d.instance_id
                WHERE COALESCE(p.is_immutable, 0) <> 0
                GROUP BY p.ip_address)
           SELECT a.address, h.nickname AS own, h.position, COALESCE(h.pinned, 0) AS pinned,
                  COALESCE(s.total, 0) AS total, COALESCE(s.manual, 0) AS manual,
                  COALESCE(s.reported, 0) AS reported, n.first_nickname, o.names AS owners
             FROM (SELECT address FROM stats UNION SELECT address FROM host WHERE pinned) a
             LEFT JOIN host h ON h.address = a.address
             LEFT JOIN stats s ON s.address = a.address
             LEFT JOIN owners o ON o.address = a.address
             LEFT JOIN nick n ON n.address = a.address
            ORDER BY h.position IS NULL, h.position, s.first, s.first_id, a.address"#,
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let own: Option<String> = r.get("own");
            let first: Option<String> = r.get("first_nickname");
            HostSummary {
                address: r.get("address"),
                nickname: own.filter(|n| !n.is_empty()).or(first),
                position: i as i64,
                pinned: r.get::<i64, _>("pinned") != 0,
                ports: r.get("total"),
                manual: r.get("manual"),
                reported: r.get("reported"),
                owners: r
                    .get::<Option<String>, _>("owners")
                    .and_then(|o| serde_json::from_str(&o).ok())
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// The host's own nickname (not its first entry's), and whether it has a row at all.
pub async fn own_nickname(
    conn: &mut SqliteConnection,
    address: &str,
) -> Result<Option<Option<String>>, sqlx::Error> {
    sqlx::query_scalar("SELECT nickname FROM host WHERE address = ?")
        .bind(address)
        .fetch_optional(conn)
        .await
}

/// Gives each address without a host row one, after the last panel, in the order given.
pub async fn ensure(conn: &mut SqliteConnection, addresses: &[&str]) -> Result<(), sqlx::Error> {
    if addresses.is_empty() {
        return Ok(());
    }
    let list = serde_json::to_string(addresses).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO host (address, position)
         SELECT value, (SELECT COALESCE(MAX(position), -1) FROM host) + ROW_NUMBER() OVER (ORDER BY MIN(key))
           FROM json_each(?)
          WHERE value NOT IN (SELECT address FROM host)
          GROUP BY value",
    )
    .bind(list)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a hand-made host after the last panel.
pub async fn insert(
    conn: &mut SqliteConnection,
    address: &str,
    nickname: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO host (address, nickname, position, pinned)
         VALUES (?1, ?2, (SELECT COALESCE(MAX(position), -1) + 1 FROM host), 1)",
    )
    .bind(address)
    .bind(nickname)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes panel positions: `order[i]` gets position `i` (rows are created where missing).
pub async fn set_positions(
    conn: &mut SqliteConnection,
    order: &[String],
) -> Result<(), sqlx::Error> {
    let list = serde_json::to_string(order).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO host (address, position) SELECT value, key FROM json_each(?) WHERE true
         ON CONFLICT (address) DO UPDATE SET position = excluded.position",
    )
    .bind(list)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the nickname of the host and of every entry it has.
pub async fn set_nickname(
    conn: &mut SqliteConnection,
    address: &str,
    nickname: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE host SET nickname = ? WHERE address = ?")
        .bind(nickname)
        .bind(address)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE port SET nickname = ? WHERE ip_address = ?")
        .bind(nickname)
        .bind(address)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the address has a host row or entries.
pub async fn exists(conn: &mut SqliteConnection, address: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM host WHERE address = ?1) OR EXISTS (SELECT 1 FROM port WHERE ip_address = ?1)",
    )
    .bind(address)
    .fetch_one(conn)
    .await
}

/// Puts a panel's entries in the order given (`ids[i]` gets order `i`). The ids were checked to
/// belong to the host.
pub async fn set_port_order(conn: &mut SqliteConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        r#"UPDATE port SET "order" = j.key FROM json_each(?) AS j WHERE port.id = j.value"#,
    )
    .bind(list)
    .execute(conn)
    .await?;
    Ok(())
}

/// The ids of a host's entries, in their stored order.
pub async fn port_ids(conn: &mut SqliteConnection, address: &str) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(r#"SELECT id FROM port WHERE ip_address = ? ORDER BY "order", id"#)
        .bind(address)
        .fetch_all(conn)
        .await
}
