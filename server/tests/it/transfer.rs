//! Import, export, backup, purge and appearance through the REST API of the real binary: dry runs
//! store nothing, a file that cannot be read changes nothing, an export imports back to the same list,
//! exports carry no secrets, a backup is a database, and the theme and custom CSS reach every page
//! without JavaScript.

use crate::support::api::{error_fields, tag_names, Api};
use crate::support::portall::Portall;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// (address, port, protocol, description, order, source, [tags]) of one entry.
type Row = (String, i64, String, String, i64, String, Vec<String>);

/// Every entry, in list order.
async fn listing(api: &Api<'_>) -> Vec<Row> {
    let (_, ports) = api.get("/api/ports").await;
    ports
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ip_address"].as_str().unwrap().to_string(),
                p["port_number"].as_i64().unwrap(),
                p["port_protocol"].as_str().unwrap().to_string(),
                p["description"].as_str().unwrap().to_string(),
                p["order"].as_i64().unwrap(),
                p["source"].as_str().unwrap().to_string(),
                tag_names(p),
            )
        })
        .collect()
}

const COMPOSE: &str = "services:\n    web:\n        image: nginx\n        ports:\n            - \"8080:80\"\n            - 127.0.0.1:8443:443\n            - \"6000-6001:6000-6001/udp\"\n            - 9000\n    dns:\n        image: coredns\n        ports:\n            - target: 53\n              published: \"${DNS_PORT:-53}\"\n              protocol: udp\n";

#[tokio::test]
async fn compose_preview_then_import_then_again_skips() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    // An auto-run rule tags what the import brings.
    let (s, _) = api
        .post(
            "/api/rules",
            json!({"name": "dns", "auto_execute": true, "conditions": {"type": "port_exact", "value": 53},
                   "actions": [{"type": "add_tag", "tag_name": "dns"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let body =
        json!({"format": "compose", "content": COMPOSE, "host": "10.0.0.5", "dry_run": true});
    let (s, preview) = api.post("/api/import", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    let added: Vec<(String, i64, String)> = preview["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["ip_address"].as_str().unwrap().to_string(),
                e["port_number"].as_i64().unwrap(),
                e["port_protocol"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        added,
        vec![
            ("10.0.0.5".into(), 8080, "TCP".into()),
            ("127.0.0.1".into(), 8443, "TCP".into()),
            ("10.0.0.5".into(), 6000, "UDP".into()),
            ("10.0.0.5".into(), 6001, "UDP".into()),
            ("10.0.0.5".into(), 53, "UDP".into()),
        ]
    );
    let errors = preview["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{preview}");
    assert_eq!(errors[0]["line"], 8);
    assert!(listing(&api).await.is_empty(), "a dry run stores nothing");

    let mut real = body.clone();
    real["dry_run"] = json!(false);
    let (s, report) = api.post("/api/import", real.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["added"].as_array().unwrap().len(), 5);
    assert_eq!(
        report["message"],
        "Added 5 entries, skipped 0 already present, 1 not understood"
    );
    let list = listing(&api).await;
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|e| e.5 == "import"), "{list:?}");
    let dns = list.iter().find(|e| e.1 == 53).unwrap();
    assert_eq!(
        dns.6,
        vec!["dns".to_string()],
        "the auto-run rule tagged it"
    );

    let (s, again) = api.post("/api/import", real).await;
    assert_eq!(s, StatusCode::OK);
    assert!(again["added"].as_array().unwrap().is_empty());
    assert_eq!(again["skipped"].as_array().unwrap().len(), 5);
    assert!(again["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("already in the list"));
    assert_eq!(listing(&api).await.len(), 5);
}

#[tokio::test]
async fn unreadable_files_are_one_clear_error_and_change_nothing() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    for (format, content, needle) in [
        (
            "compose",
            "services:\n  web:\n    ports:\n      - \"80:80\n",
            "line ",
        ),
        ("caddyfile", "a.com {\n  reverse_proxy b:1\n", "line 1"),
        ("json", "{\"ports\": [", "line 1"),
        (
            "caddyfile",
            "a.example.com {\n  respond \"hi\"\n}\n",
            "no ports found",
        ),
    ] {
        let (s, e) = api
            .post("/api/import", json!({"format": format, "content": content}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{format}: {e}");
        assert_eq!(error_fields(&e), vec!["content"]);
        let message = e["errors"]["content"][0].as_str().unwrap();
        assert!(message.contains(needle), "{format}: {message}");
    }
    let (s, e) = api
        .post(
            "/api/import",
            json!({"format": "yaml", "content": "x", "host": "not a host!"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&e), vec!["format", "host"]);
    let big = "#".repeat(1024 * 1024 + 1);
    let (s, e) = api
        .post(
            "/api/import",
            json!({"format": "caddyfile", "content": big}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(listing(&api).await.is_empty());
}

#[tokio::test]
async fn export_purge_import_restores_the_list_and_exports_carry_no_secret() {
    let p = Portall::start_with(&[("PORTALL_NO_SCAN", "1")]).await;
    let api = Api::new(&p);
    for (host, port, desc) in [
        ("10.0.0.9", 22, "SSH"),
        ("10.0.0.9", 8096, "Jellyfin — médias"),
        ("10.0.0.9", 443, "=HYPERLINK(\"x\")"),
        ("nas.lan", 5000, "DSM"),
    ] {
        let (s, e) = api
            .post(
                "/api/ports",
                json!({"ip_address": host, "port_number": port, "description": desc}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
    }
    // A custom order and tags.
    let ids: Vec<i64> = api
        .get("/api/ports")
        .await
        .1
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ip_address"] == "10.0.0.9")
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    let (s, _) = api
        .put(
            "/api/hosts/10.0.0.9/order",
            json!({"port_ids": [ids[2], ids[0], ids[1]]}),
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (_, tag) = api
        .post("/api/tags", json!({"name": "Média", "color": "#123456"}))
        .await;
    api.put(
        &format!("/api/ports/{}/tags", ids[1]),
        json!({"tag_ids": [tag["id"]]}),
    )
    .await;
    let (s, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "portainer", "name": "Edge", "enabled": false,
                   "config": {"url": "https://127.0.0.1:9443", "api_key": "ptr_SECRET_value_123"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    let before = listing(&api).await;

    let resp = api
        .raw(Method::GET, "/api/export?format=json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"portall-export-")
            && disposition.ends_with(".json\""),
        "{disposition}"
    );
    let text = resp.text().await.unwrap();
    assert!(
        !text.contains("ptr_SECRET_value_123"),
        "the export holds a secret"
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["integrations"][0]["config"]["api_key_set"], true);
    assert_eq!(doc["format"], "portall");

    let csv = api
        .raw(Method::GET, "/api/export?format=csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("ip_address,port_number,port_protocol,description"));
    assert!(csv.contains("'=HYPERLINK"), "a formula is defused: {csv}");

    let (s, e) = api.post("/api/purge", json!({"confirm": "yes"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&e), vec!["confirm"]);
    assert_eq!(listing(&api).await.len(), 4);
    let (s, r) = api.post("/api/purge", json!({"confirm": "purge"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["deleted"], 4);
    assert!(listing(&api).await.is_empty());
    assert_eq!(
        api.get("/api/tags").await.1.as_array().unwrap().len(),
        1,
        "tags stay"
    );

    let (s, r) = api
        .post("/api/import", json!({"format": "json", "content": text}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let after = listing(&api).await;
    let strip = |l: &[Row]| {
        l.iter()
            .map(|e| (e.0.clone(), e.1, e.2.clone(), e.3.clone(), e.4, e.6.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(&after),
        strip(&before),
        "same entries, order and tags"
    );
    assert!(after.iter().all(|e| e.5 == "import"));

    // And the CSV export imports back too (every entry is present now: all skipped).
    let (s, r) = api
        .post("/api/import", json!({"format": "csv", "content": csv}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["skipped"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn upstreams_v3_export_imports_with_its_tags() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let v3 = json!({
        "exported_at": "2025-03-01T10:00:00", "version": "3.0",
        "ports": [
            {"ip_address": "192.168.1.10", "nickname": "nas", "port_number": 8989, "description": "Sonarr",
             "port_protocol": "TCP", "order": 0, "tags": [{"id": 3, "name": "media", "color": "#e11d48", "description": null}]},
            {"ip_address": "192.168.1.10", "nickname": "nas", "port_number": 7878, "description": "Radarr",
             "port_protocol": "TCP", "order": 1, "tags": []}
        ],
        "tags": [{"id": 3, "name": "media", "color": "#e11d48", "description": "Media apps"}],
        "tagging_rules": [],
        "general_settings": {"default_ip": "192.168.1.10", "theme": "dark", "custom_css": ""},
        "portainer": {"enabled": true, "url": "https://p:9443", "api_key": "ptr_plain_text"}
    });
    let (s, r) = api
        .post(
            "/api/import",
            json!({"format": "json", "content": v3.to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["tags_added"], json!(["media"]));
    let list = listing(&api).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].3, "Sonarr");
    assert_eq!(list[0].6, vec!["media".to_string()]);
    let (_, tags) = api.get("/api/tags").await;
    assert_eq!(tags[0]["color"], "#e11d48");
}

#[tokio::test]
async fn backup_is_a_consistent_database_file() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    api.post(
        "/api/ports",
        json!({"ip_address": "10.1.1.1", "port_number": 81, "description": "x"}),
    )
    .await;
    let resp = api.raw(Method::GET, "/api/backup").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("portall-"));
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    std::fs::write(&copy, &bytes).unwrap();
    let mut conn = crate::support::legacy::connect(&copy).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM port WHERE port_number = 81")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
    // Nothing is left next to the database.
    let leftovers: Vec<_> = std::fs::read_dir(p.db_path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".portall-backup")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    for old in ["portall-20200101T000000Z.db", "portall-20200102T000000Z.db"] {
        std::fs::write(backups.join(old), b"old").unwrap();
    }
    std::fs::write(backups.join("notes.txt"), b"mine").unwrap();
    let p = Portall::start_on(
        &dir.path().join("portall.db"),
        &[
            ("PORTALL_AUTH", "none"),
            ("PORTALL_BACKUP_DIR", backups.to_str().unwrap()),
            ("PORTALL_BACKUP_KEEP", "2"),
        ],
    )
    .await;
    let mut names = Vec::new();
    for _ in 0..50 {
        names = std::fs::read_dir(&backups)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect::<Vec<_>>();
        names.sort();
        if names.len() == 3 && !names.contains(&"portall-20200101T000000Z.db".to_string()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "notes.txt");
    assert_eq!(names[1], "portall-20200102T000000Z.db");
    assert!(names[2].starts_with("portall-20"));
    drop(p);
}

#[tokio::test]
async fn theme_and_custom_css_reach_every_page_without_javascript() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let page = |path: &'static str| {
        let api = &api;
        async move {
            api.raw(Method::GET, path)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(page("/").await.contains("data-theme=\"system\""));
    assert!(!page("/").await.contains("/custom.css"));

    let css = "body { outline: 3px solid hotpink; } /* </style><script>alert(1)</script> */";
    let (s, a) = api
        .put(
            "/api/settings/appearance",
            json!({"theme": "dark", "custom_css": css}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    for path in ["/", "/tags", "/settings", "/new"] {
        let html = page(path).await;
        assert!(html.contains("data-theme=\"dark\""), "{path}");
        assert!(
            html.contains("<meta name=\"color-scheme\" content=\"dark\""),
            "{path}"
        );
        assert!(html.contains("href=\"/custom.css?v="), "{path}");
        assert!(
            !html.contains("alert(1)"),
            "{path}: the CSS stays out of the page"
        );
    }
    let resp = api.raw(Method::GET, "/custom.css").send().await.unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(resp.text().await.unwrap(), css);

    let (s, e) = api
        .put(
            "/api/settings/appearance",
            json!({"theme": "sepia", "custom_css": "x".repeat(70_000)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&e), vec!["custom_css", "theme"]);
    assert_eq!(api.get("/api/settings/appearance").await.1["theme"], "dark");
}

#[tokio::test]
async fn an_upgraded_databases_theme_and_custom_css_take_effect() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portall.db");
    crate::support::legacy::LegacyDb::new()
        .set("theme", "dark")
        .set("custom_css", ".navbar { background: #102030; }")
        .create(&db)
        .await;
    let p = Portall::start_on(&db, &[("PORTALL_AUTH", "none")]).await;
    let api = Api::new(&p);
    let html = api
        .raw(Method::GET, "/tags")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-theme=\"dark\""));
    assert!(html.contains("/custom.css?v="));
    let (_, a) = api.get("/api/settings/appearance").await;
    assert_eq!(
        a,
        json!({"theme": "dark", "custom_css": ".navbar { background: #102030; }"})
    );

    // A new database follows the system.
    let fresh = Portall::start().await;
    let (_, a) = Api::new(&fresh).get("/api/settings/appearance").await;
    assert_eq!(a["theme"], "system");
}
