//! Protocol-faithful Portainer and Komodo test servers (from ../shared/reference/integration-apis.md),
//! backed by the real Docker engine, plus a TCP front and a read-only socket proxy for the engine's unix
//! socket. All on 127.0.0.1.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bollard::Docker;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How one environment / server answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Normal,
    /// 502 with an empty body (a down agent, as Portainer proxies it).
    BadGateway,
    /// Accepts the request and never answers.
    Hang,
    /// Answers after this long.
    Slow(Duration),
}

pub async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// The real engine's containers whose name starts with `prefix`, as Docker's JSON.
async fn docker_containers(prefix: &str) -> Vec<Value> {
    let docker = Docker::connect_with_socket_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let opts = bollard::query_parameters::ListContainersOptions {
        all: true,
        ..Default::default()
    };
    docker
        .list_containers(Some(opts))
        .await
        .unwrap()
        .into_iter()
        .filter(|c| {
            c.names
                .as_ref()
                .and_then(|n| n.first())
                .is_some_and(|n| n.trim_start_matches('/').starts_with(prefix))
        })
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

async fn apply_mode(mode: &Mode) -> Option<Response> {
    match mode {
        Mode::Normal => None,
        Mode::BadGateway => Some(StatusCode::BAD_GATEWAY.into_response()),
        Mode::Hang => {
            std::future::pending::<()>().await;
            None
        }
        Mode::Slow(d) => {
            tokio::time::sleep(*d).await;
            None
        }
    }
}

// ---------------------------------------------------------------- Portainer

#[derive(Clone, Debug)]
pub struct PortainerEnv {
    pub id: i64,
    pub name: String,
    /// 1 Docker, 2 Agent, 4 Edge agent, 5 Kubernetes…
    pub kind: i64,
    pub url: String,
    pub public_url: String,
    /// 1 up, 2 down.
    pub status: i64,
    /// Which real containers this environment shows (name prefix).
    pub prefix: String,
    pub mode: Mode,
    /// Edge agents only: whether the agent's tunnel is open, and how long Portainer waits for one
    /// before giving up (about 10 s in Portainer).
    pub tunnel: bool,
    pub tunnel_wait: Duration,
}

impl PortainerEnv {
    pub fn new(id: i64, name: &str, prefix: &str) -> Self {
        PortainerEnv {
            id,
            name: name.into(),
            kind: 2,
            url: format!("tcp://10.99.0.{id}:9001"),
            public_url: String::new(),
            status: 1,
            prefix: prefix.into(),
            mode: Mode::Normal,
            tunnel: false,
            tunnel_wait: Duration::from_secs(10),
        }
    }
}

struct PortainerState {
    api_key: String,
    envs: std::sync::Mutex<Vec<PortainerEnv>>,
}

pub struct FakePortainer {
    pub url: String,
    state: Arc<PortainerState>,
}

fn portainer_error(status: StatusCode, message: &str, details: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "details": details})),
    )
        .into_response()
}

fn portainer_router(api_key: &str, envs: Vec<PortainerEnv>) -> (Router, Arc<PortainerState>) {
    let state = Arc::new(PortainerState {
        api_key: api_key.into(),
        envs: std::sync::Mutex::new(envs),
    });
    let router = Router::new()
        .route(
            "/api/system/status",
            get(|| async { Json(json!({"Version": "2.23.0", "InstanceID": "3b1c-fake"})) }),
        )
        .route("/api/endpoints", get(portainer_endpoints))
        .route(
            "/api/endpoints/{id}/docker/containers/json",
            get(portainer_containers),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found\n") })
        .with_state(state.clone());
    (router, state)
}

fn portainer_auth(
    state: &PortainerState,
    headers: &HeaderMap,
    query: &Option<String>,
) -> Option<Response> {
    let from_query = query.as_deref().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("x-api-key"))
            .map(|(_, v)| v.to_string())
    });
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(from_query);
    match key {
        None => Some(portainer_error(
            StatusCode::UNAUTHORIZED,
            "A valid authorization token is missing",
            "Unauthorized",
        )),
        Some(k) if k != state.api_key => Some(portainer_error(
            StatusCode::UNAUTHORIZED,
            "Invalid JWT token",
            "Unauthorized",
        )),
        Some(_) => None,
    }
}

impl FakePortainer {
    pub async fn start(api_key: &str, envs: Vec<PortainerEnv>) -> Self {
        let (router, state) = portainer_router(api_key, envs);
        FakePortainer {
            url: format!("http://{}", serve(router).await),
            state,
        }
    }

    /// The same Portainer over HTTPS with a self-signed certificate.
    pub async fn start_https(api_key: &str, envs: Vec<PortainerEnv>) -> Self {
        let (router, state) = portainer_router(api_key, envs);
        let addr = super::tls::serve_https(router, super::tls::self_signed()).await;
        FakePortainer {
            url: format!("https://{addr}"),
            state,
        }
    }

    pub fn set_mode(&self, id: i64, mode: Mode) {
        let mut envs = self.state.envs.lock().unwrap();
        envs.iter_mut().find(|e| e.id == id).unwrap().mode = mode;
    }
}

async fn portainer_endpoints(
    State(state): State<Arc<PortainerState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(denied) = portainer_auth(&state, &headers, &query) {
        return denied;
    }
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.replace("%5B", "[").replace("%5D", "]"), v.to_string()))
        .collect();
    // Only the bracket form filters; plain `types=1` is silently ignored.
    let types: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "types[]")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let start: usize = pairs
        .iter()
        .find(|(k, _)| k == "start")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let limit: usize = pairs
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let envs = state.envs.lock().unwrap().clone();
    let matching: Vec<&PortainerEnv> = envs
        .iter()
        .filter(|e| types.is_empty() || types.contains(&e.kind))
        .collect();
    let total = matching.len();
    let skip = start.saturating_sub(1);
    let page: Vec<Value> = matching
        .into_iter()
        .skip(skip)
        .take(if limit == 0 { usize::MAX } else { limit })
        .map(|e| {
            json!({"Id": e.id, "Name": e.name, "Type": e.kind, "URL": e.url, "PublicURL": e.public_url,
                   "Status": e.status, "GroupId": 1, "TagIds": [], "EdgeID": if e.kind == 4 { "edge-1" } else { "" },
                   "Snapshots": []})
        })
        .collect();
    let mut resp = Json(page).into_response();
    resp.headers_mut().insert("X-Total-Count", total.into());
    resp.headers_mut()
        .insert("X-Total-Available", envs.len().into());
    resp
}

async fn portainer_containers(
    State(state): State<Arc<PortainerState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(denied) = portainer_auth(&state, &headers, &query) {
        return denied;
    }
    let Ok(id) = id.parse::<i64>() else {
        return portainer_error(
            StatusCode::BAD_REQUEST,
            "Invalid environment identifier route variable",
            "Invalid request",
        );
    };
    let env = state
        .envs
        .lock()
        .unwrap()
        .iter()
        .find(|e| e.id == id)
        .cloned();
    let Some(env) = env else {
        return portainer_error(
            StatusCode::NOT_FOUND,
            "Unable to find an environment with the specified identifier inside the database",
            "Object not found inside the database",
        );
    };
    if let Some(resp) = apply_mode(&env.mode).await {
        return resp;
    }
    if env.kind == 4 {
        if !env.tunnel {
            tokio::time::sleep(env.tunnel_wait).await;
            return portainer_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Unable to get the active tunnel",
                "",
            );
        }
        // Through an open tunnel: slower than a direct agent.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut list = docker_containers(&env.prefix).await;
    for c in &mut list {
        c["Portainer"] = json!({"ResourceControl": {"Id": 7, "Public": false}});
        c["IsPortainer"] = json!(false);
    }
    Json(list).into_response()
}

// ---------------------------------------------------------------- Komodo

#[derive(Clone, Debug)]
pub struct KomodoServer {
    pub id: String,
    pub name: String,
    /// Ok, NotOk or Disabled.
    pub state: String,
    pub address: Option<String>,
    pub external_address: Option<String>,
    pub prefix: String,
    pub mode: Mode,
}

impl KomodoServer {
    pub fn new(id: &str, name: &str, prefix: &str) -> Self {
        KomodoServer {
            id: id.into(),
            name: name.into(),
            state: "Ok".into(),
            address: Some(format!("https://{name}.lan:8120")),
            external_address: None,
            prefix: prefix.into(),
            mode: Mode::Normal,
        }
    }
}

struct KomodoState {
    key: String,
    secret: String,
    version: String,
    servers: std::sync::Mutex<Vec<KomodoServer>>,
    /// Answer every call with the web UI (a wrong base URL).
    web_ui: bool,
}

pub struct FakeKomodo {
    pub url: String,
    state: Arc<KomodoState>,
}

fn komodo_error(status: StatusCode, error: &str, trace: &[&str]) -> Response {
    (status, Json(json!({"error": error, "trace": trace}))).into_response()
}

impl FakeKomodo {
    pub async fn start(key: &str, secret: &str, version: &str, servers: Vec<KomodoServer>) -> Self {
        Self::start_with(key, secret, version, servers, false).await
    }

    /// A Komodo whose every path serves the web UI's HTML (what a wrong URL looks like).
    pub async fn web_ui_only() -> Self {
        Self::start_with("k", "s", "1.19.5", vec![], true).await
    }

    async fn start_with(
        key: &str,
        secret: &str,
        version: &str,
        servers: Vec<KomodoServer>,
        web_ui: bool,
    ) -> Self {
        let state = Arc::new(KomodoState {
            key: key.into(),
            secret: secret.into(),
            version: version.into(),
            servers: std::sync::Mutex::new(servers),
            web_ui,
        });
        let router = Router::new()
            .route("/read", post(komodo_read))
            .fallback(|| async {
                (
                    [("content-type", "text/html")],
                    "<!doctype html><html><body><div id=\"root\">Komodo</div></body></html>",
                )
            })
            .with_state(state.clone());
        FakeKomodo {
            url: format!("http://{}", serve(router).await),
            state,
        }
    }

    pub fn set_state(&self, id: &str, server_state: &str) {
        let mut servers = self.state.servers.lock().unwrap();
        servers.iter_mut().find(|s| s.id == id).unwrap().state = server_state.into();
    }
}

async fn komodo_read(
    State(state): State<Arc<KomodoState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if state.web_ui {
        return (
            [("content-type", "text/html")],
            "<!doctype html><html><body>Komodo</body></html>",
        )
            .into_response();
    }
    let json_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_type {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected request with `Content-Type: application/json`",
        )
            .into_response();
    }
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let secret = headers.get("x-api-secret").and_then(|v| v.to_str().ok());
    match (key, secret) {
        (None, _) | (_, None) => return komodo_error(
            StatusCode::UNAUTHORIZED,
            "must attach either AUTHORIZATION header with jwt OR pass X-API-KEY and X-API-SECRET",
            &[],
        ),
        (Some(k), _) if k != state.key => {
            return komodo_error(
                StatusCode::UNAUTHORIZED,
                "failed to authenticate api key",
                &["no api key matching key"],
            )
        }
        (_, Some(s)) if s != state.secret => {
            return komodo_error(
                StatusCode::UNAUTHORIZED,
                "failed to authenticate api key",
                &["invalid api secret"],
            )
        }
        _ => {}
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return komodo_error(StatusCode::BAD_REQUEST, "failed to parse request body", &[]);
    };
    let (Some(kind), Some(params)) = (req.get("type").and_then(Value::as_str), req.get("params"))
    else {
        return komodo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `params`",
            &[],
        );
    };
    let v2 = state.version.starts_with('2');
    match kind {
        "GetVersion" => Json(json!({"version": state.version})).into_response(),
        "ListServers" => {
            let limit = if v2 {
                match params.get("limit").and_then(Value::as_u64) {
                    Some(0) => usize::MAX,
                    Some(n) => n as usize,
                    None => 50,
                }
            } else {
                usize::MAX
            };
            let servers = state.servers.lock().unwrap().clone();
            let list: Vec<Value> = servers
                .iter()
                .take(limit)
                .map(|s| {
                    json!({"id": s.id, "type": "Server", "name": s.name, "tags": [],
                           "info": {"state": s.state, "region": "", "address": s.address,
                                    "external_address": s.external_address, "version": if v2 { Value::Null } else { json!("1.19.5") }}})
                })
                .collect();
            Json(list).into_response()
        }
        "ListDockerContainers" | "ListContainers" if kind == "ListDockerContainers" || v2 => {
            let wanted = params
                .get("server")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let server = state
                .servers
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.id == wanted || s.name == wanted)
                .cloned();
            let Some(server) = server else {
                return komodo_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("did not find any Server matching {wanted}"),
                    &[],
                );
            };
            if server.state != "Ok" {
                return Json(json!([])).into_response(); // Komodo's cache: down servers list nothing
            }
            if let Some(resp) = apply_mode(&server.mode).await {
                return resp;
            }
            let items: Vec<Value> = docker_containers(&server.prefix)
                .await
                .into_iter()
                .map(|c| {
                    let ports: Vec<Value> = c["Ports"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| json!({"IP": p.get("IP").cloned().unwrap_or(Value::Null), "PrivatePort": p["PrivatePort"],
                                        "PublicPort": p.get("PublicPort").cloned().unwrap_or(Value::Null), "Type": p["Type"]}))
                        .collect();
                    let mut item = json!({"server_id": server.id, "name": c["Names"][0].as_str().unwrap_or_default().trim_start_matches('/'),
                                          "id": c["Id"], "image": c["Image"], "state": c["State"], "status": c["Status"],
                                          "network_mode": "bridge", "ports": ports});
                    if v2 {
                        item["server_name"] = json!(server.name);
                    }
                    item
                })
                .collect();
            Json(items).into_response()
        }
        other => komodo_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("unknown variant `{other}`"),
            &[],
        ),
    }
}

// ---------------------------------------------------------------- Docker over TCP

/// Forwards a loopback TCP port to the engine's unix socket: the same engine as a `tcp://` host.
pub async fn docker_tcp_front() -> String {
    SeveredFront::start().await.url
}

/// A read-only Docker socket proxy as homelabs run it (docker-socket-proxy: HAProxy with
/// `CONTAINERS=1`, `VERSION`, `PING`, `EVENTS` on, `POST=0`): GET/HEAD on `/_ping`, `/version`,
/// `/containers…`, `/events` (versioned or not) reach the engine; anything else gets HAProxy's 403.
pub struct ReadOnlyProxy {
    /// `tcp://127.0.0.1:PORT`
    pub url: String,
    /// Every request: (method and path, allowed).
    pub log: Arc<std::sync::Mutex<Vec<(String, bool)>>>,
}

fn proxy_allows(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    if method != Method::GET && method != Method::HEAD {
        return false;
    }
    // `^(/v[\d\.]+)?/containers` and friends.
    let unversioned = path
        .strip_prefix("/v")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(v, _)| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .map(|(_, rest)| format!("/{rest}"))
        .unwrap_or_else(|| path.to_string());
    ["/_ping", "/version", "/containers", "/events"]
        .iter()
        .any(|p| unversioned.starts_with(p))
}

async fn proxy_forward(req: axum::extract::Request) -> Result<Response, String> {
    let unix = tokio::net::UnixStream::connect("/var/run/docker.sock")
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(unix))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    Ok(resp.map(axum::body::Body::new))
}

pub async fn docker_read_only_proxy() -> ReadOnlyProxy {
    let log: Arc<std::sync::Mutex<Vec<(String, bool)>>> = Arc::default();
    let seen = log.clone();
    let router = Router::new().fallback(move |req: axum::extract::Request| {
        let seen = seen.clone();
        async move {
            let path = req.uri().path().to_string();
            let allowed = proxy_allows(req.method(), &path);
            seen.lock()
                .unwrap()
                .push((format!("{} {path}", req.method()), allowed));
            if !allowed {
                return (
                    StatusCode::FORBIDDEN,
                    [("content-type", "text/html")],
                    "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n",
                )
                    .into_response();
            }
            proxy_forward(req)
                .await
                .unwrap_or_else(|e| (StatusCode::SERVICE_UNAVAILABLE, e).into_response())
        }
    });
    ReadOnlyProxy {
        url: format!("tcp://{}", serve(router).await),
        log,
    }
}

/// A TCP server that accepts connections and never answers (a hung upstream).
pub async fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    format!("{addr}")
}

/// A TCP front for the engine that can be taken down (every open connection, the event stream
/// included, is cut and new ones are refused) and brought back on the same port: the engine going
/// away and coming back, as a restarted `dockerd` or a rebooted host looks to Portall.
pub struct SeveredFront {
    pub url: String,
    addr: SocketAddr,
    up: std::sync::Mutex<Option<tokio_util::sync::CancellationToken>>,
}

impl SeveredFront {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let front = SeveredFront {
            url: format!("tcp://{addr}"),
            addr,
            up: std::sync::Mutex::new(None),
        };
        front.serve(listener);
        front
    }

    fn serve(&self, listener: TcpListener) {
        let token = tokio_util::sync::CancellationToken::new();
        *self.up.lock().unwrap() = Some(token.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = token.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((mut tcp, _)) = accepted else { return };
                let token = token.clone();
                tokio::spawn(async move {
                    if let Ok(mut unix) =
                        tokio::net::UnixStream::connect("/var/run/docker.sock").await
                    {
                        tokio::select! {
                            _ = token.cancelled() => {}
                            _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix) => {}
                        }
                    }
                });
            }
        });
    }

    /// Cuts every connection and stops listening.
    pub fn down(&self) {
        if let Some(token) = self.up.lock().unwrap().take() {
            token.cancel();
        }
    }

    /// Listens again on the same port.
    pub async fn up(&self) {
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        };
        self.serve(listener);
    }
}
