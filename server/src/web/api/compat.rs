//! The legacy Portall routes, kept working on top of the instances (seed step 8). Every answer carries
//! `Deprecation: true` and a `Link` to its successor.

use crate::web::error::ApiError;
use crate::web::AppState;
use app::discovery::scheduler::ScanManager;
use app::error::ServiceError;
use app::instances::InstanceManager;
use app::instances::{InstanceType, InstanceView, DEFAULT_DOCKER_HOST, SCAN_INTERVAL_DEFAULT};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{ErrorBody, LegacyContainers, LegacyScan, ValidationErrors};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, post_settings))
        .routes(routes!(scan_docker))
        .routes(routes!(scan_portainer))
        .routes(routes!(scan_komodo))
        .routes(routes!(containers))
}

/// Scans every enabled instance of one type, one after the other; one result per instance.
async fn scan_type(
    m: &InstanceManager,
    scans: &ScanManager,
    t: InstanceType,
) -> Result<Value, ApiError> {
    let mut results = Vec::new();
    for inst in m
        .list()
        .await?
        .into_iter()
        .filter(|i| i.instance_type == t && i.enabled)
    {
        let outcome = scans.scan_now(inst.id).await;
        let (ok, detail) = match outcome {
            Ok(summary) => (true, json!({"summary": summary})),
            Err(e) => (false, json!({"error": e.to_string()})),
        };
        let mut entry = json!({"id": inst.id, "name": inst.name, "ok": ok});
        if let (Some(e), Some(d)) = (entry.as_object_mut(), detail.as_object()) {
            e.extend(d.clone());
        }
        results.push(entry);
    }
    let success = results.iter().all(|r| r["ok"] == true);
    let message = if results.is_empty() {
        format!("no enabled {} integration to scan", t.short_label())
    } else {
        format!(
            "scanned {} {} integration(s)",
            results.len(),
            t.short_label()
        )
    };
    Ok(json!({"success": success, "message": message, "results": results}))
}

/// Deprecated: scans every enabled Docker integration (use `/docker/instances/{id}/scan`).
#[utoipa::path(post, path = "/docker/scan", tag = "legacy",
    responses((status = 200, body = LegacyScan), (status = 401, body = ErrorBody)))]
async fn scan_docker(State(m): State<InstanceManager>, State(s): State<ScanManager>) -> Response {
    deprecated(
        "/docker/instances/{id}/scan",
        scan_type(&m, &s, InstanceType::Docker).await.map(Json),
    )
}

/// Deprecated: scans every enabled Portainer integration.
#[utoipa::path(post, path = "/docker/import_from_portainer", tag = "legacy",
    responses((status = 200, body = LegacyScan), (status = 401, body = ErrorBody)))]
async fn scan_portainer(
    State(m): State<InstanceManager>,
    State(s): State<ScanManager>,
) -> Response {
    deprecated(
        "/docker/instances/{id}/scan",
        scan_type(&m, &s, InstanceType::Portainer).await.map(Json),
    )
}

/// Deprecated: scans every enabled Komodo integration.
#[utoipa::path(post, path = "/docker/import_from_komodo", tag = "legacy",
    responses((status = 200, body = LegacyScan), (status = 401, body = ErrorBody)))]
async fn scan_komodo(State(m): State<InstanceManager>, State(s): State<ScanManager>) -> Response {
    deprecated(
        "/docker/instances/{id}/scan",
        scan_type(&m, &s, InstanceType::Komodo).await.map(Json),
    )
}

/// Deprecated: the "Default Docker" integration's containers, read live, in the Python Portall's shape.
#[utoipa::path(get, path = "/docker/containers", tag = "legacy",
    responses((status = 200, body = LegacyContainers), (status = 404, body = ErrorBody),
        (status = 502, body = ErrorBody, description = "the engine could not be read"), (status = 401, body = ErrorBody)))]
async fn containers(State(m): State<InstanceManager>) -> Response {
    deprecated("/docker/instances", list_default_containers(&m).await)
}

async fn list_default_containers(m: &InstanceManager) -> Result<Response, ApiError> {
    let list = m.list_rows().await?;
    let Some(row) = list.iter().find(|r| {
        r.instance.instance_type == InstanceType::Docker
            && r.instance.name == app::instances::DEFAULT_DOCKER_NAME
    }) else {
        return Err(ServiceError::NotFound("the \"Default Docker\" integration".into()).into());
    };
    let config = m.effective_config(row);
    let ctx = app::discovery::sources::FetchContext {
        instance_name: row.instance.name.clone(),
        ..Default::default()
    };
    let fetched = match config.and_then(|c| app::discovery::sources::client_for(&c)) {
        Ok(client) => client.fetch(&ctx).await,
        Err(e) => Err(e),
    };
    match fetched {
        Err(e) => Ok((
            StatusCode::BAD_GATEWAY,
            Json(json!({"error": e.to_string()})),
        )
            .into_response()),
        Ok(sources) => {
            let containers: Vec<Value> = sources
                .into_iter()
                .flat_map(|s| match s.outcome {
                    app::discovery::model::SourceOutcome::Listed(list) => list,
                    _ => Vec::new(),
                })
                .map(|c| json!({"id": c.id, "name": c.name, "image": c.image, "status": c.state, "ports": legacy_ports(&c.ports)}))
                .collect();
            Ok(Json(json!({ "containers": containers })).into_response())
        }
    }
}

/// The Python Portall's port map (Docker's inspect shape): `{"80/tcp": [{"HostIp", "HostPort"}]}`,
/// `null` for a port exposed but not published.
fn legacy_ports(ports: &[app::discovery::model::RawPort]) -> Value {
    let mut map = Map::new();
    for p in ports {
        let key = format!(
            "{}/{}",
            p.private_port,
            p.protocol.as_deref().unwrap_or("tcp").to_ascii_lowercase()
        );
        let entry = map.entry(key).or_insert(Value::Null);
        if let Some(public) = p.public_port {
            let binding =
                json!({"HostIp": p.ip.clone().unwrap_or_default(), "HostPort": public.to_string()});
            match entry {
                Value::Array(list) => list.push(binding),
                other => *other = Value::Array(vec![binding]),
            }
        }
    }
    Value::Object(map)
}

/// Marks a legacy answer as deprecated and names the route that replaces it.
pub fn deprecated(successor: &str, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    let headers = response.headers_mut();
    headers.insert("Deprecation", HeaderValue::from_static("true"));
    if let Ok(link) = HeaderValue::from_str(&format!("<{successor}>; rel=\"successor-version\"")) {
        headers.insert("Link", link);
    }
    response
}

fn default_name(t: InstanceType) -> String {
    format!("Default {}", t.short_label())
}

fn default_instance(list: &[InstanceView], t: InstanceType) -> Option<&InstanceView> {
    list.iter()
        .find(|i| i.instance_type == t && i.name.eq_ignore_ascii_case(&default_name(t)))
}

/// The 16 legacy keys, derived from the default instances (secrets always empty).
pub fn legacy_settings(list: &[InstanceView]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for t in InstanceType::LEGACY {
        let p = t.as_str();
        let inst = default_instance(list, t);
        let flag = |b: bool| if b { "true" } else { "false" }.to_string();
        let cfg = |k: &str, default: &str| {
            inst.and_then(|i| i.config.get(k))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| default.to_string())
        };
        out.insert(
            format!("{p}_enabled"),
            flag(inst.is_some_and(|i| i.enabled)),
        );
        out.insert(
            format!("{p}_auto_detect"),
            flag(inst.is_some_and(|i| i.auto_detect)),
        );
        out.insert(
            format!("{p}_scan_interval"),
            inst.map_or(SCAN_INTERVAL_DEFAULT, |i| i.scan_interval)
                .to_string(),
        );
        match t {
            InstanceType::Docker => {
                out.insert("docker_host".into(), cfg("host", DEFAULT_DOCKER_HOST));
            }
            InstanceType::Portainer => {
                out.insert("portainer_url".into(), cfg("url", ""));
                out.insert("portainer_api_key".into(), String::new());
                out.insert("portainer_verify_ssl".into(), cfg("verify_ssl", "true"));
            }
            InstanceType::Komodo => {
                out.insert("komodo_url".into(), cfg("url", ""));
                out.insert("komodo_api_key".into(), String::new());
                out.insert("komodo_api_secret".into(), String::new());
            }
            // Not a legacy type: `InstanceType::LEGACY` leaves it out.
            InstanceType::HostScan => {}
        }
    }
    out
}

/// Deprecated: the 16 legacy settings keys, from the default integrations (secrets always empty).
#[utoipa::path(get, path = "/docker/settings", tag = "legacy",
    responses((status = 200, body = BTreeMap<String, String>), (status = 401, body = ErrorBody)))]
async fn get_settings(State(m): State<InstanceManager>) -> Response {
    let result = m.list().await.map(|list| Json(legacy_settings(&list)));
    deprecated("/docker/instances", result.map_err(ApiError::from))
}

fn truthy(v: Option<&String>) -> bool {
    v.is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "true" | "on" | "1" | "yes"
        )
    })
}

/// Deprecated: applies one of the old settings forms (`docker_*`, `portainer_*` or `komodo_*` keys,
/// form-encoded) to the default integrations.
#[utoipa::path(post, path = "/docker/settings", tag = "legacy",
    request_body(content = BTreeMap<String, String>, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Object), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn post_settings(
    State(m): State<InstanceManager>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    deprecated("/docker/instances", apply_settings(&m, &form).await)
}

async fn apply_settings(
    m: &InstanceManager,
    form: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let list = m.list().await?;
    let mut errors = app::validation::FieldErrors::new();
    let mut saved = Vec::new();
    for t in InstanceType::LEGACY {
        let p = format!("{}_", t.as_str());
        if !form.keys().any(|k| k.starts_with(&p)) {
            continue;
        }
        let mut config = Map::new();
        for (key, value) in form.iter().filter(|(k, _)| k.starts_with(&p)) {
            let field = &key[p.len()..];
            if !matches!(field, "enabled" | "auto_detect" | "scan_interval") {
                config.insert(field.to_string(), Value::String(value.clone()));
            }
        }
        let mut input = json!({
            "enabled": truthy(form.get(&format!("{p}enabled"))),
            "auto_detect": truthy(form.get(&format!("{p}auto_detect"))),
            "config": config,
        });
        if let Some(interval) = form.get(&format!("{p}scan_interval")) {
            input["scan_interval"] = Value::String(interval.clone());
        }
        let result = match default_instance(&list, t) {
            Some(existing) => m.update(existing.id, &input).await,
            None if truthy(form.get(&format!("{p}enabled"))) => {
                input["type"] = json!(t.as_str());
                input["name"] = json!(default_name(t));
                m.create(&input).await
            }
            None => continue,
        };
        match result {
            Ok(view) => saved.push(view),
            Err(ServiceError::Validation(fields)) => {
                for (field, messages) in fields {
                    let legacy = format!("{p}{}", field.trim_start_matches("config."));
                    errors.entry(legacy).or_default().extend(messages);
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors).into());
    }
    Ok((
        StatusCode::OK,
        Json(json!({"success": true, "message": "Settings saved", "instances": saved})),
    )
        .into_response())
}
