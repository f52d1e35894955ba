//! Building the client a command runs on: the chosen transport, wrapped in the tracing layer.

use std::path::PathBuf;
use std::time::Duration;

use sbg_tasks_proto::machine::retry::RetryPolicy;
use sbg_tasks_proto::transport::{Proxy, TransportOptions};
use sbg_tasks_proto::Settings;
use sbg_tasks_proto::{is_loopback_host, Config};

use crate::api::{Api, AsyncApi, BlockingApi, Trace, Traced};
use crate::cli::{NetArgs, Transport};
use crate::error::CliError;

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
pub(crate) fn connect(config: Config, opts: &ConnectOpts) -> Result<Box<dyn Api>, CliError> {
    let trace = Trace::new(opts.verbose);
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
    match opts.transport {
        Transport::Blocking => {
            let inner = sbg_tasks_ureq::UreqTransport::new(options)
                .map_err(|e| CliError::Usage(format!("cannot build the transport: {e}")))?;
            let transport = Traced {
                inner,
                trace: trace.clone(),
            };
            Ok(Box::new(BlockingApi {
                client: sbg_tasks_proto::BlockingClient::with_settings(
                    settings,
                    transport,
                    sbg_tasks_ureq::StdEnv::new(),
                ),
                trace,
            }))
        }
        Transport::Async => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
            // The hyper client's pool lives on the runtime it is built in.
            let inner = {
                let _guard = runtime.enter();
                sbg_tasks_hyper::HyperTransport::new(options)
                    .map_err(|e| CliError::Usage(format!("cannot build the transport: {e}")))?
            };
            let transport = Traced {
                inner,
                trace: trace.clone(),
            };
            Ok(Box::new(AsyncApi {
                runtime,
                client: sbg_tasks_proto::AsyncClient::with_settings(
                    settings,
                    transport,
                    sbg_tasks_hyper::TokioEnv::new(),
                ),
                trace,
            }))
        }
    }
}
