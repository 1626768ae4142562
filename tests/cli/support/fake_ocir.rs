//! A loopback stand-in for OCIR (HTTPS): `/v2/` answers 401 with a bearer challenge; its
//! token realm `/20180419/docker/token` issues registry tokens for OCI-signed requests
//! (verified: a session's `jwk`, or a registered API key) and exchanges
//! `Basic BEARER_TOKEN:<registry token>` for an access token, as docker clients do; manifests
//! are served only with a valid access token.

use std::collections::HashSet;
use std::io::{BufReader, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::fake_auth;

/// How the signed token endpoint answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenMode {
    Ok,
    Status(u16),
    Garbage,
    Slow(Duration),
}

#[derive(Default)]
struct State {
    registry_tokens: HashSet<String>,
    access_tokens: HashSet<String>,
    serial: usize,
}

pub struct FakeOcir {
    /// `localhost:<port>`: the registry host clients use.
    pub host: String,
    pub ca_path: PathBuf,
    /// The CA as a certs.d directory (`ca.crt`), as skopeo and podman take it.
    pub cert_dir: PathBuf,
    state: Arc<Mutex<State>>,
    mode: Arc<Mutex<TokenMode>>,
    signed_requests: Arc<AtomicUsize>,
    failed_verifications: Arc<AtomicUsize>,
    manifests_served: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

pub const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

impl FakeOcir {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (config, ca_pem) = super::tls::server("fake OCIR CA");
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &ca_pem).unwrap();
        let cert_dir = dir.path().join("certs.d");
        std::fs::create_dir_all(&cert_dir).unwrap();
        std::fs::write(cert_dir.join("ca.crt"), &ca_pem).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let host = format!("localhost:{port}");
        let state = Arc::new(Mutex::new(State::default()));
        let mode = Arc::new(Mutex::new(TokenMode::Ok));
        let signed = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let manifests = Arc::new(AtomicUsize::new(0));
        let shared = (
            state.clone(),
            mode.clone(),
            signed.clone(),
            failed.clone(),
            manifests.clone(),
            host.clone(),
        );
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let config = config.clone();
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(tcp, config, &shared);
                });
            }
        });
        FakeOcir {
            host,
            ca_path,
            cert_dir,
            state,
            mode,
            signed_requests: signed,
            failed_verifications: failed,
            manifests_served: manifests,
            _dir: dir,
        }
    }

    pub fn set_mode(&self, m: TokenMode) {
        *self.mode.lock().unwrap() = m;
    }
    /// Signed token requests so far.
    pub fn signed_requests(&self) -> usize {
        self.signed_requests.load(Ordering::SeqCst)
    }
    pub fn failed_verifications(&self) -> usize {
        self.failed_verifications.load(Ordering::SeqCst)
    }
    pub fn manifests_served(&self) -> usize {
        self.manifests_served.load(Ordering::SeqCst)
    }
    /// Whether `t` is a registry token it issued.
    pub fn issued(&self, t: &str) -> bool {
        self.state.lock().unwrap().registry_tokens.contains(t)
    }
}

type Shared = (
    Arc<Mutex<State>>,
    Arc<Mutex<TokenMode>>,
    Arc<AtomicUsize>,
    Arc<AtomicUsize>,
    Arc<AtomicUsize>,
    String,
);

fn serve(
    tcp: std::net::TcpStream,
    config: Arc<rustls::ServerConfig>,
    shared: &Shared,
) -> std::io::Result<()> {
    let (state, mode, signed, failed, manifests, host) = shared;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    loop {
        let Some(req) = super::http1::read_request(&mut BufReader::new(&mut tls))? else {
            return Ok(());
        };
        let auth = req.header("authorization").unwrap_or_default().to_owned();
        let path = req.path().to_owned();
        let (method, target, headers) = (&req.method, &req.target, &req.headers);
        let challenge = format!(
            "WWW-Authenticate: Bearer realm=\"https://{host}/20180419/docker/token\",service=\"{host}\"\r\n"
        );
        let (status, ctype, extra, out): (u16, &str, String, String) = if path
            == "/20180419/docker/token"
            && auth.starts_with("Signature ")
        {
            signed.fetch_add(1, Ordering::SeqCst);
            let m = mode.lock().unwrap().clone();
            if let TokenMode::Slow(d) = m {
                std::thread::sleep(d);
            }
            match verify_signed(method, target, headers, host) {
                Err(why) => {
                    failed.fetch_add(1, Ordering::SeqCst);
                    (
                        401,
                        "application/json",
                        String::new(),
                        serde_json::json!({"code": "NotAuthenticated", "message": why}).to_string(),
                    )
                }
                Ok(()) => match m {
                    TokenMode::Status(s) => (s, "application/json", String::new(), "{}".into()),
                    TokenMode::Garbage => (200, "text/html", String::new(), "<html>".into()),
                    TokenMode::Ok | TokenMode::Slow(_) => {
                        let mut s = state.lock().unwrap();
                        s.serial += 1;
                        let t = format!("ocir-registry-token-{}", s.serial);
                        s.registry_tokens.insert(t.clone());
                        (
                                200,
                                "application/json",
                                String::new(),
                                serde_json::json!({"token": t, "access_token": t, "scope": "", "expires_in": 3600}).to_string(),
                            )
                    }
                },
            }
        } else if path == "/20180419/docker/token" && auth.starts_with("Basic ") {
            let pair = STANDARD
                .decode(auth.trim_start_matches("Basic ").trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let mut s = state.lock().unwrap();
            match pair.split_once(':') {
                Some(("BEARER_TOKEN", t)) if s.registry_tokens.contains(t) => {
                    s.serial += 1;
                    let a = format!("access-{}", s.serial);
                    s.access_tokens.insert(a.clone());
                    (
                        200,
                        "application/json",
                        String::new(),
                        serde_json::json!({"token": a, "access_token": a, "expires_in": 300})
                            .to_string(),
                    )
                }
                _ => (401, "application/json", challenge.clone(), "{}".into()),
            }
        } else if path.starts_with("/v2/") {
            let bearer = auth.strip_prefix("Bearer ").unwrap_or_default().to_owned();
            let ok = state.lock().unwrap().access_tokens.contains(&bearer);
            if !ok {
                (
                    401,
                    "application/json",
                    challenge.clone(),
                    "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".into(),
                )
            } else if path == "/v2/" {
                (200, "application/json", String::new(), "{}".into())
            } else if path.contains("/manifests/") {
                manifests.fetch_add(1, Ordering::SeqCst);
                (
                    200,
                    "application/vnd.oci.image.manifest.v1+json",
                    String::new(),
                    MANIFEST.to_owned(),
                )
            } else {
                (404, "application/json", String::new(), "{}".into())
            }
        } else {
            (404, "text/plain", String::new(), "not found".into())
        };
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\n{extra}Content-Length: {}\r\nDocker-Distribution-API-Version: registry/2.0\r\n\r\n{out}",
            out.len()
        );
        tls.write_all(resp.as_bytes())?;
        tls.flush()?;
    }
}

/// A signed GET of the token endpoint: `date (request-target) host`, the keyId a session
/// (`ST$…`, verified with the token's `jwk`).
fn verify_signed(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    host: &str,
) -> Result<(), String> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    if method != "GET" {
        return Err("the token endpoint takes GET".into());
    }
    let p = fake_auth::auth_params(get("authorization").ok_or("no authorization")?)?;
    if p.get("headers").map(String::as_str) != Some("date (request-target) host") {
        return Err("wrong signed headers".into());
    }
    if get("host") != Some(host) {
        return Err(format!("signed for another host: {:?}", get("host")));
    }
    let date = get("date").ok_or("no date")?;
    fake_auth::date_is_fresh(date)?;
    let signing = format!("date: {date}\n(request-target): get {target}\nhost: {host}");
    fake_auth::check_signature(&p, &signing)
}
