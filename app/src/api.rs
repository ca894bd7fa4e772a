//! Server functions the pages call: each is a thin caller of the same service function the REST API
//! calls (`crate::services::Services` is their context), as Leptos' `todo_app_sqlite_axum` does.

use crate::instances::InstanceView;
use crate::model::{PortEntry, SystemHealth};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The codec of every page's resources: JSON, as Leptos' default, but read from bytes as the
/// server functions' answers are (`serde_json::from_slice`). The browser then holds one JSON
/// deserializer per type instead of two (one over `&str` for the data the page was rendered with,
/// one over bytes for what a server function returns), which was most of what a page's wasm spent
/// on reading data.
pub struct Json;

impl<T: Serialize> leptos::server::codee::Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: serde::de::DeserializeOwned> leptos::server::codee::Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// A page's resource (see [`Json`]).
pub type JsonResource<T> = Resource<T, Json>;

/// `Resource::new` with the [`Json`] codec: server-rendered, its value sent along with the page.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> JsonResource<T>
where
    T: Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

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
pub(crate) mod server {
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
            Err(ServiceError::Conflict(m) | ServiceError::Taken { message: m, .. }) => {
                Ok(SaveOutcome::Conflict(m))
            }
            Err(e) => Err(failure(e)),
        }
    }

    /// A refusal the user can act on is an `ok: false` answer; a failure is an error.
    pub fn action(r: Result<String, ServiceError>) -> Result<ActionOutcome, ServerFnError> {
        match r {
            Ok(message) => Ok(ActionOutcome { ok: true, message }),
            Err(
                ServiceError::Conflict(message)
                | ServiceError::NotFound(message)
                | ServiceError::Taken { message, .. },
            ) => Ok(ActionOutcome { ok: false, message }),
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

/// The Ports page: the panels with the entries the filter shows, in their stored order (long panels
/// paged, panels beyond the first screens collapsed, except those in `open`), the "is port N free?"
/// answer, and what Copy copies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortsPageData {
    pub groups: Vec<crate::hosts::HostGroup>,
    pub availability: Option<String>,
    /// Whether any host exists at all (an empty page says how to start).
    pub empty: bool,
    pub copy_format: crate::generation::CopyFormat,
}

/// `open`: the addresses of panels shown whole, comma separated.
#[server]
pub async fn ports_page(filter: String, open: String) -> Result<PortsPageData, ServerFnError> {
    let s = server::services()?;
    let open: Vec<String> = open
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect();
    let (groups, availability, empty) = crate::hosts::service::page(&s.pool, &filter, &open)
        .await
        .map_err(server::failure)?;
    let settings = crate::generation::service::settings(&s.pool)
        .await
        .map_err(server::failure)?;
    Ok(PortsPageData {
        groups,
        availability,
        empty,
        copy_format: settings.copy_format,
    })
}

/// What a move answered: done, the target has that number (with the entry and a free number), or
/// refused (a discovered entry, an unknown one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MoveOutcome {
    Moved(PortEntry),
    Taken {
        message: String,
        existing: PortEntry,
        suggestion: Option<i64>,
    },
    Refused(String),
}

/// Moves a manual entry (`body`: `{"ip_address", "port_number"?, "existing_port_number"?, "position"?}`).
#[server]
pub async fn move_port(id: i64, body: String) -> Result<MoveOutcome, ServerFnError> {
    use crate::error::ServiceError;
    let s = server::services()?;
    let input = server::parse(&body)?;
    match crate::ports::service::move_to(&s.pool, id, &input).await {
        Ok(e) => Ok(MoveOutcome::Moved(e)),
        Err(ServiceError::Taken {
            message,
            existing,
            suggested_port_number,
        }) => Ok(MoveOutcome::Taken {
            message,
            existing: *existing,
            suggestion: suggested_port_number,
        }),
        Err(ServiceError::Conflict(m) | ServiceError::NotFound(m)) => Ok(MoveOutcome::Refused(m)),
        Err(ServiceError::Validation(e)) => {
            Ok(MoveOutcome::Refused(crate::validation::all_messages(&e)))
        }
        Err(e) => Err(server::failure(e)),
    }
}

/// Puts the panels in a new order (`body`: `{"hosts": [...]}`).
#[server]
pub async fn order_hosts(body: String) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::action(
        crate::hosts::service::reorder(&s.pool, &input)
            .await
            .map(|()| "Order saved".to_string()),
    )
}

/// Puts a panel's entries in a new order (`body`: `{"port_ids": [...]}`).
#[server]
pub async fn order_ports(address: String, body: String) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::action(
        crate::hosts::service::reorder_ports(&s.pool, &address, &input)
            .await
            .map(|()| "Order saved".to_string()),
    )
}

/// Every host in panel order (the New page's host list).
#[server]
pub async fn list_hosts() -> Result<Vec<crate::hosts::HostSummary>, ServerFnError> {
    crate::hosts::service::list(&server::services()?.pool)
        .await
        .map_err(server::failure)
}

/// Adds an empty host panel (`body`: `{"address", "nickname"}`).
#[server]
pub async fn add_host(
    body: String,
) -> Result<SaveOutcome<crate::hosts::HostSummary>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(crate::hosts::service::create(&s.pool, &input).await)
}

/// Edits a host (`body`: `{"address"?, "nickname"?, "merge"?}`).
#[server]
pub async fn edit_host(
    address: String,
    body: String,
) -> Result<SaveOutcome<crate::hosts::HostEdited>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(crate::hosts::service::update(&s.pool, &address, &input).await)
}

/// Deletes a host's manual and stale entries.
#[server]
pub async fn delete_host(address: String) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    server::action(
        crate::hosts::service::delete(&s.pool, &address)
            .await
            .map(|d| d.message),
    )
}

/// Picks a free port (`body` as `POST /api/ports/generate`); saves it when `save` is true.
#[server]
pub async fn generate_port(
    body: String,
) -> Result<SaveOutcome<crate::generation::Generated>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(crate::generation::service::generate(&s.pool, &input).await)
}

/// `port` on `ip` if free for `protocol`, else the next free number with a note.
#[server]
pub async fn suggest_port(
    ip: String,
    protocol: String,
    port: i64,
) -> Result<SaveOutcome<crate::generation::Suggestion>, ServerFnError> {
    let s = server::services()?;
    let protocol = crate::ports::Protocol::parse(&protocol).unwrap_or_default();
    server::outcome(crate::generation::service::suggest(&s.pool, &ip, protocol, port).await)
}

#[server]
pub async fn list_presets() -> Result<Vec<crate::generation::Preset>, ServerFnError> {
    Ok(crate::generation::service::presets().to_vec())
}

#[server]
pub async fn port_settings() -> Result<crate::generation::PortSettings, ServerFnError> {
    crate::generation::service::settings(&server::services()?.pool)
        .await
        .map_err(server::failure)
}

#[server]
pub async fn save_port_settings(
    body: String,
) -> Result<SaveOutcome<crate::generation::PortSettings>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(crate::generation::service::save_settings(&s.pool, &input).await)
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
