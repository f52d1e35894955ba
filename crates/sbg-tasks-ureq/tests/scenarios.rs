//! Every end-to-end scenario of [`sbg_tasks_testkit::scenarios`] over the blocking client and
//! ureq, against the mock platform on loopback (http and TLS). The scenarios are written once
//! for both transports; this file only says how ureq makes its clients. The tests about this
//! transport alone are in `transport.rs` and `resolver.rs`.

use sbg_tasks_testkit::driver::{BeforeSend, Driver, Harness, Recording, SleepLog};
use sbg_tasks_ureq::proto::transport::HttpTransport;
use sbg_tasks_ureq::proto::transport::TransportOptions;
use sbg_tasks_ureq::{client_with, BlockingClient, Settings, StdEnv, UreqTransport};

/// The blocking transport.
struct Ureq;

impl Harness for Ureq {
    fn client(&self, settings: Settings, options: TransportOptions) -> impl Driver {
        client_with(settings, options).unwrap()
    }

    fn recording_client(
        &self,
        settings: Settings,
        options: TransportOptions,
        log: &SleepLog,
    ) -> impl Driver {
        let transport = UreqTransport::new(options).unwrap();
        BlockingClient::with_settings(settings, transport, Recording::new(StdEnv::new(), log))
    }

    fn closure_client(
        &self,
        settings: Settings,
        options: TransportOptions,
        before: BeforeSend,
    ) -> impl Driver {
        let real = UreqTransport::new(options).unwrap();
        let flaky = move |req| {
            before()?;
            real.send(req)
        };
        BlockingClient::with_settings(settings, flaky, StdEnv::new())
    }
}

sbg_tasks_testkit::scenarios!(Ureq);
