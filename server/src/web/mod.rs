//! The HTTP server: Leptos pages and server functions, static assets, health and REST routes.

pub mod api;
pub mod csrf;
pub mod error;
pub mod events;
pub mod extract;
pub mod guard;
pub mod health;
pub mod listener;

use crate::config::{Config, Security};
use crate::error::StartupError;
use app::discovery::scheduler::ScanManager;
use app::events::EventBus;
use app::instances::InstanceManager;
use app::services::Services;
use axum::extract::FromRef;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// Everything a request handler may need: the services (also the server functions' context) and the
/// shutdown signal (open event streams end with it). Handlers take a part of the services as their
/// state (`State<SqlitePool>` …) through the `FromRef` impls below.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub shutdown: CancellationToken,
    pub security: Arc<Security>,
}

impl AppState {
    pub fn new(config: &Config, services: Services, shutdown: CancellationToken) -> Self {
        let leptos_options = LeptosOptions::builder()
            .output_name("portall")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        Self {
            leptos_options,
            services,
            shutdown,
            security: Arc::new(config.security.clone()),
        }
    }
}

macro_rules! service_part {
    ($ty:ty, $field:ident) => {
        impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> Self {
                state.services.$field.clone()
            }
        }
    };
}
service_part!(SqlitePool, pool);
service_part!(InstanceManager, instances);
service_part!(ScanManager, scans);
service_part!(EventBus, events);
service_part!(app::transfer::appearance::Cache, appearance);
service_part!(app::hostscan::service::Scans, host_scans);

/// The complete router.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let options = state.leptos_options.clone();
    let (rest, doc) = api::routes().split_for_parts();
    let doc = Arc::new(api::docs::finish(doc));
    Router::new()
        .merge(rest)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        // The Python Portall's Ports page lived at /ports (its home page was the generator): old
        // bookmarks land on the Ports page, which is the home page here.
        .route(
            "/ports",
            get(|| async { axum::response::Redirect::permanent("/") }),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(axum::middleware::from_fn(guard::request_timeout))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::authenticate,
        ))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::allowed_host,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Serves until `shutdown` is cancelled, then lets in-flight requests finish (bounded).
pub async fn serve(
    config: &Config,
    state: AppState,
    shutdown: CancellationToken,
) -> Result<(), StartupError> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartupError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartupError::Serve)?;
    tracing::info!("listening on http://{addr}");
    let listener =
        listener::LimitedListener::new(listener, config.max_connections, config.idle_timeout);
    let app = router(state).into_make_service_with_connect_info::<guard::Peer>();
    let server =
        axum::serve(listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => result.map_err(StartupError::Serve),
        _ = deadline => {
            tracing::warn!("requests still open after {SHUTDOWN_GRACE:?}; closing them");
            Ok(())
        }
    }
}
