//! The queries behind accounts, sessions and tokens. Session ids and tokens arrive here as digests.

use super::TokenView;
use crate::db::error::StoreError;
use sqlx::{Row, SqlitePool};

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

pub async fn user_count(pool: &SqlitePool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM auth_user")
        .fetch_one(pool)
        .await?)
}

/// Creates the first account; `false` when one exists already (two setups racing: one wins).
pub async fn insert_first_user(
    pool: &SqlitePool,
    username: &str,
    hash: &str,
) -> Result<Option<i64>, StoreError> {
    let done = sqlx::query(
        "INSERT INTO auth_user (username, password_hash) \
         SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM auth_user)",
    )
    .bind(username)
    .bind(hash)
    .execute(pool)
    .await?;
    Ok((done.rows_affected() == 1).then(|| done.last_insert_rowid()))
}

fn user(r: sqlx::sqlite::SqliteRow) -> UserRow {
    UserRow {
        id: r.get("id"),
        username: r.get("username"),
        password_hash: r.get("password_hash"),
    }
}

pub async fn user_by_name(pool: &SqlitePool, name: &str) -> Result<Option<UserRow>, StoreError> {
    Ok(sqlx::query(
        "SELECT id, username, password_hash FROM auth_user WHERE username = ? COLLATE NOCASE",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?
    .map(user))
}

pub async fn user_by_id(pool: &SqlitePool, id: i64) -> Result<Option<UserRow>, StoreError> {
    Ok(
        sqlx::query("SELECT id, username, password_hash FROM auth_user WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(user),
    )
}

/// Sets a new password hash and ends every session of the user but `keep`.
pub async fn set_password(
    pool: &SqlitePool,
    user_id: i64,
    hash: &str,
    keep: Option<i64>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE auth_user SET password_hash = ?, \
         password_changed_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = ?",
    )
    .bind(hash)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM auth_session WHERE user_id = ? AND id IS NOT ?")
        .bind(user_id)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn insert_session(
    pool: &SqlitePool,
    digest: &str,
    user_id: i64,
    days: i64,
    address: &str,
    user_agent: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO auth_session (digest, user_id, expires_at, address, user_agent) \
         VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now', ?), ?, ?)",
    )
    .bind(digest)
    .bind(user_id)
    .bind(format!("+{days} days"))
    .bind(address)
    .bind(user_agent)
    .execute(pool)
    .await?
    .last_insert_rowid())
}

/// The live session with this digest: (session id, user id, username).
pub async fn session(
    pool: &SqlitePool,
    digest: &str,
) -> Result<Option<(i64, i64, String)>, StoreError> {
    Ok(sqlx::query(
        "SELECT s.id, s.user_id, u.username FROM auth_session s JOIN auth_user u ON u.id = s.user_id \
         WHERE s.digest = ? AND s.expires_at > strftime('%Y-%m-%d %H:%M:%f', 'now')",
    )
    .bind(digest)
    .fetch_optional(pool)
    .await?
    .map(|r| (r.get(0), r.get(1), r.get(2))))
}

pub async fn delete_session(pool: &SqlitePool, digest: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM auth_session WHERE digest = ?")
        .bind(digest)
        .execute(pool)
        .await?;
    Ok(())
}

/// Expired sessions go (run now and then; a lookup ignores them anyway).
pub async fn purge_expired(pool: &SqlitePool) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "DELETE FROM auth_session WHERE expires_at <= strftime('%Y-%m-%d %H:%M:%f', 'now')",
    )
    .execute(pool)
    .await?
    .rows_affected())
}

pub async fn insert_token(
    pool: &SqlitePool,
    name: &str,
    digest: &str,
    hint: &str,
    user_id: i64,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query("INSERT INTO api_token (name, digest, hint, user_id) VALUES (?, ?, ?, ?)")
            .bind(name)
            .bind(digest)
            .bind(hint)
            .bind(user_id)
            .execute(pool)
            .await?
            .last_insert_rowid(),
    )
}

/// The token with this digest: (token id, user id, username); marks it used.
pub async fn use_token(
    pool: &SqlitePool,
    digest: &str,
) -> Result<Option<(i64, i64, String)>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT t.id, t.user_id, u.username, (t.last_used_at IS NULL \
             OR t.last_used_at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 minute')) AS stale \
         FROM api_token t JOIN auth_user u ON u.id = t.user_id WHERE t.digest = ?",
    )
    .bind(digest)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.get(0);
    // At most one write a minute per token: a script polling every second takes no write lock.
    if row.get::<bool, _>(3) {
        sqlx::query(
            "UPDATE api_token SET last_used_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = ?",
        )
        .bind(id)
        .execute(pool)
        .await?;
    }
    Ok(Some((id, row.get(1), row.get(2))))
}

pub async fn tokens(pool: &SqlitePool) -> Result<Vec<TokenView>, StoreError> {
    Ok(sqlx::query(
        "SELECT id, name, hint, created_at, last_used_at FROM api_token ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| TokenView {
        id: r.get("id"),
        name: r.get("name"),
        hint: r.get("hint"),
        created_at: r.get("created_at"),
        last_used_at: r.get("last_used_at"),
    })
    .collect())
}

pub async fn delete_token(pool: &SqlitePool, id: i64) -> Result<(), StoreError> {
    let done = sqlx::query("DELETE FROM api_token WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete_users(pool: &SqlitePool) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM auth_user")
        .execute(pool)
        .await?
        .rows_affected())
}
