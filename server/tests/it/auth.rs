//! Authentication, attacked from outside: every route without a session or token, first-run setup,
//! sessions and tokens that stop working when revoked, brute force, forward auth from an untrusted
//! peer, DNS rebinding and cross-site requests. All against the real binary on loopback.

use crate::support::portall::{run_expecting_exit, Portall};
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, COOKIE, HOST, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const REMOTE_USER: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("remote-user");

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn password_portall() -> Portall {
    Portall::start_with(&[("PORTALL_AUTH", "password")]).await
}

async fn send(
    p: &Portall,
    method: Method,
    path: &str,
    headers: &[(reqwest::header::HeaderName, &str)],
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = client().request(method, p.url(path));
    for (k, v) in headers {
        req = req.header(k.clone(), *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, value)
}

async fn get(
    p: &Portall,
    path: &str,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, Value) {
    send(p, Method::GET, path, headers, None).await
}

async fn post(
    p: &Portall,
    path: &str,
    headers: &[(reqwest::header::HeaderName, &str)],
    body: Value,
) -> (StatusCode, HeaderMap, Value) {
    send(p, Method::POST, path, headers, Some(body)).await
}

/// The `name=value` of the session cookie a response set.
fn session_of(headers: &HeaderMap) -> String {
    let set = headers[SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

async fn setup_admin(p: &Portall) -> String {
    let (s, h, body) = post(
        p,
        "/api/auth/setup",
        &[],
        json!({"username": "admin", "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    session_of(&h)
}

#[tokio::test]
async fn first_run_setup_then_sessions_that_end_on_logout() {
    let p = password_portall().await;
    let (s, _, st) = get(&p, "/api/auth/status", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        st,
        json!({"mode": "password", "setup_required": true, "user": null})
    );
    // Before setup every page leads to the setup page, every API call is 401.
    let (s, h, _) = get(&p, "/settings", &[(ACCEPT, "text/html")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[LOCATION], "/setup");
    let (s, _, body) = get(&p, "/api/ports", &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["setup_required"], true);

    let (s, _, body) = post(
        &p,
        "/api/auth/setup",
        &[],
        json!({"username": "admin", "password": "too short"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["password"][0],
        "must be at least 12 characters"
    );

    let (s, h, _) = post(
        &p,
        "/api/auth/setup",
        &[],
        json!({"username": "admin", "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let set = h[SET_COOKIE].to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(
        !set.contains("Secure"),
        "plain HTTP without PORTALL_COOKIE_SECURE: {set}"
    );
    let cookie = session_of(&h);
    let (s, _, _) = post(
        &p,
        "/api/auth/setup",
        &[],
        json!({"username": "second", "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "only while no account exists");

    let (s, _, _) = get(&p, "/api/ports", &[(COOKIE, &cookie)]).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, st) = get(&p, "/api/auth/status", &[(COOKIE, &cookie)]).await;
    assert_eq!(st["user"], "admin");
    assert_eq!(st["setup_required"], false);
    let (s, h, _) = get(&p, "/login", &[(ACCEPT, "text/html"), (COOKIE, &cookie)]).await;
    assert_eq!(
        (s, h[LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/")
    );

    let (s, _, _) = send(
        &p,
        Method::POST,
        "/api/auth/logout",
        &[(COOKIE, &cookie)],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = get(&p, "/api/ports", &[(COOKIE, &cookie)]).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the session ended with the logout"
    );
    let (s, h, _) = get(&p, "/settings?tab=x", &[(ACCEPT, "text/html")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[LOCATION], "/login?next=%2Fsettings%3Ftab%3Dx");

    let (s, _, body) = post(
        &p,
        "/api/auth/login",
        &[],
        json!({"username": "ADMIN", "password": "wrong password!"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "wrong username or password");
    let (s, h, body) = post(
        &p,
        "/api/auth/login",
        &[],
        json!({"username": "ADMIN", "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["user"], "admin");
    let cookie = session_of(&h);
    let (s, _, _) = get(&p, "/docker/instances", &[(COOKIE, &cookie)]).await;
    assert_eq!(s, StatusCode::OK);

    // A password change ends every other session.
    let (_, h2, _) = post(
        &p,
        "/api/auth/login",
        &[],
        json!({"username": "admin", "password": PASSWORD}),
    )
    .await;
    let other = session_of(&h2);
    let (s, _, body) = post(
        &p,
        "/api/auth/password",
        &[(COOKIE, &cookie)],
        json!({"current": "not it at all", "new": "a new long password"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"]["current"][0], "is not your current password");
    let (s, _, _) = post(
        &p,
        "/api/auth/password",
        &[(COOKIE, &cookie)],
        json!({"current": PASSWORD, "new": "a new long password"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = get(&p, "/api/ports", &[(COOKIE, &cookie)]).await;
    assert_eq!(s, StatusCode::OK, "this session stays");
    let (s, _, _) = get(&p, "/api/ports", &[(COOKIE, &other)]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the other one ended");
    assert!(!p.log().contains(PASSWORD), "no password in the log");
}

#[tokio::test]
async fn every_route_needs_a_session_or_a_token() {
    let p = password_portall().await;
    let cookie = setup_admin(&p).await;
    let html = [(ACCEPT, "text/html")];
    for path in [
        "/",
        "/settings",
        "/import",
        "/settings?tab=data",
        "/no-such-page",
    ] {
        let (s, h, _) = send(&p, Method::GET, path, &html, None).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{path}");
        assert!(
            h[LOCATION].to_str().unwrap().starts_with("/login?next="),
            "{path}"
        );
    }
    let api: &[(Method, &str)] = &[
        (Method::GET, "/api/ports"),
        (Method::POST, "/api/ports"),
        (Method::PUT, "/api/ports/1"),
        (Method::DELETE, "/api/ports/1"),
        (Method::GET, "/api/events"),
        (Method::GET, "/api/tokens"),
        (Method::POST, "/api/tokens"),
        (Method::DELETE, "/api/tokens/1"),
        (Method::POST, "/api/auth/password"),
        (Method::GET, "/docker/instances"),
        (Method::POST, "/docker/instances"),
        (Method::GET, "/docker/instances/types"),
        (Method::POST, "/docker/instances/test"),
        (Method::PUT, "/docker/instances/1"),
        (Method::DELETE, "/docker/instances/1"),
        (Method::POST, "/docker/instances/1/scan"),
        (Method::GET, "/docker/settings"),
        (Method::POST, "/docker/settings"),
        (Method::POST, "/docker/scan"),
        (Method::POST, "/docker/import_from_portainer"),
        (Method::POST, "/docker/import_from_komodo"),
        (Method::GET, "/docker/containers"),
        (Method::POST, "/api/system_status"),
        (Method::POST, "/api/list_instances"),
        (Method::GET, "/api/tags"),
        (Method::POST, "/api/tags"),
        (Method::DELETE, "/api/tags/1"),
        (Method::PUT, "/api/ports/1/tags"),
        (Method::POST, "/api/ports/tags"),
        (Method::GET, "/api/rules"),
        (Method::POST, "/api/rules/preview"),
        (Method::POST, "/api/rules/run"),
        (Method::GET, "/api/tagging/export"),
        (Method::POST, "/api/tagging/import"),
        (Method::POST, "/api/rule-templates/monitoring_setup/apply"),
        (Method::POST, "/api/list_tags"),
        (Method::POST, "/api/run_rules"),
        (Method::POST, "/api/import"),
        (Method::GET, "/api/export"),
        (Method::GET, "/api/backup"),
        (Method::POST, "/api/purge"),
        (Method::GET, "/api/settings/appearance"),
        (Method::PUT, "/api/settings/appearance"),
        (Method::GET, "/api/about"),
        (Method::POST, "/api/import_data"),
        (Method::POST, "/api/purge_entries"),
        (Method::POST, "/api/save_appearance"),
        (Method::POST, "/api/about_portall"),
        (Method::POST, "/api/hosts/127.0.0.1/scan"),
        (Method::GET, "/api/scans/1"),
        (Method::DELETE, "/api/scans/1"),
        (Method::POST, "/api/scans/1/add"),
        (Method::POST, "/api/hosts/127.0.0.1/check"),
        (Method::POST, "/api/start_host_scan"),
        (Method::POST, "/api/check_host"),
        (Method::PUT, "/api/settings/reachability"),
    ];
    for (method, path) in api {
        let (s, _, body) = send(&p, method.clone(), path, &[], Some(json!({}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("sign in"),
            "{path}: {body}"
        );
        // A made-up session or token is no better.
        let (s, _, _) = send(
            &p,
            method.clone(),
            path,
            &[
                (COOKIE, "portall_session=00ff"),
                (AUTHORIZATION, "Bearer ptl_guess"),
            ],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path} with a guess");
    }
    // Open: health, the assets, the way in.
    for path in [
        "/healthz",
        "/api/auth/status",
        "/portall.css",
        "/custom.css",
        "/pkg/portall.wasm",
    ] {
        let (s, _, _) = get(&p, path, &[]).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    let (s, _, body) = send(&p, Method::GET, "/login", &html, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.as_str().unwrap().contains("name=\"password\""));
    // With the session, the pages render.
    let (s, _, _) = get(&p, "/settings", &[(ACCEPT, "text/html"), (COOKIE, &cookie)]).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_and_revocable() {
    let p = password_portall().await;
    let cookie = setup_admin(&p).await;
    let (s, _, body) = post(
        &p,
        "/api/tokens",
        &[(COOKIE, &cookie)],
        json!({"name": " "}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"]["name"].is_array());
    let (s, _, created) = post(
        &p,
        "/api/tokens",
        &[(COOKIE, &cookie)],
        json!({"name": "backup script"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("ptl_") && token.len() > 60, "{token}");
    let (s, _, _) = post(
        &p,
        "/api/tokens",
        &[(COOKIE, &cookie)],
        json!({"name": "Backup Script"}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "names are unique, case-insensitively"
    );

    let bearer = format!("Bearer {token}");
    let (s, _, list) = get(&p, "/api/tokens", &[(AUTHORIZATION, &bearer)]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["name"], "backup script");
    assert!(
        !list.to_string().contains(&token[8..]),
        "never listed: {list}"
    );
    for path in ["/api/ports", "/docker/instances", "/docker/settings"] {
        let (s, _, _) = get(&p, path, &[(AUTHORIZATION, &bearer)]).await;
        assert_eq!(s, StatusCode::OK, "{path} with the token");
    }
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p.db_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "the database holds keys and digests: owner only"
        );
    }
    let db = std::fs::read(&p.db_path).unwrap();
    let wal = std::fs::read(p.db_path.with_extension("db-wal")).unwrap_or_default();
    let stored = [db, wal].concat();
    assert!(
        !stored.windows(token.len()).any(|w| w == token.as_bytes()),
        "the database holds a digest, not the token"
    );

    let id = created["id"].as_i64().unwrap();
    let (s, _, _) = send(
        &p,
        Method::DELETE,
        &format!("/api/tokens/{id}"),
        &[(COOKIE, &cookie)],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = get(&p, "/api/ports", &[(AUTHORIZATION, &bearer)]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "revoked at once");
    let (s, _, _) = send(
        &p,
        Method::DELETE,
        &format!("/api/tokens/{id}"),
        &[(COOKIE, &cookie)],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!p.log().contains(&token));
}

#[tokio::test]
async fn password_guessing_is_slowed_per_address() {
    let p = password_portall().await;
    setup_admin(&p).await;
    for i in 0..5 {
        let (s, _, _) = post(
            &p,
            "/api/auth/login",
            &[],
            json!({"username": "admin", "password": format!("guess number {i}")}),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let (s, h, body) = post(
        &p,
        "/api/auth/login",
        &[],
        json!({"username": "admin", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits: {body}"
    );
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((800..=900).contains(&wait), "{wait}");
    // The form on the login page says so too.
    let resp = client()
        .post(p.url("/api/auth/login"))
        .form(&[
            ("username", "admin"),
            ("password", PASSWORD),
            ("next", "/settings"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()[LOCATION].to_str().unwrap();
    assert!(to.starts_with("/login?error=slow%3A"), "{to}");
}

#[tokio::test]
async fn forward_auth_trusts_the_header_only_from_trusted_proxies() {
    let untrusted = Portall::start_with(&[
        ("PORTALL_AUTH", "forward"),
        ("PORTALL_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7"),
    ])
    .await;
    let (s, _, body) = get(&untrusted, "/api/ports", &[(REMOTE_USER, "mallory")]).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "127.0.0.1 is not a trusted proxy: {body}"
    );
    let (s, _, _) = get(
        &untrusted,
        "/",
        &[(ACCEPT, "text/html"), (REMOTE_USER, "mallory")],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let trusted = Portall::start_with(&[
        ("PORTALL_AUTH", "forward"),
        ("PORTALL_TRUSTED_PROXIES", "127.0.0.0/8"),
        ("PORTALL_AUTH_HEADER", "X-Forwarded-User"),
    ])
    .await;
    let user = reqwest::header::HeaderName::from_static("x-forwarded-user");
    let (s, _, _) = get(&trusted, "/api/ports", &[(user.clone(), "alice")]).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, st) = get(&trusted, "/api/auth/status", &[(user.clone(), "alice")]).await;
    assert_eq!(
        st,
        json!({"mode": "forward", "setup_required": false, "user": "alice"})
    );
    let (s, _, _) = get(&trusted, "/api/ports", &[(REMOTE_USER, "alice")]).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "only the configured header counts"
    );

    let (code, stderr) = run_expecting_exit(
        &[],
        &[
            ("PORTALL_AUTH", "forward"),
            ("DATABASE_URL", "sqlite:///tmp/portall-forward-check.db"),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("PORTALL_TRUSTED_PROXIES"), "{stderr}");
}

#[tokio::test]
async fn rebinding_names_and_cross_site_requests_are_refused() {
    let p = Portall::start_with(&[
        ("PORTALL_AUTH", "none"),
        ("PORTALL_ALLOWED_HOSTS", "portall.home.lan,*.lab.lan"),
    ])
    .await;
    let port = p.base_url.rsplit(':').next().unwrap().to_string();
    for host in ["evil.example", "portall.home.lan.evil.example", "lab.lan"] {
        let (s, _, body) = get(&p, "/api/ports", &[(HOST, &format!("{host}:{port}"))]).await;
        assert_eq!(s, StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert!(
            body.as_str().unwrap().contains("PORTALL_ALLOWED_HOSTS"),
            "{body}"
        );
    }
    for host in [
        "localhost",
        "127.0.0.1",
        "portall.home.lan",
        "dash.lab.lan",
        "[::1]",
    ] {
        let (s, _, _) = get(&p, "/api/ports", &[(HOST, &format!("{host}:{port}"))]).await;
        assert_eq!(s, StatusCode::OK, "{host}");
    }
    let entry = json!({"ip_address": "192.0.2.1", "port_number": 8080, "port_protocol": "TCP", "description": "x"});
    // A page elsewhere posting, with or without fetch metadata.
    let (s, _, _) = post(
        &p,
        "/api/ports",
        &[(reqwest::header::ORIGIN, "http://evil.example")],
        entry.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = post(
        &p,
        "/api/ports",
        &[(
            reqwest::header::HeaderName::from_static("sec-fetch-site"),
            "cross-site",
        )],
        entry.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Behind a proxy: Origin is the public name, Host the upstream address.
    let (s, _, body) = post(
        &p,
        "/api/ports",
        &[(reqwest::header::ORIGIN, "https://portall.home.lan")],
        entry.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // The no-preflight body type is refused whatever it claims to be.
    let resp = client()
        .post(p.url("/api/ports"))
        .header("content-type", "text/plain;+json")
        .body(entry.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (_, _, list) = get(&p, "/api/ports", &[]).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the allowed request stored"
    );
}

#[tokio::test]
async fn pages_and_refusals_carry_security_headers() {
    let p = password_portall().await;
    setup_admin(&p).await;
    for (path, expected) in [
        ("/login", StatusCode::OK),
        ("/api/ports", StatusCode::UNAUTHORIZED),
    ] {
        let (s, h, _) = get(&p, path, &[(ACCEPT, "text/html")]).await;
        assert_eq!(s, expected, "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
    }
}

#[tokio::test]
async fn browser_files_are_revalidated_so_an_upgrade_never_mixes_modules() {
    let p = password_portall().await;
    for path in ["/pkg/portall.js", "/pkg/portall.wasm", "/portall.css"] {
        let (_, h, _) = get(&p, path, &[]).await;
        assert_eq!(h["cache-control"], "no-cache", "{path}");
    }
    // Pages and the API are not touched by it.
    let (_, h, _) = get(&p, "/login", &[(ACCEPT, "text/html")]).await;
    assert_ne!(
        h.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-cache")
    );
}

#[tokio::test]
async fn reset_auth_opens_setup_again_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portall.db");
    let env = [("PORTALL_AUTH", "password")];
    let mut p = Portall::start_on(&db, &env).await;
    let cookie = setup_admin(&p).await;
    let entry = json!({"ip_address": "192.0.2.9", "port_number": 8443, "description": "kept"});
    let (s, _, _) = post(&p, "/api/ports", &[(COOKIE, &cookie)], entry).await;
    assert_eq!(s, StatusCode::CREATED);
    p.kill();

    let url = format!("sqlite://{}", db.display());
    let (code, stderr) = run_expecting_exit(&["reset-auth"], &[("DATABASE_URL", &url)]);
    assert_eq!(code, Some(0), "{stderr}");

    let p = Portall::start_on(&db, &env).await;
    let (_, _, st) = get(&p, "/api/auth/status", &[]).await;
    assert_eq!(st["setup_required"], true);
    let (s, _, _) = get(&p, "/api/ports", &[(COOKIE, &cookie)]).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the old session went with the account"
    );
    let cookie = setup_admin(&p).await;
    let (_, _, list) = get(&p, "/api/ports", &[(COOKIE, &cookie)]).await;
    assert_eq!(list[0]["description"], "kept");
}
