//! Storage-layer errors: database constraint failures become client errors here.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A UNIQUE constraint refused the write: `what` names the constraint's meaning.
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    /// Maps a UNIQUE violation to `Conflict(message)`, anything else to `Db`.
    pub fn from_unique(e: sqlx::Error, message: impl FnOnce() -> String) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(message())
            }
            _ => StoreError::Db(e),
        }
    }
}
