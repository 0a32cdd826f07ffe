//! `GET /api/v1/events`: server-sent events announcing each committed change.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::state::AppState;

/// The events route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/events", get(events))
}

async fn events(
    State(state): State<AppState>,
) -> Sse<impl tokio_stream::Stream<Item = Result<SseEvent, Infallible>>> {
    let version = state.index.snapshot().version();
    let hello = tokio_stream::once(Ok(SseEvent::default()
        .event("hello")
        .data(format!("{{\"data_version\":{version}}}"))));
    let changes = BroadcastStream::new(state.events.subscribe()).map(|received| {
        Ok(match received {
            Ok(event) => SseEvent::default()
                .event("change")
                .data(serde_json::to_string(&event).unwrap_or_default()),
            // A listener that fell behind is told to reload everything.
            Err(BroadcastStreamRecvError::Lagged(missed)) => SseEvent::default()
                .event("reload")
                .data(format!("{{\"missed\":{missed}}}")),
        })
    });
    Sse::new(hello.chain(changes)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
