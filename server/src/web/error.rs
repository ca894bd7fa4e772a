//! HTTP mapping of service errors: 422 with field → messages, 404, 409, 400, 500 (details logged only).

use crate::error::ServiceError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        match self {
            ServiceError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"errors": errors})),
            )
                .into_response(),
            ServiceError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                Json(json!({"error": format!("{what} not found")})),
            )
                .into_response(),
            ServiceError::Conflict(message) => {
                (StatusCode::CONFLICT, Json(json!({"error": message}))).into_response()
            }
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"error": "internal error; see the server log"})),
                )
                    .into_response()
            }
        }
    }
}

/// A client error outside the field model (malformed body, wrong content type, refused origin).
pub fn client_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}
