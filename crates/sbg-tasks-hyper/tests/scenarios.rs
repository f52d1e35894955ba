//! Every end-to-end scenario of [`sbg_tasks_testkit::scenarios`] over the async client and
//! hyper, against the mock platform on loopback (http and TLS). The scenarios are written once
//! for both transports; this file only says how hyper makes its clients: each call's future
//! runs on a multi-threaded tokio runtime ([`OnRuntime`]). The tests about this transport
//! alone (and the async-native ones: many concurrent calls, a `Send` stream) are in
//! `transport.rs`, `proxy.rs` and `proxy_env.rs`.

use std::sync::Arc;

use sbg_tasks_hyper::proto::transport::AsyncHttpTransport;
use sbg_tasks_hyper::proto::transport::TransportOptions;
use sbg_tasks_hyper::{client_with, AsyncClient, HyperTransport, Settings, TokioEnv};
use sbg_tasks_testkit::driver::{BeforeSend, Driver, Harness, OnRuntime, Recording, SleepLog};
use tokio::runtime::Runtime;

/// The async transport, on a runtime of its own (two workers, as the tests had).
struct Hyper {
    runtime: Arc<Runtime>,
}

impl Hyper {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Self {
            runtime: Arc::new(runtime),
        }
    }

    /// `client`, driven on this harness's runtime.
    fn on_runtime<T, E>(&self, client: AsyncClient<T, E>) -> OnRuntime<T, E> {
        OnRuntime::new(client, Arc::clone(&self.runtime))
    }
}

impl Harness for Hyper {
    fn client(&self, settings: Settings, options: TransportOptions) -> impl Driver {
        let _in = self.runtime.enter();
        self.on_runtime(client_with(settings, options).unwrap())
    }

    fn recording_client(
        &self,
        settings: Settings,
        options: TransportOptions,
        log: &SleepLog,
    ) -> impl Driver {
        let _in = self.runtime.enter();
        let transport = HyperTransport::new(options).unwrap();
        let env = Recording::new(TokioEnv::new(), log);
        self.on_runtime(AsyncClient::with_settings(settings, transport, env))
    }

    fn closure_client(
        &self,
        settings: Settings,
        options: TransportOptions,
        before: BeforeSend,
    ) -> impl Driver {
        let _in = self.runtime.enter();
        let real = HyperTransport::new(options).unwrap();
        let flaky = move |req| {
            let real = real.clone();
            let before = before();
            async move {
                before?;
                real.send(req).await
            }
        };
        self.on_runtime(AsyncClient::with_settings(settings, flaky, TokioEnv::new()))
    }
}

sbg_tasks_testkit::scenarios!(Hyper::new());
