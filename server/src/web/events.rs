//! `GET /api/events`: the live event bus as one Server-Sent-Events stream. Each event's name is the
//! event type and its data the event as JSON; a receiver that falls behind gets `resync`. The stream
//! opens with a `connected` comment (the subscription is live from then on), sends keep-alives, and
//! ends when Portall shuts down, so a graceful shutdown never waits for open pages.

use crate::web::AppState;
use app::events::LiveEvent;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

fn sse(event: &LiveEvent) -> Event {
    Event::default()
        .event(event.name())
        .json_data(event)
        .unwrap_or_else(|_| Event::default().event("resync").data("{}"))
}

/// Live events (Server-Sent Events): `instances_changed`, `scan_started`, `scan_finished`,
/// `ports_changed`, `resync`; each event's data is JSON.
#[utoipa::path(get, path = "/api/events", tag = "system",
    responses((status = 200, content_type = "text/event-stream", body = String),
        (status = 401, body = crate::web::api::docs::ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.services.events.subscribe();
    let shutdown = state.shutdown.clone();
    let events = stream::unfold((rx, shutdown), |(mut rx, shutdown)| async move {
        let next = tokio::select! {
            _ = shutdown.cancelled() => return None,
            r = rx.recv() => r,
        };
        let event = match next {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => LiveEvent::Resync,
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(sse(&event)), (rx, shutdown)))
    });
    let hello = stream::once(async { Ok(Event::default().comment("connected")) });
    Sse::new(hello.chain(events)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
