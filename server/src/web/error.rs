//! The web layer's error, mapped to HTTP once: service errors become 422 with field → messages, 404,
//! 409 or 500 (details logged only).

use app::error::ServiceError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// What a REST handler can fail with: a service error, mapped to a status here and nowhere else.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub ServiceError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
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
            ServiceError::Taken {
                message,
                existing,
                suggested_port_number,
            } => (
                StatusCode::CONFLICT,
                Json(json!({
                    "error": message,
                    "conflict": existing,
                    "suggested_port_number": suggested_port_number,
                })),
            )
                .into_response(),
            ServiceError::Unauthorized(message) => {
                (StatusCode::UNAUTHORIZED, Json(json!({"error": message}))).into_response()
            }
            e @ ServiceError::RateLimited(seconds) => (
                StatusCode::TOO_MANY_REQUESTS,
                [(axum::http::header::RETRY_AFTER, seconds.to_string())],
                Json(json!({"error": e.to_string()})),
            )
                .into_response(),
            e @ (ServiceError::Internal(_) | ServiceError::Db(_)) => {
                tracing::error!(error = %e, "request failed");
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
