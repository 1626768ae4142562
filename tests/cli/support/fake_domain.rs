//! A loopback stand-in for an OCI identity domain's OAuth service: the device flow (with
//! its required `response_type=device_code`), refresh with rotation, and the token exchange
//! (`requested_token_type` `urn:oci:token-type:oci-upst`). The exchange verifies the client
//! (HTTP Basic with the registered secret, or a public client) and the subject JWT's RS256
//! signature against the JWKS of a trusted issuer, its `iss`, `aud` and `exp`, and issues a
//! UPST bound to the `public_key` sent. It also answers as GitHub's OIDC token endpoint.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufReader, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;

use super::{fake_auth, jwt};

/// A trusted issuer: its `iss`, the audience required, and its RSA keys by `kid` (n, e).
#[derive(Clone, Default)]
pub struct Trust {
    pub issuer: String,
    pub audience: String,
    pub keys: HashMap<String, (Vec<u8>, Vec<u8>)>,
}

#[derive(Default)]
struct State {
    approved: bool,
    refresh_tokens: HashSet<String>,
    trusts: Vec<Trust>,
    /// Client id → secret (None: public).
    clients: HashMap<String, Option<String>>,
    serial: usize,
    counts: HashMap<String, usize>,
    /// Scripted replies to the exchange.
    exchange_script: VecDeque<(u16, String)>,
    upst_ttl: i64,
    upst_sess: i64,
    github_token: Option<String>,
}

pub struct FakeDomain {
    pub url: String,
    pub ca_path: PathBuf,
    state: Arc<Mutex<State>>,
    _dir: tempfile::TempDir,
}

const SIGNING_KID: &str = "domain-key";

fn signing_key() -> oci_token::crypto::key::SigningKey {
    oci_token::crypto::key::load(&super::other_key_pem(), None).unwrap()
}

/// An RS256 JWT signed by the domain's own key.
fn domain_jwt(issuer: &str, sub: &str, aud: &str, ttl: i64) -> String {
    let now = super::now();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": SIGNING_KID});
    let claims =
        serde_json::json!({"iss": issuer, "sub": sub, "aud": aud, "iat": now, "exp": now + ttl});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = signing_key().sign_sha256(input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Verifies an RS256 JWT against the trusts; returns its claims.
fn verify_jwt(token: &str, trusts: &[Trust]) -> Result<serde_json::Value, String> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the subject token is not a JWT".into());
    };
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).map_err(|_| "bad header")?)
            .map_err(|_| "bad header")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).map_err(|_| "bad claims")?)
            .map_err(|_| "bad claims")?;
    if header["alg"] != "RS256" {
        return Err("not RS256".into());
    }
    let iss = claims["iss"].as_str().unwrap_or_default();
    let trust = trusts
        .iter()
        .find(|t| t.issuer == iss)
        .ok_or_else(|| format!("no trust for issuer {iss}"))?;
    let kid = header["kid"].as_str().unwrap_or_default();
    let (n, e) = trust.keys.get(kid).ok_or("unknown kid")?;
    let sig = STANDARD.encode(URL_SAFE_NO_PAD.decode(s).map_err(|_| "bad signature")?);
    fake_auth::verify_with(n, e, &sig, &format!("{h}.{p}"))
        .map_err(|_| "the subject token's signature does not verify".to_owned())?;
    let aud_ok = match &claims["aud"] {
        serde_json::Value::String(a) => *a == trust.audience,
        serde_json::Value::Array(a) => a.iter().any(|x| *x == trust.audience.as_str()),
        _ => false,
    };
    if !aud_ok {
        return Err("the subject token is for another audience".into());
    }
    if claims["exp"].as_i64().unwrap_or(0) <= super::now() {
        return Err("the subject token has expired".into());
    }
    Ok(claims)
}

fn form_map(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                oci_token::commands::login::browser::form_decode(k),
                oci_token::commands::login::browser::form_decode(v),
            )
        })
        .collect()
}

impl FakeDomain {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (config, ca_pem) = super::tls::server("fake identity domain CA");
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &ca_pem).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let k = signing_key();
        let own = Trust {
            issuer: url.clone(),
            audience: "urn:opc:lbaas:logicalguid".into(),
            keys: HashMap::from([(SIGNING_KID.to_owned(), (k.n().to_vec(), k.e().to_vec()))]),
        };
        let state = Arc::new(Mutex::new(State {
            trusts: vec![own],
            upst_ttl: 3600,
            upst_sess: 20 * 3600,
            ..State::default()
        }));
        let shared = (state.clone(), url.clone());
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, (st, url)) = (config.clone(), shared.clone());
                std::thread::spawn(move || -> std::io::Result<()> {
                    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
                    let conn =
                        rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    let Some(req) = super::http1::read_request(&mut BufReader::new(&mut tls))?
                    else {
                        return Ok(());
                    };
                    let auth = req.header("authorization").unwrap_or_default();
                    let (status, out) = handle(&st, &url, &req.target, auth, &req.body_text());
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
                        out.len()
                    );
                    tls.write_all(resp.as_bytes())?;
                    tls.flush()
                });
            }
        });
        FakeDomain {
            url,
            ca_path,
            state,
            _dir: dir,
        }
    }

    pub fn register_client(&self, id: &str, secret: Option<&str>) {
        self.state
            .lock()
            .unwrap()
            .clients
            .insert(id.to_owned(), secret.map(str::to_owned));
    }
    pub fn trust(&self, t: Trust) {
        self.state.lock().unwrap().trusts.push(t);
    }
    /// A person approves the pending device login.
    pub fn approve(&self) {
        self.state.lock().unwrap().approved = true;
    }
    pub fn count(&self, what: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .counts
            .get(what)
            .copied()
            .unwrap_or(0)
    }
    /// The UPSTs it issues: lifetime and session limit, in seconds.
    pub fn upst_times(&self, ttl: i64, sess: i64) {
        let mut s = self.state.lock().unwrap();
        s.upst_ttl = ttl;
        s.upst_sess = sess;
    }
    pub fn then_exchange(&self, status: u16, body: &str) {
        self.state
            .lock()
            .unwrap()
            .exchange_script
            .push_back((status, body.to_owned()));
    }
    /// Serves `token` as GitHub's OIDC token endpoint (`/github?audience=…`) to the bearer
    /// `request_token`.
    pub fn github(&self, token: &str) {
        self.state.lock().unwrap().github_token = Some(token.to_owned());
    }
}

fn err(status: u16, error: &str) -> (u16, String) {
    (status, serde_json::json!({"error": error}).to_string())
}

#[allow(clippy::too_many_lines)] // one arm per grant
fn handle(st: &Mutex<State>, url: &str, target: &str, auth: &str, body: &str) -> (u16, String) {
    let f = form_map(body);
    let mut s = st.lock().unwrap();
    if let Some(q) = target.strip_prefix("/github") {
        *s.counts.entry("github".into()).or_default() += 1;
        if auth != "bearer gh-request-token" || !q.contains("audience=oci") {
            return (401, "{}".into());
        }
        return (
            200,
            serde_json::json!({"value": s.github_token.clone().unwrap_or_default()}).to_string(),
        );
    }
    // Client authentication: Basic for confidential clients, client_id for public ones.
    let (client, basic_secret) = match auth.strip_prefix("Basic ") {
        Some(b) => {
            let pair = String::from_utf8(STANDARD.decode(b.trim()).unwrap_or_default())
                .unwrap_or_default();
            let (id, secret) = pair.split_once(':').unwrap_or(("", ""));
            (
                oci_token::commands::login::browser::form_decode(id),
                Some(oci_token::commands::login::browser::form_decode(secret)),
            )
        }
        None => (f.get("client_id").cloned().unwrap_or_default(), None),
    };
    match s.clients.get(&client) {
        None => return err(401, "invalid_client"),
        Some(Some(secret)) if basic_secret.as_deref() != Some(secret.as_str()) => {
            return err(401, "invalid_client");
        }
        _ => {}
    }
    match target {
        "/oauth2/v1/device" => {
            *s.counts.entry("device".into()).or_default() += 1;
            if f.get("response_type").map(String::as_str) != Some("device_code") {
                return err(400, "invalid_request");
            }
            (
                200,
                serde_json::json!({"expires_in": 120, "device_code": "dc-1", "user_code": "SDFGHJKL",
                    "verification_uri": format!("{url}/ui/v1/device")})
                .to_string(),
            )
        }
        "/oauth2/v1/token" => match f.get("grant_type").map(String::as_str) {
            Some("urn:ietf:params:oauth:grant-type:device_code") => {
                *s.counts.entry("poll".into()).or_default() += 1;
                if !s.approved {
                    return err(400, "authorization_pending");
                }
                s.approved = false;
                s.serial += 1;
                let rt = format!("domain-rt-{}", s.serial);
                s.refresh_tokens.insert(rt.clone());
                let at = domain_jwt(url, "jdoe", "urn:opc:lbaas:logicalguid", 3600);
                (200, serde_json::json!({"access_token": at, "token_type": "Bearer", "expires_in": 3600, "refresh_token": rt}).to_string())
            }
            Some("refresh_token") => {
                *s.counts.entry("refresh".into()).or_default() += 1;
                let rt = f.get("refresh_token").cloned().unwrap_or_default();
                if !s.refresh_tokens.remove(&rt) {
                    return err(400, "invalid_grant");
                }
                s.serial += 1;
                let next = format!("domain-rt-{}", s.serial);
                s.refresh_tokens.insert(next.clone());
                let at = domain_jwt(url, "jdoe", "urn:opc:lbaas:logicalguid", 3600);
                (200, serde_json::json!({"access_token": at, "token_type": "Bearer", "expires_in": 3600, "refresh_token": next}).to_string())
            }
            Some("urn:ietf:params:oauth:grant-type:token-exchange") => {
                *s.counts.entry("exchange".into()).or_default() += 1;
                if let Some(scripted) = s.exchange_script.pop_front() {
                    return scripted;
                }
                if f.get("requested_token_type").map(String::as_str)
                    != Some("urn:oci:token-type:oci-upst")
                    || f.get("subject_token_type").map(String::as_str) != Some("jwt")
                {
                    return err(400, "invalid_request");
                }
                if let Err(why) =
                    verify_jwt(f.get("subject_token").map_or("", String::as_str), &s.trusts)
                {
                    return (
                        400,
                        serde_json::json!({"error": "invalid_grant", "error_description": why})
                            .to_string(),
                    );
                }
                let Some(public) = f.get("public_key").and_then(|p| STANDARD.decode(p).ok()) else {
                    return err(400, "invalid_request");
                };
                let Ok(k) = rsa::PublicKey::from_public_key_der(&public) else {
                    return err(400, "invalid_request");
                };
                let now = super::now();
                let upst = jwt::mint(&jwt::Claims {
                    iat: now,
                    exp: now + s.upst_ttl,
                    sess_exp: Some(now + s.upst_sess),
                    n: URL_SAFE_NO_PAD.encode(k.n_bytes()),
                    e: URL_SAFE_NO_PAD.encode(k.e_bytes()),
                    jti: format!("exchanged-{now}-{}", s.counts["exchange"]),
                });
                (200, serde_json::json!({"token": upst}).to_string())
            }
            _ => err(400, "unsupported_grant_type"),
        },
        _ => (404, "{}".into()),
    }
}
