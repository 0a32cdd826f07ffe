//! `GET /api/v1/events`: server-sent events announcing each committed change.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

/// The events route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// One open event stream, counted while it lasts.
struct Listener(Arc<AtomicUsize>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Live updates as server-sent events: `hello` with the data version first, then a `change`
/// (an [`Event`](crate::Event) as JSON) after each committed write, or `reload` for a listener
/// that fell behind.
#[utoipa::path(get, path = "/api/v1/events", tag = "facilities",
    responses(
        (status = 200, description = "An endless text/event-stream; each `change` event's data \
            is an Event", content_type = "text/event-stream", body = crate::Event),
        (status = 503, description = "Too many streams are open", body = crate::error::ErrorBody),
    ))]
async fn events(
    State(state): State<AppState>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    // Each stream holds a connection for as long as it lasts: past the cap, say so.
    let open = state.listeners.fetch_add(1, Ordering::Relaxed);
    let listener = Listener(Arc::clone(&state.listeners));
    if open >= state.config.max_event_streams {
        return Err(ApiError::client(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_listeners",
            format!(
                "{} live-update streams are open, the most this server keeps; the map still works \
                 and reloads when you move it, try again later for live updates",
                state.config.max_event_streams
            ),
        ));
    }
    let version = state.index.snapshot().version();
    let hello = tokio_stream::once(Ok(SseEvent::default()
        .event("hello")
        .data(format!("{{\"data_version\":{version}}}"))));
    let changes = BroadcastStream::new(state.events.subscribe()).map(move |received| {
        // The stream owns its place in the count.
        let _held = &listener;
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
    Ok(Sse::new(hello.chain(changes))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
