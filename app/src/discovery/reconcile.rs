//! Reconcile: one instance's scan becomes database writes, as a pure plan plus a small apply.
//!
//! 1. [`observe`] normalises what the sources listed (no I/O).
//! 2. [`load`] reads what is stored for the instance and for the hosts the scan touches, in five queries,
//!    before any write lock is taken.
//! 3. [`plan`] compares the two and returns the [`Changes`] (pure; every rule is unit-tested below).
//! 4. [`apply`] does only writes, batched (one statement per kind of write), inside `BEGIN IMMEDIATE`.
//!
//! Planning outside the write lock keeps other writers (pages, other scans) waiting only for the writes.
//! The price is that someone may commit between the read and the lock; `PRAGMA data_version` on the same
//! connection tells, and then the plan is made again inside the transaction, so it is never stale.
//!
//! The rules: manual entries are never touched; an entry is keyed by (address, port, protocol), and
//! normalising has already merged `0.0.0.0`/`::` and recorded loopback-only bindings at the host; an entry
//! an instance stops reporting turns stale (kept, greyed) and comes back with the same id; a source that
//! failed or was skipped keeps everything it had, services and entries alike.

use super::model::{Binding, Source, SourceOutcome};
use super::normalise::source_bindings;
use crate::ports::Protocol;
use serde_json::json;
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::{HashMap, HashSet};

/// Entry counts of one reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
pub type StoredBinding = (String, i64, i64, String, bool);

/// An entry's key: (address, port, protocol).
pub type EntryKey = (String, i64, Protocol);

fn stored_binding(b: &Binding) -> StoredBinding {
    (
        b.host.clone(),
        b.host_port as i64,
        b.container_port as i64,
        b.protocol.lower().to_string(),
        b.local_only,
    )
}

/// A container as `docker_service` stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRow {
    pub container_id: String,
    pub name: String,
    pub image: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredService {
    pub id: i64,
    pub row: ServiceRow,
    /// Sorted.
    pub bindings: Vec<StoredBinding>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub id: i64,
    /// Owned by an integration (not the user's own entry).
    pub discovered: bool,
}

/// This instance's `port_discovery` row for one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    pub seen: bool,
    pub source_key: String,
    pub local_only: bool,
    pub container_name: Option<String>,
    pub container_port: Option<i64>,
}

/// What a new entry on a host needs to know about the host: where the list ends, and its nickname.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostTail {
    pub next_order: i64,
    pub nickname: Option<String>,
    pub has_entries: bool,
}

/// What is stored: the instance's services and discoveries, and the entries on the scanned hosts.
#[derive(Clone, Debug, Default)]
pub struct Stored {
    pub services: HashMap<(String, String), StoredService>,
    pub entries: HashMap<EntryKey, StoredEntry>,
    pub hosts: HashMap<String, HostTail>,
    pub discoveries: HashMap<i64, Discovery>,
}

/// What the sources listed, normalised.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Keys of sources that failed or were skipped: nothing of theirs is judged this time.
    pub kept: HashSet<String>,
    /// Every listed container with its sorted bindings: (source key, container, bindings).
    pub containers: Vec<(String, ServiceRow, Vec<StoredBinding>)>,
    /// One binding per entry key, first reported wins: (source name, source key, binding).
    pub bindings: Vec<(String, String, Binding)>,
}

impl Observed {
    /// The hosts whose entries the plan needs.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .bindings
            .iter()
            .map(|(_, _, b)| b.host.clone())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// Normalises the sources' listings (no I/O).
pub fn observe(sources: &[Source]) -> Observed {
    let mut observed = Observed::default();
    let mut seen_keys: HashSet<(String, u16, Protocol)> = HashSet::new();
    for source in sources {
        let SourceOutcome::Listed(containers) = &source.outcome else {
            observed.kept.insert(source.key.clone());
            continue;
        };
        let all = source_bindings(source);
        for c in containers {
            let mut mine: Vec<StoredBinding> = all
                .iter()
                .filter(|b| b.container_id == c.id)
                .map(stored_binding)
                .collect();
            mine.sort();
            let row = ServiceRow {
                container_id: c.id.clone(),
                name: c.name.clone(),
                image: c.image.clone(),
                status: c.state.clone(),
            };
            observed.containers.push((source.key.clone(), row, mine));
        }
        for b in all {
            if seen_keys.insert((b.host.clone(), b.host_port, b.protocol)) {
                observed
                    .bindings
                    .push((source.name.clone(), source.key.clone(), b));
            }
        }
    }
    observed
}

/// A discovered entry to insert, with its place and nickname decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub key: EntryKey,
    pub description: String,
    pub nickname: Option<String>,
    pub order: i64,
    pub discovery: Discovery,
}

/// Every write one scan needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub counts: Counts,
    /// Services whose name, image or status changed: (id, new row).
    pub service_updates: Vec<(i64, ServiceRow)>,
    /// Services whose bindings changed: (id, new bindings).
    pub rebinds: Vec<(i64, Vec<StoredBinding>)>,
    /// New services: (source key, row, bindings).
    pub new_services: Vec<(String, ServiceRow, Vec<StoredBinding>)>,
    /// Services of containers gone from a source that answered.
    pub gone_services: Vec<i64>,
    pub new_entries: Vec<NewEntry>,
    /// Existing entries whose discovery by this instance is new or changed (seen again included).
    pub discoveries: Vec<(i64, Discovery)>,
    /// Existing entries this instance reports now (their `last_seen_at` moves on).
    pub seen: Vec<i64>,
    /// Existing entries reported again after being stale, or by this instance for the first time:
    /// with the new entries, what the auto-run tagging rules look at.
    pub arrived: Vec<i64>,
    /// Entries this instance reported from an answering source and no longer does.
    pub stale: Vec<i64>,
}

/// Decides the writes (pure).
pub fn plan(stored: &Stored, observed: &Observed) -> Changes {
    let mut changes = Changes::default();
    let mut services = stored.services.clone();
    for (key, row, bindings) in &observed.containers {
        match services.remove(&(key.clone(), row.container_id.clone())) {
            Some(s) => {
                if s.row != *row {
                    changes.service_updates.push((s.id, row.clone()));
                }
                if s.bindings != *bindings {
                    changes.rebinds.push((s.id, bindings.clone()));
                }
            }
            None => changes
                .new_services
                .push((key.clone(), row.clone(), bindings.clone())),
        }
    }
    // What is left was not listed: gone, unless its source could not be read.
    changes.gone_services = services
        .into_iter()
        .filter(|((key, _), _)| !observed.kept.contains(key))
        .map(|(_, s)| s.id)
        .collect();
    changes.gone_services.sort();

    changes.counts.containers = observed.containers.len();
    changes.counts.bindings = observed.bindings.len();
    let mut tails: HashMap<&str, HostTail> = HashMap::new();
    let mut reported: HashSet<i64> = HashSet::new();
    for (source_name, source_key, b) in &observed.bindings {
        let key: EntryKey = (b.host.clone(), b.host_port as i64, b.protocol);
        let wanted = Discovery {
            seen: true,
            source_key: source_key.clone(),
            local_only: b.local_only,
            container_name: Some(b.container_name.clone()),
            container_port: Some(b.container_port as i64),
        };
        match stored.entries.get(&key) {
            // The user's own entry: never modified, never claimed.
            Some(e) if !e.discovered => {}
            Some(e) => {
                let previous = stored.discoveries.get(&e.id);
                // Reported again after being stale, or reported by this instance for the first time.
                if previous.is_none_or(|d| !d.seen) {
                    changes.counts.updated += 1;
                    changes.arrived.push(e.id);
                }
                if previous != Some(&wanted) {
                    changes.discoveries.push((e.id, wanted));
                }
                changes.seen.push(e.id);
                reported.insert(e.id);
            }
            None => {
                let tail = tails
                    .entry(b.host.as_str())
                    .or_insert_with(|| stored.hosts.get(&b.host).cloned().unwrap_or_default());
                // A new host group is named after the source that found it first.
                if !tail.has_entries && tail.nickname.is_none() {
                    tail.nickname = Some(truncate(source_name, crate::ports::NICKNAME_MAX));
                }
                let description = format!(
                    "{} ({}/{})",
                    b.container_name,
                    b.container_port,
                    b.protocol.lower()
                );
                changes.new_entries.push(NewEntry {
                    key,
                    description: truncate(&description, crate::ports::DESCRIPTION_MAX),
                    nickname: tail.nickname.clone(),
                    order: tail.next_order,
                    discovery: wanted,
                });
                tail.next_order += 1;
                tail.has_entries = true;
                changes.counts.added += 1;
            }
        }
    }
    changes.stale = stored
        .discoveries
        .iter()
        .filter(|(id, d)| {
            d.seen && !observed.kept.contains(&d.source_key) && !reported.contains(id)
        })
        .map(|(id, _)| *id)
        .collect();
    changes.stale.sort();
    changes.counts.stale = changes.stale.len();
    changes
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Reads what [`plan`] needs: five queries, no writes.
pub async fn load(
    conn: &mut SqliteConnection,
    instance_id: i64,
    hosts: &[String],
) -> Result<Stored, sqlx::Error> {
    let mut stored = Stored::default();
    let mut by_id: HashMap<i64, (String, String)> = HashMap::new();
    for row in sqlx::query(
        "SELECT id, source_key, container_id, name, image, status FROM docker_service WHERE instance_id = ?",
    )
    .bind(instance_id)
    .fetch_all(&mut *conn)
    .await?
    {
        let key = (row.get::<String, _>("source_key"), row.get::<String, _>("container_id"));
        let id: i64 = row.get("id");
        by_id.insert(id, key.clone());
        let service = StoredService {
            id,
            row: ServiceRow {
                container_id: key.1.clone(),
                name: row.get("name"),
                image: row.get("image"),
                status: row.get("status"),
            },
            bindings: Vec::new(),
        };
        stored.services.insert(key, service);
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
            .and_then(|k| stored.services.get_mut(k))
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
    for s in stored.services.values_mut() {
        s.bindings.sort();
    }
    let hosts_json = json_list(hosts);
    for r in sqlx::query(
        "SELECT id, ip_address, port_number, port_protocol,
                COALESCE(source, 'manual') <> 'manual' AND COALESCE(is_immutable, 0) = 1 AS discovered
         FROM port WHERE ip_address IN (SELECT value FROM json_each(?))",
    )
    .bind(&hosts_json)
    .fetch_all(&mut *conn)
    .await?
    {
        // A legacy row with another protocol cannot collide with a discovered port.
        let Some(protocol) = Protocol::parse(&r.get::<String, _>("port_protocol")) else {
            continue;
        };
        let key = (r.get("ip_address"), r.get("port_number"), protocol);
        let entry = StoredEntry {
            id: r.get("id"),
            discovered: r.get("discovered"),
        };
        stored.entries.insert(key, entry);
    }
    for r in sqlx::query(
        r#"SELECT ip_address, COALESCE(MAX("order"), -1) + 1 AS next_order,
                  (SELECT nickname FROM port n WHERE n.ip_address = p.ip_address AND nickname IS NOT NULL
                   ORDER BY id LIMIT 1) AS nickname
           FROM port p WHERE ip_address IN (SELECT value FROM json_each(?)) GROUP BY ip_address"#,
    )
    .bind(&hosts_json)
    .fetch_all(&mut *conn)
    .await?
    {
        let tail = HostTail {
            next_order: r.get("next_order"),
            nickname: r.get("nickname"),
            has_entries: true,
        };
        stored.hosts.insert(r.get("ip_address"), tail);
    }
    for r in sqlx::query(
        "SELECT port_id, seen, source_key, local_only, container_name, container_port
         FROM port_discovery WHERE instance_id = ?",
    )
    .bind(instance_id)
    .fetch_all(&mut *conn)
    .await?
    {
        let discovery = Discovery {
            seen: r.get("seen"),
            source_key: r.get("source_key"),
            local_only: r.get("local_only"),
            container_name: r.get("container_name"),
            container_port: r.get("container_port"),
        };
        stored.discoveries.insert(r.get("port_id"), discovery);
    }
    Ok(stored)
}

/// Runs one statement whose rows come from a JSON array bound as its only parameter.
async fn batch(
    conn: &mut SqliteConnection,
    sql: String,
    rows: Vec<serde_json::Value>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(serde_json::Value::Array(rows).to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn discovery_row(port_id: i64, d: &Discovery) -> serde_json::Value {
    json!([
        port_id,
        d.source_key,
        d.local_only,
        d.container_name,
        d.container_port
    ])
}

/// Does the writes, a statement per kind; the caller holds the transaction. Returns the entries it
/// created, as the tagging rules see them (no tags yet, reported by this instance), so the auto-run
/// does not read back what was just written.
pub async fn apply(
    conn: &mut SqliteConnection,
    instance_id: i64,
    instance_type: crate::instances::InstanceType,
    changes: &Changes,
) -> Result<Vec<crate::model::PortEntry>, sqlx::Error> {
    let j = |i: usize| format!("json_extract(value, '$[{i}]')");
    batch(
        conn,
        "DELETE FROM docker_service WHERE id IN (SELECT value FROM json_each(?))".into(),
        changes.gone_services.iter().map(|id| json!(id)).collect(),
    )
    .await?;
    batch(
        conn,
        format!(
            "UPDATE docker_service SET name = {}, image = {}, status = {}, updated_at = {NOW}
             FROM json_each(?) WHERE docker_service.id = {}",
            j(1),
            j(2),
            j(3),
            j(0)
        ),
        changes
            .service_updates
            .iter()
            .map(|(id, r)| json!([id, r.name, r.image, r.status]))
            .collect(),
    )
    .await?;
    batch(
        conn,
        "DELETE FROM docker_port WHERE service_id IN (SELECT value FROM json_each(?))".into(),
        changes.rebinds.iter().map(|(id, _)| json!(id)).collect(),
    )
    .await?;
    // New services first: their bindings need their ids.
    let mut service_ids: Vec<(i64, &Vec<StoredBinding>)> =
        changes.rebinds.iter().map(|(id, b)| (*id, b)).collect();
    if !changes.new_services.is_empty() {
        let rows: Vec<serde_json::Value> = changes
            .new_services
            .iter()
            .map(|(key, r, _)| json!([r.container_id, r.name, r.image, r.status, key]))
            .collect();
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO docker_service (container_id, name, image, status, created_at, updated_at, instance_id, source_key)
             SELECT {}, {}, {}, {}, {NOW}, {NOW}, ?1, {} FROM json_each(?2) WHERE true
             RETURNING id, source_key, container_id",
            j(0),
            j(1),
            j(2),
            j(3),
            j(4)
        )))
        .bind(instance_id)
        .bind(serde_json::Value::Array(rows).to_string())
        .fetch_all(&mut *conn)
        .await?;
        let ids: HashMap<(String, String), i64> = inserted
            .iter()
            .map(|r| ((r.get("source_key"), r.get("container_id")), r.get("id")))
            .collect();
        for (key, row, bindings) in &changes.new_services {
            if let Some(id) = ids.get(&(key.clone(), row.container_id.clone())) {
                service_ids.push((*id, bindings));
            }
        }
    }
    batch(
        conn,
        format!(
            "INSERT INTO docker_port (service_id, host_ip, host_port, container_port, protocol, created_at, local_only)
             SELECT {}, {}, {}, {}, {}, {NOW}, {} FROM json_each(?)",
            j(0),
            j(1),
            j(2),
            j(3),
            j(4),
            j(5)
        ),
        service_ids
            .iter()
            .flat_map(|(id, bindings)| {
                bindings
                    .iter()
                    .map(move |(h, hp, cp, p, l)| json!([id, h, hp, cp, p, l]))
            })
            .collect(),
    )
    .await?;

    let mut created = Vec::new();
    let source = instance_type.port_source();
    let mut discoveries: Vec<serde_json::Value> = changes
        .discoveries
        .iter()
        .map(|(id, d)| discovery_row(*id, d))
        .collect();
    if !changes.new_entries.is_empty() {
        // A host seen for the first time gets its panel after the last one.
        let mut new_hosts: Vec<&str> = changes
            .new_entries
            .iter()
            .map(|e| e.key.0.as_str())
            .collect();
        new_hosts.dedup();
        crate::hosts::store::ensure(&mut *conn, &new_hosts).await?;
        let rows: Vec<serde_json::Value> = changes
            .new_entries
            .iter()
            .map(|e| {
                json!([
                    e.key.0,
                    e.nickname,
                    e.key.1,
                    e.key.2.as_str(),
                    e.description,
                    e.order
                ])
            })
            .collect();
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            r#"INSERT INTO port (ip_address, nickname, port_number, port_protocol, description, "order", source, is_immutable)
               SELECT {}, {}, {}, {}, {}, {}, ?1, 1 FROM json_each(?2) WHERE true
               RETURNING id, ip_address, port_number, port_protocol"#,
            j(0),
            j(1),
            j(2),
            j(3),
            j(4),
            j(5)
        )))
        .bind(source.as_str())
        .bind(serde_json::Value::Array(rows).to_string())
        .fetch_all(&mut *conn)
        .await?;
        let ids: HashMap<EntryKey, i64> = inserted
            .iter()
            .filter_map(|r| {
                let protocol = Protocol::parse(&r.get::<String, _>("port_protocol"))?;
                let key = (r.get("ip_address"), r.get("port_number"), protocol);
                Some((key, r.get("id")))
            })
            .collect();
        for e in &changes.new_entries {
            if let Some(id) = ids.get(&e.key) {
                discoveries.push(discovery_row(*id, &e.discovery));
                created.push(crate::model::PortEntry {
                    id: *id,
                    ip_address: e.key.0.clone(),
                    nickname: e.nickname.clone(),
                    port_number: e.key.1,
                    port_protocol: e.key.2,
                    description: e.description.clone(),
                    order: e.order,
                    source: source.clone(),
                    is_immutable: true,
                    discovered_by: vec![crate::model::Discovery {
                        instance_id,
                        name: String::new(),
                        instance_type: instance_type.as_str().to_string(),
                        seen: true,
                        last_seen_at: String::new(),
                        local_only: e.discovery.local_only,
                        container_name: e.discovery.container_name.clone(),
                        container_port: e.discovery.container_port,
                    }],
                    tags: Vec::new(),
                    check: None,
                });
            }
        }
    }
    batch(
        conn,
        format!(
            "INSERT INTO port_discovery (port_id, instance_id, first_seen_at, last_seen_at, seen, source_key, local_only, container_name, container_port)
             SELECT {}, {instance_id}, {NOW}, {NOW}, 1, {}, {}, {}, {} FROM json_each(?) WHERE true
             ON CONFLICT (port_id, instance_id) DO UPDATE SET
                seen = 1, last_seen_at = excluded.last_seen_at, source_key = excluded.source_key,
                local_only = excluded.local_only, container_name = excluded.container_name,
                container_port = excluded.container_port",
            j(0),
            j(1),
            j(2),
            j(3),
            j(4)
        ),
        discoveries,
    )
    .await?;
    batch(
        conn,
        format!(
            "UPDATE port_discovery SET last_seen_at = {NOW}
             WHERE instance_id = {instance_id} AND port_id IN (SELECT value FROM json_each(?))"
        ),
        changes.seen.iter().map(|id| json!(id)).collect(),
    )
    .await?;
    batch(
        conn,
        format!(
            "UPDATE port_discovery SET seen = 0
             WHERE instance_id = {instance_id} AND port_id IN (SELECT value FROM json_each(?))"
        ),
        changes.stale.iter().map(|id| json!(id)).collect(),
    )
    .await?;
    Ok(created)
}

async fn data_version(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(&mut *conn)
        .await
}

/// Writes one instance's scan: plan outside the write lock, apply inside it (planning again if someone
/// committed in between). `RowNotFound` when the instance was deleted meanwhile.
pub async fn reconcile(
    pool: &SqlitePool,
    instance_id: i64,
    instance_type: crate::instances::InstanceType,
    sources: &[Source],
) -> Result<Counts, sqlx::Error> {
    let observed = observe(sources);
    let hosts = observed.hosts();
    let mut conn = pool.acquire().await?;
    let version = data_version(&mut conn).await?;
    let stored = load(&mut conn, instance_id, &hosts).await?;
    let mut changes = plan(&stored, &observed);

    let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM docker_instance WHERE id = ?")
        .bind(instance_id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(sqlx::Error::RowNotFound);
    }
    if data_version(&mut tx).await? != version {
        let stored = load(&mut tx, instance_id, &hosts).await?;
        changes = plan(&stored, &observed);
    }
    let created = apply(&mut tx, instance_id, instance_type, &changes).await?;
    // The auto-run tagging rules tag what this scan brought, in the same transaction.
    let scope = crate::tags::service::Scope::Arrived {
        created,
        returned: &changes.arrived,
    };
    match crate::tags::service::auto_run(&mut tx, scope).await {
        Ok(_) => {}
        Err(crate::error::ServiceError::Db(e)) => return Err(e),
        Err(e) => {
            tracing::warn!(instance_id, error = %e, "tagging rules did not run after the scan")
        }
    }
    tx.commit().await?;
    Ok(changes.counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::model::{Container, RawPort};

    fn port(ip: &str, private: u16, public: u16, proto: &str) -> RawPort {
        RawPort {
            ip: Some(ip.into()),
            private_port: private,
            public_port: Some(public),
            protocol: Some(proto.into()),
        }
    }

    fn container(id: &str, ports: Vec<RawPort>) -> Container {
        Container {
            id: id.into(),
            name: format!("c-{id}"),
            image: "img".into(),
            state: "running".into(),
            ports,
        }
    }

    fn source(key: &str, outcome: SourceOutcome) -> Source {
        Source {
            key: key.into(),
            name: format!("src {key}"),
            host: "10.0.0.5".into(),
            outcome,
        }
    }

    /// A source listing one container that publishes its port 80 on `public`.
    fn one(key: &str, id: &str, public: u16) -> Source {
        source(
            key,
            listed(vec![container(
                id,
                vec![port("0.0.0.0", 80, public, "tcp")],
            )]),
        )
    }

    fn listed(containers: Vec<Container>) -> SourceOutcome {
        SourceOutcome::Listed(containers)
    }

    fn key(port: i64, proto: &str) -> EntryKey {
        ("10.0.0.5".into(), port, Protocol::parse(proto).unwrap())
    }

    fn seen_by(source_key: &str) -> Discovery {
        Discovery {
            seen: true,
            source_key: source_key.into(),
            local_only: false,
            container_name: Some("c-a".into()),
            container_port: Some(80),
        }
    }

    /// Stored state as the first scan of `sources` would have left it, with entry ids from 1.
    fn after_first_scan(sources: &[Source]) -> Stored {
        let observed = observe(sources);
        let changes = plan(&Stored::default(), &observed);
        let mut stored = Stored::default();
        for (i, (k, row, bindings)) in changes.new_services.iter().enumerate() {
            let service = StoredService {
                id: 100 + i as i64,
                row: row.clone(),
                bindings: bindings.clone(),
            };
            stored
                .services
                .insert((k.clone(), row.container_id.clone()), service);
        }
        for (i, e) in changes.new_entries.iter().enumerate() {
            let id = 1 + i as i64;
            let entry = StoredEntry {
                id,
                discovered: true,
            };
            stored.entries.insert(e.key.clone(), entry);
            stored.discoveries.insert(id, e.discovery.clone());
        }
        stored
    }

    #[test]
    fn a_first_scan_adds_entries_at_the_end_named_after_the_source() {
        let sources = [source(
            "",
            listed(vec![container(
                "a",
                vec![
                    port("0.0.0.0", 80, 8080, "tcp"),
                    port("0.0.0.0", 53, 5353, "udp"),
                ],
            )]),
        )];
        let mut stored = Stored::default();
        stored.hosts.insert(
            "10.0.0.5".into(),
            HostTail {
                next_order: 7,
                nickname: None,
                has_entries: true,
            },
        );
        let changes = plan(&stored, &observe(&sources));
        assert_eq!(changes.counts.added, 2);
        let placed: Vec<(i64, i64, Option<String>)> = changes
            .new_entries
            .iter()
            .map(|e| (e.key.1, e.order, e.nickname.clone()))
            .collect();
        // The host has entries without a nickname: the new ones get none either.
        assert_eq!(placed, vec![(5353, 7, None), (8080, 8, None)]);
        assert_eq!(changes.new_entries[1].description, "c-a (80/tcp)");

        let fresh = plan(&Stored::default(), &observe(&sources));
        assert!(fresh
            .new_entries
            .iter()
            .all(|e| e.nickname.as_deref() == Some("src ")));
        assert_eq!(
            fresh
                .new_entries
                .iter()
                .map(|e| e.order)
                .collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(fresh.new_services.len(), 1);
    }

    #[test]
    fn an_unchanged_scan_writes_nothing_but_the_last_seen_time() {
        let sources = [one("", "a", 8080)];
        let stored = after_first_scan(&sources);
        let changes = plan(&stored, &observe(&sources));
        assert_eq!(
            changes,
            Changes {
                counts: Counts {
                    containers: 1,
                    bindings: 1,
                    ..Default::default()
                },
                seen: vec![1],
                ..Default::default()
            }
        );
    }

    #[test]
    fn a_port_no_longer_reported_turns_stale_and_comes_back_with_its_id() {
        let before = [one("", "a", 8080)];
        let mut stored = after_first_scan(&before);
        let gone = [source("", listed(vec![]))];
        let changes = plan(&stored, &observe(&gone));
        assert_eq!(changes.stale, vec![1]);
        assert_eq!(changes.counts.stale, 1);
        assert_eq!(
            changes.gone_services,
            vec![100],
            "the container's service goes"
        );

        stored.discoveries.get_mut(&1).unwrap().seen = false;
        stored.services.clear();
        let back = plan(&stored, &observe(&before));
        assert_eq!(back.counts.updated, 1, "counted as back");
        assert_eq!(back.counts.added, 0);
        assert_eq!(back.discoveries, vec![(1, seen_by(""))]);
        assert!(back.stale.is_empty());
    }

    #[test]
    fn manual_entries_are_never_touched_or_claimed() {
        let mut stored = Stored::default();
        stored.entries.insert(
            key(8080, "TCP"),
            StoredEntry {
                id: 9,
                discovered: false,
            },
        );
        let sources = [one("", "a", 8080)];
        let changes = plan(&stored, &observe(&sources));
        assert!(changes.new_entries.is_empty());
        assert!(changes.discoveries.is_empty());
        assert!(changes.seen.is_empty());
        assert_eq!(changes.counts.added + changes.counts.updated, 0);
        assert_eq!(changes.counts.bindings, 1, "still counted as found");
    }

    #[test]
    fn a_failed_or_skipped_source_keeps_its_services_and_entries() {
        let first = [one("env:1", "a", 8080), one("env:2", "b", 9090)];
        let stored = after_first_scan(&first);
        let now = [
            source("env:1", SourceOutcome::Failed("timeout".into())),
            source("env:2", SourceOutcome::Skipped("down".into())),
        ];
        let changes = plan(&stored, &observe(&now));
        assert!(changes.stale.is_empty());
        assert!(changes.gone_services.is_empty());
        assert_eq!(changes.counts, Counts::default());
    }

    #[test]
    fn all_interfaces_merge_and_loopback_is_recorded_at_the_host() {
        let sources = [source(
            "",
            listed(vec![container(
                "a",
                vec![
                    port("0.0.0.0", 80, 8080, "tcp"),
                    port("::", 80, 8080, "tcp"),
                    port("127.0.0.1", 81, 8181, "tcp"),
                ],
            )]),
        )];
        let changes = plan(&Stored::default(), &observe(&sources));
        let keys: Vec<(EntryKey, bool)> = changes
            .new_entries
            .iter()
            .map(|e| (e.key.clone(), e.discovery.local_only))
            .collect();
        assert_eq!(
            keys,
            vec![(key(8080, "TCP"), false), (key(8181, "TCP"), true)]
        );
    }

    #[test]
    fn a_changed_container_updates_its_service_and_bindings() {
        let first = [one("", "a", 8080)];
        let stored = after_first_scan(&first);
        let mut renamed = container(
            "a",
            vec![
                port("0.0.0.0", 80, 8080, "tcp"),
                port("0.0.0.0", 81, 8181, "tcp"),
            ],
        );
        renamed.state = "exited".into();
        let changes = plan(&stored, &observe(&[source("", listed(vec![renamed]))]));
        assert_eq!(changes.service_updates.len(), 1);
        assert_eq!(changes.service_updates[0].1.status, "exited");
        assert_eq!(changes.rebinds.len(), 1);
        assert_eq!(changes.rebinds[0].1.len(), 2);
        assert_eq!(changes.counts.added, 1);
        assert!(changes.new_services.is_empty());
    }

    #[test]
    fn the_first_source_reporting_an_entry_owns_it() {
        let sources = [one("env:1", "a", 8080), one("env:2", "b", 8080)];
        let changes = plan(&Stored::default(), &observe(&sources));
        assert_eq!(changes.new_entries.len(), 1);
        assert_eq!(changes.new_entries[0].discovery.source_key, "env:1");
        assert_eq!(
            changes.new_services.len(),
            2,
            "both containers are recorded"
        );
    }
}
