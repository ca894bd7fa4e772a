//! Errors that stop Portall from starting.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StartupError {
    #[error("invalid {name}: {reason}")]
    Config { name: &'static str, reason: String },
    #[error(transparent)]
    Database(#[from] app::db::OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}
