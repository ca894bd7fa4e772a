//! Scanning through Portainer and Komodo test servers (protocol-faithful, backed by the real engine).

use crate::scan_docker::{entries, scan};
use crate::support::api::Api;
use crate::support::docker::Containers;
use crate::support::portall::{free_port, Portall};
use crate::support::upstream::{FakeKomodo, FakePortainer, KomodoServer, Mode, PortainerEnv};
use reqwest::StatusCode;
use serde_json::json;

fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}: {}",
                i["source"].as_str().unwrap(),
                i["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn portainer_environments_down_edge_failing_and_hanging() {
    let mut c = Containers::new("ptr");
    let p = c.prefix.clone();
    let (p1, p2, p3) = (free_port(), free_port(), free_port());
    c.run_args("agent-web", &["-p", &format!("{p1}:80")], &[]);
    c.run_args("local-db", &["-p", &format!("{p2}:5432")], &[]);
    c.run_args("flaky-app", &["-p", &format!("{p3}:8080")], &[]);
    let mut agent = PortainerEnv::new(1, "pi-agent", &format!("{p}agent"));
    agent.public_url = "192.0.2.21".into();
    let mut local = PortainerEnv::new(2, "local", &format!("{p}local"));
    local.kind = 1;
    local.url = "unix:///var/run/docker.sock".into();
    let mut down = PortainerEnv::new(3, "old-nas", &format!("{p}none"));
    down.status = 2;
    let mut edge = PortainerEnv::new(4, "edge-box", &format!("{p}agent"));
    edge.kind = 4;
    let mut kube = PortainerEnv::new(5, "k3s", &format!("{p}agent"));
    kube.kind = 5;
    let mut flaky = PortainerEnv::new(6, "flaky", &format!("{p}flaky"));
    flaky.url = "tcp://192.0.2.26:9001".into();
    let portainer =
        FakePortainer::start("ptr_good", vec![agent, local, down, edge, kube, flaky]).await;

    let portall = Portall::start().await;
    let api = Api::new(&portall);
    // Wrong key: the connection test says so.
    let (_, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "portainer", "config": {"url": portainer.url, "api_key": "wrong"}}),
        )
        .await;
    assert_eq!(t["ok"], false);
    assert!(
        t["message"].as_str().unwrap().contains("API key rejected"),
        "{t}"
    );
    let (_, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "portainer", "config": {"url": portainer.url, "api_key": "ptr_good"}}),
        )
        .await;
    assert_eq!(t["ok"], true, "{t}");
    assert_eq!(
        t["message"], "Portainer 2.23.0, 6 environments",
        "X-Total-Count of the key check"
    );

    let (s, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "portainer", "name": "Ptr", "auto_detect": false,
                   "config": {"url": portainer.url, "api_key": "ptr_good", "timeout": 5, "public_host": "192.0.2.20"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    let id = inst["id"].as_i64().unwrap();
    let r = scan(&api, id).await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        names(&r["summary"]["skipped"]),
        vec!["old-nas: environment is down in Portainer"]
    );
    assert_eq!(r["summary"]["errors"], json!([]));
    let got = entries(&api, &p).await;
    let hosts: Vec<(String, i64)> = got.iter().map(|e| (e.0.clone(), e.1)).collect();
    assert!(
        hosts.contains(&("192.0.2.21".into(), p1 as i64)),
        "agent: its public URL {got:?}"
    );
    assert!(
        hosts.contains(&("192.0.2.20".into(), p2 as i64)),
        "local socket: the instance's public host {got:?}"
    );
    assert!(
        hosts.contains(&("192.0.2.26".into(), p3 as i64)),
        "TCP environment: its URL host {got:?}"
    );
    assert_eq!(
        got.len(),
        3,
        "Edge and Kubernetes environments are not read: {got:?}"
    );
    let (_, list) = api.get("/api/ports").await;
    let nick = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["port_number"] == p1 as i64)
        .unwrap()["nickname"]
        .clone();
    assert_eq!(
        nick, "pi-agent",
        "a new host group is named after its environment"
    );

    // A 502 from one environment fails only that environment, and marks none of its entries stale.
    portainer.set_mode(6, Mode::BadGateway);
    let r = scan(&api, id).await;
    assert_eq!(r["ok"], true);
    let errors = names(&r["summary"]["errors"]);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("flaky: ") && errors[0].contains("HTTP 502"),
        "{errors:?}"
    );
    assert_eq!(r["summary"]["stale"], 0);
    assert_eq!(
        r["instance"]["status"]["state"], "partial",
        "some environments read, one failed"
    );
    assert!(r["instance"]["status"]["last_error"]
        .as_str()
        .unwrap()
        .contains("flaky"));
    assert!(
        entries(&api, &p).await.iter().all(|e| !e.5),
        "nothing stale"
    );

    // A hanging environment times out on its own; the others are read.
    portainer.set_mode(6, Mode::Hang);
    let r = scan(&api, id).await;
    let errors = names(&r["summary"]["errors"]);
    assert!(
        errors.len() == 1 && errors[0].contains("no answer within 5 s"),
        "{errors:?}"
    );
    assert_eq!(r["summary"]["containers"], 2);
}

#[tokio::test]
async fn portainer_edge_environments_only_when_asked_for() {
    let mut c = Containers::new("edge");
    let p = c.prefix.clone();
    let (p1, p2) = (free_port(), free_port());
    c.run_args("kiosk", &["-p", &format!("{p1}:80")], &[]);
    c.run_args("office", &["-p", &format!("{p2}:8080")], &[]);
    let mut open = PortainerEnv::new(1, "shop-edge", &format!("{p}kiosk"));
    open.kind = 4;
    open.tunnel = true;
    open.public_url = "192.0.2.41".into();
    let mut closed = PortainerEnv::new(2, "cabin-edge", &format!("{p}kiosk"));
    closed.kind = 4;
    closed.tunnel_wait = std::time::Duration::from_millis(500);
    let office = PortainerEnv::new(3, "office", &format!("{p}office"));
    let portainer = FakePortainer::start("ptr_edge", vec![open, closed, office]).await;

    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let (_, types) = api.get("/docker/instances/types").await;
    let fields = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "portainer")
        .unwrap()["fields"]
        .clone();
    let edge = fields
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "include_edge")
        .expect("the option is in the type schema");
    assert_eq!(edge["default"], false);

    let (s, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "portainer", "name": "Shops", "auto_detect": false,
                   "config": {"url": portainer.url, "api_key": "ptr_edge", "timeout": 5}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    assert_eq!(inst["config"]["include_edge"], false, "off by default");
    let id = inst["id"].as_i64().unwrap();
    let r = scan(&api, id).await;
    assert_eq!(r["summary"]["errors"], json!([]), "{r}");
    let got = entries(&api, &p).await;
    assert_eq!(
        got.iter().map(|e| e.1).collect::<Vec<_>>(),
        vec![p2 as i64],
        "without the option only the agent environment is read: {got:?}"
    );

    let (s, body) = api
        .put(
            &format!("/docker/instances/{id}"),
            json!({"config": {"include_edge": true}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let r = scan(&api, id).await;
    let errors = names(&r["summary"]["errors"]);
    assert_eq!(errors.len(), 1, "{r}");
    assert!(
        errors[0].starts_with("cabin-edge: ")
            && errors[0].contains("Unable to get the active tunnel")
            && errors[0].contains("tunnel to Portainer is open"),
        "the closed tunnel is named with Portainer's own message: {errors:?}"
    );
    let got = entries(&api, &p).await;
    let hosts: Vec<(String, i64)> = got.iter().map(|e| (e.0.clone(), e.1)).collect();
    assert!(
        hosts.contains(&("192.0.2.41".into(), p1 as i64)),
        "the open Edge environment's containers, at its public URL: {got:?}"
    );
    assert_eq!(got.len(), 2, "{got:?}");
}

#[tokio::test]
async fn komodo_servers_ok_notok_disabled_and_auth() {
    let mut c = Containers::new("kmd");
    let p = c.prefix.clone();
    let (p1, p2) = (free_port(), free_port());
    c.run_args(
        "alpha-web",
        &[
            "-p",
            &format!("{p1}:80"),
            "-p",
            &format!("127.0.0.1:{p2}:81"),
        ],
        &[],
    );
    let mut alpha = KomodoServer::new("srv-a", "alpha", &format!("{p}alpha"));
    alpha.external_address = Some("192.0.2.31".into());
    let mut beta = KomodoServer::new("srv-b", "beta", &format!("{p}beta"));
    beta.state = "NotOk".into();
    let mut gamma = KomodoServer::new("srv-c", "gamma", &format!("{p}gamma"));
    gamma.state = "Disabled".into();
    let komodo = FakeKomodo::start("K1", "S1", "1.19.5", vec![alpha, beta, gamma]).await;

    let portall = Portall::start().await;
    let api = Api::new(&portall);
    for (key, secret, expect) in [
        ("K1", "nope", "invalid api secret"),
        ("K9", "S1", "no api key matching key"),
    ] {
        let (_, t) = api
            .post("/docker/instances/test", json!({"type": "komodo", "config": {"url": komodo.url, "api_key": key, "api_secret": secret}}))
            .await;
        assert_eq!(t["ok"], false);
        assert!(
            t["message"].as_str().unwrap().contains("rejected")
                && t["message"].as_str().unwrap().contains(expect),
            "{t}"
        );
    }
    let web = FakeKomodo::web_ui_only().await;
    let (_, t) = api
        .post("/docker/instances/test", json!({"type": "komodo", "config": {"url": web.url, "api_key": "k", "api_secret": "s"}}))
        .await;
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("web page, not JSON"),
        "{t}"
    );

    let (_, inst) = api
        .post("/docker/instances", json!({"type": "komodo", "name": "Km", "auto_detect": false,
                                          "config": {"url": komodo.url, "api_key": "K1", "api_secret": "S1"}}))
        .await;
    let id = inst["id"].as_i64().unwrap();
    let r = scan(&api, id).await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        names(&r["summary"]["skipped"]),
        vec!["gamma: server is disabled in Komodo"]
    );
    let errors = names(&r["summary"]["errors"]);
    assert!(
        errors.len() == 1 && errors[0].starts_with("beta: ") && errors[0].contains("NotOk"),
        "{errors:?}"
    );
    let got = entries(&api, &p).await;
    let view: std::collections::BTreeSet<(String, i64, bool)> =
        got.iter().map(|e| (e.0.clone(), e.1, e.4)).collect();
    let expected = [
        ("192.0.2.31".to_string(), p1 as i64, false),
        ("192.0.2.31".to_string(), p2 as i64, true),
    ];
    assert_eq!(view, expected.into_iter().collect());

    // Alpha goes NotOk: it answers [], which must not make its entries stale.
    komodo.set_state("srv-a", "NotOk");
    let r = scan(&api, id).await;
    assert_eq!(r["summary"]["stale"], 0, "{r}");
    assert!(entries(&api, &p).await.iter().all(|e| !e.5));
}

#[tokio::test]
async fn komodo_2x_paginates_servers() {
    let mut c = Containers::new("kmd2");
    let p = c.prefix.clone();
    let port = free_port();
    c.run_args("late-web", &["-p", &format!("{port}:80")], &[]);
    let mut servers: Vec<KomodoServer> = (0..55)
        .map(|i| KomodoServer::new(&format!("s{i:02}"), &format!("node{i:02}"), "nothing-"))
        .collect();
    servers[53] = KomodoServer::new("s53", "node53", &format!("{p}late"));
    servers[53].address = Some("192.0.2.53".into());
    let komodo = FakeKomodo::start("K", "S", "2.3.2", servers).await;
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let (_, inst) = api
        .post("/docker/instances", json!({"type": "komodo", "name": "K2", "auto_detect": false,
                                          "config": {"url": komodo.url, "api_key": "K", "api_secret": "S"}}))
        .await;
    let r = scan(&api, inst["id"].as_i64().unwrap()).await;
    assert_eq!(r["ok"], true, "{r}");
    let got = entries(&api, &p).await;
    assert_eq!(
        got.iter().map(|e| (e.0.as_str(), e.1)).collect::<Vec<_>>(),
        vec![("192.0.2.53", port as i64)],
        "server 54 of 55 read"
    );
}
