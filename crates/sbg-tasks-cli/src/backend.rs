//! Building the client a command runs on: always the proto's blocking client (the CLI is a
//! blocking program), over the transport `--transport` chose, wrapped in the tracing layer.

use std::path::PathBuf;
use std::time::Duration;

use sbg_tasks_hyper::HyperTransport;
use sbg_tasks_proto::config::is_loopback_host;
use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::machine::retry::RetryPolicy;
use sbg_tasks_proto::transport::{
    AsyncHttpTransport, HttpTransport, Proxy, TransportFailure, TransportOptions,
};
use sbg_tasks_proto::{BlockingClient, Config, Settings, StdEnv};
use sbg_tasks_ureq::UreqTransport;

use crate::cli::{NetArgs, Transport};
use crate::error::CliError;
use crate::trace::{Trace, Traced};

/// The client every command runs on, whichever the transport.
pub(crate) type Client = BlockingClient<Traced<CliTransport>, StdEnv>;

/// The library's watch of a [`Client`] (`client.watch(..)`).
pub(crate) type Watching<'c> = sbg_tasks_proto::WatchIter<'c, Traced<CliTransport>, StdEnv>;

/// The transport `--transport` chose, behind one blocking interface: the async one is driven
/// to completion, one exchange at a time, on a runtime of its own.
// One per process, built once: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum CliTransport {
    /// `blocking`: ureq.
    Ureq(UreqTransport),
    /// `async`: hyper.
    Hyper {
        /// The transport; its pool was built in `runtime`, and is dropped before it (fields
        /// drop in order).
        transport: HyperTransport,
        /// A current-thread runtime: each exchange is a `block_on`.
        runtime: tokio::runtime::Runtime,
    },
}

impl CliTransport {
    /// The transport `kind` names, with `options`.
    fn new(kind: Transport, options: TransportOptions) -> Result<Self, CliError> {
        let build = |e| CliError::Usage(format!("cannot build the transport: {e}"));
        match kind {
            Transport::Blocking => Ok(Self::Ureq(UreqTransport::new(options).map_err(build)?)),
            Transport::Async => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
                // The hyper client's pool lives on the runtime it is built in.
                let transport = {
                    let _guard = runtime.enter();
                    HyperTransport::new(options).map_err(build)?
                };
                Ok(Self::Hyper { transport, runtime })
            }
        }
    }
}

impl HttpTransport for CliTransport {
    type Error = TransportFailure;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportFailure> {
        match self {
            Self::Ureq(transport) => transport.send(request),
            Self::Hyper { transport, runtime } => {
                runtime.block_on(AsyncHttpTransport::send(transport, request))
            }
        }
    }
}

/// How to connect, beyond the base URL and token.
#[derive(Debug, Clone)]
pub(crate) struct ConnectOpts {
    /// Which transport.
    pub(crate) transport: Transport,
    /// Print each exchange to stderr.
    pub(crate) verbose: bool,
    /// A PEM certificate to trust (instead of the web PKI roots).
    pub(crate) ca_cert: Option<PathBuf>,
    /// Timeout of one exchange.
    pub(crate) request_timeout: Duration,
    /// Retries.
    pub(crate) retry: RetryPolicy,
}

impl Default for ConnectOpts {
    fn default() -> Self {
        Self {
            transport: Transport::Blocking,
            verbose: false,
            ca_cert: None,
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

impl ConnectOpts {
    /// The options the network flags give.
    pub(crate) fn from_args(net: &NetArgs) -> Result<Self, CliError> {
        Ok(Self {
            transport: net.transport,
            verbose: net.verbose,
            ca_cert: net.ca_cert.clone(),
            request_timeout: Duration::try_from_secs_f64(net.request_timeout)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "--request-timeout must be a number of seconds > 0, not {}",
                        net.request_timeout
                    ))
                })?,
            retry: RetryPolicy::default(),
        })
    }
}

fn read_pem(path: &Option<PathBuf>) -> Result<Option<Vec<u8>>, CliError> {
    path.as_ref()
        .map(|p| {
            std::fs::read(p).map_err(|e| {
                CliError::Usage(format!("cannot read the certificate {}: {e}", p.display()))
            })
        })
        .transpose()
}

/// The client for `config` over the chosen transport.
pub(crate) fn connect(config: Config, opts: &ConnectOpts) -> Result<Client, CliError> {
    let pem = read_pem(&opts.ca_cert)?;
    let base = config.base_url();
    let allow_http = base.is_http();
    // A loopback endpoint (a local mock) is never reached through a proxy from the environment.
    let proxy = !is_loopback_host(base.host());
    let mut settings = Settings::new(config);
    settings.retry = opts.retry.clone();
    let mut options = TransportOptions::default()
        .allow_http(allow_http)
        .proxy(if proxy { Proxy::FromEnv } else { Proxy::Off })
        .timeout(Some(opts.request_timeout))
        .connect_timeout(Some(opts.request_timeout.min(Duration::from_secs(30))));
    if let Some(pem) = pem {
        options = options.root_certificates_pem(pem);
    }
    let transport = Traced {
        inner: CliTransport::new(opts.transport, options)?,
        trace: Trace::new(opts.verbose),
    };
    Ok(BlockingClient::with_settings(
        settings,
        transport,
        StdEnv::new(),
    ))
}

#[cfg(test)]
mod tests {
    use sbg_tasks_mock::examples::GET_TASK_ID;
    use sbg_tasks_mock::MockServer;
    use sbg_tasks_proto::config::AllowHttp;
    use sbg_tasks_proto::{AuthToken, BaseUrl, GetTask};

    use super::*;

    const TOKEN: &str = "backend-test-token";

    #[test]
    fn the_flag_picks_the_transport_that_sends() {
        let mock = MockServer::builder()
            .token(TOKEN)
            .seed_examples(true)
            .start_blocking()
            .unwrap();
        let base = BaseUrl::parse_with(mock.base_url(), AllowHttp::Loopback).unwrap();
        for (kind, hyper) in [(Transport::Blocking, false), (Transport::Async, true)] {
            let opts = ConnectOpts {
                transport: kind,
                ..ConnectOpts::default()
            };
            let config = Config::new(base.clone(), AuthToken::new(TOKEN).unwrap());
            let client = connect(config, &opts).unwrap();
            let inner = &client.transport().inner;
            assert_eq!(
                matches!(inner, CliTransport::Hyper { .. }),
                hyper,
                "{kind:?}: {inner:?}"
            );
            // Twice: the second exchange reuses the pool (hyper's, kept on its runtime).
            for _ in 0..2 {
                let task = client.get(&GetTask::new(GET_TASK_ID.parse().unwrap()));
                assert_eq!(task.unwrap().value.id.as_deref(), Some(GET_TASK_ID));
            }
            let seen = client.transport().trace.exchanges();
            assert_eq!(seen.len(), 2, "{kind:?}: {seen:?}");
            assert!(seen.iter().all(|x| x.outcome == Ok(200)), "{seen:?}");
        }
    }
}
