//! The legacy routes: `/docker/settings` over the default instances, deprecation headers, DOCKER_HOST.

use crate::support::api::Api;
use crate::support::legacy::LegacyDb;
use crate::support::portall::{free_port, Portall};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn settings_come_from_the_default_instances_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portall.db");
    LegacyDb::all_integrations().create(&db).await;
    let p = Portall::start_on(&db, &[]).await;
    let api = Api::new(&p);
    let r = api
        .raw(Method::GET, "/docker/settings")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["deprecation"], "true");
    assert!(r.headers()["link"]
        .to_str()
        .unwrap()
        .contains("</docker/instances>"));
    let s: serde_json::Value = r.json().await.unwrap();
    assert_eq!(s.as_object().unwrap().len(), 16);
    assert_eq!(s["docker_enabled"], "true");
    assert_eq!(s["docker_host"], "tcp://192.168.1.20:2375");
    assert_eq!(s["docker_scan_interval"], "600");
    assert_eq!(s["portainer_url"], "https://portainer.home.lan:9443");
    assert_eq!(s["portainer_verify_ssl"], "false");
    assert_eq!(s["portainer_api_key"], "");
    assert_eq!(
        (
            s["komodo_api_key"].as_str(),
            s["komodo_api_secret"].as_str()
        ),
        (Some(""), Some(""))
    );
    assert_eq!(s["komodo_auto_detect"], "false");
}

#[tokio::test]
async fn the_old_forms_update_or_create_default_instances() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    // The Docker form creates "Default Docker" when enabled.
    let r = api
        .raw(Method::POST, "/docker/settings")
        .form(&[
            ("docker_enabled", "true"),
            ("docker_host", "tcp://127.0.0.1:2375"),
            ("docker_auto_detect", "true"),
            ("docker_scan_interval", "120"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["deprecation"], "true");
    let (_, list) = api.get("/docker/instances").await;
    assert_eq!(list[0]["name"], "Default Docker");
    assert_eq!(list[0]["scan_interval"], 120);
    assert_eq!(list[0]["config"]["host"], "tcp://127.0.0.1:2375");

    // Unchecked checkbox (absent) means false; other types untouched.
    api.raw(Method::POST, "/docker/settings")
        .form(&[
            ("docker_host", "tcp://127.0.0.1:2375"),
            ("docker_scan_interval", "120"),
        ])
        .send()
        .await
        .unwrap();
    let (_, list) = api.get("/docker/instances").await;
    assert_eq!(
        (list[0]["enabled"].as_bool(), list.as_array().unwrap().len()),
        (Some(false), 1)
    );

    // Bad values answer 422 with the legacy field names, and change nothing.
    let r = api
        .raw(Method::POST, "/docker/settings")
        .form(&[
            ("docker_enabled", "true"),
            ("docker_host", "ftp://x"),
            ("docker_scan_interval", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["errors"]["docker_host"].is_array()
            && body["errors"]["docker_scan_interval"].is_array(),
        "{body}"
    );
    let (_, after) = api.get("/docker/instances").await;
    assert_eq!(after, list);

    // The Portainer form keeps the stored key when the field comes back empty.
    api.raw(Method::POST, "/docker/settings")
        .form(&[
            ("portainer_enabled", "true"),
            ("portainer_url", "https://p.lan:9443"),
            ("portainer_api_key", "k-1"),
        ])
        .send()
        .await
        .unwrap();
    api.raw(Method::POST, "/docker/settings")
        .form(&[
            ("portainer_enabled", "false"),
            ("portainer_url", "https://p.lan:9443/"),
            ("portainer_api_key", ""),
        ])
        .send()
        .await
        .unwrap();
    // A new address needs the key again: a stored key only goes where it was entered for.
    let r = api
        .raw(Method::POST, "/docker/settings")
        .form(&[
            ("portainer_enabled", "true"),
            ("portainer_url", "https://p2.lan:9443"),
            ("portainer_api_key", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["errors"]["portainer_api_key"][0]
        .as_str()
        .unwrap()
        .contains("enter it again"));
    api.raw(Method::POST, "/docker/settings")
        .form(&[
            ("portainer_enabled", "true"),
            ("portainer_url", "https://p2.lan:9443"),
            ("portainer_api_key", "k-2"),
        ])
        .send()
        .await
        .unwrap();
    let (_, list) = api.get("/docker/instances").await;
    let pt = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "portainer")
        .unwrap();
    assert_eq!(
        (
            pt["config"]["url"].as_str(),
            pt["config"]["api_key_set"].as_bool()
        ),
        (Some("https://p2.lan:9443"), Some(true))
    );
}

#[tokio::test]
async fn docker_host_overrides_default_docker_only() {
    let closed = free_port();
    let override_host = format!("tcp://127.0.0.1:{closed}");
    let dir = tempfile::tempdir().unwrap();
    let p = Portall::start_on(&dir.path().join("p.db"), &[("DOCKER_HOST", &override_host)]).await;
    let api = Api::new(&p);
    let (_, d) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "Default Docker"}),
        )
        .await;
    let (_, other) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "Other"}),
        )
        .await;
    let (_, t) = api
        .post(&format!("/docker/instances/{}/test", d["id"]), json!({}))
        .await;
    assert!(
        t["message"].as_str().unwrap().contains(&override_host),
        "{t}"
    );
    let (_, t) = api
        .post(
            &format!("/docker/instances/{}/test", other["id"]),
            json!({}),
        )
        .await;
    assert!(
        !t["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&override_host),
        "{t}"
    );
    assert_eq!(
        d["config"]["host"], "unix:///var/run/docker.sock",
        "the stored value is unchanged"
    );
}

#[tokio::test]
async fn legacy_scan_routes_scan_every_instance_of_their_type() {
    use crate::support::docker::Containers;
    use crate::support::upstream::{FakePortainer, PortainerEnv};
    let mut c = Containers::new("compat");
    let port = free_port();
    c.run_args("web", &["-p", &format!("{port}:80")], &[]);
    let portainer = FakePortainer::start(
        "pk",
        vec![PortainerEnv::new(1, "env", &format!("{}web", c.prefix))],
    )
    .await;
    let p = Portall::start().await;
    let api = Api::new(&p);

    // Nothing to scan yet: a clear answer, not an error.
    let r = api
        .raw(Method::POST, "/docker/import_from_komodo")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["deprecation"], "true");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["message"], "no enabled Komodo integration to scan");

    api.post("/docker/instances", json!({"type": "docker", "name": "Default Docker", "auto_detect": false, "config": {"public_host": "192.0.2.40"}}))
        .await;
    api.post("/docker/instances", json!({"type": "docker", "name": "Second", "auto_detect": false, "config": {"public_host": "192.0.2.41"}}))
        .await;
    api.post("/docker/instances", json!({"type": "portainer", "name": "P", "auto_detect": false, "config": {"url": portainer.url, "api_key": "pk"}}))
        .await;
    let r = api.raw(Method::POST, "/docker/scan").send().await.unwrap();
    assert!(r.headers()["link"].to_str().unwrap().contains("/scan>"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["success"], true, "{body}");
    let names: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Default Docker", "Second"]);

    let (s, body) = api.post("/docker/import_from_portainer", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            body["success"].as_bool(),
            body["results"][0]["summary"]["containers"].as_u64()
        ),
        (Some(true), Some(1)),
        "{body}"
    );

    let r = api
        .raw(Method::GET, "/docker/containers")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["deprecation"], "true");
    // The Python Portall's shape, which scripts were written against.
    let body: serde_json::Value = r.json().await.unwrap();
    let list = body["containers"]
        .as_array()
        .expect("{\"containers\": [...]}");
    let web = list
        .iter()
        .find(|x| x["name"].as_str() == Some(&format!("{}web", c.prefix)))
        .unwrap_or_else(|| panic!("{body}"));
    let bindings = web["ports"]["80/tcp"]
        .as_array()
        .unwrap_or_else(|| panic!("{web}"));
    assert!(
        bindings
            .iter()
            .any(|b| b["HostPort"].as_str() == Some(port.to_string().as_str())),
        "{web}"
    );
}

#[tokio::test]
async fn docker_containers_without_a_default_docker_is_404() {
    let p = Portall::start().await;
    let (s, body) = Api::new(&p).get("/docker/containers").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
}
