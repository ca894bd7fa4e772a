//! The Ports page's arrangement and the features around it, through the REST API of the real binary:
//! the legacy order after an upgrade, reordering, moving with conflicts, hosts with discovered entries
//! (a real engine), port generation under every setting (a real bind on loopback), presets.

use crate::scan_docker::scan;
use crate::support::api::{error_fields, Api};
use crate::support::docker::Containers;
use crate::support::legacy::{connect, LegacyDb};
use crate::support::portall::{free_port, Portall};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// (address, [port numbers in order]) per panel, as `GET /api/hosts` + `GET /api/ports` say.
async fn layout(api: &Api<'_>) -> Vec<(String, Vec<i64>)> {
    let (_, hosts) = api.get("/api/hosts").await;
    let (_, ports) = api.get("/api/ports").await;
    let mut ports: Vec<Value> = ports.as_array().unwrap().clone();
    ports.sort_by_key(|p| (p["order"].as_i64().unwrap(), p["id"].as_i64().unwrap()));
    hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let a = h["address"].as_str().unwrap().to_string();
            let list = ports
                .iter()
                .filter(|p| p["ip_address"] == a.as_str())
                .map(|p| p["port_number"].as_i64().unwrap())
                .collect();
            (a, list)
        })
        .collect()
}

async fn panel(api: &Api<'_>, host: &str) -> Vec<i64> {
    layout(api)
        .await
        .into_iter()
        .find(|(a, _)| a == host)
        .map(|(_, l)| l)
        .unwrap_or_default()
}

async fn add(api: &Api<'_>, host: &str, port: i64, proto: &str) -> i64 {
    let (s, e) = api
        .post(
            "/api/ports",
            json!({"ip_address": host, "port_number": port, "port_protocol": proto, "description": format!("svc {port}")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    e["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_upgraded_database_keeps_its_hand_made_order_and_odd_rows_stay_editable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    LegacyDb::new().create(&path).await;
    // The Python Portall's own scheme: order = panel index × 1000 + place. The router panel was
    // dragged first, SSH below Samba; plus rows it let through: an address with a port, a
    // description over 100 characters, an empty nickname.
    let long = "Sehr lange Beschreibung — ".repeat(5);
    let mut conn = connect(&path).await;
    for (sql, _) in [
        ("UPDATE port SET \"order\" = 1000 + port_number WHERE ip_address = '192.168.1.20' AND port_number = 445", 0),
        ("UPDATE port SET \"order\" = 1999 WHERE ip_address = '192.168.1.20' AND port_number = 22", 0),
        ("UPDATE port SET \"order\" = 7 WHERE ip_address = '192.168.1.1' AND port_number = 8443", 0),
        ("UPDATE port SET \"order\" = 8 WHERE ip_address = '192.168.1.1' AND port_number = 53", 0),
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    sqlx::query("INSERT INTO port (id, ip_address, nickname, port_number, port_protocol, description, \"order\", source, is_immutable) VALUES (90, '10.0.0.9:8080', '', 8080, 'TCP', ?, 2000, 'manual', 0)")
        .bind(&long)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("UPDATE setting SET value = '2000' WHERE \"key\" = 'port_start'")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);

    let p = Portall::start_on(&path, &[]).await;
    let api = Api::new(&p);
    assert_eq!(
        layout(&api).await,
        vec![
            ("192.168.1.1".to_string(), vec![8443, 53]),
            ("192.168.1.20".to_string(), vec![445, 22]),
            ("10.0.0.9:8080".to_string(), vec![8080]),
        ]
    );
    // The server-rendered page shows the same order.
    let html = reqwest::get(p.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = |s: &str| {
        html.find(s)
            .unwrap_or_else(|| panic!("{s} not in the page"))
    };
    assert!(at("data-host=\"192.168.1.1\"") < at("data-host=\"192.168.1.20\""));
    assert!(at("data-host=\"192.168.1.20\"") < at("data-host=\"10.0.0.9:8080\""));
    assert!(at("data-port=\"8443\"") < at("data-port=\"53\""));
    assert!(at("data-port=\"445\"") < at("data-port=\"22\""));
    assert!(html.contains(&long[..40]), "shown as it is");
    // The generation settings kept their legacy values.
    let (_, s) = api.get("/api/settings/ports").await;
    assert_eq!(
        (s["port_start"].as_i64(), s["port_length"].as_str()),
        (Some(2000), Some("4"))
    );

    // The odd rows get a path: the edit says what to fix, the fix is accepted.
    let (s, e) = api.put("/api/ports/90", json!({"description": long})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&e), vec!["description", "ip_address"]);
    assert!(e["errors"]["ip_address"][0]
        .as_str()
        .unwrap()
        .contains("enter the address only (10.0.0.9)"));
    let (s, e) = api
        .put(
            "/api/hosts/10.0.0.9:8080",
            json!({"address": "10.0.0.9", "nickname": "box"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        (e["moved"].as_i64(), e["address"].as_str()),
        (Some(1), Some("10.0.0.9"))
    );
    let (s, e) = api
        .put("/api/ports/90", json!({"description": "Web"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        (e["ip_address"].as_str(), e["nickname"].as_str()),
        (Some("10.0.0.9"), Some("box"))
    );
    assert_eq!(
        layout(&api).await[2],
        ("10.0.0.9".to_string(), vec![8080]),
        "the panel kept its place"
    );
}

#[tokio::test]
async fn reordering_is_one_checked_request_and_new_entries_go_last() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let mut ids = Vec::new();
    for n in [10, 20, 30] {
        ids.push(add(&api, "192.0.2.1", n, "TCP").await);
    }
    let other = add(&api, "192.0.2.2", 40, "TCP").await;
    let (s, _) = api
        .put(
            "/api/hosts/192.0.2.1/order",
            json!({"port_ids": [ids[2], ids[0]]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        layout(&api).await[0].1,
        vec![30, 10, 20],
        "left-out entries follow"
    );
    for bad in [
        json!({"port_ids": [ids[0], other]}),
        json!({"port_ids": [ids[0], ids[0]]}),
        json!({"port_ids": "x"}),
    ] {
        let (s, e) = api.put("/api/hosts/192.0.2.1/order", bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(error_fields(&e), vec!["port_ids"]);
    }
    assert_eq!(layout(&api).await[0].1, vec![30, 10, 20], "nothing changed");
    let (s, _) = api
        .put("/api/hosts/192.0.2.9/order", json!({"port_ids": []}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, _) = api
        .put("/api/hosts/order", json!({"hosts": ["192.0.2.2"]}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = api
        .put("/api/hosts/order", json!({"hosts": ["192.0.2.7"]}))
        .await;
    assert_eq!(
        (s, error_fields(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["hosts".to_string()])
    );
    add(&api, "192.0.2.1", 5, "UDP").await;
    add(&api, "192.0.2.3", 1, "TCP").await;
    assert_eq!(
        layout(&api).await,
        vec![
            ("192.0.2.2".to_string(), vec![40]),
            ("192.0.2.1".to_string(), vec![30, 10, 20, 5]),
            ("192.0.2.3".to_string(), vec![1]),
        ],
        "a new entry goes last in its host, a new host last among the panels"
    );
}

#[tokio::test]
async fn a_sort_covers_every_entry_of_a_long_panel() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    // More entries than the page shows of one panel: the sort is the server's, over all of them.
    for n in (100..130).rev() {
        add(&api, "192.0.2.8", n, if n % 2 == 0 { "UDP" } else { "TCP" }).await;
    }
    let (s, _) = api
        .put("/api/hosts/192.0.2.8/order", json!({"sort": "number"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        panel(&api, "192.0.2.8").await,
        (100..130).collect::<Vec<i64>>()
    );
    let (s, _) = api
        .put(
            "/api/hosts/192.0.2.8/order",
            json!({"sort": "protocol", "descending": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let expected: Vec<i64> = (100..130)
        .rev()
        .filter(|n| n % 2 == 0)
        .chain((100..130).rev().filter(|n| n % 2 == 1))
        .collect();
    assert_eq!(
        panel(&api, "192.0.2.8").await,
        expected,
        "UDP first, each by number descending"
    );
    let (s, e) = api
        .put("/api/hosts/192.0.2.8/order", json!({"sort": "colour"}))
        .await;
    assert_eq!(
        (s, error_fields(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["sort".to_string()])
    );
    assert_eq!(panel(&api, "192.0.2.8").await, expected, "nothing changed");
}

#[tokio::test]
async fn moving_a_port_with_each_way_out_of_a_conflict() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let moving = add(&api, "192.0.2.1", 8080, "TCP").await;
    let there = add(&api, "192.0.2.2", 8080, "TCP").await;
    add(&api, "192.0.2.2", 8081, "TCP").await;
    add(&api, "192.0.2.2", 9000, "TCP").await;
    let (s, _) = api
        .put("/api/hosts/192.0.2.2", json!({"nickname": "target"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let path = format!("/api/ports/{moving}/move");

    let (s, c) = api.post(&path, json!({"ip_address": "192.0.2.2"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(c["conflict"]["id"], there);
    assert_eq!(c["suggested_port_number"], 8082, "8081 is taken too");
    // Bad input: 422, nothing moves.
    let (s, e) = api
        .post(&path, json!({"ip_address": "not a host", "port_number": 0}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&e), vec!["ip_address", "port_number"]);
    // The existing one cannot take a number that is taken either.
    let (s, c) = api
        .post(
            &path,
            json!({"ip_address": "192.0.2.2", "existing_port_number": 9000}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(c["conflict"]["port_number"], 9000);
    assert_eq!(
        layout(&api).await,
        vec![
            ("192.0.2.1".to_string(), vec![8080]),
            ("192.0.2.2".to_string(), vec![8080, 8081, 9000]),
        ],
        "nothing half-applied"
    );

    let (s, e) = api
        .post(
            &path,
            json!({"ip_address": "192.0.2.2", "port_number": 8082, "position": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        (e["port_number"].as_i64(), e["nickname"].as_str()),
        (Some(8082), Some("target"))
    );
    assert_eq!(panel(&api, "192.0.2.2").await, vec![8082, 8080, 8081, 9000]);

    let (s, e) = api
        .post(
            &path,
            json!({"ip_address": "192.0.2.1", "port_number": 8080}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (s, e) = api
        .post(
            &path,
            json!({"ip_address": "192.0.2.2", "existing_port_number": 8083}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (_, t) = api.get(&format!("/api/ports/{there}")).await;
    assert_eq!(t["port_number"], 8083);
    assert_eq!(panel(&api, "192.0.2.2").await, vec![8083, 8081, 9000, 8080]);
    // Same number, other protocol: no conflict.
    let udp = add(&api, "192.0.2.1", 8081, "UDP").await;
    let (s, _) = api
        .post(
            &format!("/api/ports/{udp}/move"),
            json!({"ip_address": "192.0.2.2"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = api
        .post("/api/ports/999/move", json!({"ip_address": "192.0.2.2"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hosts_with_discovered_entries_edit_and_delete_by_the_rules() {
    let mut c = Containers::new("hosts");
    let p = c.prefix.clone();
    let (live_port, stale_port) = (free_port(), free_port());
    c.run("live", &[&format!("{live_port}:80")], &[]);
    c.run("gone", &[&format!("{stale_port}:81")], &[]);
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let host = "192.0.2.150";
    let (_, inst) = api
        .post("/docker/instances", json!({"type": "docker", "name": "Engine", "auto_detect": false, "config": {"public_host": host}}))
        .await;
    let inst = inst["id"].as_i64().unwrap();
    assert_eq!(scan(&api, inst).await["ok"], true);
    c.stop("gone");
    assert_eq!(scan(&api, inst).await["ok"], true);
    let manual = add(&api, host, 1, "TCP").await;

    // Discovered entries cannot move; the dialog's rule holds in the API too.
    let (_, list) = api.get("/api/ports").await;
    let find = |port: u16| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["port_number"] == port && e["ip_address"] == host)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let live = find(live_port);
    let (s, e) = api
        .post(
            &format!("/api/ports/{live}/move"),
            json!({"ip_address": "192.0.2.151"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(e["error"].as_str().unwrap().contains("cannot move"), "{e}");
    // A manual entry in the way of a move cannot be renumbered if it is discovered.
    let other = add(&api, "192.0.2.152", live_port as i64, "TCP").await;
    let (s, e) = api
        .post(
            &format!("/api/ports/{other}/move"),
            json!({"ip_address": host, "existing_port_number": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("only the moving entry"),
        "{e}"
    );

    // A new address moves the manual entry only.
    let (s, e) = api
        .put(
            &format!("/api/hosts/{host}"),
            json!({"address": "192.0.2.151"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        (e["moved"].as_i64(), e["stayed"].as_i64().unwrap() >= 2),
        (Some(1), true)
    );
    let (_, m) = api.get(&format!("/api/ports/{manual}")).await;
    assert_eq!(m["ip_address"], "192.0.2.151");
    // Back, then merging needs confirming.
    let (s, e) = api
        .put("/api/hosts/192.0.2.151", json!({"address": host}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, e) = api
        .put(
            "/api/hosts/192.0.2.151",
            json!({"address": host, "merge": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");

    // Delete: the manual and the stale entry go, the live one stays and says who reports it.
    let (s, d) = api.delete(&format!("/api/hosts/{host}")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let kept: Vec<i64> = d["kept"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["description"].as_str().unwrap().contains(&p))
        .map(|k| k["port_number"].as_i64().unwrap())
        .collect();
    assert_eq!(kept, vec![live_port as i64]);
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("while Engine reports"),
        "{d}"
    );
    let (_, list) = api.get("/api/ports").await;
    let left: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ip_address"] == host)
        .map(|e| e["port_number"].as_i64().unwrap())
        .collect();
    assert!(left.contains(&(live_port as i64)));
    assert!(!left.contains(&(stale_port as i64)) && !left.contains(&1));

    // Hand-added hosts: empty panels that stay; a clash is a field error.
    let (s, h) = api
        .post(
            "/api/hosts",
            json!({"address": "192.0.2.160", "nickname": "Küche"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let (s, e) = api
        .post("/api/hosts", json!({"address": "192.0.2.160"}))
        .await;
    assert_eq!(
        (s, error_fields(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["address".to_string()]
        )
    );
    let (_, hosts) = api.get("/api/hosts").await;
    let last = hosts.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["address"].as_str(),
            last["ports"].as_i64(),
            last["nickname"].as_str()
        ),
        (Some("192.0.2.160"), Some(0), Some("Küche"))
    );
    let (s, _) = api.delete("/api/hosts/192.0.2.160").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = api.delete("/api/hosts/192.0.2.160").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn generation_honours_every_setting_and_says_why_nothing_is_free() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (_, d) = api.get("/api/settings/ports").await;
    assert_eq!(
        d,
        json!({"port_start": 1024, "port_end": 65535, "port_exclude": "", "port_length": "4", "copy_format": "port_only", "default_ip": ""})
    );
    for (bad, field) in [
        (
            json!({"port_start": 10000, "port_end": 20000}),
            "port_length",
        ),
        (json!({"port_start": 5000, "port_end": 4000}), "port_end"),
        (json!({"port_exclude": "80, 90-x"}), "port_exclude"),
        (json!({"copy_format": "html"}), "copy_format"),
        (json!({"default_ip": "bad host!"}), "default_ip"),
    ] {
        let (s, e) = api.put("/api/settings/ports", bad).await;
        assert_eq!(
            (s, error_fields(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_string()])
        );
    }
    let (_, same) = api.get("/api/settings/ports").await;
    assert_eq!(same, d, "nothing stored");

    // Uniform among the free: ten candidates minus an excluded range, over many draws.
    let (s, e) = api
        .put("/api/settings/ports", json!({"port_start": 3000, "port_end": 3011, "port_exclude": "3001-3002", "port_length": "any", "copy_format": "full_url"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let (s, g) = api
            .post("/api/ports/generate", json!({"ip_address": "192.0.2.40"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{g}");
        seen.insert(g["port_number"].as_i64().unwrap());
        assert_eq!(g["copy"], g["url"]);
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec![3000, 3003, 3004, 3005, 3006, 3007, 3008, 3009, 3010, 3011]
    );

    // Used: any protocol on that host counts. Bound on this machine: a real listener on loopback.
    let q = free_port() as i64;
    let (s, _) = api
        .put("/api/settings/ports", json!({"port_start": q, "port_end": q + 2, "port_exclude": format!("{}", q + 1), "port_length": "5"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    add(&api, "127.0.0.1", q, "UDP").await;
    let listener = std::net::TcpListener::bind(("127.0.0.1", (q + 2) as u16));
    if let Ok(listener) = listener {
        let (s, e) = api
            .post("/api/ports/generate", json!({"ip_address": "127.0.0.1"}))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        let msg = e["error"].as_str().unwrap();
        assert!(
            msg.contains("1 of 2 candidates")
                && msg.contains("1 are listening on this machine")
                && msg.contains("port_start/port_end"),
            "{msg}"
        );
        // Another host: the listener here does not matter.
        let (s, g) = api
            .post("/api/ports/generate", json!({"ip_address": "192.0.2.41"}))
            .await;
        let n = g["port_number"].as_i64().unwrap();
        assert!(s == StatusCode::OK && (n == q || n == q + 2), "{g}");
        drop(listener);
    }
    let (s, g) = api
        .post("/api/ports/generate", json!({"ip_address": "127.0.0.1", "protocol": "udp", "description": "Game server", "save": true}))
        .await;
    assert_eq!(
        (s, g["port_number"].as_i64()),
        (StatusCode::OK, Some(q + 2)),
        "{g}"
    );
    let (_, saved) = api.get(&format!("/api/ports/{}", g["id"])).await;
    assert_eq!(
        (saved["port_protocol"].as_str(), saved["source"].as_str()),
        (Some("UDP"), Some("manual"))
    );
    let (s, e) = api
        .post("/api/ports/generate", json!({"ip_address": "127.0.0.1"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["error"].as_str().unwrap().contains("2 of 2 candidates"),
        "{e}"
    );
    let (s, e) = api
        .post(
            "/api/ports/generate",
            json!({"ip_address": "", "save": true}),
        )
        .await;
    assert_eq!(
        (s, error_fields(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["description".to_string(), "ip_address".to_string()]
        )
    );
}

#[tokio::test]
async fn presets_are_served_with_their_ports() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, list) = api.get("/api/presets").await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 314);
    assert!(list
        .iter()
        .any(|a| a["name"] == "Jellyfin" && a["port"] == 8096));
    let html = reqwest::get(p.url("/ports")).await.unwrap();
    assert_eq!(
        html.url().path(),
        "/",
        "the old Ports address redirects home"
    );
}
