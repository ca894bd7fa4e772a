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
