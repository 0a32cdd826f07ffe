//! Per-client budgets: failed sign-ins and writes per minute from one address. Past a budget the
//! answer is 429 with `Retry-After`, and a client that has spent its failed sign-ins is refused
//! before its next token is even checked.
//!
//! (Written here rather than with `governor`: a keyed GCRA limiter cannot say whether a client
//! is out of budget without spending from it, and a sign-in must be refused before it is tried.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// How many events a client may have in a minute.
#[derive(Debug)]
pub struct Budget {
    per_minute: u32,
    spent: Mutex<HashMap<Option<IpAddr>, (Instant, u32)>>,
}

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many clients tracked, the ones whose minute is over are forgotten.
const TRACKED: usize = 10_000;

impl Budget {
    /// `per_minute` events a minute per client.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// How long until `client` may act again, if it has spent its budget.
    pub fn exhausted(&self, client: Option<IpAddr>) -> Option<Duration> {
        let spent = self.lock();
        let (since, count) = spent.get(&client)?;
        let left = WINDOW.checked_sub(since.elapsed())?;
        (*count >= self.per_minute).then_some(left)
    }

    /// Counts an event of `client`.
    pub fn spend(&self, client: Option<IpAddr>) {
        let mut spent = self.lock();
        if spent.len() >= TRACKED {
            spent.retain(|_, (since, _)| since.elapsed() < WINDOW);
        }
        let entry = spent.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Option<IpAddr>, (Instant, u32)>> {
        self.spent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The client's address, where the connection told it.
fn client(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
}

fn too_many(what: &str, wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = ApiError::client(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        format!("too many {what} from your address; try again in {seconds} s"),
    )
    .into_response();
    if let Ok(value) = seconds.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Applies the budgets: failed sign-ins (a 401 to a request that carried a token), and writes.
pub async fn apply(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let client = client(&request);
    let signs_in = request.headers().contains_key(header::AUTHORIZATION);
    if signs_in {
        if let Some(wait) = state.limits.failed_sign_ins.exhausted(client) {
            return too_many("failed sign-ins", wait);
        }
    }
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if writes {
        if let Some(wait) = state.limits.writes.exhausted(client) {
            return too_many("writes", wait);
        }
        state.limits.writes.spend(client);
    }
    let response = next.run(request).await;
    if signs_in && response.status() == StatusCode::UNAUTHORIZED {
        state.limits.failed_sign_ins.spend(client);
    }
    response
}

/// The server's budgets.
#[derive(Debug)]
pub struct Limits {
    /// Requests with a token that was refused, per client.
    pub failed_sign_ins: Budget,
    /// Writes (any method but GET, HEAD, OPTIONS), per client.
    pub writes: Budget,
}
