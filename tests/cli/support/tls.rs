//! A CA made for one test run and a server certificate for localhost / 127.0.0.1 signed by it.

use std::sync::Arc;

/// A key for a CA or a leaf: P-256, made per run; the benchmark's stand-ins
/// (`OCI_TOKEN_STANDIN_KEYS=rsa`) use the RSA-2048 key `fixture`, as OCI's endpoints present
/// RSA chains, so TLS costs what it costs there.
fn key_pair(fixture: &str) -> rcgen::KeyPair {
    if std::env::var("OCI_TOKEN_STANDIN_KEYS").is_ok_and(|v| v == "rsa") {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys");
        let pem = std::fs::read_to_string(dir.join(fixture)).unwrap();
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
    } else {
        rcgen::KeyPair::generate().unwrap()
    }
}

/// The server's TLS config and the CA certificate (PEM) that clients must trust.
pub fn server(ca_name: &str) -> (Arc<rustls::ServerConfig>, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = key_pair("other.pem");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, ca_name);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = key_pair("pkcs8.pem");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    (Arc::new(config), ca.pem())
}

#[allow(dead_code)] // the examples include this file but do not use it
/// A CA and a localhost certificate as PEM files for servers that are not ours (the `OpenID`
/// Provider in node): (CA, certificate, key).
pub fn pem_files(
    dir: &std::path::Path,
    ca_name: &str,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca_key = key_pair("other.pem");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, ca_name);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = key_pair("pkcs8.pem");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let (c, l, k) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&c, ca.pem()).unwrap();
    std::fs::write(&l, leaf.pem()).unwrap();
    std::fs::write(&k, leaf_key.serialize_pem()).unwrap();
    (c, l, k)
}
