//! Any request a client can send to the read API (method, path and query, body), through the
//! whole router of a read-only demo server: the answer is never a 5xx and never a panic.
//! Input: a first byte choosing the method, then the path and query, a newline, and the body.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use refuge_server::{AppState, Config, app};
use tower::ServiceExt;

fn state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::demo(Config::default()).expect("the demo city builds"))
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&method, rest)) = data.split_first() else {
        return;
    };
    let method = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"][usize::from(method) % 6];
    let (uri, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(uri) = std::str::from_utf8(uri) else {
        return;
    };
    let Ok(request) = Request::builder()
        .method(method)
        .uri(format!("/{}", uri.trim_start_matches('/')))
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    runtime().block_on(async {
        let response = app(state().clone()).oneshot(request).await.expect("infallible");
        let status = response.status();
        let _ = response.into_body().collect().await;
        assert!(!status.is_server_error(), "{method} /{uri} answered {status}");
    });
});
