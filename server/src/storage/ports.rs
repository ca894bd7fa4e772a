//! Queries on the `port` table (the Ports page's entries).

use app::model::PortEntry;
use sqlx::{Row, SqlitePool};

fn row_to_entry(row: &sqlx::sqlite::SqliteRow) -> PortEntry {
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
    }
}

/// Every entry, by host then port.
pub async fn list(pool: &SqlitePool) -> Result<Vec<PortEntry>, sqlx::Error> {
    let rows = sqlx::query(
        r#"SELECT id, ip_address, nickname, port_number, port_protocol, description, "order", source, is_immutable
           FROM port ORDER BY ip_address, port_number, port_protocol"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(row_to_entry).collect())
}

pub async fn count(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM port")
        .fetch_one(pool)
        .await
}
