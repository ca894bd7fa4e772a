//! Builds legacy (Python Portall v2.0.x) databases from the reference schema with realistic rows,
//! and dumps tables exactly for before/after comparisons.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA: &str = include_str!("../../fixtures/legacy-portall-schema.sql");

/// Every default setting the legacy app inserted, from the schema file's comment block.
pub fn default_settings() -> BTreeMap<String, String> {
    SCHEMA
        .split("-- Default setting rows")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let l = l.trim_start_matches('-').trim();
            let (k, v) = l.split_once('=')?;
            Some((
                k.trim().to_string(),
                v.trim().trim_matches('\'').to_string(),
            ))
        })
        .collect()
}

pub async fn connect(path: &Path) -> SqliteConnection {
    SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(false),
    )
    .await
    .unwrap()
}

/// (address, nickname, port, protocol, description, source, immutable)
type LegacyPort = (
    &'static str,
    Option<&'static str>,
    i64,
    &'static str,
    &'static str,
    &'static str,
    bool,
);

pub struct LegacyDb {
    pub settings: BTreeMap<String, String>,
    pub manual_ports: bool,
    pub docker_ports: bool,
    pub portainer_ports: bool,
    pub komodo_ports: bool,
    pub services: bool,
}

impl LegacyDb {
    /// Defaults as a fresh legacy install has them, with manual ports only.
    pub fn new() -> Self {
        LegacyDb {
            settings: default_settings(),
            manual_ports: true,
            docker_ports: false,
            portainer_ports: false,
            komodo_ports: false,
            services: false,
        }
    }

    pub fn set(mut self, key: &str, value: &str) -> Self {
        assert!(
            self.settings.contains_key(key),
            "unknown legacy setting {key}"
        );
        self.settings.insert(key.into(), value.into());
        self
    }

    pub fn all_integrations() -> Self {
        let mut db = Self::new()
            .set("docker_enabled", "true")
            .set("docker_host", "tcp://192.168.1.20:2375")
            .set("docker_auto_detect", "true")
            .set("docker_scan_interval", "600")
            .set("portainer_enabled", "true")
            .set("portainer_url", "https://portainer.home.lan:9443")
            .set("portainer_api_key", "ptr_SECRETKEY123")
            .set("portainer_verify_ssl", "false")
            .set("portainer_auto_detect", "true")
            .set("portainer_scan_interval", "900")
            .set("komodo_enabled", "true")
            .set("komodo_url", "http://komodo.home.lan:9120")
            .set("komodo_api_key", "K-key-abc")
            .set("komodo_api_secret", "S-secret-xyz")
            .set("komodo_auto_detect", "false")
            .set("komodo_scan_interval", "3600");
        db.docker_ports = true;
        db.portainer_ports = true;
        db.komodo_ports = true;
        db.services = true;
        db
    }

    pub async fn create(&self, path: &Path) {
        let mut conn = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .foreign_keys(false),
        )
        .await
        .unwrap();
        sqlx::raw_sql(SCHEMA).execute(&mut conn).await.unwrap();
        for name in [
            "add_source_column",
            "add_is_immutable_column",
            "add_required_settings",
            "add_tagging_system",
            "add_auto_execute_column",
        ] {
            sqlx::query("INSERT INTO migration_versions (migration_name, applied_at) VALUES (?, '2025-03-01 10:00:00')")
                .bind(name)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        for (i, (k, v)) in self.settings.iter().enumerate() {
            sqlx::query("INSERT INTO setting (id, \"key\", value) VALUES (?, ?, ?)")
                .bind(i as i64 + 1)
                .bind(k)
                .bind(v)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let mut ports: Vec<LegacyPort> = Vec::new();
        if self.manual_ports {
            ports.extend([
                (
                    "192.168.1.20",
                    Some("nas"),
                    22,
                    "TCP",
                    "SSH",
                    "manual",
                    false,
                ),
                (
                    "192.168.1.20",
                    Some("nas"),
                    445,
                    "TCP",
                    "Samba — Dateifreigabe für Büro",
                    "manual",
                    false,
                ),
                (
                    "192.168.1.1",
                    Some("router"),
                    53,
                    "UDP",
                    "DNS (unbound) 🛡️",
                    "manual",
                    false,
                ),
                (
                    "192.168.1.1",
                    None,
                    8443,
                    "TCP",
                    "Controller «UniFi»",
                    "manual",
                    false,
                ),
            ]);
        }
        if self.docker_ports {
            ports.extend([
                (
                    "192.168.1.20",
                    Some("nas"),
                    8096,
                    "TCP",
                    "jellyfin (8096)",
                    "docker",
                    true,
                ),
                (
                    "192.168.1.20",
                    Some("nas"),
                    1900,
                    "UDP",
                    "jellyfin (1900)",
                    "docker",
                    true,
                ),
            ]);
        }
        if self.portainer_ports {
            ports.push((
                "192.168.1.30",
                Some("pi"),
                9000,
                "TCP",
                "grafana (3000)",
                "portainer",
                true,
            ));
        }
        if self.komodo_ports {
            ports.push((
                "192.168.1.40",
                None,
                5432,
                "TCP",
                "postgres (5432)",
                "komodo",
                true,
            ));
        }
        for (i, (ip, nick, num, proto, desc, source, immutable)) in ports.iter().enumerate() {
            sqlx::query(
                "INSERT INTO port (id, ip_address, nickname, port_number, port_protocol, description, \"order\", source, is_immutable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(i as i64 + 10)
            .bind(ip)
            .bind(nick)
            .bind(num)
            .bind(proto)
            .bind(desc)
            .bind(i as i64)
            .bind(source)
            .bind(immutable)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        if self.services {
            let services = [
                (
                    1,
                    "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff",
                    "jellyfin",
                    "jellyfin/jellyfin:10.9",
                    "running",
                ),
                (
                    2,
                    "aa11bb22cc33dd44ee55ff66778899aabbccddeeff00112233445566778899aa",
                    "pihole",
                    "pihole/pihole:2024.07",
                    "exited",
                ),
            ];
            for (id, cid, name, image, status) in services {
                sqlx::query("INSERT INTO docker_service (id, container_id, name, image, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '2025-03-02 08:00:00.123456', '2025-03-05 09:30:00.5')")
                    .bind(id).bind(cid).bind(name).bind(image).bind(status)
                    .execute(&mut conn).await.unwrap();
            }
            for (id, sid, host_ip, hp, cp, proto) in [
                (1, 1, "0.0.0.0", 8096, 8096, "tcp"),
                (2, 1, "0.0.0.0", 1900, 1900, "udp"),
                (3, 2, "127.0.0.1", 8053, 80, "tcp"),
            ] {
                sqlx::query("INSERT INTO docker_port (id, service_id, host_ip, host_port, container_port, protocol, created_at) VALUES (?, ?, ?, ?, ?, ?, '2025-03-02 08:00:00')")
                    .bind(id).bind(sid).bind(host_ip).bind(hp).bind(cp).bind(proto)
                    .execute(&mut conn).await.unwrap();
            }
        }
        // Tags, a rule and its log: the upgrade must carry them over untouched.
        sqlx::raw_sql(
            "INSERT INTO tag (id, name, color, description, created_at, updated_at) VALUES
                (1, 'media', '#ff8800', 'Streaming ☕', '2025-03-01 10:00:00', '2025-03-01 10:00:00'),
                (2, 'infra', '#0088ff', NULL, '2025-03-01 10:00:00', NULL);
             INSERT INTO port_tag (id, port_id, tag_id, created_at) VALUES (1, 10, 2, '2025-03-01 11:00:00'), (2, 11, 2, NULL);
             INSERT INTO tagging_rule (id, name, description, enabled, auto_execute, priority, conditions, actions, created_at, updated_at, last_executed, execution_count, ports_affected)
                VALUES (1, 'Tag SSH', 'ports 22', 1, 0, 5, '{\"port_range\":\"22\"}', '[{\"type\":\"add_tag\",\"tag_id\":2}]', '2025-03-01', NULL, '2025-03-04 12:00:00', 3, 1);
             INSERT INTO rule_execution_log (id, rule_id, port_id, action_type, tag_id, executed_at, success, error_message)
                VALUES (1, 1, 10, 'add_tag', 2, '2025-03-04 12:00:00', 1, NULL);
             INSERT INTO port_scan (id, ip_address, port_range_start, port_range_end, excluded_ports, scan_type, status, discovered_ports, created_at, completed_at, scheduled_scan, next_scan_time, scan_duration, ports_scanned, ports_found)
                VALUES (1, '192.168.1.20', 1, 1024, '', 'TCP', 'completed', '[22, 445]', '2025-03-03 01:00:00', '2025-03-03 01:02:00', 0, NULL, 120.5, 1024, 2);
             INSERT INTO port_scan_schedule (id, ip_address, port_range_start, port_range_end, excluded_ports, scan_type, scan_interval, enabled, last_scan, next_scan, created_at, updated_at)
                VALUES (1, '192.168.1.20', 1, 1024, '', 'TCP', 24, 1, NULL, NULL, '2025-03-03', NULL);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
}

/// Every row of `table`, each column as SQLite's quote() of it, over the given columns, by rowid.
pub async fn dump(conn: &mut SqliteConnection, table: &str, columns: &[String]) -> Vec<String> {
    let select = columns
        .iter()
        .map(|c| format!("quote(\"{c}\")"))
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {select} FROM \"{table}\" ORDER BY rowid"
    )))
    .fetch_all(conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect()
}

pub async fn columns(conn: &mut SqliteConnection, table: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
        .bind(table)
        .fetch_all(conn)
        .await
        .unwrap()
}

/// table → column names, for every legacy table.
pub async fn legacy_columns(path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut conn = connect(path).await;
    let mut out = BTreeMap::new();
    for table in app::db::legacy::LEGACY_TABLES {
        out.insert(table.to_string(), columns(&mut conn, table).await);
    }
    conn.close().await.unwrap();
    out
}

/// table → its rows over the given columns (the legacy ones), quoted exactly.
pub async fn dump_tables(
    path: &Path,
    cols: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<String>> {
    let mut conn = connect(path).await;
    let mut out = BTreeMap::new();
    for (table, columns) in cols {
        out.insert(table.clone(), dump(&mut conn, table, columns).await);
    }
    conn.close().await.unwrap();
    out
}
