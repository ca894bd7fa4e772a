//! Tags and tagging rules through the REST API of the real binary: an upgraded database's tags, twins
//! and rules; tags on entries (manual and discovered by a real engine); every way rules run; templates;
//! the configuration's export and import; bad input changing nothing.

use crate::scan_docker::scan;
use crate::support::api::{error_fields, tag_names, Api};
use crate::support::docker::Containers;
use crate::support::legacy::{connect, LegacyDb};
use crate::support::portall::{free_port, Portall};
use reqwest::StatusCode;
use serde_json::json;

/// (address:port, [tag names]) of every entry, sorted.
async fn tagged(api: &Api<'_>) -> Vec<(String, Vec<String>)> {
    let (_, ports) = api.get("/api/ports").await;
    let mut out: Vec<(String, Vec<String>)> = ports
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                format!("{}:{}", p["ip_address"].as_str().unwrap(), p["port_number"]),
                tag_names(p),
            )
        })
        .collect();
    out.sort();
    out
}

async fn tags_of(api: &Api<'_>, key: &str) -> Vec<String> {
    tagged(api)
        .await
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("no entry {key}"))
}

async fn add_port(api: &Api<'_>, host: &str, port: i64, desc: &str) -> i64 {
    let (s, e) = api
        .post(
            "/api/ports",
            json!({"ip_address": host, "port_number": port, "port_protocol": "TCP", "description": desc}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    e["id"].as_i64().unwrap()
}

async fn add_tag(api: &Api<'_>, name: &str) -> i64 {
    let (s, t) = api.post("/api/tags", json!({"name": name})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_upgraded_database_shows_its_tags_on_the_right_entries_and_its_rules_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    LegacyDb::new().create(&path).await;
    // What the Python Portall leaves after a user tagged by hand, created a case twin, applied a
    // template and built a nested rule (port values as strings, as its builder stored them).
    let mut conn = connect(&path).await;
    sqlx::raw_sql(
        r##"INSERT INTO tag (id, name, color, description, created_at, updated_at) VALUES
               (3, 'monitoring', '#17a2b8', NULL, '2025-03-05 10:00:00', NULL),
               (4, 'Monitoring', '#6f42c1', 'Überwachung', '2025-03-05 10:01:00', NULL),
               (5, 'ssh', '#dc3545', 'Security template', '2025-03-06 09:00:00', NULL);
           INSERT INTO port_tag (id, port_id, tag_id, created_at) VALUES (3, 12, 3, NULL), (4, 13, 4, NULL), (5, 10, 5, NULL);
           INSERT INTO tagging_rule (id, name, description, enabled, auto_execute, priority, conditions, actions, created_at, updated_at, last_executed, execution_count, ports_affected) VALUES
             (2, 'SSH Services', 'from security_hardening', 1, 1, 100,
              '{"operator": "OR", "conditions": [{"type": "port_exact", "value": "22"}, {"type": "port_exact", "value": "2222"}]}',
              '[{"type": "add_tag", "tag_name": "ssh", "tag_color": "#dc3545"}]', '2025-03-06', NULL, NULL, 0, 0),
             (3, 'Büro-Dienste', 'nested', 1, 0, 5,
              '{"operator": "OR", "conditions": [{"type": "description_regex", "value": "samba|unifi"},
                 {"operator": "AND", "conditions": [{"type": "ip_cidr", "value": "192.168.1.0/24"}, {"type": "protocol", "value": "udp"}]}]}',
              '[{"type": "add_tag", "tag_name": "Monitoring", "tag_color": "#6f42c1"}]', '2025-03-07', NULL, NULL, 0, 0);"##,
    )
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);

    let portall = Portall::start_on(&path, &[]).await;
    let api = Api::new(&portall);
    let (_, tags) = api.get("/api/tags").await;
    let names: Vec<(&str, i64)> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["port_count"].as_i64().unwrap(),
            )
        })
        .collect();
    // Both twins stay, each with its own entries.
    assert_eq!(
        names,
        vec![
            ("infra", 2),
            ("media", 0),
            ("monitoring", 1),
            ("Monitoring", 1),
            ("ssh", 1)
        ]
    );
    assert_eq!(tags_of(&api, "192.168.1.20:22").await, vec!["infra", "ssh"]);
    assert_eq!(tags_of(&api, "192.168.1.1:53").await, vec!["monitoring"]);
    assert_eq!(tags_of(&api, "192.168.1.1:8443").await, vec!["Monitoring"]);

    // The rules read; port values come back as numbers; the unreadable legacy one says so.
    let (_, rules) = api.get("/api/rules").await;
    let rules = rules.as_array().unwrap();
    assert_eq!(
        rules
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1, 3],
        "priority order, then id"
    );
    assert_eq!(rules[0]["conditions"]["conditions"][0]["value"], json!(22));
    assert!(rules[0]["problem"].is_null());
    assert!(
        rules[1]["problem"]
            .as_str()
            .unwrap()
            .contains("cannot run until it is edited"),
        "{}",
        rules[1]
    );
    let (s, e) = api.post("/api/rules/1/run", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // The nested rule matches what the Python engine matched (Samba, UniFi by description) plus
    // the UDP entry on 192.168.1.0/24; it tags the exact twin it names.
    let (s, report) = api.post("/api/rules/3/run", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(
        report["ports_affected"], 2,
        "8443 had the tag already: {report}"
    );
    assert_eq!(
        tags_of(&api, "192.168.1.20:445").await,
        vec!["infra", "Monitoring"]
    );
    assert_eq!(
        tags_of(&api, "192.168.1.1:53").await,
        vec!["monitoring", "Monitoring"]
    );
    assert_eq!(tags_of(&api, "192.168.1.1:8443").await, vec!["Monitoring"]);
    assert_eq!(tags_of(&api, "192.168.1.20:22").await, vec!["infra", "ssh"]);
    let (_, log) = api.get("/api/rules/3/log").await;
    assert_eq!(log.as_array().unwrap().len(), 2, "{log}");
    assert_eq!(log[0]["tag"], "Monitoring");
    let (_, rule) = api.get("/api/rules/3").await;
    assert_eq!(
        (
            rule["execution_count"].as_i64(),
            rule["ports_affected"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert!(rule["last_executed"].is_string());

    // The template rule (auto-run) tags a new SSH entry as it is created.
    add_port(&api, "192.168.1.30", 2222, "SSH on the Pi").await;
    assert_eq!(tags_of(&api, "192.168.1.30:2222").await, vec!["ssh"]);
    // Editing the twin keeps its name; renaming it onto the other twin is refused.
    let (s, _) = api
        .put(
            "/api/tags/3",
            json!({"name": "monitoring", "color": "#00ff00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = api
        .put(
            "/api/tags/3",
            json!({"name": "MONITORING", "color": "#00ff00"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(error_fields(&e), vec!["name"]);
}

#[tokio::test]
async fn tags_on_entries_by_hand_in_bulk_and_through_deletion() {
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let a = add_port(&api, "10.0.0.5", 80, "web").await;
    let b = add_port(&api, "10.0.0.5", 443, "web tls").await;
    let web = add_tag(&api, "web").await;
    let (_, suggested) = api.post("/api/tags", json!({"name": "Backup"})).await;
    assert_ne!(
        suggested["color"],
        json!("#2563eb"),
        "a new tag gets a colour no tag uses yet"
    );
    let backup = suggested["id"].as_i64().unwrap();

    // Bad input: a twin name, a colour that is not one, a long description; nothing is stored.
    for (body, field) in [
        (json!({"name": "WEB"}), "name"),
        (json!({"name": "x", "color": "blue"}), "color"),
        (
            json!({"name": "y", "description": "d".repeat(201)}),
            "description",
        ),
    ] {
        let (s, e) = api.post("/api/tags", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(error_fields(&e), vec![field]);
    }
    assert_eq!(api.get("/api/tags").await.1.as_array().unwrap().len(), 2);

    let (s, t) = api
        .put(
            &format!("/api/ports/{a}/tags"),
            json!({"tag_ids": [web, backup]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t.as_array().unwrap().len(), 2);
    let (s, e) = api
        .put(
            &format!("/api/ports/{a}/tags"),
            json!({"tag_ids": [web, 999]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        tags_of(&api, "10.0.0.5:80").await,
        vec!["Backup", "web"],
        "a refused change changes nothing"
    );
    let (s, r) = api
        .post(
            "/api/ports/tags",
            json!({"port_ids": [a, b], "add": [web], "remove": [backup]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["added"].as_u64(), r["removed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(tags_of(&api, "10.0.0.5:443").await, vec!["web"]);
    let (s, _) = api
        .post(
            "/api/ports/tags",
            json!({"port_ids": [a, 12345], "add": [web]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Renaming a tag renames it in the rules that name it.
    let (_, rule) = api
        .post(
            "/api/rules",
            json!({"name": "web ports", "conditions": {"operator": "OR", "conditions": [
            {"type": "port_exact", "value": 80}, {"type": "tag_present", "value": "web"}]},
            "actions": [{"type": "add_tag", "tag_name": "web"}]}),
        )
        .await;
    let (s, _) = api
        .put(&format!("/api/tags/{web}"), json!({"name": "http"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, rule) = api.get(&format!("/api/rules/{}", rule["id"])).await;
    assert_eq!(rule["actions"][0]["tag_name"], "http");
    assert_eq!(rule["conditions"]["conditions"][1]["value"], "http");

    // Deleting an entry keeps the tag (only the assignment goes).
    assert_eq!(
        api.delete(&format!("/api/ports/{a}")).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, t) = api.get(&format!("/api/tags/{web}")).await;
    assert_eq!(t["port_count"], 1);
    // "Remove unused" removes Backup only; deleting a tag removes its assignments.
    let (_, d) = api.post("/api/tags/remove-unused", json!({})).await;
    assert_eq!(d["deleted"], json!(["Backup"]));
    assert_eq!(
        api.delete(&format!("/api/tags/{web}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(tags_of(&api, "10.0.0.5:443").await, Vec::<String>::new());
    let (x, y) = (add_tag(&api, "x").await, add_tag(&api, "y").await);
    let (_, d) = api.post("/api/tags/delete", json!({"ids": [x, y]})).await;
    assert_eq!(d["deleted"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(
        api.get(&format!("/api/tags/{x}")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn rules_preview_run_by_priority_log_and_refuse_bad_patterns() {
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    for (port, desc) in [
        (22, "SSH"),
        (5432, "Postgres"),
        (8080, "Grafana"),
        (9100, "node exporter"),
    ] {
        add_port(&api, "192.168.1.10", port, desc).await;
    }
    add_port(&api, "10.9.0.1", 22, "Jump host").await;

    // A bad pattern is a 422 naming its condition, and nothing is stored.
    let bad = json!({"name": "bad", "conditions": {"operator": "AND", "conditions": [
        {"type": "port_exact", "value": 22}, {"type": "description_regex", "value": "(ssh"}]},
        "actions": [{"type": "add_tag", "tag_name": "x"}]});
    let (s, e) = api.post("/api/rules", bad.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["errors"]["conditions.1"][0]
            .as_str()
            .unwrap()
            .contains("invalid pattern"),
        "{e}"
    );
    assert_eq!(
        api.post("/api/rules/preview", bad).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(api.get("/api/rules").await.1.as_array().unwrap().is_empty());

    // Preview: what it would tag, nothing saved, no tag created.
    let ssh_lan = json!({"name": "SSH on the LAN", "priority": 10, "conditions": {"operator": "AND", "conditions": [
        {"type": "port_list", "value": [22, 2222]}, {"type": "ip_cidr", "value": "192.168.0.0/16"}]},
        "actions": [{"type": "add_tag", "tag_name": "ssh", "tag_color": "#dc2626"}]});
    let (s, p) = api.post("/api/rules/preview", ssh_lan.clone()).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (
            p["port_ids"].as_array().unwrap().len(),
            p["would_change"].as_u64()
        ),
        (1, Some(1))
    );
    assert_eq!(p["ports"][0]["port_number"], 22);
    assert!(api.get("/api/tags").await.1.as_array().unwrap().is_empty());

    // Two rules: the lower-priority one sees the tag the higher one adds, and removes another.
    let (s, r1) = api.post("/api/rules", ssh_lan).await;
    assert_eq!(s, StatusCode::CREATED, "{r1}");
    let (_, r2) = api
        .post("/api/rules", json!({"name": "Secure what has ssh", "priority": 1,
            "conditions": {"type": "tag_present", "value": "SSH"},
            "actions": [{"type": "add_tag", "tag_name": "secure"}, {"type": "remove_tag", "tag_name": "todo"}]}))
        .await;
    let todo = add_tag(&api, "todo").await;
    let (_, all) = api.get("/api/ports").await;
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    api.post("/api/ports/tags", json!({"port_ids": ids, "add": [todo]}))
        .await;
    let (s, report) = api.post("/api/rules/run", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["rules"], 2);
    assert_eq!(report["tags_created"], json!(["ssh", "secure"]));
    assert_eq!(
        tags_of(&api, "192.168.1.10:22").await,
        vec!["secure", "ssh"]
    );
    assert_eq!(
        tags_of(&api, "10.9.0.1:22").await,
        vec!["todo"],
        "outside the CIDR"
    );
    assert_eq!(tags_of(&api, "192.168.1.10:5432").await, vec!["todo"]);
    let (_, log) = api.get(&format!("/api/rules/{}/log", r2["id"])).await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 2);
    assert!(
        actions.contains(&"remove_tag") && actions.contains(&"add_tag"),
        "{log}"
    );

    // A disabled rule stays out of "Run all" but "Run" runs it.
    let (s, _) = api
        .put(&format!("/api/rules/{}", r1["id"]), json!({"name": "SSH on the LAN", "enabled": false,
            "conditions": {"type": "port_exact", "value": 9100}, "actions": [{"type": "add_tag", "tag_name": "ssh"}]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    api.post("/api/rules/run", json!({})).await;
    assert_eq!(tags_of(&api, "192.168.1.10:9100").await, vec!["todo"]);
    api.post(&format!("/api/rules/{}/run", r1["id"]), json!({}))
        .await;
    assert_eq!(
        tags_of(&api, "192.168.1.10:9100").await,
        vec!["ssh", "todo"]
    );
    assert_eq!(
        api.delete(&format!("/api/rules/{}", r1["id"])).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get(&format!("/api/rules/{}/log", r1["id"])).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn templates_apply_once_and_the_configuration_travels() {
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let (_, templates) = api.get("/api/rule-templates").await;
    let count: usize = templates
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rules"].as_array().unwrap().len())
        .sum();
    assert_eq!((templates.as_array().unwrap().len(), count), (5, 33));
    let (s, a) = api
        .post("/api/rule-templates/security_hardening/apply", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["added"].as_array().unwrap().len(), 5);
    let (_, again) = api
        .post("/api/rule-templates/security_hardening/apply", json!({}))
        .await;
    assert_eq!(
        (
            again["added"].as_array().unwrap().len(),
            again["skipped"].as_array().unwrap().len()
        ),
        (0, 5)
    );
    assert!(
        again["message"].as_str().unwrap().contains("skipped"),
        "{again}"
    );
    assert_eq!(
        api.post("/api/rule-templates/nope/apply", json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Template rules auto-run: a new Postgres entry is tagged as a database.
    api.post("/api/rule-templates/application_detection/apply", json!({}))
        .await;
    add_port(&api, "10.0.0.7", 5432, "postgres for Immich").await;
    assert_eq!(
        tags_of(&api, "10.0.0.7:5432").await,
        vec!["database", "photos"]
    );

    // Export, then import into a fresh Portall: the same tags and rules.
    let (_, exported) = api.get("/api/tagging/export").await;
    assert_eq!(exported["version"], "1.0");
    let other = Portall::start().await;
    let api2 = Api::new(&other);
    let (s, r) = api2.post("/api/tagging/import", exported.clone()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["added"].as_array().unwrap().len(), 24);
    let (_, back) = api2.get("/api/tagging/export").await;
    assert_eq!(back["tags"], exported["tags"]);
    assert_eq!(back["rules"], exported["rules"]);

    // The Python Portall's export shape (string port values, a legacy list of conditions).
    let upstream = json!({
        "exported_at": "2025-03-08T12:00:00.123456", "version": "1.0",
        "tags": [{"name": "Media", "color": "#ff8800", "description": "Streaming"}, {"name": "database", "color": "#000000"}],
        "rules": [{"name": "Plex", "description": "", "enabled": true, "auto_execute": false, "priority": 0,
                   "conditions": [{"type": "port_exact", "value": "32400"}],
                   "actions": [{"type": "add_tag", "tag_name": "Media", "tag_color": "#ff8800"}]}],
        "templates": {}
    });
    let (s, r) = api.post("/api/tagging/import", upstream).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["tags_added"].clone(), r["tags_skipped"].clone()),
        (json!(["Media"]), json!(["database"]))
    );
    assert_eq!(r["added"], json!(["Plex"]));
    // A bad rule refuses the whole file, naming its place; nothing is stored.
    let (s, e) = api
        .post("/api/tagging/import", json!({"tags": [{"name": "new-one"}], "rules": [{"name": "x", "conditions": {"type": "port_exact", "value": "abc"}, "actions": [{"type": "add_tag", "tag_name": "t"}]}]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(error_fields(&e), vec!["rules.0.conditions"]);
    let (_, tags) = api.get("/api/tags").await;
    assert!(!tags
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "new-one"));
}

#[tokio::test]
async fn discovered_entries_are_tagged_by_auto_rules_and_keep_tags_through_stale_and_back() {
    let mut c = Containers::new("tags");
    let port = free_port();
    c.run("web", &[&format!("{port}:80")], &[]);
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let host = "192.0.2.160";
    let (_, rule) = api
        .post("/api/rules", json!({"name": "Discovered by Docker", "auto_execute": true,
            "conditions": {"operator": "AND", "conditions": [{"type": "source", "value": "docker"}, {"type": "port_exact", "value": port}]},
            "actions": [{"type": "add_tag", "tag_name": "container"}]}))
        .await;
    assert!(rule["id"].is_i64(), "{rule}");
    let (_, inst) = api
        .post("/docker/instances", json!({"type": "docker", "name": "Engine", "auto_detect": false, "config": {"public_host": host}}))
        .await;
    let inst = inst["id"].as_i64().unwrap();
    assert_eq!(scan(&api, inst).await["ok"], true);
    let key = format!("{host}:{port}");
    assert_eq!(
        tags_of(&api, &key).await,
        vec!["container"],
        "tagged in the scan that found it"
    );
    // A tag by hand on the discovered entry; it stays through stale and back.
    let hand = add_tag(&api, "mine").await;
    let (_, ports) = api.get("/api/ports").await;
    let id = ports
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port_number"] == port)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, _) = api
        .put(&format!("/api/ports/{id}/tags"), json!({"tag_ids": [hand]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    c.stop("web");
    scan(&api, inst).await;
    assert_eq!(tags_of(&api, &key).await, vec!["mine"]);
    c.start("web");
    scan(&api, inst).await;
    // Back: the auto rule tags it again (it arrived again), the hand tag is still there.
    assert_eq!(tags_of(&api, &key).await, vec!["container", "mine"]);
}

#[tokio::test]
async fn a_rules_log_keeps_its_newest_thousand_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    let portall = Portall::start_on(&path, &[]).await;
    let api = Api::new(&portall);
    let port = add_port(&api, "10.0.0.9", 25, "mail").await;
    let (_, rule) = api
        .post(
            "/api/rules",
            json!({"name": "mail", "conditions": {"type": "port_exact", "value": 25},
            "actions": [{"type": "add_tag", "tag_name": "mail"}]}),
        )
        .await;
    let id = rule["id"].as_i64().unwrap();
    // 1100 older lines, as a long-lived rule collects them.
    let mut conn = connect(&path).await;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)
         INSERT INTO rule_execution_log (rule_id, port_id, action_type, tag_id, executed_at, success)
         SELECT ?, ?, 'add_tag', 999, '2025-01-01 00:00:00', 1 FROM n",
    )
    .bind(id)
    .bind(port)
    .execute(&mut conn)
    .await
    .unwrap();
    let (s, _) = api.post(&format!("/api/rules/{id}/run"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM rule_execution_log WHERE rule_id = ?")
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(count, 1000);
    let (_, log) = api.get(&format!("/api/rules/{id}/log")).await;
    assert_eq!(
        log.as_array().unwrap().len(),
        100,
        "the page shows the newest 100"
    );
    assert_eq!(log[0]["tag"], "mail", "the newest line is this run's");
}
