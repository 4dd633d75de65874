//! Local HTTPS servers for the outgoing requests: an axum router behind rustls, with a
//! certificate signed by a CA made for this test run, which only the app under test trusts
//! (through `Config::ca_pem`, as `TOKENTALLY_CA_FILE` sets it).

use std::sync::{Arc, LazyLock};

use axum::Router;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

pub struct TestCa {
    pub ca_pem: String,
    leaf_der: Vec<u8>,
    leaf_key_der: Vec<u8>,
}

/// One CA and one leaf for 127.0.0.1 and localhost, for the whole run.
pub static CA: LazyLock<TestCa> = LazyLock::new(|| {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "tokentally test CA");
    let ca = ca_params.self_signed(&ca_key).expect("a CA");
    let leaf_key = KeyPair::generate().expect("a leaf key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("a leaf");
    TestCa {
        ca_pem: ca.pem(),
        leaf_der: leaf.der().to_vec(),
        leaf_key_der: leaf_key.serialize_der(),
    }
});

impl TestCa {
    /// The leaf certificate (for 127.0.0.1 and localhost) a local server presents.
    pub fn leaf_cert(&self) -> rustls::pki_types::CertificateDer<'static> {
        rustls::pki_types::CertificateDer::from(self.leaf_der.clone())
    }

    pub fn leaf_key(&self) -> rustls::pki_types::PrivateKeyDer<'static> {
        rustls::pki_types::PrivateKeyDer::Pkcs8(self.leaf_key_der.clone().into())
    }
}

/// Serves `app` over HTTPS on 127.0.0.1; answers its base URL (`https://127.0.0.1:PORT`).
pub async fn serve_https(app: Router) -> String {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![rustls::pki_types::CertificateDer::from(CA.leaf_der.clone())],
        rustls::pki_types::PrivateKeyDer::Pkcs8(CA.leaf_key_der.clone().into()),
    )
    .expect("a server certificate");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                }
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}
