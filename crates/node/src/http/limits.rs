//! Bounds on request bodies, for every route: the time a body may take to arrive, and the bytes
//! of bodies held at once across all requests.
//!
//! A body must have arrived `server.body_timeout_secs` after its headers, plus one second per
//! `server.min_body_rate` bytes received; a later one stops being read and the request is
//! answered 408 `body-timeout`, closing its connection (so one byte every 15 s holds nothing for
//! long). Bytes are counted against `server.max_body_bytes_in_flight` as they arrive and given
//! back when the request is answered (a handler holds the body it read until then); a request
//! whose body would pass the budget stops being read and is answered 503 `server-busy` with
//! `Retry-After`, never buffered further. `POST /match` streams its body, holding a few chunks at
//! a time, so only its time is bounded here (its input is bounded by `[matching]`).
//!
//! The handler sees a failing body as a body read error; this layer then answers for it.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::config::ServerConfig;
use crate::http::error::ApiError;

/// Routes whose handlers stream the body rather than hold it: not counted in the budget.
const STREAMING_ROUTES: &[&str] = &["/match"];

/// Seconds a client is asked to wait when the body budget is spent.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The body bounds of one router (`crate::http::router`): the budget shared by its requests.
#[derive(Clone)]
pub struct BodyLimits {
    budget: Arc<Semaphore>,
    timeout: Duration,
    min_rate: u64,
}

impl BodyLimits {
    pub fn new(server: &ServerConfig) -> Self {
        let budget = server
            .max_body_bytes_in_flight
            .min(crate::config::MAX_BODY_BUDGET);
        Self {
            budget: Arc::new(Semaphore::new(budget)),
            timeout: Duration::from_secs(server.body_timeout_secs),
            min_rate: server.min_body_rate.max(1),
        }
    }
}

/// Why a body stopped being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    #[error("the request body did not arrive in time")]
    TimedOut,
    #[error("the node holds as many request bodies as it may; retry later")]
    Busy,
}

/// What a bounded body shares with the layer: the bytes it holds from the budget and why it
/// stopped, if it did.
#[derive(Default)]
struct Shared {
    held: Option<OwnedSemaphorePermit>,
    refused: Option<Refusal>,
}

/// The layer: bounds the request's body, runs the handler, and answers for a body it stopped.
pub(super) async fn bound_bodies(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    use axum::body::HttpBody;
    if request.body().size_hint().exact() == Some(0) {
        return next.run(request).await;
    }
    let counted = !request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| STREAMING_ROUTES.contains(&p.as_str()));
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (parts, body) = request.into_parts();
    let body = Bounded {
        inner: body.into_data_stream(),
        deadline: Box::pin(tokio::time::sleep(limits.timeout)),
        limit: Instant::now() + limits.timeout,
        received: 0,
        min_rate: limits.min_rate,
        budget: counted.then(|| Arc::clone(&limits.budget)),
        shared: Arc::clone(&shared),
        done: false,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from_stream(body)))
        .await;
    // The bytes held come back when `shared` drops, after the answer is made.
    let refused = shared
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .refused;
    match refused {
        None => response,
        Some(Refusal::TimedOut) => {
            let mut response = ApiError::BodyTimeout.into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
        Some(Refusal::Busy) => {
            let mut response = ApiError::ServerBusy {
                retry_after: BUSY_RETRY_AFTER_SECS,
            }
            .into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// A body read under the bounds.
struct Bounded {
    inner: BodyDataStream,
    deadline: Pin<Box<Sleep>>,
    /// When the body must have arrived, as far as it has come.
    limit: Instant,
    received: u64,
    min_rate: u64,
    /// The budget to count bytes against (none for streaming routes).
    budget: Option<Arc<Semaphore>>,
    shared: Arc<Mutex<Shared>>,
    done: bool,
}

impl Bounded {
    fn refuse(&mut self, why: Refusal) -> Poll<Option<Result<Bytes, axum::BoxError>>> {
        self.done = true;
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .refused = Some(why);
        Poll::Ready(Some(Err(why.into())))
    }
}

impl Stream for Bounded {
    type Item = Result<Bytes, axum::BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(budget) = &this.budget
                    && !chunk.is_empty()
                {
                    let permit = u32::try_from(chunk.len())
                        .ok()
                        .and_then(|n| Arc::clone(budget).try_acquire_many_owned(n).ok());
                    let Some(permit) = permit else {
                        return this.refuse(Refusal::Busy);
                    };
                    let mut shared = this.shared.lock().unwrap_or_else(PoisonError::into_inner);
                    match &mut shared.held {
                        Some(held) => held.merge(permit),
                        None => shared.held = Some(permit),
                    }
                }
                // Each byte buys 1/min_rate s more.
                let before = this.received / this.min_rate;
                this.received += chunk.len() as u64;
                let more = this.received / this.min_rate - before;
                if more > 0 {
                    this.limit += Duration::from_secs(more);
                    let limit = this.limit;
                    this.deadline.as_mut().reset(limit);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => this.refuse(Refusal::TimedOut),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
