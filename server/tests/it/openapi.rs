//! `GET /api/openapi.json`: generated from the handlers, so every REST route is in it; checked here
//! against the router (every documented operation answers, none is 404/405) and for consistency
//! (OpenAPI 3.1, every `$ref` resolves, every secured operation is refused without credentials).

use crate::support::portall::Portall;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

/// The REST API as the README lists it.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/events"),
    ("get", "/api/auth/status"),
    ("post", "/api/auth/setup"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("post", "/api/auth/password"),
    ("get", "/api/tokens"),
    ("post", "/api/tokens"),
    ("delete", "/api/tokens/{id}"),
    ("get", "/api/ports"),
    ("post", "/api/ports"),
    ("get", "/api/ports/{id}"),
    ("put", "/api/ports/{id}"),
    ("delete", "/api/ports/{id}"),
    ("post", "/api/ports/{id}/move"),
    ("get", "/api/hosts"),
    ("post", "/api/hosts"),
    ("put", "/api/hosts/order"),
    ("put", "/api/hosts/{address}"),
    ("delete", "/api/hosts/{address}"),
    ("post", "/api/hosts/{address}/scan"),
    ("post", "/api/hosts/{address}/check"),
    ("get", "/api/scans/{id}"),
    ("delete", "/api/scans/{id}"),
    ("post", "/api/scans/{id}/add"),
    ("get", "/api/settings/reachability"),
    ("put", "/api/settings/reachability"),
    ("put", "/api/hosts/{address}/order"),
    ("post", "/api/ports/generate"),
    ("get", "/api/presets"),
    ("get", "/api/settings/ports"),
    ("put", "/api/settings/ports"),
    ("get", "/api/tags"),
    ("post", "/api/tags"),
    ("get", "/api/tags/{id}"),
    ("put", "/api/tags/{id}"),
    ("delete", "/api/tags/{id}"),
    ("post", "/api/tags/delete"),
    ("post", "/api/tags/remove-unused"),
    ("get", "/api/ports/{id}/tags"),
    ("put", "/api/ports/{id}/tags"),
    ("post", "/api/ports/tags"),
    ("get", "/api/rules"),
    ("post", "/api/rules"),
    ("get", "/api/rules/{id}"),
    ("put", "/api/rules/{id}"),
    ("delete", "/api/rules/{id}"),
    ("post", "/api/rules/preview"),
    ("post", "/api/rules/{id}/run"),
    ("post", "/api/rules/run"),
    ("get", "/api/rules/{id}/log"),
    ("get", "/api/rule-templates"),
    ("post", "/api/rule-templates/{name}/apply"),
    ("get", "/api/tagging/export"),
    ("post", "/api/tagging/import"),
    ("post", "/api/import"),
    ("get", "/api/export"),
    ("get", "/api/backup"),
    ("post", "/api/purge"),
    ("get", "/api/settings/appearance"),
    ("put", "/api/settings/appearance"),
    ("get", "/api/about"),
    ("get", "/custom.css"),
    ("get", "/docker/instances"),
    ("post", "/docker/instances"),
    ("get", "/docker/instances/types"),
    ("post", "/docker/instances/test"),
    ("get", "/docker/instances/{id}"),
    ("put", "/docker/instances/{id}"),
    ("delete", "/docker/instances/{id}"),
    ("post", "/docker/instances/{id}/test"),
    ("post", "/docker/instances/{id}/scan"),
    ("get", "/docker/settings"),
    ("post", "/docker/settings"),
    ("post", "/docker/scan"),
    ("post", "/docker/import_from_portainer"),
    ("post", "/docker/import_from_komodo"),
    ("get", "/docker/containers"),
];

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap_or_default().to_string());
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_covers_every_route_and_is_consistent() {
    let p = Portall::start_with(&[("PORTALL_AUTH", "password")]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(p.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "open, like the docs of any API"
    );
    let doc: Value = resp.json().await.unwrap();
    // For `make test`'s second opinion (openapi-spec-validator, after the Rust tests).
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/openapi.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );

    let mut documented = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((method.clone(), path.clone()));
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(ids.insert(id.clone()), "operationId {id} is not unique");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, listed,
        "documented routes vs. the README's API table"
    );

    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas.contains_key(name), "dangling $ref {r}");
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("session") && schemes.contains_key("bearer"));

    // The router agrees: every documented operation exists (never 404/405), and every one not marked
    // open refuses a request without credentials.
    for (method, path) in &documented {
        let op = &doc["paths"][path][method];
        let open = op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        });
        let url = p.url(&path.replace("{id}", "1"));
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let status = client
            .request(m, url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {status}"
        );
        if !open {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
}
