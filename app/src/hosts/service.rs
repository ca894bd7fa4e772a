//! The hosts service: panels in order, hand-added hosts, editing and deleting a host, reordering.
//!
//! The rule that shapes every operation here: a manual entry is the user's and goes where the user
//! says; a discovered entry is its integration's and keeps the address that integration reports. So
//! editing a host's address moves its manual entries only, and deleting a host deletes its manual and
//! stale entries but not what an integration still reports. Every change is one `BEGIN IMMEDIATE`
//! transaction: checked and written together, or not at all.

use crate::error::ServiceError;
use crate::hosts::{
    panel_nickname, parse_host_edit, parse_host_order, parse_new_host, parse_port_order,
    sorted_ids, store, HostDeleted, HostEdited, HostGroup, HostSummary, KeptEntry, PortOrder,
};
use crate::model::PortEntry;
use crate::ports::store as ports;
use crate::validation::push_error;
use serde_json::Value;
use sqlx::SqlitePool;
use std::collections::HashMap;

/// Every host, in panel order.
pub async fn list(pool: &SqlitePool) -> Result<Vec<HostSummary>, ServiceError> {
    Ok(store::list(pool).await?)
}

/// The Ports page: each panel with its entries, both in their stored order.
pub async fn groups(pool: &SqlitePool) -> Result<Vec<HostGroup>, ServiceError> {
    let hosts = store::list(pool).await?;
    let entries = ports::list(pool).await?;
    Ok(group(hosts, entries))
}

/// What the Ports page shows (see [`crate::hosts::page_view`]). Without a filter only the entries
/// shown are read: a page of thousands of entries reads a few hundred.
pub async fn page(
    pool: &SqlitePool,
    filter: &str,
    open: &[String],
) -> Result<(Vec<HostGroup>, Option<String>, bool), ServiceError> {
    if !filter.trim().is_empty() {
        let groups = groups(pool).await?;
        let empty = groups.is_empty();
        let (shown, answer) = crate::hosts::page_view(groups, filter, open);
        return Ok((shown, answer, empty));
    }
    let hosts = store::list(pool).await?;
    let mut budget = crate::hosts::Budget::new();
    let limits: Vec<(String, usize)> = hosts
        .iter()
        .map(|h| {
            (
                h.address.clone(),
                budget.limit(&h.address, h.ports as usize, open),
            )
        })
        .collect();
    let wanted: Vec<(String, usize)> = limits.iter().filter(|(_, n)| *n > 0).cloned().collect();
    let entries = if wanted.is_empty() {
        Vec::new()
    } else {
        ports::heads(pool, &wanted).await?
    };
    let empty = hosts.is_empty();
    let totals: Vec<usize> = hosts.iter().map(|h| h.ports as usize).collect();
    let mut shown = group(hosts, entries);
    for (g, total) in shown.iter_mut().zip(totals) {
        g.total = total;
        g.hidden = total.saturating_sub(g.entries.len());
    }
    Ok((shown, None, empty))
}

/// Puts entries (already in their order) into their hosts' panels.
pub fn group(hosts: Vec<HostSummary>, entries: Vec<PortEntry>) -> Vec<HostGroup> {
    let mut by_host: HashMap<String, Vec<PortEntry>> = HashMap::new();
    for e in entries {
        by_host.entry(e.ip_address.clone()).or_default().push(e);
    }
    let mut out: Vec<HostGroup> = hosts
        .into_iter()
        .map(|h| {
            let entries = by_host.remove(&h.address).unwrap_or_default();
            HostGroup {
                nickname: panel_nickname(h.nickname.as_deref(), &entries),
                address: h.address,
                pinned: h.pinned,
                total: entries.len(),
                hidden: 0,
                manual: h.manual as usize,
                reported: h.reported as usize,
                owners: h.owners,
                entries,
            }
        })
        .collect();
    // Entries whose host the list missed (a write between the two reads) still show.
    let mut rest: Vec<(String, Vec<PortEntry>)> = by_host.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    out.extend(rest.into_iter().map(|(address, entries)| HostGroup {
        nickname: panel_nickname(None, &entries),
        address,
        pinned: false,
        total: entries.len(),
        hidden: 0,
        manual: entries.iter().filter(|e| !e.is_immutable).count(),
        reported: entries.iter().filter(|e| e.is_reported()).count(),
        owners: Vec::new(),
        entries,
    }));
    out
}

fn unknown_host(address: &str) -> ServiceError {
    ServiceError::NotFound(format!("host {address}"))
}

/// Adds an empty host panel (pinned: it stays until deleted).
pub async fn create(pool: &SqlitePool, input: &Value) -> Result<HostSummary, ServiceError> {
    let host = parse_new_host(input).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if store::exists(&mut tx, &host.address).await? {
        return Err(ServiceError::field(
            "address",
            format!("{} is already a host on the Ports page", host.address),
        ));
    }
    store::insert(&mut tx, &host.address, host.nickname.as_deref()).await?;
    tx.commit().await?;
    summary(pool, &host.address).await
}

async fn summary(pool: &SqlitePool, address: &str) -> Result<HostSummary, ServiceError> {
    store::list(pool)
        .await?
        .into_iter()
        .find(|h| h.address == address)
        .ok_or_else(|| unknown_host(address))
}

/// Changes a host's nickname (for all its entries) and/or its address (its manual entries move;
/// discovered ones keep the address their integration reports). An address that is already a host
/// merges only when `merge` is true, and never when an entry would collide there.
pub async fn update(
    pool: &SqlitePool,
    address: &str,
    input: &Value,
) -> Result<HostEdited, ServiceError> {
    let edit = parse_host_edit(input).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if !store::exists(&mut tx, address).await? {
        return Err(unknown_host(address));
    }
    let entries = ports::by_host(&mut *tx, address).await?;
    let own = store::own_nickname(&mut tx, address).await?.flatten();
    let current_nickname = panel_nickname(own.as_deref(), &entries);
    let (manual, discovered): (Vec<&PortEntry>, Vec<&PortEntry>) =
        entries.iter().partition(|e| !e.is_immutable);
    let mut target = address.to_string();
    let mut moved = 0;
    if let Some(new) = edit.address.as_deref().filter(|a| *a != address) {
        let merging = store::exists(&mut tx, new).await?;
        if merging && !edit.merge {
            return Err(ServiceError::Conflict(format!(
                "{new} is already a host on the Ports page; confirm to merge this host's manual entries into it"
            )));
        }
        let mut clashes = Vec::new();
        for e in &manual {
            if let Some(other) = ports::find(&mut *tx, new, e.port_number, e.port_protocol).await? {
                clashes.push(format!(
                    "{}/{} ('{}')",
                    other.port_number, other.port_protocol, other.description
                ));
            }
        }
        if !clashes.is_empty() {
            let mut errors = crate::validation::FieldErrors::new();
            push_error(
                &mut errors,
                "address",
                format!(
                    "{new} already has {}; change or remove those entries first",
                    clashes.join(", ")
                ),
            );
            return Err(ServiceError::Validation(errors));
        }
        let target_nickname = if merging {
            let entries_there = ports::by_host(&mut *tx, new).await?;
            let own_there = store::own_nickname(&mut tx, new).await?.flatten();
            Some(panel_nickname(own_there.as_deref(), &entries_there)).filter(|n| !n.is_empty())
        } else {
            Some(current_nickname.clone()).filter(|n| !n.is_empty())
        };
        // Merged entries follow the target's own, in their order.
        let mut order = store::port_ids(&mut tx, new).await?;
        order.extend(manual.iter().map(|e| e.id));
        moved = sqlx::query(
            "UPDATE port SET ip_address = ?, nickname = ? WHERE ip_address = ? AND COALESCE(is_immutable, 0) = 0",
        )
        .bind(new)
        .bind(&target_nickname)
        .bind(address)
        .execute(&mut *tx)
        .await?
        .rows_affected() as usize;
        if merging {
            store::ensure(&mut tx, &[new]).await?;
            store::set_port_order(&mut tx, &order).await?;
        } else if discovered.is_empty() {
            // The panel keeps its place and nickname under its new address.
            sqlx::query("UPDATE host SET address = ? WHERE address = ?")
                .bind(new)
                .bind(address)
                .execute(&mut *tx)
                .await?;
        } else {
            store::ensure(&mut tx, &[new]).await?;
            sqlx::query("UPDATE host SET nickname = ? WHERE address = ?")
                .bind(&target_nickname)
                .bind(new)
                .execute(&mut *tx)
                .await?;
        }
        if discovered.is_empty() {
            sqlx::query("DELETE FROM host WHERE address = ?")
                .bind(address)
                .execute(&mut *tx)
                .await?;
        }
        target = new.to_string();
    }
    if let Some(nickname) = &edit.nickname {
        store::set_nickname(&mut tx, &target, nickname.as_deref()).await?;
    }
    tx.commit().await?;
    let summary = summary(pool, &target).await?;
    let mut message = match edit.address.as_deref().filter(|a| *a != address) {
        Some(new) => format!("Moved {moved} manual entries from {address} to {new}"),
        None => format!("Saved {target}"),
    };
    if moved > 0 && !discovered.is_empty() {
        message.push_str(&format!(
            "; {} discovered entries stay on {address}, where their integration reports them",
            discovered.len()
        ));
    }
    Ok(HostEdited {
        address: summary.address,
        nickname: summary.nickname,
        moved,
        stayed: if edit.address.as_deref().is_some_and(|a| a != address) {
            discovered.len()
        } else {
            0
        },
        message,
    })
}

/// Deletes a host's manual entries and the discovered ones no integration reports any more; entries
/// an integration still reports stay (with the host) until it stops reporting them.
pub async fn delete(pool: &SqlitePool, address: &str) -> Result<HostDeleted, ServiceError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if !store::exists(&mut tx, address).await? {
        return Err(unknown_host(address));
    }
    let entries = ports::by_host(&mut *tx, address).await?;
    let (kept, gone): (Vec<PortEntry>, Vec<PortEntry>) =
        entries.into_iter().partition(PortEntry::is_reported);
    let ids: Vec<i64> = gone.iter().map(|e| e.id).collect();
    let deleted = ports::delete_many(&mut tx, &ids).await? as usize;
    if kept.is_empty() {
        sqlx::query("DELETE FROM host WHERE address = ?")
            .bind(address)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let kept: Vec<KeptEntry> = kept
        .into_iter()
        .map(|e| KeptEntry {
            id: e.id,
            port_number: e.port_number,
            port_protocol: e.port_protocol,
            integrations: e.reported_by(),
            description: e.description,
        })
        .collect();
    let mut message = format!(
        "Deleted {deleted} {} of {address}",
        if deleted == 1 { "entry" } else { "entries" }
    );
    if !kept.is_empty() {
        let mut owners: Vec<String> = kept.iter().flat_map(|k| k.integrations.clone()).collect();
        owners.sort();
        owners.dedup();
        message.push_str(&format!(
            "; {} discovered {} stay{} while {} report{} {}",
            kept.len(),
            if kept.len() == 1 { "entry" } else { "entries" },
            if kept.len() == 1 { "s" } else { "" },
            owners.join(", "),
            if owners.len() == 1 { "s" } else { "" },
            if kept.len() == 1 { "it" } else { "them" },
        ));
    }
    Ok(HostDeleted {
        deleted,
        kept,
        message,
    })
}

/// Puts the panels in the order given; hosts the list leaves out follow in their current order.
pub async fn reorder(pool: &SqlitePool, input: &Value) -> Result<(), ServiceError> {
    let order = parse_host_order(input).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let current: Vec<String> = store::list(&mut *tx)
        .await?
        .into_iter()
        .map(|h| h.address)
        .collect();
    let unknown: Vec<&String> = order.iter().filter(|a| !current.contains(a)).collect();
    if !unknown.is_empty() {
        return Err(ServiceError::field(
            "hosts",
            format!(
                "not on the Ports page: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let full: Vec<String> = order
        .iter()
        .cloned()
        .chain(current.into_iter().filter(|a| !order.contains(a)))
        .collect();
    store::set_positions(&mut tx, &full).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts a panel's entries in the order given; entries the list leaves out follow in their order.
pub async fn reorder_ports(
    pool: &SqlitePool,
    address: &str,
    input: &Value,
) -> Result<(), ServiceError> {
    let order = parse_port_order(input).map_err(ServiceError::Validation)?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if !store::exists(&mut tx, address).await? {
        return Err(unknown_host(address));
    }
    let ids = match order {
        PortOrder::Ids(ids) => ids,
        PortOrder::Sort { key, ascending } => {
            sorted_ids(&ports::by_host(&mut *tx, address).await?, key, ascending)
        }
    };
    let current = store::port_ids(&mut tx, address).await?;
    let foreign: Vec<String> = ids
        .iter()
        .filter(|id| !current.contains(id))
        .map(|id| id.to_string())
        .collect();
    if !foreign.is_empty() {
        return Err(ServiceError::field(
            "port_ids",
            format!("not entries of {address}: {}", foreign.join(", ")),
        ));
    }
    let full: Vec<i64> = ids
        .iter()
        .copied()
        .chain(current.into_iter().filter(|id| !ids.contains(id)))
        .collect();
    store::set_port_order(&mut tx, &full).await?;
    tx.commit().await?;
    Ok(())
}
