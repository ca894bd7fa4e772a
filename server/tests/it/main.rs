//! Integration tests: the real `portall` binary, a real SQLite file and a real Docker engine.

mod api_compat;
mod api_instances;
mod api_ports;
mod arrange;
mod auth;
mod docker_harness;
mod hostscan;
mod legacy_upgrade;
mod live_docker;
mod openapi;
mod scan_docker;
mod scan_manager;
mod scan_tls;
mod scan_upstreams;
mod security;
mod shell;
mod tags;
mod transfer;
// Some helpers serve only some test modules.
#[allow(dead_code)]
mod support;
