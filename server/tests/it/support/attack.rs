//! Hostile upstreams for the security tests: a listener that records every request's headers and
//! answers as told (a redirect, a 50 MB error, a body that never ends).

use super::upstream::serve;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub enum Answer {
    /// 200 with this JSON.
    Json(serde_json::Value),
    /// 302 to this URL.
    Redirect(String),
    /// 500 with a body of this many bytes.
    HugeError(usize),
    /// 200 `application/json` that never ends.
    Endless,
}

#[derive(Clone)]
struct Shared {
    answer: Answer,
    seen: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

pub struct Recorder {
    pub url: String,
    seen: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

impl Recorder {
    pub async fn start(answer: Answer) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let router = Router::new().fallback(record).with_state(Shared {
            answer,
            seen: seen.clone(),
        });
        Recorder {
            url: format!("http://{}", serve(router).await),
            seen,
        }
    }

    /// How many requests arrived.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Whether any request carried `needle` in any header value or in its URI.
    pub fn saw(&self, needle: &str) -> bool {
        self.seen.lock().unwrap().iter().any(|(uri, headers)| {
            uri.contains(needle)
                || headers
                    .values()
                    .any(|v| String::from_utf8_lossy(v.as_bytes()).contains(needle))
        })
    }
}

async fn record(State(s): State<Shared>, req: Request) -> Response {
    s.seen
        .lock()
        .unwrap()
        .push((req.uri().to_string(), req.headers().clone()));
    match s.answer {
        Answer::Json(v) => axum::Json(v).into_response(),
        Answer::Redirect(to) => (StatusCode::FOUND, [("location", to)]).into_response(),
        Answer::HugeError(n) => (StatusCode::INTERNAL_SERVER_ERROR, "x".repeat(n)).into_response(),
        Answer::Endless => {
            let chunk = Bytes::from(vec![b' '; 64 * 1024]);
            let stream =
                futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            (
                [("content-type", "application/json")],
                Body::from_stream(stream),
            )
                .into_response()
        }
    }
}
