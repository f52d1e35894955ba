//! Lazy listing: a [`Pager`] and a buffer of tasks, shared by the blocking [`TaskIter`] and the
//! async [`TaskStream`].
//!
//! [`Listing`] does all the bookkeeping; the iterator and the stream only send the call it asks
//! for and feed the answer back. A page is fetched only when the buffer is empty and another
//! task is wanted; the first error is handed out once and ends the listing.

use std::collections::VecDeque;
use std::future::Future;
use std::iter::FusedIterator;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{AsyncClient, BlockingClient};
use crate::endpoint::Answer;
use crate::env::{AsyncEnv, BlockingEnv};
use crate::error::ClientError;
use crate::machine::pager::Pager;
use crate::model::{Task, TaskPage};
use crate::transport::{AsyncHttpTransport, HttpTransport};
use crate::{Config, ListTasks};

/// What a [`Listing`] wants next.
// Short-lived: the large variant is moved out as the item handed out.
#[allow(clippy::large_enum_variant)]
enum Want {
    /// Hand this out.
    Yield(Result<Task, ClientError>),
    /// Make this call and feed its answer to [`Listing::on_answer`].
    Fetch(ListTasks),
    /// The listing is over.
    Done,
}

/// The buffer/pager bookkeeping of a lazy listing.
#[derive(Debug)]
struct Listing {
    pager: Pager,
    buffer: VecDeque<Task>,
    error: Option<ClientError>,
    over: bool,
}

impl Listing {
    fn new(call: &ListTasks) -> Self {
        Self {
            pager: Pager::new(call.clone()),
            buffer: VecDeque::new(),
            error: None,
            over: false,
        }
    }

    fn want(&mut self, config: &Config) -> Want {
        if let Some(task) = self.buffer.pop_front() {
            return Want::Yield(Ok(task));
        }
        if let Some(e) = self.error.take() {
            self.over = true;
            return Want::Yield(Err(e));
        }
        if self.over {
            return Want::Done;
        }
        match self.pager.next_request(config) {
            Some(call) => Want::Fetch(call),
            None => {
                self.over = true;
                Want::Done
            }
        }
    }

    fn on_answer(&mut self, answer: Result<Answer<TaskPage>, ClientError>) {
        match answer.and_then(|a| self.pager.on_page(a).map_err(ClientError::Pager)) {
            Ok(tasks) => self.buffer.extend(tasks),
            Err(e) => self.error = Some(e),
        }
    }
}

/// Shared accessors of [`TaskIter`] and [`TaskStream`].
macro_rules! listing_accessors {
    () => {
        /// The number of matching tasks the platform last reported
        /// (`X-Total-Matching-Query`); `None` before the first page or when not sent.
        pub fn total(&self) -> Option<u64> {
            self.listing.pager.total()
        }

        /// Pages fetched so far.
        pub fn pages(&self) -> u64 {
            self.listing.pager.pages()
        }

        /// The pager driving the listing (offsets, ignored `next` links, ...).
        pub fn pager(&self) -> &Pager {
            &self.listing.pager
        }
    };
}

/// The tasks of a list, fetched page by page as they are consumed: see [`BlockingClient::list`].
///
/// Yields each task once (see [`Pager`] for the guarantees when the list changes meanwhile);
/// the first error is yielded and ends the iteration.
#[derive(Debug)]
pub struct TaskIter<'a, T, E> {
    client: &'a BlockingClient<T, E>,
    listing: Listing,
}

impl<'a, T: HttpTransport, E: BlockingEnv> TaskIter<'a, T, E> {
    pub(super) fn new(client: &'a BlockingClient<T, E>, call: &ListTasks) -> Self {
        Self {
            client,
            listing: Listing::new(call),
        }
    }

    listing_accessors!();
}

impl<T: HttpTransport, E: BlockingEnv> Iterator for TaskIter<'_, T, E> {
    type Item = Result<Task, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.listing.want(&self.client.settings().config) {
                Want::Yield(item) => return Some(item),
                Want::Fetch(call) => self.listing.on_answer(self.client.call(&call)),
                Want::Done => return None,
            }
        }
    }
}

impl<T: HttpTransport, E: BlockingEnv> FusedIterator for TaskIter<'_, T, E> {}

type PageFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Answer<TaskPage>, ClientError>> + Send + 'a>>;

/// The tasks of a list, fetched page by page as they are consumed: see [`AsyncClient::list`].
///
/// A [`Stream`] (`Send`, `Unpin`); yields each task once (see [`Pager`] for the guarantees
/// when the list changes meanwhile); the first error is yielded and ends the stream.
pub struct TaskStream<'a, T, E> {
    client: &'a AsyncClient<T, E>,
    listing: Listing,
    in_flight: Option<PageFuture<'a>>,
}

impl<T, E> std::fmt::Debug for TaskStream<'_, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskStream")
            .field("listing", &self.listing)
            .field("fetching", &self.in_flight.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a, T, E> TaskStream<'a, T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    pub(super) fn new(client: &'a AsyncClient<T, E>, call: &ListTasks) -> Self {
        Self {
            client,
            listing: Listing::new(call),
            in_flight: None,
        }
    }

    listing_accessors!();
}

impl<'a, T, E> Stream for TaskStream<'a, T, E>
where
    T: AsyncHttpTransport + Sync,
    E: AsyncEnv + Sync,
{
    type Item = Result<Task, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(fetch) = this.in_flight.as_mut() {
                let answer = std::task::ready!(fetch.as_mut().poll(cx));
                this.in_flight = None;
                this.listing.on_answer(answer);
            }
            match this.listing.want(&this.client.settings().config) {
                Want::Yield(item) => return Poll::Ready(Some(item)),
                Want::Fetch(call) => {
                    let client: &'a AsyncClient<T, E> = this.client;
                    this.in_flight = Some(Box::pin(async move { client.call(&call).await }));
                }
                Want::Done => return Poll::Ready(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use http::{Request, Response};

    use super::*;
    use crate::endpoints::PageLimit;
    use crate::env::FakeEnv;
    use crate::platform::AllowHttp;
    use crate::transport::TransportFailure;
    use crate::RetryPolicy;
    use crate::{AuthToken, BaseUrl};

    const IDS: [&str; 5] = ["a", "b", "c", "d", "e"];

    fn config() -> Config {
        let base = BaseUrl::parse_with("http://127.0.0.1:9/v2", AllowHttp::Loopback).unwrap();
        Config::new(base, AuthToken::new("secret-token").unwrap())
    }

    /// A canned list of five tasks; answers 500 (after `fail_after` pages) when set.
    fn serve(
        req: &Request<Vec<u8>>,
        pages: &AtomicUsize,
        fail_after: Option<usize>,
    ) -> Response<Vec<u8>> {
        let n = pages.fetch_add(1, Ordering::SeqCst);
        if fail_after.is_some_and(|f| n >= f) {
            return Response::builder()
                .status(500)
                .body(br#"{"status":500,"code":0,"message":"boom"}"#.to_vec())
                .unwrap();
        }
        let q = req.uri().query().unwrap_or_default();
        let param = |k: &str| {
            q.split('&')
                .find_map(|p| p.strip_prefix(k)?.strip_prefix('='))
                .and_then(|v| v.parse::<usize>().ok())
        };
        let (offset, limit) = (param("offset").unwrap_or(0), param("limit").unwrap_or(50));
        let items: Vec<String> = IDS
            .iter()
            .skip(offset)
            .take(limit)
            .map(|id| format!(r#"{{"id":"{id}"}}"#))
            .collect();
        Response::builder()
            .header("X-Total-Matching-Query", IDS.len().to_string())
            .body(format!(r#"{{"items":[{}]}}"#, items.join(",")).into_bytes())
            .unwrap()
    }

    fn ids(items: impl IntoIterator<Item = Result<Task, ClientError>>) -> Vec<String> {
        items.into_iter().map(|t| t.unwrap().id.unwrap()).collect()
    }

    #[test]
    fn the_iterator_fetches_pages_only_when_its_buffer_is_empty() {
        let pages = AtomicUsize::new(0);
        let transport = |req: Request<Vec<u8>>| -> Result<_, TransportFailure> {
            Ok(serve(&req, &pages, None))
        };
        let client = BlockingClient::with_env(config(), transport, FakeEnv::new(Duration::ZERO));
        let mut it = client.list(&ListTasks::new().limit(PageLimit::new(2).unwrap()));
        assert_eq!((it.total(), it.pages()), (None, 0));
        assert_eq!(
            pages.load(Ordering::SeqCst),
            0,
            "nothing fetched before use"
        );
        assert_eq!(ids(it.by_ref().take(2)), ["a", "b"]);
        assert_eq!(pages.load(Ordering::SeqCst), 1);
        assert_eq!(it.total(), Some(5));
        assert_eq!(ids(it.by_ref().take(1)), ["c"]);
        assert_eq!(pages.load(Ordering::SeqCst), 2);
        assert_eq!(ids(it.by_ref()), ["d", "e"]);
        assert_eq!(it.pages(), 3);
        assert!(it.next().is_none(), "fused");
        assert_eq!(pages.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_first_error_is_yielded_once_and_ends_the_iteration() {
        let pages = AtomicUsize::new(0);
        let transport = |req: Request<Vec<u8>>| -> Result<_, TransportFailure> {
            Ok(serve(&req, &pages, Some(1)))
        };
        let client = BlockingClient::with_env(config(), transport, FakeEnv::new(Duration::ZERO))
            .with_retry(RetryPolicy::default().with_max_attempts(1));
        let items: Vec<_> = client
            .list(&ListTasks::new().limit(PageLimit::new(2).unwrap()))
            .collect();
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap().id.as_deref(), Some("a"));
        assert_eq!(items[2].as_ref().unwrap_err().status(), Some(500));
        assert_eq!(
            pages.load(Ordering::SeqCst),
            2,
            "nothing fetched after the error"
        );
    }

    #[test]
    fn the_stream_yields_the_same_tasks_lazily() {
        let pages = AtomicUsize::new(0);
        let transport = |req: Request<Vec<u8>>| {
            let answer = serve(&req, &pages, None);
            async move { Ok::<_, TransportFailure>(answer) }
        };
        let client = AsyncClient::with_env(config(), transport, FakeEnv::new(Duration::ZERO));
        let mut stream = client.children(&"p".parse().unwrap());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut got = Vec::new();
        while let Poll::Ready(Some(item)) = Pin::new(&mut stream).poll_next(&mut cx) {
            got.push(item.unwrap().id.unwrap());
            if got.len() == 1 {
                assert_eq!(pages.load(Ordering::SeqCst), 1);
                assert_eq!(stream.total(), Some(5));
            }
        }
        assert_eq!(got, IDS);
        assert_eq!(
            pages.load(Ordering::SeqCst),
            1,
            "one page of 100 held them all"
        );
        assert!(matches!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }
}
