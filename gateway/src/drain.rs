//! Keeping a kept-alive connection usable when the gateway answers before reading a request's
//! body (a 401 from the token check, a 415, a 429, a 404).
//!
//! An unread body stays in the connection, where the client's next request would be parsed
//! after it, or fail. [`drain_unread_body`] watches the body; when the handler is done without
//! having read it all, the rest is read and thrown away (up to [`DRAIN_LIMIT`] bytes within
//! [`DRAIN_TIME`]) before the answer goes out. A body too large or too slow for that, or one a
//! client holds back until it hears `100 Continue`, gets `Connection: close` instead, so the
//! client opens a fresh connection for its next request.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, BodyDataStream, Bytes},
    extract::Request,
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use futures::{Stream, StreamExt};

/// The most of an unread body read to keep the connection: small error-path bodies (a JSON
/// document, a form) fit; a file upload closes the connection instead.
pub const DRAIN_LIMIT: usize = 64 * 1024;
/// How long the rest of a body may take to arrive before the connection is closed instead.
pub const DRAIN_TIME: Duration = Duration::from_millis(500);

/// Where a body the handler dropped unfinished is handed back.
type Leftover = Arc<Mutex<Option<BodyDataStream>>>;

/// Middleware: drains what the handler left of the body, or asks for `Connection: close`.
pub async fn drain_unread_body(request: Request, next: Next) -> Response {
    if !has_body(request.headers()) {
        return next.run(request).await;
    }
    let waits_for_continue = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let leftover = Leftover::default();
    let tracked = leftover.clone();
    let request = request.map(|body| Body::from_stream(Tracked::new(body, tracked)));
    let mut response = next.run(request).await;
    let rest = leftover.lock().ok().and_then(|mut slot| slot.take());
    if let Some(rest) = rest
        && (waits_for_continue || !drained(rest).await)
    {
        let close = HeaderValue::from_static("close");
        response.headers_mut().insert(header::CONNECTION, close);
    }
    response
}

/// Whether the request announces a body.
fn has_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

/// Reads `rest` to its end within the limits; `false` when it did not end in them.
async fn drained(mut rest: BodyDataStream) -> bool {
    let read = async {
        let mut total = 0usize;
        while let Some(chunk) = rest.next().await {
            total += chunk.map_or(usize::MAX / 2, |c| c.len());
            if total > DRAIN_LIMIT {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, read)
        .await
        .unwrap_or(false)
}

/// The request body as the handler sees it; dropped before its end, it hands the rest back.
struct Tracked {
    inner: Option<BodyDataStream>,
    leftover: Leftover,
    ended: bool,
}

impl Tracked {
    fn new(body: Body, leftover: Leftover) -> Self {
        Self {
            inner: Some(body.into_data_stream()),
            leftover,
            ended: false,
        }
    }
}

impl Stream for Tracked {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = inner.poll_next_unpin(cx);
        if let Poll::Ready(None) = polled {
            self.ended = true;
        }
        polled
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        if let (Some(inner), Ok(mut slot)) = (self.inner.take(), self.leftover.lock()) {
            *slot = Some(inner);
        }
    }
}
