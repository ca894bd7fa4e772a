//! The generation service: settings in the legacy `setting` rows, picking a free port, presets.
//!
//! "Free" means what the Python Portall meant — no entry on that host with that number, whatever
//! the protocol — and, when the host is this machine, that nothing listens there (a bind check:
//! an entry nobody wrote down still makes a port busy). Among the free candidates the pick is uniform,
//! so two people generating at once rarely collide; a collision on save is retried.

use crate::error::ServiceError;
use crate::generation::{parse_port_settings, Generated, PortSettings, Preset, Suggestion, KEYS};
use crate::ports::{store as ports, validate_port, Protocol};
use crate::validation::{push_error, validate_host, FieldErrors};
use serde_json::{json, Value};
use sqlx::SqlitePool;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

/// The stored generation settings (defaults for rows that are missing or unreadable).
pub async fn settings(pool: &SqlitePool) -> Result<PortSettings, ServiceError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        r#"SELECT "key", value FROM setting WHERE "key" IN (SELECT value FROM json_each(?))"#,
    )
    .bind(serde_json::to_string(&KEYS).unwrap_or_default())
    .fetch_all(pool)
    .await?;
    Ok(PortSettings::from_stored(
        &rows.into_iter().collect::<BTreeMap<_, _>>(),
    ))
}

/// Saves an edit of the settings (422 with field → messages, nothing stored, when any is wrong).
pub async fn save_settings(pool: &SqlitePool, input: &Value) -> Result<PortSettings, ServiceError> {
    let current = settings(pool).await?;
    let next = parse_port_settings(input, &current).map_err(ServiceError::Validation)?;
    crate::db::put_settings(pool, &next.to_rows()).await?;
    Ok(next)
}

/// The app presets, sorted by name.
pub fn presets() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct App {
            name: String,
            external_port: u16,
        }
        #[derive(serde::Deserialize)]
        struct File {
            apps: Vec<App>,
        }
        let file: File = serde_json::from_str(include_str!("presets.json"))
            .expect("presets.json is valid (checked by a test)");
        let mut list: Vec<Preset> = file
            .apps
            .into_iter()
            .map(|a| Preset {
                name: a.name,
                port: a.external_port,
            })
            .collect();
        list.sort_by_key(|p| p.name.to_lowercase());
        list
    })
}

/// The address to bind-check when `host` is this machine: loopback for `localhost`, the address
/// itself when it is one of this machine's, none for anything else.
fn local_address(host: &str) -> Option<IpAddr> {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let ip: IpAddr = h.parse().ok()?;
    let socket = match ip {
        IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .ok()?;
    // Binding port 0 succeeds only on an address this machine has.
    socket.bind(SocketAddr::new(ip, 0)).ok().map(|()| ip)
}

/// Whether something on this machine already holds `port` on `ip` (a listener, or any socket bound
/// there). The socket is not reusable-address, so a listener on 0.0.0.0 counts for every address.
fn busy(ip: IpAddr, port: u16) -> bool {
    let socket = match ip {
        IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    };
    match socket {
        Ok(s) => {
            matches!(s.bind(SocketAddr::new(ip, port)), Err(e) if e.kind() == std::io::ErrorKind::AddrInUse)
        }
        Err(_) => false,
    }
}

fn random_index(len: usize) -> usize {
    let mut buf = [0u8; 8];
    if getrandom::fill(&mut buf).is_err() {
        return 0;
    }
    (u64::from_le_bytes(buf) % len as u64) as usize
}

/// A free port for `ip` under `settings`, or a 409 saying how many are used and what to widen.
async fn pick(pool: &SqlitePool, settings: &PortSettings, ip: &str) -> Result<u16, ServiceError> {
    let candidates = settings.candidates();
    let used = ports::used_numbers(pool, ip, None).await?;
    let mut free: Vec<u16> = candidates
        .iter()
        .copied()
        .filter(|n| !used.contains(&i64::from(*n)))
        .collect();
    let local = local_address(ip);
    let mut listening = 0usize;
    while !free.is_empty() {
        let p = free.swap_remove(random_index(free.len()));
        match local {
            Some(addr) if busy(addr, p) => listening += 1,
            _ => return Ok(p),
        }
    }
    let total = candidates.len();
    let in_list = total - listening;
    let mut message = format!(
        "no free port on {ip}: {in_list} of {total} candidates ({}–{}, {} digits{}) are in Portall's list",
        settings.port_start,
        settings.port_end,
        settings.port_length.as_str(),
        if settings.port_exclude.is_empty() {
            String::new()
        } else {
            format!(", excluding {}", settings.port_exclude)
        }
    );
    if listening > 0 {
        message.push_str(&format!(" and {listening} are listening on this machine"));
    }
    message.push_str(
        "; widen port_start/port_end, set port_length to any or shorten port_exclude in Settings → Ports",
    );
    Err(ServiceError::Conflict(message))
}

/// `{"ip_address", "protocol"?, "description"?, "nickname"?, "save"?}`: picks a free port; with
/// `save: true` stores it as a manual entry (retrying if someone took the number meanwhile).
pub async fn generate(pool: &SqlitePool, input: &Value) -> Result<Generated, ServiceError> {
    let mut errors = FieldErrors::new();
    let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::trim);
    let ip = text("ip_address").unwrap_or_default().to_string();
    if ip.is_empty() {
        push_error(&mut errors, "ip_address", "is required");
    } else if let Err(m) = validate_host(&ip) {
        push_error(&mut errors, "ip_address", m);
    }
    let protocol = match text("protocol").or_else(|| text("port_protocol")) {
        None | Some("") => Protocol::Tcp,
        Some(p) => Protocol::parse(p).unwrap_or_else(|| {
            push_error(&mut errors, "protocol", "must be TCP or UDP");
            Protocol::Tcp
        }),
    };
    let save = input.get("save").and_then(Value::as_bool).unwrap_or(false);
    let entry = |port: u16| {
        json!({
            "ip_address": ip,
            "nickname": text("nickname").unwrap_or_default(),
            "port_number": port,
            "port_protocol": protocol.as_str(),
            "description": text("description").unwrap_or_default(),
        })
    };
    if save {
        if let Err(e) = validate_port(&entry(1024), None) {
            errors.extend(e);
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let settings = settings(pool).await?;
    for _ in 0..5 {
        let port = pick(pool, &settings, &ip).await?;
        let generated = Generated {
            port_number: i64::from(port),
            url: crate::ports::url(&ip, i64::from(port)),
            copy: settings.copy_text(&ip, i64::from(port)),
            id: None,
        };
        if !save {
            return Ok(generated);
        }
        match crate::ports::service::create(pool, &entry(port)).await {
            Ok(e) => {
                return Ok(Generated {
                    id: Some(e.id),
                    ..generated
                })
            }
            Err(ServiceError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ServiceError::Conflict(
        "the ports picked were taken meanwhile; try again".into(),
    ))
}

/// `wanted` if `ip` has no `protocol` entry on it, else the next free number (up to 100 further),
/// with a note saying it changed — what picking a preset does.
pub async fn suggest(
    pool: &SqlitePool,
    ip: &str,
    protocol: Protocol,
    wanted: i64,
) -> Result<Suggestion, ServiceError> {
    if !(1..=65535).contains(&wanted) {
        return Err(ServiceError::field(
            "port_number",
            "must be a whole number from 1 to 65535",
        ));
    }
    let ip = ip.trim();
    if ip.is_empty() || validate_host(ip).is_err() {
        return Ok(Suggestion {
            port_number: wanted,
            note: None,
        });
    }
    match crate::ports::service::next_free(pool, ip, protocol, wanted, 100).await? {
        Some(n) if n == wanted => Ok(Suggestion {
            port_number: n,
            note: None,
        }),
        Some(n) => Ok(Suggestion {
            port_number: n,
            note: Some(format!(
                "Port changed from {wanted} to {n} ({wanted} already in use on {ip})"
            )),
        }),
        None => Err(ServiceError::Conflict(format!(
            "{wanted} to {} are all in use on {ip}",
            (wanted + 100).min(65535)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_with_their_attribution() {
        let p = presets();
        assert_eq!(p.len(), 314);
        assert!(p.iter().any(|a| a.name == "AdGuard Home" && a.port == 3000));
        assert!(include_str!("presets.json").contains("MIT License, Copyright (c) 2024 Need4Swede"));
    }

    #[tokio::test]
    async fn a_bound_loopback_port_is_busy() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let local = local_address("127.0.0.1").unwrap();
        assert!(busy(local, port));
        drop(l);
        assert!(!busy(local, port));
        assert_eq!(local_address("localhost"), Some(local));
        // TEST-NET-3: never an address of this machine.
        assert_eq!(local_address("203.0.113.9"), None);
        assert_eq!(local_address("nas.lan"), None);
    }
}
