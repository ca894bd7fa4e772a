//! Test harness shared by the integration tests.

pub mod api;
pub mod attack;
pub mod docker;
pub mod events;
pub mod legacy;
pub mod portall;
pub mod tls;
pub mod upstream;
