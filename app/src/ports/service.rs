//! The Ports-page service: listing entries, and adding, editing and removing them under the shared rules.

use crate::db::error::StoreError;
use crate::error::ServiceError;
use crate::model::PortEntry;
use crate::ports::store;
use crate::ports::{parse_move, validate_port, Protocol};
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
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id = store::insert_manual(&mut tx, &spec).await?;
    crate::tags::service::auto_run(&mut tx, crate::tags::service::Scope::Ids(&[id])).await?;
    tx.commit().await?;
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
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    store::update(&mut tx, id, &spec)
        .await
        .map_err(not_found(id))?;
    crate::hosts::store::ensure(&mut tx, &[spec.ip_address.as_str()]).await?;
    crate::tags::service::auto_run(&mut tx, crate::tags::service::Scope::Ids(&[id])).await?;
    tx.commit().await?;
    get(pool, id).await
}

/// Removes a manual entry, or a discovered one that no instance reports any more (stale).
pub async fn delete(pool: &SqlitePool, id: i64) -> Result<(), ServiceError> {
    let current = get(pool, id).await?;
    if current.is_reported() {
        return Err(ServiceError::Conflict(format!(
            "port {}/{} on {} is discovered by {}; it goes away when the integration stops reporting it",
            current.port_number,
            current.port_protocol,
            current.ip_address,
            current.reported_by().join(", ")
        )));
    }
    store::delete(pool, id).await.map_err(not_found(id))
}

/// The first number from `from` up (at most `span` numbers) that `ip` has no `protocol` entry on.
pub async fn next_free<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
    ip: &str,
    protocol: Protocol,
    from: i64,
    span: i64,
) -> Result<Option<i64>, ServiceError> {
    let used = store::used_numbers(ex, ip, Some(protocol)).await?;
    Ok((from.max(1)..=(from + span).min(65535)).find(|n| !used.contains(n)))
}

fn taken(existing: PortEntry, suggested_port_number: Option<i64>) -> ServiceError {
    ServiceError::Taken {
        message: format!(
            "{} already has {}/{} ('{}', {})",
            existing.ip_address,
            existing.port_number,
            existing.port_protocol,
            existing.description,
            if existing.is_immutable {
                format!("discovered by {}", existing.source)
            } else {
                "manual".into()
            }
        ),
        existing: Box::new(existing),
        suggested_port_number,
    }
}

/// Moves a manual entry to another host (and/or number, and/or place in the panel). When the target
/// already has that number and protocol the answer is [`ServiceError::Taken`] with that entry and the
/// next free number, unless the request gives the moving entry another number or the existing one
/// (manual only) one. All of it is one transaction: nothing is half-applied.
pub async fn move_to(pool: &SqlitePool, id: i64, input: &Value) -> Result<PortEntry, ServiceError> {
    let spec = parse_move(input).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let entry = store::get(&mut *tx, id).await.map_err(not_found(id))?;
    if entry.is_immutable {
        return Err(ServiceError::Conflict(format!(
            "port {}/{} on {} is discovered by the {} integration, which decides its address; it cannot move",
            entry.port_number, entry.port_protocol, entry.ip_address, entry.source
        )));
    }
    let target = spec.ip_address.as_str();
    let number = spec.port_number.unwrap_or(entry.port_number);
    let protocol = entry.port_protocol;
    if let Some(existing) = store::find(&mut *tx, target, number, protocol)
        .await?
        .filter(|e| e.id != id)
    {
        let Some(other_number) = spec.existing_port_number else {
            let suggestion = next_free(&mut *tx, target, protocol, number + 1, 1000).await?;
            return Err(taken(existing, suggestion));
        };
        if existing.is_immutable {
            return Err(ServiceError::Conflict(format!(
                "{}/{} on {} is discovered by the {} integration; only the moving entry can take another number",
                existing.port_number, existing.port_protocol, target, existing.source
            )));
        }
        if let Some(third) = store::find(&mut *tx, target, other_number, protocol)
            .await?
            .filter(|e| e.id != existing.id)
        {
            let suggestion = next_free(&mut *tx, target, protocol, other_number + 1, 1000).await?;
            return Err(taken(third, suggestion));
        }
        sqlx::query("UPDATE port SET port_number = ? WHERE id = ?")
            .bind(other_number)
            .bind(existing.id)
            .execute(&mut *tx)
            .await?;
    }
    crate::hosts::store::ensure(&mut tx, &[target]).await?;
    // A moved entry takes its new panel's nickname (the legacy Portall left it inconsistent).
    let nickname = if target == entry.ip_address {
        entry.nickname.clone()
    } else {
        let own = crate::hosts::store::own_nickname(&mut tx, target)
            .await?
            .flatten();
        let there = store::by_host(&mut *tx, target).await?;
        Some(crate::hosts::panel_nickname(own.as_deref(), &there)).filter(|n| !n.is_empty())
    };
    sqlx::query("UPDATE port SET ip_address = ?, port_number = ?, nickname = ? WHERE id = ?")
        .bind(target)
        .bind(number)
        .bind(&nickname)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let mut order: Vec<i64> = crate::hosts::store::port_ids(&mut tx, target)
        .await?
        .into_iter()
        .filter(|i| *i != id)
        .collect();
    let at = spec.position.unwrap_or(order.len()).min(order.len());
    order.insert(at, id);
    crate::hosts::store::set_port_order(&mut tx, &order).await?;
    tx.commit().await?;
    get(pool, id).await
}
