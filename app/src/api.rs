//! Server functions the pages call: each is a thin caller of the same service function the REST API
//! calls (`crate::services::Services` is their context), as Leptos' `todo_app_sqlite_axum` does.

use crate::instances::InstanceView;
use crate::model::{PortEntry, SystemHealth};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The instances and the server's clock (relative times render the same on both sides).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceList {
    pub now: String,
    pub instances: Vec<InstanceView>,
}

/// A save either stores the record or says what is wrong with which field (or why it conflicts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SaveOutcome<T> {
    Saved(T),
    Invalid(FieldErrors),
    Conflict(String),
}

/// The answer of a connection test or a scan, for one line of feedback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub ok: bool,
    pub message: String,
}

/// The server side of every server function: fetch the services, call the service function, map its
/// error once. Field errors and conflicts are answers for the form; anything else is an error.
#[cfg(feature = "ssr")]
mod server {
    use super::{ActionOutcome, SaveOutcome};
    use crate::error::ServiceError;
    use leptos::prelude::ServerFnError;

    pub use crate::services::services;

    /// Who the request acts for (the guard put it in the request's extensions).
    pub fn principal() -> Result<crate::auth::service::Principal, ServerFnError> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| {
                p.extensions
                    .get::<crate::auth::service::Principal>()
                    .cloned()
            })
            .ok_or_else(|| ServerFnError::new("sign in first"))
    }

    pub fn parse(body: &str) -> Result<serde_json::Value, ServerFnError> {
        serde_json::from_str(body)
            .map_err(|e| ServerFnError::new(format!("malformed form data: {e}")))
    }

    pub fn outcome<T>(r: Result<T, ServiceError>) -> Result<SaveOutcome<T>, ServerFnError> {
        match r {
            Ok(v) => Ok(SaveOutcome::Saved(v)),
            Err(ServiceError::Validation(e)) => Ok(SaveOutcome::Invalid(e)),
            Err(ServiceError::Conflict(m)) => Ok(SaveOutcome::Conflict(m)),
            Err(e) => Err(failure(e)),
        }
    }

    /// A refusal the user can act on is an `ok: false` answer; a failure is an error.
    pub fn action(r: Result<String, ServiceError>) -> Result<ActionOutcome, ServerFnError> {
        match r {
            Ok(message) => Ok(ActionOutcome { ok: true, message }),
            Err(ServiceError::Conflict(message) | ServiceError::NotFound(message)) => {
                Ok(ActionOutcome { ok: false, message })
            }
            Err(e) => Err(failure(e)),
        }
    }

    pub fn failure(e: ServiceError) -> ServerFnError {
        match e {
            ServiceError::Validation(fields) => ServerFnError::new(
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.join("; ")))
                    .collect::<Vec<_>>()
                    .join(". "),
            ),
            ServiceError::Internal(_) | ServiceError::Db(_) => {
                tracing::error!(error = %e, "request failed");
                ServerFnError::new("internal error; see the server log")
            }
            other => ServerFnError::new(other.to_string()),
        }
    }
}

/// Checks the database and reports what the System card shows.
#[server]
pub async fn system_status() -> Result<SystemHealth, ServerFnError> {
    Ok(crate::db::system_health(&server::services()?.pool).await)
}

/// Every Ports-page entry.
#[server]
pub async fn list_ports() -> Result<Vec<PortEntry>, ServerFnError> {
    crate::ports::service::list(&server::services()?.pool)
        .await
        .map_err(server::failure)
}

/// Adds (`id` None) or edits a port entry; `body` is the entry as JSON.
#[server]
pub async fn save_port(
    id: Option<i64>,
    body: String,
) -> Result<SaveOutcome<PortEntry>, ServerFnError> {
    use crate::ports::service;
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(match id {
        Some(id) => service::update(&s.pool, id, &input).await,
        None => service::create(&s.pool, &input).await,
    })
}

#[server]
pub async fn delete_port(id: i64) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    server::action(
        crate::ports::service::delete(&s.pool, id)
            .await
            .map(|()| "Removed".to_string()),
    )
}

/// Sets the nickname of every entry of one host.
#[server]
pub async fn rename_host(
    ip: String,
    nickname: String,
) -> Result<SaveOutcome<usize>, ServerFnError> {
    let s = server::services()?;
    server::outcome(crate::ports::service::rename_host(&s.pool, &ip, &nickname).await)
}

#[server]
pub async fn list_instances() -> Result<InstanceList, ServerFnError> {
    let s = server::services()?;
    Ok(InstanceList {
        now: chrono::Utc::now()
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
        instances: s.instances.list().await.map_err(server::failure)?,
    })
}

/// Creates (`id` None) or updates an instance; `body` is the instance as JSON.
#[server]
pub async fn save_instance(
    id: Option<i64>,
    body: String,
) -> Result<SaveOutcome<InstanceView>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(match id {
        Some(id) => s.instances.update(id, &input).await,
        None => s.instances.create(&input).await,
    })
}

#[server]
pub async fn delete_instance(id: i64) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    server::action(s.instances.delete(id).await.map(|d| {
        format!(
            "Deleted '{}' and {} discovered ports",
            d.name, d.ports_removed
        )
    }))
}

/// How many entries go with the instance (for the confirmation).
#[server]
pub async fn deletion_impact(id: i64) -> Result<i64, ServerFnError> {
    let s = server::services()?;
    s.instances
        .deletion_impact(id)
        .await
        .map_err(server::failure)
}

/// Tests unsaved form values (with `id` in the body, stored secrets fill blank ones).
#[server]
pub async fn test_instance(body: String) -> Result<SaveOutcome<ActionOutcome>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(
        s.instances
            .test_unsaved(&input)
            .await
            .map(|t| ActionOutcome {
                ok: t.ok,
                message: t.message,
            }),
    )
}

#[server]
pub async fn scan_instance(id: i64) -> Result<ActionOutcome, ServerFnError> {
    use crate::discovery::scheduler::ScanError;
    let s = server::services()?;
    Ok(match s.scans.scan_now(id).await {
        Ok(summary) => ActionOutcome {
            ok: summary.errors.is_empty(),
            message: summary.describe(),
        },
        Err(ScanError::Failed(message)) => ActionOutcome { ok: false, message },
        Err(e) => ActionOutcome {
            ok: false,
            message: e.to_string(),
        },
    })
}

/// The auth mode and who is signed in (the navigation bar, the Account card).
#[server]
pub async fn auth_status() -> Result<crate::auth::AuthStatus, ServerFnError> {
    let s = server::services()?;
    let who = server::principal().ok();
    s.auth.status(who.as_ref()).await.map_err(server::failure)
}

#[server]
pub async fn change_password(
    current: String,
    new: String,
) -> Result<SaveOutcome<()>, ServerFnError> {
    let s = server::services()?;
    let who = server::principal()?;
    let input = serde_json::json!({"current": current, "new": new});
    server::outcome(s.auth.change_password(&who, &input).await)
}

#[server]
pub async fn list_tokens() -> Result<Vec<crate::auth::TokenView>, ServerFnError> {
    server::services()?
        .auth
        .tokens()
        .await
        .map_err(server::failure)
}

/// A new API token; the answer is the only time it is shown.
#[server]
pub async fn create_token(
    name: String,
) -> Result<SaveOutcome<crate::auth::CreatedToken>, ServerFnError> {
    let s = server::services()?;
    let who = server::principal()?;
    server::outcome(
        s.auth
            .create_token(&who, &serde_json::json!({"name": name}))
            .await,
    )
}

#[server]
pub async fn revoke_token(id: i64) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    server::action(
        s.auth
            .revoke_token(id)
            .await
            .map(|()| "Revoked".to_string()),
    )
}
