//! Writes one instance's scan into the database in one transaction: its services and bindings, the
//! Ports-page entries it reports, and stale marks for what it no longer reports. Manual entries are
//! never touched; sources that failed or were skipped keep everything they had.

use super::model::{Binding, Source, SourceOutcome};
use super::normalise::source_bindings;
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::HashSet;

/// Entry counts of one reconciliation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub containers: usize,
    pub bindings: usize,
    pub added: usize,
    pub updated: usize,
    pub stale: usize,
}

const NOW: &str = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

pub async fn reconcile(
    pool: &SqlitePool,
    instance_id: i64,
    instance_type: &str,
    sources: &[Source],
) -> Result<Counts, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM docker_instance WHERE id = ?")
        .bind(instance_id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(sqlx::Error::RowNotFound);
    }
    // Sources whose state we must not judge this time.
    let kept: Vec<&str> = sources
        .iter()
        .filter(|s| !matches!(s.outcome, SourceOutcome::Listed(_)))
        .map(|s| s.key.as_str())
        .collect();
    let kept_json = json_list(&kept);

    let mut counts = Counts::default();
    let mut listed_ids: Vec<(String, String)> = Vec::new();
    let mut bindings: Vec<(String, String, Binding)> = Vec::new();
    let mut seen_keys: HashSet<(String, u16, String)> = HashSet::new();
    for source in sources {
        let SourceOutcome::Listed(containers) = &source.outcome else {
            continue;
        };
        counts.containers += containers.len();
        let source_bindings = source_bindings(source);
        for c in containers {
            listed_ids.push((source.key.clone(), c.id.clone()));
            let service_id = upsert_service(&mut tx, instance_id, &source.key, c).await?;
            sqlx::query("DELETE FROM docker_port WHERE service_id = ?")
                .bind(service_id)
                .execute(&mut *tx)
                .await?;
            for b in source_bindings.iter().filter(|b| b.container_id == c.id) {
                sqlx::query(
                    "INSERT INTO docker_port (service_id, host_ip, host_port, container_port, protocol, created_at, local_only)
                     VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'), ?)",
                )
                .bind(service_id)
                .bind(&b.host)
                .bind(b.host_port as i64)
                .bind(b.container_port as i64)
                .bind(b.protocol.to_ascii_lowercase())
                .bind(b.local_only)
                .execute(&mut *tx)
                .await?;
            }
        }
        for b in source_bindings {
            if seen_keys.insert((b.host.clone(), b.host_port, b.protocol.clone())) {
                bindings.push((source.name.clone(), source.key.clone(), b));
            }
        }
    }
    counts.bindings = bindings.len();

    // Containers gone from a source that answered: their services (and bindings) go.
    let listed_json = serde_json::to_string(
        &listed_ids
            .iter()
            .map(|(k, c)| format!("{k}\u{1f}{c}"))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "DELETE FROM docker_service WHERE instance_id = ?
           AND source_key NOT IN (SELECT value FROM json_each(?))
           AND (source_key || char(31) || container_id) NOT IN (SELECT value FROM json_each(?))",
    )
    .bind(instance_id)
    .bind(&kept_json)
    .bind(&listed_json)
    .execute(&mut *tx)
    .await?;

    let mut seen_ports: Vec<i64> = Vec::with_capacity(bindings.len());
    for (source_name, source_key, b) in &bindings {
        let existing = sqlx::query(
            "SELECT id, COALESCE(source, 'manual') AS source, COALESCE(is_immutable, 0) AS immutable
             FROM port WHERE ip_address = ? AND port_number = ? AND port_protocol = ?",
        )
        .bind(&b.host)
        .bind(b.host_port as i64)
        .bind(&b.protocol)
        .fetch_optional(&mut *tx)
        .await?;
        let port_id = match existing {
            Some(row) => {
                let source: String = row.get("source");
                let immutable: bool = row.get("immutable");
                if source == "manual" || !immutable {
                    continue; // the user's entry: never modified
                }
                let id: i64 = row.get("id");
                let was_seen: Option<bool> = sqlx::query_scalar(
                    "SELECT seen FROM port_discovery WHERE port_id = ? AND instance_id = ?",
                )
                .bind(id)
                .bind(instance_id)
                .fetch_optional(&mut *tx)
                .await?;
                if was_seen != Some(true) {
                    counts.updated += 1;
                }
                id
            }
            None => {
                counts.added += 1;
                insert_entry(&mut tx, instance_type, source_name, b).await?
            }
        };
        upsert_discovery(&mut tx, port_id, instance_id, source_key, b).await?;
        seen_ports.push(port_id);
    }

    // What this instance reported before, from sources that answered, and not now: stale.
    counts.stale = sqlx::query(
        "UPDATE port_discovery SET seen = 0
         WHERE instance_id = ? AND seen = 1
           AND source_key NOT IN (SELECT value FROM json_each(?))
           AND port_id NOT IN (SELECT value FROM json_each(?))",
    )
    .bind(instance_id)
    .bind(&kept_json)
    .bind(json_list(&seen_ports))
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;

    tx.commit().await?;
    Ok(counts)
}

async fn upsert_service(
    conn: &mut SqliteConnection,
    instance_id: i64,
    source_key: &str,
    c: &super::model::Container,
) -> Result<i64, sqlx::Error> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM docker_service WHERE instance_id = ? AND source_key = ? AND container_id = ?",
    )
    .bind(instance_id)
    .bind(source_key)
    .bind(&c.id)
    .fetch_optional(&mut *conn)
    .await?;
    match existing {
        Some(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE docker_service SET name = ?, image = ?, status = ?, updated_at = {NOW} WHERE id = ?"
            )))
            .bind(&c.name)
            .bind(&c.image)
            .bind(&c.state)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            Ok(id)
        }
        None => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "INSERT INTO docker_service (container_id, name, image, status, created_at, updated_at, instance_id, source_key)
                 VALUES (?, ?, ?, ?, {NOW}, {NOW}, ?, ?) RETURNING id"
            )))
            .bind(&c.id)
            .bind(&c.name)
            .bind(&c.image)
            .bind(&c.state)
            .bind(instance_id)
            .bind(source_key)
            .fetch_one(&mut *conn)
            .await
        }
    }
}

/// A new discovered entry at the end of its host's list; a new host group gets the source's name.
async fn insert_entry(
    conn: &mut SqliteConnection,
    instance_type: &str,
    source_name: &str,
    b: &Binding,
) -> Result<i64, sqlx::Error> {
    let description = format!(
        "{} ({}/{})",
        b.container_name,
        b.container_port,
        b.protocol.to_ascii_lowercase()
    );
    let description: String = description
        .chars()
        .take(app::ports::DESCRIPTION_MAX)
        .collect();
    let nickname: String = source_name.chars().take(app::ports::NICKNAME_MAX).collect();
    sqlx::query_scalar(
        r#"INSERT INTO port (ip_address, nickname, port_number, port_protocol, description, "order", source, is_immutable)
           VALUES (?1,
                   COALESCE((SELECT nickname FROM port WHERE ip_address = ?1 AND nickname IS NOT NULL LIMIT 1),
                            CASE WHEN (SELECT COUNT(*) FROM port WHERE ip_address = ?1) = 0 THEN ?2 END),
                   ?3, ?4, ?5,
                   (SELECT COALESCE(MAX("order"), -1) + 1 FROM port WHERE ip_address = ?1),
                   ?6, 1)
           RETURNING id"#,
    )
    .bind(&b.host)
    .bind(nickname)
    .bind(b.host_port as i64)
    .bind(&b.protocol)
    .bind(description)
    .bind(instance_type)
    .fetch_one(&mut *conn)
    .await
}

async fn upsert_discovery(
    conn: &mut SqliteConnection,
    port_id: i64,
    instance_id: i64,
    source_key: &str,
    b: &Binding,
) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO port_discovery (port_id, instance_id, first_seen_at, last_seen_at, seen, source_key, local_only, container_name, container_port)
         VALUES (?, ?, {NOW}, {NOW}, 1, ?, ?, ?, ?)
         ON CONFLICT (port_id, instance_id) DO UPDATE SET
            seen = 1, last_seen_at = excluded.last_seen_at, source_key = excluded.source_key,
            local_only = excluded.local_only, container_name = excluded.container_name,
            container_port = excluded.container_port"
    )))
    .bind(port_id)
    .bind(instance_id)
    .bind(source_key)
    .bind(b.local_only)
    .bind(&b.container_name)
    .bind(b.container_port as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
