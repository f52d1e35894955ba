//! The self-signed certificate and the TLS acceptor (rustls with the ring provider).

use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::MockError;

pub(crate) struct TlsSetup {
    pub(crate) cert_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

/// Make a certificate for `localhost`, `127.0.0.1` and `::1`, and an acceptor serving it with
/// ALPN `h2` and `http/1.1`.
pub(crate) fn setup() -> Result<TlsSetup, MockError> {
    let tls = |e: &dyn std::fmt::Display| MockError::Tls(e.to_string());
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let ck = rcgen::generate_simple_self_signed(names).map_err(|e| tls(&e))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsSetup {
        cert_pem: ck.cert.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}
