//! One module per routed page.

pub mod auth;
pub mod import;
pub mod new;
pub mod not_found;
pub mod ports;
pub mod settings;
pub mod tags;
