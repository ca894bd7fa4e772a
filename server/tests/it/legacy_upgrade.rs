//! Upgrading legacy Portall databases in place: mapping, byte-exact preservation, idempotence, rollback.

use crate::support::legacy::{connect, dump_tables, legacy_columns, LegacyDb};
use crate::support::portall::{run_expecting_exit, Portall};
use app::db::legacy::{upgrade_if_legacy, DbKind};
use serde_json::{json, Value};
use sqlx::{Connection, Row};
use std::path::{Path, PathBuf};

struct Instance {
    name: String,
    kind: String,
    enabled: bool,
    auto_detect: bool,
    scan_interval: i64,
    config: Value,
}

async fn instances(path: &Path) -> Vec<Instance> {
    let mut conn = connect(path).await;
    sqlx::query("SELECT name, type, enabled, auto_detect, scan_interval, config FROM docker_instance ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| Instance {
            name: r.get(0),
            kind: r.get(1),
            enabled: r.get(2),
            auto_detect: r.get(3),
            scan_interval: r.get(4),
            config: serde_json::from_str(&r.get::<String, _>(5)).unwrap(),
        })
        .collect()
}

async fn scalar(path: &Path, sql: &'static str) -> i64 {
    let mut conn = connect(path).await;
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pre-upgrade-"))
        .collect();
    v.sort();
    v
}

/// Upgrades `db` in a temp folder; asserts every legacy row survived byte for byte.
async fn upgrade(db: LegacyDb) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    db.create(&path).await;
    let cols = legacy_columns(&path).await;
    let before = dump_tables(&path, &cols).await;
    let report = upgrade_if_legacy(&path)
        .await
        .unwrap()
        .expect("a legacy database is upgraded");
    assert!(report.backup.exists());
    assert_eq!(
        dump_tables(&path, &cols).await,
        before,
        "legacy rows changed"
    );
    assert_eq!(
        dump_tables(&report.backup, &cols).await,
        before,
        "backup differs"
    );
    // The normal start-up path accepts the result (migration history and checksums match).
    let pool = app::db::open(&path).await.unwrap();
    pool.close().await;
    (dir, path)
}

#[tokio::test]
async fn all_three_integrations_map_to_default_instances() {
    let (_dir, path) = upgrade(LegacyDb::all_integrations()).await;
    let list = instances(&path).await;
    let names: Vec<(&str, &str)> = list
        .iter()
        .map(|i| (i.name.as_str(), i.kind.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Default Docker", "docker"),
            ("Default Portainer", "portainer"),
            ("Default Komodo", "komodo")
        ]
    );
    let (d, p, k) = (&list[0], &list[1], &list[2]);
    assert!(d.enabled && d.auto_detect && d.scan_interval == 600);
    assert_eq!(d.config["host"], json!("tcp://192.168.1.20:2375"));
    assert_eq!(d.config["timeout"], json!(30));
    assert!(p.enabled && p.auto_detect && p.scan_interval == 900);
    assert_eq!(p.config["url"], json!("https://portainer.home.lan:9443"));
    assert_eq!(p.config["api_key"], json!("ptr_SECRETKEY123"));
    assert_eq!(p.config["verify_ssl"], json!(false));
    assert!(k.enabled && !k.auto_detect && k.scan_interval == 3600);
    assert_eq!(k.config["url"], json!("http://komodo.home.lan:9120"));
    assert_eq!(k.config["api_key"], json!("K-key-abc"));
    assert_eq!(k.config["api_secret"], json!("S-secret-xyz"));

    assert_eq!(
        scalar(
            &path,
            "SELECT COUNT(*) FROM docker_service WHERE instance_id IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&path, "SELECT COUNT(*) FROM docker_service s JOIN docker_instance i ON i.id = s.instance_id WHERE i.name = 'Default Docker'").await,
        2
    );
    // Each discovered entry is attributed to its source's instance; manual ones to none.
    let mut conn = connect(&path).await;
    let rows: Vec<(String, String)> = sqlx::query(
        "SELECT p.source, i.type FROM port_discovery d JOIN port p ON p.id = d.port_id JOIN docker_instance i ON i.id = d.instance_id ORDER BY p.id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|(s, t)| s == t), "{rows:?}");
    // The legacy keys stay for the compatibility layer.
    assert_eq!(
        scalar(
            &path,
            "SELECT COUNT(*) FROM setting WHERE \"key\" LIKE 'portainer_%'"
        )
        .await,
        6
    );
}

#[tokio::test]
async fn docker_only() {
    let (_dir, path) = upgrade(LegacyDb::new().set("docker_enabled", "true")).await;
    let list = instances(&path).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Default Docker");
    assert_eq!(list[0].config["host"], json!("unix:///var/run/docker.sock"));
    assert!(list[0].enabled && !list[0].auto_detect);
    assert_eq!(list[0].scan_interval, 300);
}

#[tokio::test]
async fn manual_ports_only_creates_no_instance() {
    let (_dir, path) = upgrade(LegacyDb::new()).await;
    assert!(instances(&path).await.is_empty());
    assert_eq!(scalar(&path, "SELECT COUNT(*) FROM port").await, 4);
    assert_eq!(
        scalar(&path, "SELECT COUNT(*) FROM _sqlx_migrations").await,
        7
    );
}

#[tokio::test]
async fn services_while_docker_disabled_get_a_disabled_default_docker() {
    let mut db = LegacyDb::new();
    db.services = true;
    let (_dir, path) = upgrade(db).await;
    let list = instances(&path).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Default Docker");
    assert!(!list[0].enabled, "disabled, as the legacy setting said");
    assert_eq!(
        scalar(
            &path,
            "SELECT COUNT(*) FROM docker_service WHERE instance_id IS NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn odd_intervals_fall_back_to_300_or_clamp() {
    for (raw, expected) in [
        ("", 300),
        ("abc", 300),
        ("-5", 300),
        ("0", 300),
        ("30", 60),
        ("999999", 86400),
        (" 120 ", 120),
    ] {
        let (_dir, path) = upgrade(
            LegacyDb::new()
                .set("docker_enabled", "true")
                .set("docker_scan_interval", raw),
        )
        .await;
        assert_eq!(
            instances(&path).await[0].scan_interval,
            expected,
            "interval {raw:?}"
        );
    }
}

#[tokio::test]
async fn running_again_is_a_no_op_and_fresh_databases_get_no_instances() {
    let (dir, path) = upgrade(LegacyDb::all_integrations()).await;
    let bytes = std::fs::read(&path).unwrap();
    assert!(upgrade_if_legacy(&path).await.unwrap().is_none());
    let pool = app::db::open(&path).await.unwrap();
    pool.close().await;
    assert_eq!(backups(dir.path()).len(), 1, "no second backup");
    assert_eq!(instances(&path).await.len(), 3);
    assert_eq!(std::fs::read(&path).unwrap().len(), bytes.len());

    let fresh = dir.path().join("fresh.db");
    let pool = app::db::open(&fresh).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        app::db::legacy::detect(&mut conn).await.unwrap(),
        DbKind::Current
    );
    drop(conn);
    pool.close().await;
    assert!(instances(&fresh).await.is_empty());
    assert_eq!(
        scalar(&fresh, "SELECT COUNT(*) FROM setting").await,
        32,
        "legacy default settings"
    );
}

#[tokio::test]
async fn fresh_and_upgraded_databases_have_the_same_schema() {
    let (dir, upgraded) = upgrade(LegacyDb::all_integrations()).await;
    let fresh = dir.path().join("fresh.db");
    app::db::open(&fresh).await.unwrap().close().await;
    assert_eq!(schema(&fresh).await, schema(&upgraded).await);
}

/// Every table, index and trigger with its SQL.
async fn schema(p: &Path) -> Vec<String> {
    let mut conn = connect(p).await;
    sqlx::query("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {:?}", r.get::<String, _>(0), r.get::<String, _>(1), r.get::<Option<String>, _>(2)))
        .collect()
}

/// A legacy database with a trigger that aborts the upgrade half-way (while linking services).
async fn failing_legacy_db(path: &Path) {
    let mut db = LegacyDb::all_integrations();
    db.services = true;
    db.create(path).await;
    let mut conn = connect(path).await;
    sqlx::raw_sql("CREATE TRIGGER block_link BEFORE UPDATE ON docker_service BEGIN SELECT RAISE(ABORT, 'injected failure'); END;")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_failure_mid_upgrade_leaves_the_file_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    failing_legacy_db(&path).await;
    let before = std::fs::read(&path).unwrap();
    let err = upgrade_if_legacy(&path).await.unwrap_err();
    assert!(err.reason.contains("injected failure"), "{}", err.reason);
    let backup = err.backup.expect("backup made first");
    assert!(backup.exists());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "database file changed"
    );
    assert!(!dir.path().join("portall.db-journal").exists());
    assert_eq!(backups(dir.path()), vec![backup.clone()]);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup holds keys: owner only");
    }

    // A restart loop: every attempt fails the same way and reuses the one backup.
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // a new timestamp
        let again = upgrade_if_legacy(&path).await.unwrap_err();
        assert_eq!(again.backup.as_ref(), Some(&backup));
    }
    assert_eq!(backups(dir.path()), vec![backup], "no new copy per attempt");
}

#[tokio::test]
async fn the_binary_refuses_to_start_on_a_failed_upgrade_and_names_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    failing_legacy_db(&path).await;
    let before = std::fs::read(&path).unwrap();
    let url = format!("sqlite://{}", path.display());
    let (code, stderr) = run_expecting_exit(&[], &[("DATABASE_URL", &url), ("PORT", "1")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("legacy database upgrade failed") && stderr.contains("injected failure"),
        "{stderr}"
    );
    assert!(stderr.contains(".pre-upgrade-"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test]
async fn the_binary_upgrades_and_serves_a_legacy_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    LegacyDb::all_integrations().create(&path).await;
    let p = Portall::start_on(&path, &[]).await;
    let html = reqwest::get(p.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Samba — Dateifreigabe für Büro"),
        "legacy ports are served"
    );
    assert!(p.log().contains("backup written before upgrading"));
    assert!(
        !p.log().contains("ptr_SECRETKEY123"),
        "no secret in the log"
    );
}

#[tokio::test]
async fn a_foreign_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    sqlx::raw_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let err = upgrade_if_legacy(&path).await.unwrap_err();
    assert!(
        err.reason.contains("not a Portall database") && err.reason.contains("invoices"),
        "{}",
        err.reason
    );
    assert!(err.backup.is_none());
}

/// The statements of a schema file, without comments and blank lines.
fn statements(sql: &str) -> Vec<String> {
    sql.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim_start().starts_with("--") && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_test_copy_of_the_legacy_schema_is_migration_0001() {
    let fixture = statements(crate::support::legacy::SCHEMA);
    let migration = statements(include_str!("../../../migrations/0001_legacy_schema.sql"));
    assert!(
        migration.len() > fixture.len() && migration[..fixture.len()] == fixture[..],
        "migrations/0001 must begin with the legacy schema the tests build databases from"
    );
    // The rest inserts exactly the default settings the legacy app inserted.
    let inserted: std::collections::BTreeMap<String, String> = migration[fixture.len()..]
        .iter()
        .filter_map(|l| {
            let l = l.trim().trim_end_matches([',', ';']);
            let (k, v) = l
                .strip_prefix("('")?
                .strip_suffix("')")?
                .split_once("', '")?;
            Some((k.to_string(), v.to_string()))
        })
        .collect();
    assert_eq!(inserted, crate::support::legacy::default_settings());
}

/// The Python Portall's unreleased multi-instance branch added its own `docker_instance` table and
/// `docker_service.instance_id` (SQLAlchemy's DDL for its `DockerInstance` model).
const BRANCH_SCHEMA: &str = "CREATE TABLE docker_instance (
	id INTEGER NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	type VARCHAR(9) NOT NULL, 
	enabled BOOLEAN, 
	auto_detect BOOLEAN, 
	scan_interval INTEGER, 
	config JSON NOT NULL, 
	created_at DATETIME, 
	updated_at DATETIME, 
	PRIMARY KEY (id)
);
ALTER TABLE docker_service ADD COLUMN instance_id INTEGER REFERENCES docker_instance (id);
INSERT INTO docker_instance VALUES
  (1, 'Default Docker', 'docker', 1, 1, 300, '{\"host\": \"unix:///var/run/docker.sock\", \"timeout\": 30}', '2025-05-01 10:00:00', NULL),
  (2, 'Büro über SSH', 'docker', 1, 0, 600, '{\"host\": \"ssh://admin@192.168.1.30\", \"timeout\": 30}', '2025-05-01 10:00:00', NULL),
  (3, 'Default Portainer', 'portainer', 1, 1, 900, '{\"url\": \"https://portainer.home.lan:9443\", \"api_key\": \"ptr_BRANCHKEY\", \"verify_ssl\": false}', '2025-05-01 10:00:00', NULL),
  (4, 'Komodo Lab', 'komodo', 0, 1, 3600, '{\"url\": \"http://komodo.lab:9120\", \"api_key\": \"K-1\", \"api_secret\": \"S-1\"}', '2025-05-01 10:00:00', NULL);
";

#[tokio::test]
async fn a_multi_instance_branch_database_keeps_its_instances() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portall.db");
    LegacyDb::all_integrations().create(&path).await;
    {
        let mut conn = connect(&path).await;
        sqlx::raw_sql(BRANCH_SCHEMA)
            .execute(&mut conn)
            .await
            .unwrap();
        // The first container belongs to the SSH host, the others to the local engine.
        sqlx::raw_sql(
            "UPDATE docker_service SET instance_id = CASE WHEN id = (SELECT MIN(id) FROM docker_service) THEN 2 ELSE 1 END",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let mut cols = legacy_columns(&path).await;
    // The branch's column is not a legacy one: the upgrade gives it new values.
    cols.get_mut("docker_service")
        .unwrap()
        .retain(|c| c != "instance_id");
    let before = dump_tables(&path, &cols).await;
    let services: i64 = scalar(&path, "SELECT COUNT(*) FROM docker_service").await;
    assert!(services >= 2, "the legacy fixture has containers");

    let report = upgrade_if_legacy(&path)
        .await
        .unwrap()
        .expect("a branch database is upgraded, not refused");
    assert_eq!(
        dump_tables(&path, &cols).await,
        before,
        "legacy rows changed"
    );
    assert_eq!(report.services_linked, services);

    let list = instances(&path).await;
    let names: Vec<(&str, &str, bool)> = list
        .iter()
        .map(|i| (i.name.as_str(), i.kind.as_str(), i.enabled))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Default Docker", "docker", true),
            ("Büro über SSH", "docker", false),
            ("Default Portainer", "portainer", true),
            ("Komodo Lab", "komodo", false),
        ],
        "the branch's instances, no second set of defaults"
    );
    assert_eq!(list[0].config["host"], json!("unix:///var/run/docker.sock"));
    assert_eq!(list[2].config["api_key"], json!("ptr_BRANCHKEY"));
    assert_eq!(list[2].config["verify_ssl"], json!(false));
    assert_eq!(list[2].scan_interval, 900);
    assert_eq!(list[3].config["api_secret"], json!("S-1"));
    let mut conn = connect(&path).await;
    let note: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM docker_instance WHERE name = 'Büro über SSH'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(note.unwrap().contains("SSH"));
    let per_instance: Vec<(String, i64)> = sqlx::query_as(
        "SELECT i.name, COUNT(s.id) FROM docker_instance i LEFT JOIN docker_service s ON s.instance_id = i.id GROUP BY i.id ORDER BY i.id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(per_instance[0], ("Default Docker".into(), services - 1));
    assert_eq!(per_instance[1], ("Büro über SSH".into(), 1));
    let linked: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT p.source, i.name FROM port_discovery d JOIN port p ON p.id = d.port_id JOIN docker_instance i ON i.id = d.instance_id ORDER BY p.source",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        linked,
        vec![
            ("docker".into(), "Default Docker".into()),
            ("komodo".into(), "Komodo Lab".into()),
            ("portainer".into(), "Default Portainer".into()),
        ]
    );
    let fk: Vec<sqlx::sqlite::SqliteRow> = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(fk.is_empty());
    conn.close().await.unwrap();
    // The normal start-up path accepts it, and it is shaped like a new database.
    let pool = app::db::open(&path).await.unwrap();
    pool.close().await;
    let fresh = dir.path().join("fresh.db");
    app::db::open(&fresh).await.unwrap().close().await;
    assert_eq!(schema(&fresh).await, schema(&path).await);
}
