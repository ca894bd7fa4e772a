//! `/api/ports` and deleting an instance: manual entries are the user's, discovered ones the integration's.

use crate::support::api::Api;
use crate::support::legacy::LegacyDb;
use crate::support::portall::Portall;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn find<'a>(list: &'a Value, port: i64, proto: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|p| p["port_number"] == port && p["port_protocol"] == proto)
}

#[tokio::test]
async fn manual_entries_crud_and_duplicates() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, e) = api
        .post("/api/ports", json!({"ip_address": "192.168.1.5", "nickname": "nas", "port_number": 8080, "port_protocol": "tcp", "description": "Web UI"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(
        (
            e["port_protocol"].as_str(),
            e["source"].as_str(),
            e["is_immutable"].as_bool()
        ),
        (Some("TCP"), Some("manual"), Some(false))
    );
    let id = e["id"].as_i64().unwrap();
    // Same host: the nickname is inherited, the order goes on.
    let (_, e2) = api
        .post("/api/ports", json!({"ip_address": "192.168.1.5", "port_number": 53, "port_protocol": "UDP", "description": "DNS"}))
        .await;
    assert_eq!(
        (e2["nickname"].as_str(), e2["order"].as_i64()),
        (Some("nas"), Some(1))
    );

    let (s, dup) = api
        .post(
            "/api/ports",
            json!({"ip_address": "192.168.1.5", "port_number": 8080, "description": "Other"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        dup["error"],
        format!("port 8080/TCP on 192.168.1.5 is already in the list as 'Web UI' (id {id})")
    );

    let (s, u) = api
        .put(
            &format!("/api/ports/{id}"),
            json!({"description": "Admin UI", "port_number": 8081}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (u["description"].as_str(), u["port_number"].as_i64()),
        (Some("Admin UI"), Some(8081))
    );
    let (s, _) = api
        .put(
            &format!("/api/ports/{}", e2["id"]),
            json!({"port_number": 8081, "port_protocol": "TCP"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "renumbering onto an existing entry"
    );

    for (body, field) in [
        (
            json!({"ip_address": "192.168.1.5", "port_number": 0, "description": "x"}),
            "port_number",
        ),
        (
            json!({"ip_address": "192.168.1.5", "port_number": 65536, "description": "x"}),
            "port_number",
        ),
        (
            json!({"ip_address": "192.168.1.5", "port_number": "http", "description": "x"}),
            "port_number",
        ),
        (
            json!({"ip_address": "192.168.1.5", "port_number": 1, "port_protocol": "SCTP", "description": "x"}),
            "port_protocol",
        ),
        (
            json!({"ip_address": "192.168.1.5", "port_number": 1}),
            "description",
        ),
        (
            json!({"ip_address": "not a host", "port_number": 1, "description": "x"}),
            "ip_address",
        ),
        (json!({"port_number": 1, "description": "x"}), "ip_address"),
    ] {
        let (s, r) = api.post("/api/ports", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(r["errors"][field].is_array(), "{body}: {r}");
    }
    let (_, list) = api.get("/api/ports").await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "nothing stored by bad input"
    );

    let (s, _) = api.delete(&format!("/api/ports/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api.delete(&format!("/api/ports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api.get("/api/ports/12345").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn discovered_entries_are_described_not_renumbered_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portall.db");
    LegacyDb::all_integrations().create(&db).await;
    let p = Portall::start_on(&db, &[]).await;
    let api = Api::new(&p);
    let (_, list) = api.get("/api/ports").await;
    let jelly = find(&list, 8096, "TCP").unwrap().clone();
    assert_eq!(jelly["source"], "docker");
    assert_eq!(jelly["discovered_by"][0]["name"], "Default Docker");
    let id = jelly["id"].as_i64().unwrap();

    let (s, u) = api
        .put(
            &format!("/api/ports/{id}"),
            json!({"description": "Jellyfin media"}),
        )
        .await;
    assert_eq!(
        (s, u["description"].as_str()),
        (StatusCode::OK, Some("Jellyfin media"))
    );
    let (s, r) = api
        .put(&format!("/api/ports/{id}"), json!({"port_number": 9999}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["errors"]["port_number"][0]
        .as_str()
        .unwrap()
        .contains("managed by the docker integration"));
    let (s, r) = api.delete(&format!("/api/ports/{id}")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        r["error"].as_str().unwrap().contains("Default Docker"),
        "{r}"
    );
}

#[tokio::test]
async fn deleting_an_instance_removes_only_what_it_alone_discovered() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portall.db");
    LegacyDb::all_integrations().create(&db).await;
    let p = Portall::start_on(&db, &[]).await;
    let api = Api::new(&p);
    let (_, before) = api.get("/api/ports").await;
    let (_, instances) = api.get("/docker/instances").await;
    let portainer = instances
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "portainer")
        .unwrap();
    assert_eq!(portainer["status"]["port_count"], 1);
    let (s, _) = api
        .delete(&format!("/docker/instances/{}", portainer["id"]))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, after) = api.get("/api/ports").await;
    assert!(
        find(&after, 9000, "TCP").is_none(),
        "Portainer's entry went with it"
    );
    assert_eq!(
        after.as_array().unwrap().len(),
        before.as_array().unwrap().len() - 1
    );
    assert!(
        find(&after, 22, "TCP").is_some() && find(&after, 8096, "TCP").is_some(),
        "manual and Docker entries stay"
    );

    // Docker's services and bindings cascade; manual entries (tagged ones included) stay.
    let docker = instances
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "docker")
        .unwrap();
    assert_eq!(docker["status"]["service_count"], 2);
    api.delete(&format!("/docker/instances/{}", docker["id"]))
        .await;
    let (_, after) = api.get("/api/ports").await;
    assert!(find(&after, 8096, "TCP").is_none() && find(&after, 1900, "UDP").is_none());
    assert_eq!(
        after
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "manual")
            .count(),
        4
    );
}

#[tokio::test]
async fn legacy_rows_with_odd_column_values_never_break_the_list() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    {
        let mut conn = crate::support::legacy::connect(&p.db_path).await;
        // SQLite keeps what the legacy app wrote: a port number as text, a protocol it never offered.
        sqlx::raw_sql(
            r#"INSERT INTO port (ip_address, nickname, port_number, port_protocol, description, "order", source, is_immutable) VALUES
               ('10.9.0.1', 'old', '8080', 'tcp', 'text number', 0, 'manual', 0),
               ('10.9.0.1', 'old', 'abc', 'TCP', 'not a number', 1, 'manual', 0),
               ('10.9.0.1', 'old', 9000, 'SCTP', 'odd protocol', 2, 'manual', 0),
               ('10.9.0.1', 'old', 9001, 'UDP', '', 3, NULL, NULL)"#,
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let (s, list) = api.get("/api/ports").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let descriptions: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ip_address"] == "10.9.0.1")
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        descriptions,
        vec!["text number", ""],
        "readable rows shown, others skipped"
    );
    assert!(
        find(&list, 8080, "TCP").is_some(),
        "'8080' and 'tcp' read as 8080/TCP"
    );
    assert_eq!(find(&list, 9001, "UDP").unwrap()["source"], "manual");
    assert!(p.log().contains("port entry skipped"), "the skip is logged");
    // The pages render too.
    let html = reqwest::get(p.url("/")).await.unwrap();
    assert_eq!(html.status(), StatusCode::OK);
}
