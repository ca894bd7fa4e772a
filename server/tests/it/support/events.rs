//! A Server-Sent-Events reader for `GET /api/events`, as a browser's `EventSource` reads it.

use super::portall::Portall;
use serde_json::Value;
use std::time::{Duration, Instant};

pub struct EventStream {
    resp: reqwest::Response,
    buf: String,
}

impl EventStream {
    /// Opens the stream and waits for its `connected` comment: from then on no event is missed.
    pub async fn open(p: &Portall) -> Self {
        let resp = reqwest::Client::new()
            .get(p.url("/api/events"))
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("GET /api/events");
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"],
            "text/event-stream",
            "an SSE stream"
        );
        let mut s = EventStream {
            resp,
            buf: String::new(),
        };
        let start = Instant::now();
        while !s.buf.contains(": connected") {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "no `connected` comment"
            );
            s.read_chunk(Duration::from_secs(5)).await;
        }
        s.buf = s
            .buf
            .split_once("\n\n")
            .map(|x| x.1.to_string())
            .unwrap_or_default();
        s
    }

    /// Whether the stream is still open: what arrived meanwhile is read, then it must not end.
    pub async fn is_open(&mut self) -> bool {
        loop {
            match tokio::time::timeout(Duration::from_millis(200), self.resp.chunk()).await {
                Err(_) => return true,
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) => return false,
            }
        }
    }

    async fn read_chunk(&mut self, limit: Duration) -> bool {
        match tokio::time::timeout(limit, self.resp.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                self.buf.push_str(&String::from_utf8_lossy(&bytes));
                true
            }
            Ok(Ok(None)) | Ok(Err(_)) => false,
            Err(_) => false,
        }
    }

    /// The next named event (name, data as JSON) within `limit`; comments and keep-alives are skipped.
    pub async fn next(&mut self, limit: Duration) -> Option<(String, Value)> {
        let deadline = Instant::now() + limit;
        loop {
            while let Some((block, rest)) = self.buf.split_once("\n\n") {
                let (block, rest) = (block.to_string(), rest.to_string());
                self.buf = rest;
                let mut name = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(name) = name {
                    let value = serde_json::from_str(&data).expect("event data is JSON");
                    return Some((name, value));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.read_chunk(left).await {
                return None;
            }
        }
    }

    /// Every event until one satisfies `done` (included), or `limit` passes (then panics with them).
    pub async fn until(
        &mut self,
        limit: Duration,
        done: impl Fn(&str, &Value) -> bool,
    ) -> Vec<(String, Value)> {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some((name, value)) => {
                    let hit = done(&name, &value);
                    seen.push((name, value));
                    if hit {
                        return seen;
                    }
                }
                None => panic!("the awaited event did not come within {limit:?}; got {seen:?}"),
            }
        }
    }

    /// Every event arriving within `window`.
    pub async fn collect(&mut self, window: Duration) -> Vec<(String, Value)> {
        let deadline = Instant::now() + window;
        let mut seen = Vec::new();
        while let Some(e) = self
            .next(deadline.saturating_duration_since(Instant::now()))
            .await
        {
            seen.push(e);
        }
        seen
    }
}
