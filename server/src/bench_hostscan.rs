//! `portall bench-hostscan`: the TCP connect scan's speed and bounds, on loopback only.
//!
//! 1. Every port (1–65 535) of a loopback alias where 20 listeners were started: time, ports per
//!    second, peak memory, and whether exactly those 20 were found. Processes listening on every
//!    interface answer on the alias too; they are named, not counted as ours.
//! 2. 1 024 ports that drop handshakes (each a listener whose accept queue is full, as a firewall that
//!    drops packets behaves) with a 200 ms timeout: the scan must end within
//!    timeout × ⌈ports / concurrency⌉, never hang.

use app::hostscan::scanner::{self, Ended, Progress};
use app::hostscan::PortSet;
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Peak resident memory of this process (kB), from `/proc/self/status`.
fn peak_rss_kb() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Ports some process listens on for every interface (they answer on any loopback alias too).
fn wildcard_listeners() -> BTreeSet<u16> {
    let mut out = BTreeSet::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // local_address is ADDR:PORT in hex; state 0A is LISTEN.
            let (Some(local), Some("0A")) = (cols.get(1), cols.get(3).copied()) else {
                continue;
            };
            if let Some((addr, port)) = local.split_once(':') {
                if addr.chars().all(|c| c == '0') {
                    if let Ok(p) = u16::from_str_radix(port, 16) {
                        out.insert(p);
                    }
                }
            }
        }
    }
    out
}

async fn scan(
    ip: IpAddr,
    ports: &PortSet,
    timeout: Duration,
    concurrency: usize,
) -> (Ended, Vec<u16>, Duration) {
    let progress = Progress::default();
    let start = Instant::now();
    let ended = scanner::scan(
        ip,
        ports,
        timeout,
        concurrency,
        &progress,
        &CancellationToken::new(),
    )
    .await;
    (ended, progress.found(), start.elapsed())
}

pub async fn run(concurrency: usize) -> Result<(), String> {
    let ip: IpAddr = "127.88.0.1".parse().expect("an address");
    // 20 listeners on the alias, on ports the kernel picks.
    let mut listeners = Vec::new();
    for _ in 0..20 {
        listeners.push(
            tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
                .await
                .map_err(|e| format!("cannot listen on {ip}: {e}"))?,
        );
    }
    let ours: BTreeSet<u16> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok().map(|a| a.port()))
        .collect();
    let all = PortSet::parse("1-65535").expect("every port");
    println!("bench-hostscan: every TCP port of {ip} (20 listeners), {concurrency} at once, timeout 500 ms");
    let mut rates = Vec::new();
    for run in 1..=3 {
        let (ended, found, took) = scan(ip, &all, Duration::from_millis(500), concurrency).await;
        let found: BTreeSet<u16> = found.into_iter().collect();
        let extra: Vec<u16> = found.difference(&ours).copied().collect();
        let wildcard = wildcard_listeners();
        let unexplained: Vec<u16> = extra
            .iter()
            .filter(|p| !wildcard.contains(p))
            .copied()
            .collect();
        let missing = ours.difference(&found).count();
        let rate = 65_535.0 / took.as_secs_f64();
        rates.push(rate);
        println!(
            "  run {run}: {ended:?} in {:.2} s, {:.0} ports/s; found {} of our 20{}{}",
            took.as_secs_f64(),
            rate,
            20 - missing,
            if extra.is_empty() {
                String::new()
            } else {
                format!(
                    " (+{} listening on every interface, not ours: {:?})",
                    extra.len() - unexplained.len(),
                    extra
                )
            },
            if unexplained.is_empty() {
                String::new()
            } else {
                format!("; UNEXPLAINED {unexplained:?}")
            }
        );
        if missing > 0 || !unexplained.is_empty() {
            return Err(format!(
                "the scan found {missing} fewer or {unexplained:?} more than the listeners"
            ));
        }
    }
    println!(
        "  peak RSS of this process: {} kB",
        peak_rss_kb().unwrap_or(0)
    );
    drop(listeners);

    // 1 024 silent ports on a second alias.
    let silent_ip: IpAddr = "127.88.0.2".parse().expect("an address");
    let mut silent = Vec::new();
    for _ in 0..1024 {
        let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket
            .bind(SocketAddr::new(silent_ip, 0))
            .map_err(|e| e.to_string())?;
        let listener = socket.listen(0).map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // One handshake completes and is never accepted: the queue is full from then on.
        let filler = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        silent.push((listener, filler, addr.port()));
    }
    let set = PortSet::of(silent.iter().map(|(_, _, p)| *p));
    for (timeout_ms, conc) in [(200u64, 128usize), (200, 512)] {
        let timeout = Duration::from_millis(timeout_ms);
        let bound = timeout * set.len().div_ceil(conc) as u32;
        let (ended, found, took) = scan(silent_ip, &set, timeout, conc).await;
        println!(
            "bench-hostscan: 1024 ports that drop handshakes, timeout {timeout_ms} ms, {conc} at once: {ended:?} in {:.2} s \
             (bound timeout × ⌈ports/concurrency⌉ = {:.2} s), {} found",
            took.as_secs_f64(),
            bound.as_secs_f64(),
            found.len()
        );
        if ended != Ended::Done || !found.is_empty() {
            return Err("a silent port was reported open, or the scan did not end".into());
        }
    }
    println!(
        "  peak RSS of this process: {} kB",
        peak_rss_kb().unwrap_or(0)
    );
    Ok(())
}
