//! The soak's watch on either transport, one event at a time: the blocking client's
//! iterator, or the async client's stream driven on a runtime of its own.

use futures_util::StreamExt as _;
use sbg_tasks_ureq::proto::transport::TransportOptions;
use sbg_tasks_ureq::{ClientError, Settings, TaskId, WatchEvent};

use crate::{Res, Transport};

/// A watch, whatever the transport.
pub(super) trait Follow {
    /// Follow these ids too.
    fn add(&mut self, ids: Vec<TaskId>);
    /// The next event; `None` once everything followed has ended.
    fn next_event(&mut self) -> Option<Result<WatchEvent, ClientError>>;
    /// Requests the watcher made.
    fn requests(&self) -> u64;
    /// Tasks still followed.
    fn len(&self) -> usize;
}

/// The client of the transport chosen (and the runtime an async one runs on). One is made per
/// run: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum Clients {
    Ureq(sbg_tasks_ureq::UreqClient),
    Hyper(sbg_tasks_hyper::HyperClient, tokio::runtime::Runtime),
}

impl Clients {
    pub(super) fn new(
        transport: Transport,
        settings: Settings,
        options: TransportOptions,
    ) -> Res<Self> {
        Ok(match transport {
            Transport::Ureq => Clients::Ureq(sbg_tasks_ureq::client_with(settings, options)?),
            Transport::Hyper => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()?;
                let client = {
                    let _inside = rt.enter();
                    sbg_tasks_hyper::client_with(settings, options)?
                };
                Clients::Hyper(client, rt)
            }
        })
    }

    /// A watch of nothing yet.
    pub(super) fn watch(&self) -> Box<dyn Follow + '_> {
        match self {
            Clients::Ureq(c) => Box::new(c.watch(Vec::<TaskId>::new())),
            Clients::Hyper(c, rt) => Box::new(OnRuntime {
                stream: c.watch(Vec::<TaskId>::new()),
                rt,
            }),
        }
    }

    /// The budget's requests sent and 429s seen.
    pub(super) fn budget(&self) -> (u64, u64) {
        match self {
            Clients::Ureq(c) => c.budget().counts(),
            Clients::Hyper(c, _) => c.budget().counts(),
        }
    }
}

impl Follow
    for sbg_tasks_ureq::WatchIter<'_, sbg_tasks_ureq::UreqTransport, sbg_tasks_ureq::StdEnv>
{
    fn add(&mut self, ids: Vec<TaskId>) {
        (**self).add(ids);
    }

    fn next_event(&mut self) -> Option<Result<WatchEvent, ClientError>> {
        self.next()
    }

    fn requests(&self) -> u64 {
        self.watcher().requests()
    }

    fn len(&self) -> usize {
        self.watcher().len()
    }
}

/// The async client's watch, each event awaited on the runtime.
struct OnRuntime<'a> {
    stream: sbg_tasks_hyper::WatchStream<
        'a,
        sbg_tasks_hyper::HyperTransport,
        sbg_tasks_hyper::TokioEnv,
    >,
    rt: &'a tokio::runtime::Runtime,
}

impl Follow for OnRuntime<'_> {
    fn add(&mut self, ids: Vec<TaskId>) {
        self.stream.add(ids);
    }

    fn next_event(&mut self) -> Option<Result<WatchEvent, ClientError>> {
        self.rt.block_on(self.stream.next())
    }

    fn requests(&self) -> u64 {
        self.stream.watcher().requests()
    }

    fn len(&self) -> usize {
        self.stream.watcher().len()
    }
}
