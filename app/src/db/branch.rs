//! Databases written by the Python Portall's unreleased multi-instance branch: they already hold a
//! `docker_instance` table (id, name, type, enabled, auto_detect, scan_interval, config JSON) and a
//! `docker_service.instance_id` column. The upgrade reads those instances, puts the legacy schema
//! back (the branch's table and column go; every `docker_service` row stays), and after the
//! migrations adds the instances as ours, linking their containers again. SSH Docker hosts are kept,
//! disabled, with a note: Portall does not speak `ssh://`.

use crate::instances::InstanceType;
use serde_json::{Map, Value};
use sqlx::{Row, SqliteConnection};
use std::collections::HashMap;

/// One instance of the branch's table, with the containers linked to it.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchInstance {
    pub old_id: i64,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub auto_detect: bool,
    pub scan_interval: Option<i64>,
    pub config: Map<String, Value>,
    pub services: Vec<i64>,
}

/// A branch instance as ours: type, name (unique), flags, interval, configuration and why it is
/// disabled when the upgrade disabled it.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub name: String,
    pub t: InstanceType,
    pub enabled: bool,
    pub auto_detect: bool,
    pub scan_interval: i64,
    pub config: Map<String, Value>,
    pub note: Option<String>,
}

async fn has_column(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
) -> Result<bool, String> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?")
        .bind(table)
        .bind(column)
        .fetch_one(&mut *conn)
        .await
        .map(|n| n > 0)
        .map_err(|e| e.to_string())
}

/// Reads the branch's instances and removes the branch's schema. The caller has turned foreign key
/// enforcement off for the transaction (the table is rebuilt) and checks the keys before commit.
pub async fn take(conn: &mut SqliteConnection) -> Result<Vec<BranchInstance>, String> {
    let rows = sqlx::query(
        "SELECT id, name, type, enabled, auto_detect, scan_interval, config FROM docker_instance ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| format!("reading the branch's docker_instance table: {e}"))?;
    let linked = has_column(conn, "docker_service", "instance_id").await?;
    let mut links: HashMap<i64, Vec<i64>> = HashMap::new();
    if linked {
        let pairs: Vec<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, instance_id FROM docker_service ORDER BY id")
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| format!("reading docker_service.instance_id: {e}"))?;
        for (service, instance) in pairs {
            if let Some(i) = instance {
                links.entry(i).or_default().push(service);
            }
        }
    }
    let mut out = Vec::new();
    for r in rows {
        let old_id: i64 = r.try_get("id").map_err(|e| e.to_string())?;
        let config = r
            .try_get::<Option<String>, _>("config")
            .ok()
            .flatten()
            .and_then(|c| serde_json::from_str::<Value>(&c).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let flag = |name: &str| {
            r.try_get::<Option<bool>, _>(name)
                .ok()
                .flatten()
                .unwrap_or(true)
        };
        out.push(BranchInstance {
            old_id,
            name: r.try_get::<String, _>("name").unwrap_or_default(),
            kind: r.try_get::<String, _>("type").unwrap_or_default(),
            enabled: flag("enabled"),
            auto_detect: flag("auto_detect"),
            scan_interval: r.try_get::<Option<i64>, _>("scan_interval").ok().flatten(),
            config,
            services: links.remove(&old_id).unwrap_or_default(),
        });
    }
    if linked {
        // The legacy `docker_service` again, rows unchanged; `docker_port` keeps referring to it.
        let ddl = super::legacy::legacy_ddl("docker_service")
            .ok_or("no definition of legacy table docker_service")?;
        for sql in [
            "PRAGMA legacy_alter_table = ON".to_string(),
            "ALTER TABLE docker_service RENAME TO _branch_docker_service".to_string(),
            ddl,
            "INSERT INTO docker_service (id, container_id, name, image, status, created_at, updated_at)
             SELECT id, container_id, name, image, status, created_at, updated_at FROM _branch_docker_service"
                .to_string(),
            "DROP TABLE _branch_docker_service".to_string(),
            "PRAGMA legacy_alter_table = OFF".to_string(),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *conn)
                .await
                .map_err(|e| format!("restoring the legacy docker_service table: {e}"))?;
        }
    }
    sqlx::raw_sql("DROP TABLE docker_instance")
        .execute(&mut *conn)
        .await
        .map_err(|e| format!("removing the branch's docker_instance table: {e}"))?;
    Ok(out)
}

fn text(config: &Map<String, Value>, key: &str) -> String {
    match config.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A branch instance as ours (`None` for a type Portall does not know). `taken` holds the names in
/// use, compared ignoring case; a repeated name gets a number.
pub fn convert(b: &BranchInstance, taken: &mut Vec<String>) -> Option<Converted> {
    let t = InstanceType::parse(&b.kind)?;
    // The legacy settings' keys, so the mapping is the one the plain upgrade uses.
    let prefix = t.as_str();
    let mut settings = HashMap::new();
    let keys: &[(&str, &str)] = match t {
        InstanceType::Docker => &[("host", "host")],
        InstanceType::Portainer => &[
            ("url", "url"),
            ("api_key", "api_key"),
            ("verify_ssl", "verify_ssl"),
        ],
        InstanceType::Komodo => &[
            ("url", "url"),
            ("api_key", "api_key"),
            ("api_secret", "api_secret"),
        ],
        InstanceType::HostScan => &[],
    };
    for (from, to) in keys {
        settings.insert(format!("{prefix}_{to}"), text(&b.config, from));
    }
    let config = super::legacy::legacy_config(t, &settings);
    let host = text(&b.config, "host");
    let note = (t == InstanceType::Docker && host.to_ascii_lowercase().starts_with("ssh://")).then(|| {
        format!(
            "kept from the Python Portall, disabled: {host} is an SSH connection, which Portall does not use; \
             point it at the engine's socket or tcp:// address (or a socket proxy) and enable it"
        )
    });
    let base = if b.name.trim().is_empty() {
        format!("{} {}", t.short_label(), b.old_id)
    } else {
        b.name.trim().chars().take(90).collect()
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
        name = format!("{base} {n}");
        n += 1;
    }
    taken.push(name.clone());
    Some(Converted {
        name,
        t,
        enabled: b.enabled && note.is_none(),
        auto_detect: b.auto_detect,
        scan_interval: super::legacy::legacy_interval(
            &b.scan_interval.map(|i| i.to_string()).unwrap_or_default(),
            prefix,
        ),
        config,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn branch(kind: &str, name: &str, config: Value) -> BranchInstance {
        BranchInstance {
            old_id: 7,
            name: name.into(),
            kind: kind.into(),
            enabled: true,
            auto_detect: true,
            scan_interval: Some(30),
            config: config.as_object().unwrap().clone(),
            services: vec![],
        }
    }

    #[test]
    fn branch_configs_become_ours_and_ssh_stays_disabled() {
        let mut taken = vec!["nas".to_string()];
        let p = convert(
            &branch(
                "portainer",
                "NAS",
                json!({"url": "https://p:9443", "api_key": "ptr_x", "verify_ssl": false}),
            ),
            &mut taken,
        )
        .unwrap();
        assert_eq!(p.name, "NAS 2");
        assert_eq!(p.config["url"], "https://p:9443");
        assert_eq!(p.config["api_key"], "ptr_x");
        assert_eq!(p.config["verify_ssl"], false);
        assert_eq!(p.scan_interval, crate::instances::SCAN_INTERVAL_MIN);
        assert!(p.enabled && p.note.is_none());

        let s = convert(
            &branch(
                "docker",
                "Remote",
                json!({"host": "ssh://root@10.0.0.2", "timeout": 30}),
            ),
            &mut taken,
        )
        .unwrap();
        assert!(!s.enabled);
        assert!(s.note.unwrap().contains("SSH"));
        assert_eq!(s.config["host"], "ssh://root@10.0.0.2");
        assert!(convert(&branch("podman", "x", json!({})), &mut taken).is_none());
    }
}
