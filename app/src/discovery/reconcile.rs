//! Writes one instance's scan into the database in one transaction: its services and bindings, the
//! Ports-page entries it reports, and stale marks for what it no longer reports. Manual entries are
//! never touched; sources that failed or were skipped keep everything they had. What is already stored
//! is read up front in four queries, so an unchanged fleet costs a handful of statements.

use super::model::{Binding, Container, Source, SourceOutcome};
use super::normalise::source_bindings;
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::{HashMap, HashSet};

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

/// (host, host port, container port, protocol, local-only) as `docker_port` stores a binding.
type StoredBinding = (String, i64, i64, String, bool);

struct StoredService {
    id: i64,
    name: String,
    image: String,
    status: String,
    bindings: Vec<StoredBinding>,
}

struct StoredEntry {
    id: i64,
    discovered: bool,
}

#[derive(PartialEq)]
struct StoredDiscovery {
    seen: bool,
    source_key: String,
    local_only: bool,
    container_name: Option<String>,
    container_port: Option<i64>,
}

fn stored_binding(b: &Binding) -> StoredBinding {
    (
        b.host.clone(),
        b.host_port as i64,
        b.container_port as i64,
        b.protocol.to_ascii_lowercase(),
        b.local_only,
    )
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

    let mut services = load_services(&mut tx, instance_id).await?;
    let mut counts = Counts::default();
    let mut listed: Vec<String> = Vec::new();
    // (source name, source key, binding), one per (host, port, protocol).
    let mut bindings: Vec<(String, String, Binding)> = Vec::new();
    let mut seen_keys: HashSet<(String, u16, String)> = HashSet::new();
    for source in sources {
        let SourceOutcome::Listed(containers) = &source.outcome else {
            continue;
        };
        counts.containers += containers.len();
        let all = source_bindings(source);
        for c in containers {
            listed.push(format!("{}\u{1f}{}", source.key, c.id));
            let mut mine: Vec<StoredBinding> = all
                .iter()
                .filter(|b| b.container_id == c.id)
                .map(stored_binding)
                .collect();
            mine.sort();
            let stored = services.remove(&(source.key.clone(), c.id.clone()));
            sync_service(&mut tx, instance_id, &source.key, c, stored, &mine).await?;
        }
        for b in all {
            if seen_keys.insert((b.host.clone(), b.host_port, b.protocol.clone())) {
                bindings.push((source.name.clone(), source.key.clone(), b));
            }
        }
    }
    counts.bindings = bindings.len();

    // Containers gone from a source that answered: their services (and bindings) go.
    sqlx::query(
        "DELETE FROM docker_service WHERE instance_id = ?
           AND source_key NOT IN (SELECT value FROM json_each(?))
           AND (source_key || char(31) || container_id) NOT IN (SELECT value FROM json_each(?))",
    )
    .bind(instance_id)
    .bind(&kept_json)
    .bind(json_list(&listed))
    .execute(&mut *tx)
    .await?;

    let hosts: Vec<&str> = bindings
        .iter()
        .map(|(_, _, b)| b.host.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut entries = load_entries(&mut tx, &hosts).await?;
    let discoveries = load_discoveries(&mut tx, instance_id).await?;
    let mut seen_ports: Vec<i64> = Vec::with_capacity(bindings.len());
    for (source_name, source_key, b) in &bindings {
        let key = (b.host.clone(), b.host_port as i64, b.protocol.clone());
        let (port_id, is_new) = match entries.get(&key) {
            Some(e) if !e.discovered => continue, // the user's entry: never modified
            Some(e) => (e.id, false),
            None => {
                counts.added += 1;
                let id = insert_entry(&mut tx, instance_type, source_name, b).await?;
                entries.insert(
                    key,
                    StoredEntry {
                        id,
                        discovered: true,
                    },
                );
                (id, true)
            }
        };
        let wanted = StoredDiscovery {
            seen: true,
            source_key: source_key.clone(),
            local_only: b.local_only,
            container_name: Some(b.container_name.clone()),
            container_port: Some(b.container_port as i64),
        };
        let previous = discoveries.get(&port_id);
        // An existing entry this instance reports again (or for the first time).
        if !is_new && previous.is_none_or(|d| !d.seen) {
            counts.updated += 1;
        }
        if previous != Some(&wanted) {
            upsert_discovery(&mut tx, port_id, instance_id, source_key, b).await?;
        }
        seen_ports.push(port_id);
    }
    let seen_json = json_list(&seen_ports);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE port_discovery SET last_seen_at = {NOW}
         WHERE instance_id = ? AND port_id IN (SELECT value FROM json_each(?))"
    )))
    .bind(instance_id)
    .bind(&seen_json)
    .execute(&mut *tx)
    .await?;

    // What this instance reported before, from sources that answered, and not now: stale.
    counts.stale = sqlx::query(
        "UPDATE port_discovery SET seen = 0
         WHERE instance_id = ? AND seen = 1
           AND source_key NOT IN (SELECT value FROM json_each(?))
           AND port_id NOT IN (SELECT value FROM json_each(?))",
    )
    .bind(instance_id)
    .bind(&kept_json)
    .bind(&seen_json)
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;

    tx.commit().await?;
    Ok(counts)
}

async fn load_services(
    conn: &mut SqliteConnection,
    instance_id: i64,
) -> Result<HashMap<(String, String), StoredService>, sqlx::Error> {
    let mut services: HashMap<(String, String), StoredService> = HashMap::new();
    let mut by_id: HashMap<i64, (String, String)> = HashMap::new();
    for row in sqlx::query("SELECT id, source_key, container_id, name, image, status FROM docker_service WHERE instance_id = ?")
        .bind(instance_id)
        .fetch_all(&mut *conn)
        .await?
    {
        let key = (row.get::<String, _>("source_key"), row.get::<String, _>("container_id"));
        let id: i64 = row.get("id");
        by_id.insert(id, key.clone());
        services.insert(
            key,
            StoredService {
                id,
                name: row.get("name"),
                image: row.get("image"),
                status: row.get("status"),
                bindings: Vec::new(),
            },
        );
    }
    for row in sqlx::query(
        "SELECT p.service_id, p.host_ip, p.host_port, p.container_port, p.protocol, p.local_only
         FROM docker_port p JOIN docker_service s ON s.id = p.service_id WHERE s.instance_id = ?",
    )
    .bind(instance_id)
    .fetch_all(&mut *conn)
    .await?
    {
        if let Some(s) = by_id
            .get(&row.get::<i64, _>("service_id"))
            .and_then(|k| services.get_mut(k))
        {
            s.bindings.push((
                row.get("host_ip"),
                row.get("host_port"),
                row.get("container_port"),
                row.get("protocol"),
                row.get("local_only"),
            ));
        }
    }
    for s in services.values_mut() {
        s.bindings.sort();
    }
    Ok(services)
}

/// Brings one container's service row and bindings up to date, writing only what changed.
async fn sync_service(
    conn: &mut SqliteConnection,
    instance_id: i64,
    source_key: &str,
    c: &Container,
    stored: Option<StoredService>,
    bindings: &[StoredBinding],
) -> Result<(), sqlx::Error> {
    let service_id = match stored {
        Some(s) => {
            if (s.name.as_str(), s.image.as_str(), s.status.as_str()) != (c.name.as_str(), c.image.as_str(), c.state.as_str()) {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE docker_service SET name = ?, image = ?, status = ?, updated_at = {NOW} WHERE id = ?"
                )))
                .bind(&c.name)
                .bind(&c.image)
                .bind(&c.state)
                .bind(s.id)
                .execute(&mut *conn)
                .await?;
            }
            if s.bindings == bindings {
                return Ok(());
            }
            sqlx::query("DELETE FROM docker_port WHERE service_id = ?")
                .bind(s.id)
                .execute(&mut *conn)
                .await?;
            s.id
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
            .await?
        }
    };
    for (host, host_port, container_port, protocol, local_only) in bindings {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO docker_port (service_id, host_ip, host_port, container_port, protocol, created_at, local_only)
             VALUES (?, ?, ?, ?, ?, {NOW}, ?)"
        )))
        .bind(service_id)
        .bind(host)
        .bind(host_port)
        .bind(container_port)
        .bind(protocol)
        .bind(local_only)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The entries on the given hosts: (address, port, protocol) → id and whether an integration owns it.
async fn load_entries(
    conn: &mut SqliteConnection,
    hosts: &[&str],
) -> Result<HashMap<(String, i64, String), StoredEntry>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT id, ip_address, port_number, port_protocol,
                COALESCE(source, 'manual') <> 'manual' AND COALESCE(is_immutable, 0) = 1 AS discovered
         FROM port WHERE ip_address IN (SELECT value FROM json_each(?))",
    )
    .bind(json_list(hosts))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            (r.get("ip_address"), r.get("port_number"), r.get("port_protocol")),
            StoredEntry {
                id: r.get("id"),
                discovered: r.get("discovered"),
            },
        )
    })
    .collect())
}

async fn load_discoveries(
    conn: &mut SqliteConnection,
    instance_id: i64,
) -> Result<HashMap<i64, StoredDiscovery>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT port_id, seen, source_key, local_only, container_name, container_port
         FROM port_discovery WHERE instance_id = ?",
    )
    .bind(instance_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.get("port_id"),
            StoredDiscovery {
                seen: r.get("seen"),
                source_key: r.get("source_key"),
                local_only: r.get("local_only"),
                container_name: r.get("container_name"),
                container_port: r.get("container_port"),
            },
        )
    })
    .collect())
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
        .take(crate::ports::DESCRIPTION_MAX)
        .collect();
    let nickname: String = source_name
        .chars()
        .take(crate::ports::NICKNAME_MAX)
        .collect();
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
