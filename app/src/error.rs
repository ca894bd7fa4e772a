//! The service layer's error: what a service function can answer besides success. The REST API maps it
//! to an HTTP status once (`server::web::error`), the server functions map it once (`api::outcome`);
//! storage errors arrive here through `From` with their cause kept.

use crate::db::error::StoreError;
use crate::validation::{push_error, FieldErrors};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServiceError {
    /// Bad input: field → messages (HTTP 422).
    #[error("invalid input")]
    Validation(FieldErrors),
    /// HTTP 404.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with stored state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The address already has an entry with that port and protocol (HTTP 409 with that entry and
    /// the next free number there, so the conflict dialog can offer both ways out).
    #[error("{message}")]
    Taken {
        message: String,
        existing: Box<crate::model::PortEntry>,
        suggested_port_number: Option<i64>,
    },
    /// Not signed in, or a wrong username/password pair (HTTP 401).
    #[error("{0}")]
    Unauthorized(String),
    /// Too many failed attempts from one address (HTTP 429); try again after this many seconds.
    #[error("too many failed attempts; try again in {0} s")]
    RateLimited(u64),
    /// The database failed (HTTP 500); the cause is logged, not shown.
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    /// Anything else (HTTP 500); the text is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        push_error(&mut errors, field, message);
        ServiceError::Validation(errors)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound("record".into()),
            StoreError::Unique(c) => match c.field() {
                Some(field) => ServiceError::field(field, c.message()),
                None => ServiceError::Conflict(c.message().into()),
            },
            StoreError::Db(e) => ServiceError::Db(e),
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}
