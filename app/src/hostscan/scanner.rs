//! The TCP connect scan. A port is open when the kernel completes a handshake to it within the
//! timeout; refused and silent ports look the same from here, and both count as "not answering".
//!
//! Bounds, because a scan is the one thing Portall does that a careless setting could turn into a
//! flood: each scan has at most `concurrency` (≤ 512) attempts in flight; every scan and check in the
//! process shares [`GLOBAL_SOCKETS`] attempts, so two scans side by side cannot exhaust the file
//! limit; every attempt has its timeout; the whole scan has a deadline; and a scan is cancellable.
//! Only the one address the user entered (resolved once) is ever connected to.

use super::PortSet;
use futures::StreamExt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Connection attempts in flight across every scan and check of the process.
pub const GLOBAL_SOCKETS: usize = 1024;

fn sockets() -> &'static Semaphore {
    static SOCKETS: OnceLock<Semaphore> = OnceLock::new();
    SOCKETS.get_or_init(|| Semaphore::new(GLOBAL_SOCKETS))
}

/// What a running scan has done so far, readable while it runs.
#[derive(Debug, Default)]
pub struct Progress {
    checked: AtomicUsize,
    found: Mutex<Vec<u16>>,
}

impl Progress {
    pub fn checked(&self) -> usize {
        self.checked.load(Ordering::Relaxed)
    }

    /// The open ports found so far, ascending.
    pub fn found(&self) -> Vec<u16> {
        let mut found = self.found.lock().map(|f| f.clone()).unwrap_or_default();
        found.sort_unstable();
        found
    }
}

/// How a scan ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Done,
    Cancelled,
    /// The deadline came first; what was found until then stands.
    Deadline,
}

/// Whether `addr` accepts a TCP connection within `timeout`. The connection is closed at once.
pub async fn probe(addr: SocketAddr, timeout: Duration) -> bool {
    let Ok(_permit) = sockets().acquire().await else {
        return false;
    };
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// The longest a scan may take: every round of `concurrency` attempts waiting the full timeout,
/// plus slack for start-up and a busy machine.
pub fn deadline_for(ports: usize, timeout: Duration, concurrency: usize) -> Duration {
    let rounds = ports.div_ceil(concurrency.max(1)) as u32;
    timeout * rounds + Duration::from_secs(10)
}

/// Scans `ports` of `ip`, recording progress as it goes.
pub async fn scan(
    ip: IpAddr,
    ports: &PortSet,
    timeout: Duration,
    concurrency: usize,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Ended {
    let concurrency = concurrency.clamp(1, super::CONCURRENCY_MAX as usize);
    let work = futures::stream::iter(ports.iter())
        .map(|port| async move { (port, probe(SocketAddr::new(ip, port), timeout).await) })
        .buffer_unordered(concurrency)
        .for_each(|(port, open)| {
            if open {
                if let Ok(mut found) = progress.found.lock() {
                    found.push(port);
                }
            }
            progress.checked.fetch_add(1, Ordering::Relaxed);
            std::future::ready(())
        });
    let deadline = deadline_for(ports.len(), timeout, concurrency);
    tokio::select! {
        _ = work => Ended::Done,
        _ = cancel.cancelled() => Ended::Cancelled,
        _ = tokio::time::sleep(deadline) => Ended::Deadline,
    }
}

/// The address to scan: an IP as given, or a hostname resolved once (IPv4 preferred, as most
/// homelab services listen there). Addresses that are not one host are refused.
pub async fn resolve(address: &str) -> Result<IpAddr, String> {
    let bare = address.trim().trim_start_matches('[').trim_end_matches(']');
    let ip = match bare.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => {
            let found =
                tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host((bare, 0)))
                    .await
                    .map_err(|_| format!("resolving {bare} took more than 5 s"))?
                    .map_err(|e| format!("cannot resolve {bare}: {e}"))?
                    .map(|a| a.ip())
                    .collect::<Vec<_>>();
            found
                .iter()
                .find(|ip| ip.is_ipv4())
                .or(found.first())
                .copied()
                .ok_or_else(|| format!("{bare} resolves to no address"))?
        }
    };
    let not_one_host = ip.is_unspecified()
        || ip.is_multicast()
        || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
    if not_one_host {
        return Err(format!("{ip} is not the address of one host"));
    }
    Ok(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_covers_every_round() {
        let d = deadline_for(1024, Duration::from_millis(200), 128);
        assert_eq!(d, Duration::from_millis(200 * 8) + Duration::from_secs(10));
        assert_eq!(
            deadline_for(1, Duration::from_millis(100), 512),
            Duration::from_millis(10_100)
        );
    }

    #[tokio::test]
    async fn resolving_refuses_what_is_not_one_host() {
        assert_eq!(resolve("127.0.0.1").await, Ok("127.0.0.1".parse().unwrap()));
        assert_eq!(resolve("[::1]").await, Ok("::1".parse().unwrap()));
        assert_eq!(
            resolve("localhost").await.map(|ip| ip.is_loopback()),
            Ok(true)
        );
        for bad in ["0.0.0.0", "::", "255.255.255.255", "224.0.0.1"] {
            assert!(resolve(bad).await.is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn finds_exactly_the_listeners() {
        let mut listeners = Vec::new();
        for _ in 0..3 {
            listeners.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
        }
        let mut open: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        open.sort_unstable();
        // A closed port between them: bound, then released.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let text = open
            .iter()
            .chain([closed].iter())
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let set = PortSet::parse(&text).unwrap();
        let progress = Progress::default();
        let ended = scan(
            "127.0.0.1".parse().unwrap(),
            &set,
            Duration::from_millis(500),
            2,
            &progress,
            &CancellationToken::new(),
        )
        .await;
        assert_eq!(ended, Ended::Done);
        assert_eq!(progress.checked(), 4);
        assert_eq!(progress.found(), open);
    }
}
