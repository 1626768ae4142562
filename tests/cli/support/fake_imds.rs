//! A loopback stand-in for the instance metadata service (IMDS v2): plain HTTP, answers only
//! requests carrying `Authorization: Bearer Oracle`, serves a region and a certificate chain
//! made for the test (an RSA leaf whose subject names the tenancy as `opc-tenant:`, issued
//! by an intermediate), counts requests, and can be told to fail.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// Every path answers 404.
    NotFound,
    /// 200 with text that is no certificate, key or region.
    Garbage,
    /// Holds every request this long before answering.
    Slow(Duration),
}

pub struct Leaf {
    /// The leaf certificate (DER) and the intermediate (PEM).
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
    pub intermediate_pem: String,
}

pub struct FakeImds {
    /// `http://127.0.0.1:<port>/opc/v2`: what `OCI_METADATA_BASE_URL` takes.
    pub base: String,
    mode: Arc<Mutex<Mode>>,
    hits: Arc<AtomicUsize>,
    unauthorized: Arc<AtomicUsize>,
}

/// A certificate chain for `tenancy`, signed with `key_pem` (RSA, PKCS#8) as the leaf key;
/// `with_tenant` false leaves `opc-tenant:` out of the subject.
pub fn make_leaf(key_pem: &str, tenancy: &str, with_tenant: bool) -> Leaf {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "PKISVC Identity Intermediate r2");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key =
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(key_pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "ocid1.instance.oc1.iad.aaaaaaaatestinstance",
    );
    if with_tenant {
        params.distinguished_name.push(
            rcgen::DnType::OrganizationalUnitName,
            format!("opc-tenant:{tenancy}"),
        );
    } else {
        params.distinguished_name.push(
            rcgen::DnType::OrganizationalUnitName,
            "opc-certtype:instance",
        );
    }
    let cert = params.signed_by(&leaf_key, &ca).unwrap();
    Leaf {
        cert_der: cert.der().to_vec(),
        cert_pem: cert.pem(),
        key_pem: key_pem.to_owned(),
        intermediate_pem: ca.pem(),
    }
}

impl FakeImds {
    pub fn start(leaf: Leaf, region: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let leaf = Arc::new(Mutex::new(leaf));
        let region = Arc::new(Mutex::new(region.to_owned()));
        let mode = Arc::new(Mutex::new(Mode::Ok));
        let hits = Arc::new(AtomicUsize::new(0));
        let unauthorized = Arc::new(AtomicUsize::new(0));
        let shared = (
            leaf.clone(),
            region.clone(),
            mode.clone(),
            hits.clone(),
            unauthorized.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (leaf, region, mode, hits, unauthorized) = shared.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let mut bearer = false;
                    loop {
                        let mut hdr = String::new();
                        if reader.read_line(&mut hdr).unwrap_or(0) == 0 {
                            break;
                        }
                        let hdr = hdr.trim_end();
                        if hdr.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = hdr.split_once(':')
                            && k.eq_ignore_ascii_case("authorization")
                            && v.trim() == "Bearer Oracle"
                        {
                            bearer = true;
                        }
                    }
                    hits.fetch_add(1, Ordering::SeqCst);
                    let mode = mode.lock().unwrap().clone();
                    if let Mode::Slow(d) = mode {
                        std::thread::sleep(d);
                    }
                    let leaf = leaf.lock().unwrap();
                    let (status, body) = if !bearer {
                        unauthorized.fetch_add(1, Ordering::SeqCst);
                        (401, "missing Authorization: Bearer Oracle".to_owned())
                    } else if mode == Mode::NotFound {
                        (404, "not found".to_owned())
                    } else if mode == Mode::Garbage {
                        (200, "<html>garbage</html>".to_owned())
                    } else {
                        match path.as_str() {
                            "/opc/v2/instance/region" => (200, region.lock().unwrap().clone()),
                            "/opc/v2/identity/cert.pem" => (200, leaf.cert_pem.clone()),
                            "/opc/v2/identity/key.pem" => (200, leaf.key_pem.clone()),
                            "/opc/v2/identity/intermediate.pem" => {
                                (200, leaf.intermediate_pem.clone())
                            }
                            _ => (404, "not found".to_owned()),
                        }
                    };
                    drop(leaf);
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(resp.as_bytes());
                });
            }
        });
        FakeImds {
            base: format!("http://127.0.0.1:{port}/opc/v2"),
            mode,
            hits,
            unauthorized,
        }
    }

    pub fn set_mode(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }

    /// Requests answered so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Requests that came without `Authorization: Bearer Oracle`.
    pub fn unauthorized(&self) -> usize {
        self.unauthorized.load(Ordering::SeqCst)
    }
}
