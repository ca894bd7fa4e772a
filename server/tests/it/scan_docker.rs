//! Scanning a real Docker engine through a unix-socket instance and a TCP instance.

use crate::support::api::Api;
use crate::support::docker::{bridge_gateway, Containers};
use crate::support::portall::{free_port, Portall};
use crate::support::upstream::{docker_read_only_proxy, docker_tcp_front};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// (address, port, protocol, description, local-only, stale) of the entries whose description has `prefix`.
pub async fn entries(
    api: &Api<'_>,
    prefix: &str,
) -> BTreeSet<(String, i64, String, String, bool, bool)> {
    let (_, list) = api.get("/api/ports").await;
    list.as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["description"]
                .as_str()
                .unwrap_or_default()
                .contains(prefix)
        })
        .map(|e| {
            let d = e["discovered_by"].as_array().cloned().unwrap_or_default();
            let seen: Vec<&Value> = d.iter().filter(|d| d["seen"] == true).collect();
            (
                e["ip_address"].as_str().unwrap().to_string(),
                e["port_number"].as_i64().unwrap(),
                e["port_protocol"].as_str().unwrap().to_string(),
                e["description"].as_str().unwrap().to_string(),
                !seen.is_empty() && seen.iter().all(|d| d["local_only"] == true),
                !d.is_empty() && seen.is_empty(),
            )
        })
        .collect()
}

pub async fn entry_id(api: &Api<'_>, ip: &str, port: i64) -> Option<i64> {
    let (_, list) = api.get("/api/ports").await;
    list.as_array()?
        .iter()
        .find(|e| e["ip_address"] == ip && e["port_number"] == port)
        .and_then(|e| e["id"].as_i64())
}

pub async fn scan(api: &Api<'_>, id: i64) -> Value {
    let (s, body) = api
        .post(&format!("/docker/instances/{id}/scan"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn unix_and_tcp_instances_scan_the_engine_and_reconcile() {
    let mut c = Containers::new("scan");
    let p = c.prefix.clone();
    let ports: Vec<u16> = (0..6).map(|_| free_port()).collect();
    let gw = bridge_gateway();
    c.run_args("web", &["-p", &format!("{}:80", ports[0])], &[]);
    c.run_args("dns", &["-p", &format!("{}:53/udp", ports[1])], &[]);
    c.run_args(
        "two",
        &[
            "-p",
            &format!("{}:80", ports[2]),
            "-p",
            &format!("{}:81", ports[3]),
        ],
        &[],
    );
    c.run_args("local", &["-p", &format!("127.0.0.1:{}:80", ports[4])], &[]);
    c.run_args("specific", &["-p", &format!("{gw}:{}:80", ports[5])], &[]);
    c.run_args("hidden", &["--expose", "9000"], &[]);

    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let host = "192.0.2.10";
    // A manual entry on a port a container publishes: never modified.
    let (s, manual) = api
        .post("/api/ports", json!({"ip_address": host, "port_number": ports[1], "port_protocol": "UDP", "description": format!("{p} my DNS")}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, a) = api
        .post("/docker/instances", json!({"type": "docker", "name": "A", "auto_detect": false, "config": {"public_host": host}}))
        .await;
    let tcp = docker_tcp_front().await;
    let (_, b) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "B", "auto_detect": false, "config": {"host": tcp}}),
        )
        .await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());

    let result = scan(&api, a).await;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["instance"]["status"]["state"], "ok");
    let e = |ip: &str, port: u16, proto: &str, desc: &str, local: bool| {
        (
            ip.to_string(),
            port as i64,
            proto.to_string(),
            format!("{p}{desc}"),
            local,
            false,
        )
    };
    let mut expected: BTreeSet<_> = [
        e(host, ports[0], "TCP", "web (80/tcp)", false),
        e(host, ports[2], "TCP", "two (80/tcp)", false),
        e(host, ports[3], "TCP", "two (81/tcp)", false),
        e(host, ports[4], "TCP", "local (80/tcp)", true),
        e(&gw, ports[5], "TCP", "specific (80/tcp)", false),
    ]
    .into_iter()
    .collect();
    expected.insert((
        host.into(),
        ports[1] as i64,
        "UDP".into(),
        format!("{p} my DNS"),
        false,
        false,
    ));
    assert_eq!(entries(&api, &p).await, expected);
    let (_, m) = api.get(&format!("/api/ports/{}", manual["id"])).await;
    assert_eq!(
        (
            m["source"].as_str(),
            m["discovered_by"].as_array().map(Vec::len)
        ),
        (Some("manual"), Some(0))
    );

    // The TCP instance records its bindings at the tcp:// host; the specific-address one is shared.
    let result = scan(&api, b).await;
    assert_eq!(result["ok"], true, "{result}");
    let got = entries(&api, &p).await;
    assert!(
        got.contains(&e("127.0.0.1", ports[0], "TCP", "web (80/tcp)", false)),
        "{got:?}"
    );
    assert!(got.contains(&e("127.0.0.1", ports[1], "UDP", "dns (53/udp)", false)));
    assert_eq!(
        got.iter().filter(|g| g.1 == ports[5] as i64).count(),
        1,
        "one entry for a binding two instances report"
    );

    // Stop a container: its entry goes stale, keeps its id, and comes back when it runs again.
    let web_id = entry_id(&api, host, ports[0] as i64).await.unwrap();
    c.stop("web");
    let result = scan(&api, a).await;
    // The counts cover every container on the engine; other tests start and stop theirs meanwhile.
    assert!(result["summary"]["stale"].as_i64() >= Some(1), "{result}");
    assert!(entries(&api, &p).await.contains(&(
        host.into(),
        ports[0] as i64,
        "TCP".into(),
        format!("{p}web (80/tcp)"),
        false,
        true
    )));
    c.start("web");
    let result = scan(&api, a).await;
    assert!(result["summary"]["updated"].as_i64() >= Some(1), "{result}");
    assert_eq!(
        entry_id(&api, host, ports[0] as i64).await,
        Some(web_id),
        "same entry"
    );
    assert!(entries(&api, &p)
        .await
        .contains(&e(host, ports[0], "TCP", "web (80/tcp)", false)));

    // A stale entry can be removed by hand; an active discovered one cannot.
    c.stop("dns");
    scan(&api, b).await;
    let dns = entry_id(&api, "127.0.0.1", ports[1] as i64).await.unwrap();
    let (s, _) = api.delete(&format!("/api/ports/{dns}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "stale entries are removable");
    let two = entry_id(&api, "127.0.0.1", ports[2] as i64).await.unwrap();
    let (s, _) = api.delete(&format!("/api/ports/{two}")).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Delete A: its entries go; B's, the shared one and the manual one stay.
    let (s, _) = api.delete(&format!("/docker/instances/{a}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let got = entries(&api, &p).await;
    assert!(
        got.iter().all(|g| g.0 != host || g.3.contains("my DNS")),
        "{got:?}"
    );
    assert!(got.iter().any(|g| g.3.contains("my DNS")));
    assert!(
        got.iter().any(|g| g.1 == ports[5] as i64),
        "still reported by B"
    );
    assert!(got
        .iter()
        .any(|g| g.0 == "127.0.0.1" && g.1 == ports[0] as i64));
}

#[tokio::test]
async fn a_read_only_socket_proxy_is_enough() {
    let mut c = Containers::new("rop");
    let p = c.prefix.clone();
    let port = free_port();
    c.run_args("web", &["-p", &format!("{port}:80")], &[]);
    let proxy = docker_read_only_proxy().await;
    let http = proxy.url.replace("tcp://", "http://");
    // The proxy refuses what such proxies refuse (so the assertions below can fail).
    let r = reqwest::get(format!("{http}/info")).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = reqwest::Client::new()
        .post(format!("{http}/v1.41/containers/create"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = reqwest::get(format!("{http}/v1.41/version")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    proxy.log.lock().unwrap().clear();

    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let (_, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "docker", "config": {"host": proxy.url}}),
        )
        .await;
    assert_eq!(t["ok"], true, "{t}");
    assert!(t["message"].as_str().unwrap().starts_with("Docker "), "{t}");
    let (s, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "Behind a proxy", "auto_detect": false,
                   "config": {"host": proxy.url, "public_host": "192.0.2.60"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    let r = scan(&api, inst["id"].as_i64().unwrap()).await;
    assert_eq!(r["ok"], true, "{r}");
    let got = entries(&api, &p).await;
    assert!(
        got.iter()
            .any(|e| e.0 == "192.0.2.60" && e.1 == port as i64 && e.2 == "TCP"),
        "{got:?}"
    );
    let log = proxy.log.lock().unwrap().clone();
    assert!(
        log.iter().any(|(r, _)| r.contains("/containers/json")),
        "{log:?}"
    );
    let refused: Vec<_> = log.iter().filter(|(_, ok)| !ok).collect();
    assert!(
        refused.is_empty(),
        "Portall asked for more than read-only: {refused:?}"
    );
}
