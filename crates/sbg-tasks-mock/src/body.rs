//! The response body type: whole, or cut short on purpose.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// The error that ends a truncated body (hyper then closes the connection).
#[derive(Debug, thiserror::Error)]
#[error("body truncated by fault injection")]
pub(crate) struct Truncated;

/// A response body.
pub(crate) enum MockBody {
    /// The whole body, sent once.
    Full(Option<Bytes>),
    /// A prefix of the body, then (after a pause that lets hyper flush what it has) an error.
    Truncated {
        prefix: Option<Bytes>,
        pause: Pin<Box<tokio::time::Sleep>>,
        failed: bool,
    },
}

impl MockBody {
    pub(crate) fn full(b: Bytes) -> Self {
        MockBody::Full(Some(b))
    }

    pub(crate) fn truncated(prefix: Bytes) -> Self {
        MockBody::Truncated {
            prefix: Some(prefix),
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(20))),
            failed: false,
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = Truncated;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Truncated>>> {
        match self.get_mut() {
            MockBody::Full(b) => Poll::Ready(
                b.take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            MockBody::Truncated {
                prefix,
                pause,
                failed,
            } => {
                if let Some(b) = prefix.take().filter(|b| !b.is_empty()) {
                    return Poll::Ready(Some(Ok(Frame::data(b))));
                }
                if *failed {
                    return Poll::Ready(None);
                }
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                *failed = true;
                Poll::Ready(Some(Err(Truncated)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, MockBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            MockBody::Full(None) => SizeHint::with_exact(0),
            MockBody::Truncated { .. } => SizeHint::default(),
        }
    }
}
