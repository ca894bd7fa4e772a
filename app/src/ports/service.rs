//! The Ports-page service: listing entries, and adding, editing and removing them under the shared rules.

use crate::db::error::StoreError;
use crate::error::ServiceError;
use crate::model::PortEntry;
use crate::ports::store;
use crate::ports::validate_port;
use serde_json::Value;
use sqlx::SqlitePool;

fn not_found(id: i64) -> impl FnOnce(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::NotFound => ServiceError::NotFound(format!("port entry {id}")),
        other => other.into(),
    }
}

fn describe(e: &PortEntry) -> String {
    format!(
        "port {}/{} on {} is already in the list as '{}' (id {})",
        e.port_number, e.port_protocol, e.ip_address, e.description, e.id
    )
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<PortEntry>, ServiceError> {
    store::list(pool).await.map_err(ServiceError::from)
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<PortEntry, ServiceError> {
    store::get(pool, id).await.map_err(not_found(id))
}

/// Adds a manual entry; a duplicate (address, port, protocol) is a conflict naming the existing entry.
pub async fn create(pool: &SqlitePool, input: &Value) -> Result<PortEntry, ServiceError> {
    let spec = validate_port(input, None).map_err(ServiceError::Validation)?;
    if let Some(existing) =
        store::find(pool, &spec.ip_address, spec.port_number, spec.port_protocol).await?
    {
        return Err(ServiceError::Conflict(describe(&existing)));
    }
    let id = store::insert_manual(pool, &spec).await?;
    get(pool, id).await
}

/// Edits an entry; a discovered entry takes a new description (and nickname) only.
pub async fn update(pool: &SqlitePool, id: i64, input: &Value) -> Result<PortEntry, ServiceError> {
    let current = get(pool, id).await?;
    let spec = validate_port(input, Some(&current)).map_err(ServiceError::Validation)?;
    if let Some(other) =
        store::find(pool, &spec.ip_address, spec.port_number, spec.port_protocol).await?
    {
        if other.id != id {
            return Err(ServiceError::Conflict(describe(&other)));
        }
    }
    store::update(pool, id, &spec)
        .await
        .map_err(not_found(id))?;
    get(pool, id).await
}

/// Removes a manual entry, or a discovered one that no instance reports any more (stale).
pub async fn delete(pool: &SqlitePool, id: i64) -> Result<(), ServiceError> {
    let current = get(pool, id).await?;
    if current.is_immutable && current.discovered_by.iter().any(|d| d.seen) {
        let names: Vec<&str> = current
            .discovered_by
            .iter()
            .filter(|d| d.seen)
            .map(|d| d.name.as_str())
            .collect();
        return Err(ServiceError::Conflict(format!(
            "port {}/{} on {} is discovered by {}; it goes away when the integration stops reporting it",
            current.port_number,
            current.port_protocol,
            current.ip_address,
            names.join(", ")
        )));
    }
    store::delete(pool, id).await.map_err(not_found(id))
}

/// Sets the nickname of every entry of one host (empty clears it).
pub async fn rename_host(
    pool: &SqlitePool,
    ip: &str,
    nickname: &str,
) -> Result<usize, ServiceError> {
    let nickname = nickname.trim();
    if nickname.chars().count() > crate::ports::NICKNAME_MAX {
        return Err(ServiceError::field(
            "nickname",
            format!("must be at most {} characters", crate::ports::NICKNAME_MAX),
        ));
    }
    let changed = store::rename_host(pool, ip, (!nickname.is_empty()).then_some(nickname)).await?;
    if changed == 0 {
        return Err(ServiceError::NotFound(format!("host {ip}")));
    }
    Ok(changed)
}
