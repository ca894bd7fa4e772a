//! Errors that stop Portall from starting.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StartupError {
    #[error("invalid {name}: {reason}")]
    Config { name: &'static str, reason: String },
    #[error("database {path}: {reason}")]
    Database { path: String, reason: String },
    #[error("legacy database upgrade failed, the database file is unchanged: {reason}{}", backup.as_ref().map(|b| format!(" (backup copy: {})", b.display())).unwrap_or_default())]
    Upgrade {
        reason: String,
        backup: Option<std::path::PathBuf>,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Errors of the service layer (instance manager, ports service), mapped to HTTP statuses by `web`.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// Bad input: field → messages (HTTP 422).
    #[error("invalid input")]
    Validation(app::validation::FieldErrors),
    /// HTTP 404.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with stored state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// Anything else (HTTP 500); the text is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = app::validation::FieldErrors::new();
        app::validation::push_error(&mut errors, field, message);
        ServiceError::Validation(errors)
    }
}

impl From<crate::storage::error::StoreError> for ServiceError {
    fn from(e: crate::storage::error::StoreError) -> Self {
        use crate::storage::error::StoreError;
        match e {
            StoreError::NotFound => ServiceError::NotFound("record".into()),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            StoreError::Db(e) => ServiceError::Internal(e.to_string()),
        }
    }
}
