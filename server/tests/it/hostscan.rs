//! Host port scanning through the real binary, on loopback only: each test owns a loopback alias
//! (`127.77.N.1`) and a block of ports it has bound itself, so what answers there is exactly what the
//! test started. Scheduled host-scan instances (found, stale, back, manual entries confirmed but never
//! touched), one-off scans (progress, cancellation, two at once, a hostname, adding what was found),
//! "Check now", silent ports bounded by the timeout, and bad input (422, nothing stored).

use crate::support::api::{error_fields, Api};
use crate::support::events::EventStream;
use crate::support::portall::Portall;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A block of `len` consecutive ports on `ip`, all bound by this test (so nothing else listens
/// there, not even on every interface); the listeners are returned by port.
fn reserve(ip: &str, len: u16) -> (u16, Vec<Option<TcpListener>>) {
    for attempt in 0..200u32 {
        // Below the kernel's ephemeral range, so outgoing connections do not take them meanwhile.
        let base = 20_000 + ((std::process::id() * 7919 + attempt * 613) % 10_000) as u16;
        let bound: Vec<_> = (base..base + len)
            .map(|p| TcpListener::bind((ip, p)).ok())
            .collect();
        if bound.iter().all(Option::is_some) {
            return (base, bound);
        }
    }
    panic!("no free block of {len} ports on {ip}");
}

fn port_of(l: &TcpListener) -> u16 {
    l.local_addr().unwrap().port()
}

/// Keeps the listeners at `open` (offsets into the block), closes the rest.
fn keep(block: &mut [Option<TcpListener>], open: &[usize]) {
    for (i, l) in block.iter_mut().enumerate() {
        if !open.contains(&i) {
            *l = None;
        }
    }
}

/// (port, source, description, seen by a scan, check state) of every entry on `address`.
async fn entries(api: &Api<'_>, address: &str) -> Vec<Value> {
    let (_, ports) = api.get("/api/ports").await;
    ports
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ip_address"] == address)
        .cloned()
        .collect()
}

fn numbers(list: &[Value], key: &str) -> Vec<i64> {
    let mut n: Vec<i64> = list.iter().map(|v| v[key].as_i64().unwrap()).collect();
    n.sort();
    n
}

async fn wait_done(api: &Api<'_>, id: u64) -> Value {
    let start = Instant::now();
    loop {
        let (s, status) = api.get(&format!("/api/scans/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{status}");
        if status["state"] != "running" {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "scan {id} never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_host_scan_instance_finds_listeners_turns_them_stale_and_confirms_manual_entries() {
    let ip = "127.77.1.1";
    let (base, mut block) = reserve(ip, 16);
    let p = Portall::start().await;
    let api = Api::new(&p);
    // A manual entry on a port that will answer, and one on a port that will not.
    for (port, desc) in [(base + 2, "my own"), (base + 9, "switched off")] {
        let (s, body) = api
            .post(
                "/api/ports",
                json!({"ip_address": ip, "port_number": port, "port_protocol": "TCP", "description": desc}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    keep(&mut block, &[0, 2, 5, 11, 15]);
    let excluded = base + 11;
    let (s, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "hostscan", "auto_detect": false, "config": {
                "address": ip, "ports": format!("{base}-{}, !{excluded}", base + 15),
                "timeout_ms": 300, "concurrency": 8}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    assert_eq!(inst["name"], format!("Host scan @ {ip}"));
    let id = inst["id"].as_i64().unwrap();

    let summary = crate::scan_docker::scan(&api, id).await["summary"].clone();
    // Found: base, base+2 (manual: confirmed, not claimed), base+5, base+15; base+11 excluded.
    assert_eq!(
        (summary["added"].as_i64(), summary["bindings"].as_i64()),
        (Some(3), Some(4)),
        "{summary}"
    );
    let list = entries(&api, ip).await;
    let scanned: Vec<&Value> = list.iter().filter(|e| e["source"] == "scan").collect();
    let mut ports: Vec<i64> = scanned
        .iter()
        .map(|e| e["port_number"].as_i64().unwrap())
        .collect();
    ports.sort();
    assert_eq!(
        ports,
        vec![base as i64, base as i64 + 5, base as i64 + 15],
        "{list:?}"
    );
    for e in &scanned {
        let n = e["port_number"].as_i64().unwrap();
        let service = app::hostscan::describe(n as u16);
        assert_eq!(e["description"], format!("{service} ({n}/tcp)"));
        assert_eq!(e["discovered_by"][0]["type"], "hostscan");
        assert_eq!(e["check"]["state"], "listening");
    }
    let manual = |port: u16| {
        list.iter()
            .find(|e| e["port_number"] == port)
            .cloned()
            .unwrap()
    };
    let own = manual(base + 2);
    assert_eq!(
        (own["source"].as_str(), own["description"].as_str()),
        (Some("manual"), Some("my own"))
    );
    assert_eq!(own["discovered_by"], json!([]), "never claimed");
    assert_eq!(own["check"]["state"], "listening", "confirmed listening");
    assert_eq!(manual(base + 9)["check"]["state"], "not_answering");

    // One stops answering: it turns stale, kept; it comes back with the same id.
    let stale_port = base + 5;
    let stale_id = scanned
        .iter()
        .find(|e| e["port_number"] == stale_port)
        .unwrap()["id"]
        .clone();
    block[5] = None;
    let summary = crate::scan_docker::scan(&api, id).await["summary"].clone();
    assert_eq!(summary["stale"], 1, "{summary}");
    let list = entries(&api, ip).await;
    let gone = list.iter().find(|e| e["id"] == stale_id).expect("kept");
    assert_eq!(gone["discovered_by"][0]["seen"], false);
    assert_eq!(gone["check"]["state"], "not_answering");
    block[5] = Some(TcpListener::bind((ip, stale_port)).unwrap());
    let summary = crate::scan_docker::scan(&api, id).await["summary"].clone();
    assert_eq!(
        (summary["updated"].as_i64(), summary["added"].as_i64()),
        (Some(1), Some(0))
    );
    let list = entries(&api, ip).await;
    let back = list
        .iter()
        .find(|e| e["port_number"] == stale_port)
        .unwrap();
    assert_eq!(back["id"], stale_id);
    assert_eq!(back["discovered_by"][0]["seen"], true);
    drop(block);
}

#[tokio::test]
async fn host_scan_instances_refuse_bad_settings() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, body) = api
        .post(
            "/docker/instances",
            json!({"type": "hostscan", "config": {"address": "not a host", "ports": "10-5, 70000",
                   "timeout_ms": 50, "concurrency": 0}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        error_fields(&body),
        vec![
            "config.address",
            "config.concurrency",
            "config.ports",
            "config.timeout_ms"
        ]
    );
    let ports_says = body["errors"]["config.ports"][0].as_str().unwrap();
    assert!(
        ports_says.contains("starts after it ends") && ports_says.contains("70000"),
        "{ports_says}"
    );
    let (_, list) = api.get("/docker/instances").await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|i| i["type"] != "hostscan"),
        "nothing stored: {list}"
    );
}

#[tokio::test]
async fn a_one_off_scan_reports_progress_live_and_adds_what_it_found() {
    let ip = "127.77.2.1";
    let (base, mut block) = reserve(ip, 32);
    keep(&mut block, &[1, 4, 30]);
    let p = Portall::start().await;
    let api = Api::new(&p);
    let mut events = EventStream::open(&p).await;
    // Already known: base+4 (so it is reported as known, and "add all" skips it).
    let (s, _) = api
        .post(
            "/api/ports",
            json!({"ip_address": ip, "port_number": base + 4, "port_protocol": "TCP", "description": "known"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let r = api
        .raw(reqwest::Method::POST, &format!("/api/hosts/{ip}/scan"))
        .json(
            &json!({"ports": format!("{base}-{}", base + 31), "timeout_ms": 200, "concurrency": 4}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let started: Value = r.json().await.unwrap();
    let id = started["scan_id"].as_u64().unwrap();
    assert_eq!(location, format!("/api/scans/{id}"));

    let status = wait_done(&api, id).await;
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(
        (status["checked"].as_u64(), status["total"].as_u64()),
        (Some(32), Some(32))
    );
    let found: Vec<(i64, bool)> = status["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["port_number"].as_i64().unwrap(),
                f["known"].as_bool().unwrap(),
            )
        })
        .collect();
    let b = base as i64;
    assert_eq!(found, vec![(b + 1, false), (b + 4, true), (b + 30, false)]);
    // The live stream carried the scan to its end.
    let seen = events
        .until(Duration::from_secs(5), |name, data| {
            name == "host_scan" && data["status"]["state"] == "done"
        })
        .await;
    let (_, last) = seen.last().unwrap();
    assert_eq!(last["status"]["scan_id"], id);
    assert_eq!(last["status"]["found"].as_array().unwrap().len(), 3);

    // Add one, then the rest: known ones are skipped, nothing is added twice.
    let (s, after) = api
        .post(
            &format!("/api/scans/{id}/add"),
            json!({"ports": [base + 1]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["found"][0]["known"], true);
    let (s, body) = api
        .post(
            &format!("/api/scans/{id}/add"),
            json!({"ports": [base + 2]}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not found by the scan: {body}"
    );
    let (s, _) = api.post(&format!("/api/scans/{id}/add"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let list = entries(&api, ip).await;
    assert_eq!(numbers(&list, "port_number"), vec![b + 1, b + 4, b + 30]);
    let added = list.iter().find(|e| e["port_number"] == b + 30).unwrap();
    assert_eq!(
        (added["source"].as_str(), added["is_immutable"].as_bool()),
        (Some("scan"), Some(false)),
        "the user's own entry, found by a scan"
    );
    assert_eq!(added["check"]["state"], "listening");
    drop(block);
}

#[tokio::test]
async fn one_off_scans_cancel_run_side_by_side_and_resolve_hostnames() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    // Two targets at once, each finding exactly its own listeners.
    let (a_base, mut a) = reserve("127.77.3.1", 8);
    let (b_base, mut b) = reserve("127.77.3.2", 8);
    keep(&mut a, &[3]);
    keep(&mut b, &[0, 7]);
    let body = |base: u16| json!({"ports": format!("{base}-{}", base + 7), "timeout_ms": 200});
    let (sa, ra) = api.post("/api/hosts/127.77.3.1/scan", body(a_base)).await;
    let (sb, rb) = api.post("/api/hosts/127.77.3.2/scan", body(b_base)).await;
    assert_eq!((sa, sb), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    let da = wait_done(&api, ra["scan_id"].as_u64().unwrap()).await;
    let db = wait_done(&api, rb["scan_id"].as_u64().unwrap()).await;
    assert_eq!(
        numbers(da["found"].as_array().unwrap(), "port_number"),
        vec![a_base as i64 + 3]
    );
    assert_eq!(
        numbers(db["found"].as_array().unwrap(), "port_number"),
        vec![b_base as i64, b_base as i64 + 7]
    );

    // A hostname is resolved once; the scan connects to what it resolved to.
    let local = TcpListener::bind("127.0.0.1:0").unwrap();
    let (s, r) = api
        .post(
            "/api/hosts/localhost/scan",
            json!({"ports": port_of(&local).to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    let done = wait_done(&api, r["scan_id"].as_u64().unwrap()).await;
    assert_eq!(done["address"], "localhost");
    assert!(
        done["resolved"] == "127.0.0.1" || done["resolved"] == "::1",
        "{done}"
    );
    if done["resolved"] == "127.0.0.1" {
        assert_eq!(done["found"][0]["port_number"], port_of(&local));
    }

    // Cancelling: every port of an address one at a time takes long enough to stop midway.
    let (s, r) = api
        .post(
            "/api/hosts/127.77.3.3/scan",
            json!({"ports": "1-65535", "concurrency": 1, "timeout_ms": 100}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    let id = r["scan_id"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (s, cancelled) = api.delete(&format!("/api/scans/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    let checked = cancelled["checked"].as_u64().unwrap();
    assert!(checked > 0 && checked < 65_535, "{checked}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, later) = api.get(&format!("/api/scans/{id}")).await;
    assert_eq!(later["checked"], checked, "nothing runs after cancelling");
    drop((a, b));
}

#[tokio::test]
async fn bad_scan_requests_are_422_and_unknown_scans_404() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, body) = api
        .post(
            "/api/hosts/127.0.0.1/scan",
            json!({"ports": "1-99999", "timeout_ms": 20}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_fields(&body), vec!["ports", "timeout_ms"]);
    let (s, body) = api
        .post("/api/hosts/bad%20host/scan", json!({"ports": "22"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_fields(&body), vec!["address"]);
    // Not one host.
    let (s, r) = api
        .post("/api/hosts/0.0.0.0/scan", json!({"ports": "22"}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let failed = wait_done(&api, r["scan_id"].as_u64().unwrap()).await;
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"]
        .as_str()
        .unwrap()
        .contains("not the address of one host"));
    let (s, _) = api.get("/api/scans/999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api.delete("/api/scans/999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A port whose accept queue is full: the kernel drops further handshakes, as a firewall that drops
/// packets does, so a connect to it waits until its timeout.
fn silent_port(ip: &str) -> (tokio::net::TcpListener, std::net::TcpStream) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let filler = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (listener, filler)
}

#[tokio::test]
async fn silent_ports_are_bounded_by_the_timeout_and_check_now_reports_each_entry() {
    let ip = "127.77.4.1";
    let (silent, _filler) = silent_port(ip);
    let silent_port = silent.local_addr().unwrap().port();
    let open = TcpListener::bind((ip, 0)).unwrap();
    let p = Portall::start().await;
    let api = Api::new(&p);

    let started = Instant::now();
    let (s, r) = api
        .post(
            &format!("/api/hosts/{ip}/scan"),
            json!({"ports": format!("{silent_port}, {}", port_of(&open)), "timeout_ms": 400}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let done = wait_done(&api, r["scan_id"].as_u64().unwrap()).await;
    let took = started.elapsed();
    assert_eq!(done["state"], "done");
    assert_eq!(
        numbers(done["found"].as_array().unwrap(), "port_number"),
        vec![port_of(&open) as i64]
    );
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "the silent port waited its timeout, no longer: {took:?}"
    );

    // Check now: the open port listens, the silent one and a closed one do not answer, UDP is unknown.
    let closed = TcpListener::bind((ip, 0)).map(|l| port_of(&l)).unwrap();
    for (port, proto) in [
        (port_of(&open), "TCP"),
        (silent_port, "TCP"),
        (closed, "TCP"),
        (5353, "UDP"),
    ] {
        let (s, body) = api
            .post(
                "/api/ports",
                json!({"ip_address": ip, "port_number": port, "port_protocol": proto, "description": "x"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, check) = api.post(&format!("/api/hosts/{ip}/check"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{check}");
    assert_eq!(
        (
            check["listening"].as_u64(),
            check["not_answering"].as_u64(),
            check["unknown"].as_u64()
        ),
        (Some(1), Some(2), Some(1)),
        "{check}"
    );
    let list = entries(&api, ip).await;
    let state_of = |port: u16| {
        list.iter().find(|e| e["port_number"] == port).unwrap()["check"]["state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(state_of(port_of(&open)), "listening");
    assert_eq!(state_of(silent_port), "not_answering");
    assert_eq!(state_of(closed), "not_answering");
    assert_eq!(state_of(5353), "unknown");
    let (s, _) = api.post("/api/hosts/10.255.0.9/check", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a host without entries");
}

#[tokio::test]
async fn the_background_check_interval_is_one_of_the_offered_ones() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, schedule) = api.get("/api/settings/reachability").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        schedule,
        json!({"interval_minutes": 0}),
        "never, unless chosen"
    );
    let (s, body) = api
        .put("/api/settings/reachability", json!({"interval_minutes": 7}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_fields(&body), vec!["interval_minutes"]);
    let (_, unchanged) = api.get("/api/settings/reachability").await;
    assert_eq!(unchanged["interval_minutes"], 0, "nothing stored");
    let (s, saved) = api
        .put(
            "/api/settings/reachability",
            json!({"interval_minutes": 15}),
        )
        .await;
    assert_eq!(
        (s, saved["interval_minutes"].as_u64()),
        (StatusCode::OK, Some(15))
    );
    let (_, again) = api.get("/api/settings/reachability").await;
    assert_eq!(again["interval_minutes"], 15);
}
