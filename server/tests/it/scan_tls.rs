//! TLS: a Portainer with a self-signed certificate (verify_ssl), and a Docker engine behind mutual TLS.

use crate::scan_docker::scan;
use crate::support::api::Api;
use crate::support::docker::Containers;
use crate::support::portall::{free_port, Portall};
use crate::support::tls::{docker_tls_front, Pki};
use crate::support::upstream::{FakePortainer, PortainerEnv};
use serde_json::json;

#[tokio::test]
async fn self_signed_portainer_needs_verify_ssl_off() {
    let portainer =
        FakePortainer::start_https("key", vec![PortainerEnv::new(1, "env", "nothing-")]).await;
    let p = Portall::start().await;
    let api = Api::new(&p);
    let body = |verify: bool| json!({"type": "portainer", "config": {"url": portainer.url, "api_key": "key", "verify_ssl": verify}});
    let (_, t) = api.post("/docker/instances/test", body(true)).await;
    assert_eq!(t["ok"], false);
    assert!(
        t["message"].as_str().unwrap().contains(&portainer.url),
        "{t}"
    );
    let (_, t) = api.post("/docker/instances/test", body(false)).await;
    assert_eq!(t["ok"], true, "{t}");
}

#[tokio::test]
async fn docker_over_mutual_tls() {
    let mut c = Containers::new("tls");
    let port = free_port();
    c.run_args("web", &["-p", &format!("{port}:80")], &[]);
    let pki = Pki::new();
    let host = docker_tls_front(pki.mutual()).await;
    let p = Portall::start().await;
    let api = Api::new(&p);
    let config = |pki: &Pki| json!({"host": host, "tls_ca": pki.ca_file, "tls_cert": pki.cert_file, "tls_key": pki.key_file});
    let (_, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "docker", "config": config(&pki)}),
        )
        .await;
    assert_eq!(t["ok"], true, "{t}");
    assert!(t["message"].as_str().unwrap().starts_with("Docker "));

    // Certificates from another CA are refused.
    let stranger = Pki::new();
    let (_, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "docker", "config": config(&stranger)}),
        )
        .await;
    assert_eq!(t["ok"], false, "{t}");

    let (_, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "tls", "auto_detect": false, "config": config(&pki)}),
        )
        .await;
    let r = scan(&api, inst["id"].as_i64().unwrap()).await;
    assert_eq!(r["ok"], true, "{r}");
    let (_, ports) = api.get("/api/ports").await;
    assert!(
        ports
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["ip_address"] == "127.0.0.1" && e["port_number"] == port),
        "bindings recorded at the https:// host"
    );
}
