//! A small JSON client for the running binary.

use super::portall::Portall;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct Api<'a> {
    pub p: &'a Portall,
    client: reqwest::Client,
}

impl<'a> Api<'a> {
    pub fn new(p: &'a Portall) -> Self {
        Api {
            p,
            client: reqwest::Client::new(),
        }
    }

    /// Sends JSON (or nothing) and returns the status and the body as JSON (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.p.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Raw request for headers and odd bodies.
    pub fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.p.url(path))
    }
}

/// The fields a 422 answer names (`{"errors": {field: [...]}}`), sorted.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The names of the tags an entry of `GET /api/ports` carries.
pub fn tag_names(entry: &Value) -> Vec<String> {
    entry["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}
