//! A loopback HTTPS stand-in for the OCI auth service. It speaks the refresh protocol and
//! verifies every request: the RSA-SHA256 signature with the public key in the `jwk` of the
//! token named by `keyId`, the signed header list, the body digest and length, the date
//! (within 5 minutes), and that `currentToken` is the keyId's token.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::sha2::{Digest as _, Sha256};
use rsa::signature::Verifier as _;

use super::jwt;

/// How the next refresh is answered.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with a new token valid for `ttl` seconds (capped by `sess_exp`).
    Ok,
    /// This status and body.
    Status(u16, String),
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 with a new token whose `exp` equals the old one (a `--no-browser` session).
    NoExtend,
    /// Hold the connection this long, then close it without answering.
    Stall(Duration),
    /// 200 with `{"token": <this text>}`: a hostile or broken service.
    Raw(String),
    /// 200 with a well-formed token bound to this other key (PEM).
    ForKey(String),
}

/// What one request looked like and whether it verified.
#[derive(Clone, Debug)]
pub struct Record {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub verified: Result<(), String>,
    pub via_proxy: bool,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An instance leaf: (certificate DER, key n, key e, tenancy).
type LeafKey = (Vec<u8>, Vec<u8>, Vec<u8>, String);

struct State {
    script: VecDeque<Reply>,
    default: Reply,
    ttl: i64,
    delay: Duration,
    records: Vec<Record>,
    api_keys: std::collections::HashMap<String, (Vec<u8>, Vec<u8>)>,
    /// The instance leaf it federates.
    leaf: Option<LeafKey>,
    /// The service-account token the OKE proxymux accepts.
    sa_tokens: Vec<String>,
    /// Identity: auth tokens per user.
    auth_tokens: std::collections::HashMap<String, Vec<serde_json::Value>>,
    /// Identity: what each `opc-retry-token` was answered with (a repeat gets it again,
    /// creating nothing, as the service does).
    retry_answers: std::collections::HashMap<String, (u16, String)>,
    /// Identity: the next this many auth-token creations create the token, then answer
    /// 500 (a reply lost after the work was done).
    create_then_fail: usize,
}

pub struct FakeAuth {
    pub url: String,
    pub port: u16,
    pub ca_path: PathBuf,

    state: Arc<Mutex<State>>,
    _dir: tempfile::TempDir,
}

static JTI: AtomicU64 = AtomicU64::new(1);

impl FakeAuth {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (config, ca_pem) = super::tls::server("oci-token test CA");
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &ca_pem).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            script: VecDeque::new(),
            default: Reply::Ok,
            ttl: 3600,
            delay: Duration::ZERO,
            records: Vec::new(),
            api_keys: std::collections::HashMap::new(),
            leaf: None,
            sa_tokens: Vec::new(),
            auth_tokens: std::collections::HashMap::new(),
            retry_answers: std::collections::HashMap::new(),
            create_then_fail: 0,
        }));
        let st = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, st) = (config.clone(), st.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, config, &st);
                });
            }
        });
        FakeAuth {
            url: format!("https://localhost:{port}"),
            port,
            ca_path,
            state,
            _dir: dir,
        }
    }

    /// Answers every refresh this way from now on.
    pub fn always(&self, r: Reply) {
        self.state.lock().unwrap().default = r;
    }
    /// Answers the next refreshes this way, in order, then as `always` says.
    pub fn then(&self, r: Reply) {
        self.state.lock().unwrap().script.push_back(r);
    }
    /// Accepts `GenerateUpst` requests signed by this PEM key under `key_id`.
    /// The next `n` auth-token creations create the token, then answer 500.
    pub fn create_then_fail(&self, n: usize) {
        self.state.lock().unwrap().create_then_fail = n;
    }

    pub fn register_api_key(&self, key_id: &str, pem: &str) {
        let k = oci_token::crypto::key::load(pem, None).unwrap();
        self.state
            .lock()
            .unwrap()
            .api_keys
            .insert(key_id.to_owned(), (k.n().to_vec(), k.e().to_vec()));
    }
    /// Federates this instance leaf (certificate DER and its PKCS#8 key) at `/v1/x509`.
    pub fn register_leaf(&self, cert_der: &[u8], key_pem: &str, tenancy: &str) {
        let k = oci_token::crypto::key::load(key_pem, None).unwrap();
        self.state.lock().unwrap().leaf = Some((
            cert_der.to_vec(),
            k.n().to_vec(),
            k.e().to_vec(),
            tenancy.to_owned(),
        ));
    }

    /// Accepts this service-account token (too) at `/resourcePrincipalSessionTokens`.
    pub fn accept_service_account(&self, token: &str) {
        self.state.lock().unwrap().sa_tokens.push(token.to_owned());
    }

    /// Requests to `target` so far.
    pub fn count_of(&self, target: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .records
            .iter()
            .filter(|r| r.target == target)
            .count()
    }

    /// Lifetime of the tokens it issues (capped by `sess_exp`).
    pub fn ttl(&self, secs: i64) {
        self.state.lock().unwrap().ttl = secs;
    }
    /// Waits this long before answering (to make concurrent callers overlap).
    pub fn delay(&self, d: Duration) {
        self.state.lock().unwrap().delay = d;
    }
    pub fn records(&self) -> Vec<Record> {
        self.state.lock().unwrap().records.clone()
    }
    pub fn count(&self) -> usize {
        self.state.lock().unwrap().records.len()
    }
    /// Panics unless every request so far verified.
    pub fn assert_all_verified(&self) {
        for r in self.records() {
            assert!(
                r.verified.is_ok(),
                "request failed verification: {:?}",
                r.verified
            );
        }
    }
}

/// The reply to a verified (or refused) `GenerateUpst`: a token for the key it sent.
fn upst_reply(checked: Result<(String, i64), String>) -> (u16, String) {
    match checked {
        Err(why) => (
            401,
            serde_json::json!({"code": "NotAuthenticated", "message": why}).to_string(),
        ),
        Ok((pem, minutes)) => {
            use rsa::pkcs8::DecodePublicKey as _;
            use rsa::traits::PublicKeyParts as _;
            let k = rsa::PublicKey::from_public_key_pem(&pem).unwrap();
            let now = super::now();
            let token = jwt::mint(&jwt::Claims {
                iat: now,
                exp: now + minutes * 60,
                sess_exp: Some(now + minutes * 60),
                n: URL_SAFE_NO_PAD.encode(k.n_bytes()),
                e: URL_SAFE_NO_PAD.encode(k.e_bytes()),
                jti: format!("upst-{}", JTI.fetch_add(1, Ordering::SeqCst)),
            });
            (200, serde_json::json!({"token": token}).to_string())
        }
    }
}

#[allow(clippy::too_many_lines)] // one request, read, verified and answered in order
fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    st: &Mutex<State>,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    // A CONNECT tunnel from the test proxy announces itself with one marker byte first.
    let mut peek = [0u8; 1];
    let via_proxy = tcp.peek(&mut peek)? == 1 && peek[0] == b'P';
    let mut tcp = tcp;
    if via_proxy {
        tcp.read_exact(&mut peek)?;
    }
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut reader = BufReader::new(&mut tls);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).into_owned();
    if target == "/v1/token/upst/actions/GenerateUpst" {
        let api_keys = st.lock().unwrap().api_keys.clone();
        let checked = verify_upst(&target, &headers, &body, &api_keys);
        st.lock().unwrap().records.push(Record {
            method,
            target,
            headers,
            body: body.clone(),
            verified: checked.clone().map(|_| ()),
            via_proxy,
        });
        let (status, out) = upst_reply(checked);
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
            out.len()
        );
        tls.write_all(resp.as_bytes())?;
        tls.flush()?;
        return Ok(());
    }
    if target.starts_with("/20160918/") || target == "/n/" {
        let (status, out) = identity_reply(&method, &target, &headers, &body, st);
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nopc-request-id: IDENTITY\r\nConnection: close\r\n\r\n{out}",
            out.len()
        );
        tls.write_all(resp.as_bytes())?;
        tls.flush()?;
        tls.conn.send_close_notify();
        let _ = tls.flush();
        return Ok(());
    }
    if target == "/v1/x509" || target == "/resourcePrincipalSessionTokens" {
        let (status, out) = principal_reply(&method, &target, &headers, &body, via_proxy, st);
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
            out.len()
        );
        tls.write_all(resp.as_bytes())?;
        tls.flush()?;
        tls.conn.send_close_notify();
        let _ = tls.flush();
        return Ok(());
    }
    let verified = verify(&method, &target, &headers, &body);
    let record = Record {
        method,
        target,
        headers,
        body: body.clone(),
        verified: verified.clone(),
        via_proxy,
    };
    let (reply, ttl, delay) = {
        let mut s = st.lock().unwrap();
        s.records.push(record);
        let r = s.script.pop_front().unwrap_or_else(|| s.default.clone());
        (r, s.ttl, s.delay)
    };
    std::thread::sleep(delay);
    let (status, out) = match (&verified, reply) {
        (Err(why), _) => (
            401,
            serde_json::json!({"code": "NotAuthenticated", "message": why}).to_string(),
        ),
        (Ok(()), Reply::Stall(d)) => {
            std::thread::sleep(d);
            return Ok(());
        }
        (Ok(()), Reply::Status(s, b)) => (s, b),
        (Ok(()), Reply::Garbage) => (200, "<html>not json</html>".to_owned()),
        (Ok(()), Reply::Raw(t)) => (200, serde_json::json!({"token": t}).to_string()),
        (Ok(()), Reply::ForKey(pem)) => {
            let now = super::now();
            let new = jwt::mint(&jwt::Claims::for_key(
                &pem,
                now,
                now + ttl,
                Some(now + 7200),
            ));
            (200, serde_json::json!({"token": new}).to_string())
        }
        (Ok(()), r @ (Reply::Ok | Reply::NoExtend)) => {
            let old = current_token(&body).unwrap_or_default();
            let c = jwt::claims(&old);
            let now = super::now();
            let sess_exp = c["sess_exp"]
                .as_str()
                .and_then(oci_token::token::parse_date)
                .map(jiff::Timestamp::as_second);
            let exp = match r {
                Reply::NoExtend => c["exp"].as_i64().unwrap_or(now),
                _ => sess_exp.map_or(now + ttl, |s| s.min(now + ttl)),
            };
            let jwk: serde_json::Value =
                serde_json::from_str(c["jwk"].as_str().unwrap_or("{}")).unwrap_or_default();
            let new = jwt::mint(&jwt::Claims {
                iat: now,
                exp,
                sess_exp,
                n: jwk["n"].as_str().unwrap_or("").to_owned(),
                e: jwk["e"].as_str().unwrap_or("").to_owned(),
                jti: format!("refreshed-{}", JTI.fetch_add(1, Ordering::SeqCst)),
            });
            (200, serde_json::json!({"token": new}).to_string())
        }
    };
    let resp = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nopc-request-id: FAKE{:028}\r\nConnection: close\r\n\r\n{out}",
        out.len(),
        JTI.load(Ordering::SeqCst)
    );
    tls.write_all(resp.as_bytes())?;
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(())
}

/// `/v1/x509` (signed with the registered leaf key, the certificate in the body) and the
/// OKE proxymux (the registered service-account token): verify, then issue a token bound
/// to the public key in the body, or answer as scripted.
fn principal_reply(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &str,
    via_proxy: bool,
    st: &Mutex<State>,
) -> (u16, String) {
    let (leaf, sa, ttl, delay) = {
        let s = st.lock().unwrap();
        (s.leaf.clone(), s.sa_tokens.clone(), s.ttl, s.delay)
    };
    let checked = if target == "/v1/x509" {
        verify_x509(method, target, headers, body, leaf.as_ref())
    } else {
        verify_workload(headers, body, &sa)
    };
    let reply = {
        let mut s = st.lock().unwrap();
        s.records.push(Record {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: headers.to_vec(),
            body: body.to_owned(),
            verified: checked.clone().map(|_| ()),
            via_proxy,
        });
        s.script.pop_front().unwrap_or_else(|| s.default.clone())
    };
    std::thread::sleep(delay);
    let (n, e, tenant) = match (checked, reply) {
        (Err(why), _) => {
            return (
                401,
                serde_json::json!({"code": "NotAuthenticated", "message": why}).to_string(),
            );
        }
        (Ok(_), Reply::Status(s, b)) => return (s, b),
        (Ok(_), Reply::Garbage) => return (200, "<html>not json</html>".to_owned()),
        (Ok(_), Reply::Stall(d)) => {
            std::thread::sleep(d);
            return (504, String::new());
        }
        (Ok(_), Reply::Raw(t)) => return (200, serde_json::json!({"token": t}).to_string()),
        (Ok(k), _) => k,
    };
    let now = super::now();
    let ptype = if target == "/v1/x509" {
        "instance"
    } else {
        "resource"
    };
    // A serial in the subject: two tokens issued in one second still differ.
    let token = jwt::mint_principal(
        &n,
        &e,
        now,
        now + ttl,
        &tenant,
        &format!("{ptype}-{}", JTI.fetch_add(1, Ordering::SeqCst)),
    );
    if target == "/v1/x509" {
        (200, serde_json::json!({"token": token}).to_string())
    } else {
        let inner =
            STANDARD.encode(serde_json::json!({"token": format!("ST${token}")}).to_string());
        (200, serde_json::Value::String(inner).to_string())
    }
}

/// The session public key a principal request carries (base64 DER of an SPKI) as base64url
/// `(n, e)`.
fn session_key_of(b64_spki: &str) -> Result<(String, String), String> {
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::traits::PublicKeyParts as _;
    let der = STANDARD
        .decode(b64_spki)
        .map_err(|_| "the public key is not base64")?;
    let k = rsa::PublicKey::from_public_key_der(&der)
        .map_err(|_| "the public key is not an RSA SPKI")?;
    Ok((
        URL_SAFE_NO_PAD.encode(k.n_bytes()),
        URL_SAFE_NO_PAD.encode(k.e_bytes()),
    ))
}

fn verify_x509(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &str,
    leaf: Option<&LeafKey>,
) -> Result<(String, String, String), String> {
    let (der, n, e, tenancy) = leaf.ok_or("no leaf registered")?;
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let p = auth_params(get("authorization").ok_or("no authorization header")?)?;
    let list = p.get("headers").ok_or("no headers parameter")?;
    if list != "date (request-target) content-length content-type x-content-sha256" {
        return Err(format!("wrong signed header list for /v1/x509: {list}"));
    }
    let key_id = p.get("keyId").ok_or("no keyId")?;
    let sha256 = {
        let d = Sha256::digest(der);
        d.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let sha1 = {
        let d = <sha1::Sha1 as sha1::Digest>::digest(der);
        d.iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let go_form = format!("{tenancy}/fed-x509-sha256/{sha256}");
    let python_form = format!("{tenancy}/fed-x509/{sha1}");
    if *key_id != go_form && *key_id != python_form {
        return Err(format!(
            "keyId {key_id} names another certificate or tenancy"
        ));
    }
    let mut lines = Vec::new();
    for h in list.split(' ') {
        if h == "(request-target)" {
            lines.push(format!(
                "(request-target): {} {target}",
                method.to_ascii_lowercase()
            ));
        } else {
            lines.push(format!(
                "{h}: {}",
                get(h).ok_or_else(|| format!("signed header {h} missing"))?
            ));
        }
    }
    let digest = STANDARD.encode(Sha256::digest(body.as_bytes()));
    if get("x-content-sha256") != Some(digest.as_str()) {
        return Err("x-content-sha256 does not match the body".into());
    }
    date_is_fresh(get("date").ok_or("no date")?)?;
    verify_with(
        n,
        e,
        p.get("signature").ok_or("no signature")?,
        &lines.join(
            "
",
        ),
    )
    .map_err(|_| "the signature does not verify with the leaf certificate's key".to_owned())?;
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if v["certificate"].as_str() != Some(STANDARD.encode(der).as_str()) {
        return Err("certificate in the body is not the leaf".into());
    }
    if v["intermediateCertificates"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        return Err("no intermediateCertificates".into());
    }
    let (n, e) = session_key_of(v["publicKey"].as_str().ok_or("no publicKey")?)?;
    Ok((n, e, tenancy.clone()))
}

fn verify_workload(
    headers: &[(String, String)],
    body: &str,
    accepted: &[String],
) -> Result<(String, String, String), String> {
    if accepted.is_empty() {
        return Err("no service account registered".into());
    }
    let auth = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.strip_prefix("Bearer "));
    if !auth.is_some_and(|a| accepted.iter().any(|sa| sa == a)) {
        return Err("not the service-account token".into());
    }
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let (n, e) = session_key_of(v["podKey"].as_str().ok_or("no podKey")?)?;
    Ok((n, e, jwt::TENANCY.to_owned()))
}

/// Identity's auth tokens (at most two per user), users and Object Storage's namespace,
/// for requests signed by a session or a registered API key.
#[allow(clippy::too_many_lines)] // verification, then one arm per route
fn identity_reply(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &str,
    st: &Mutex<State>,
) -> (u16, String) {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let checked = (|| -> Result<(), String> {
        let p = auth_params(get("authorization").ok_or("no authorization")?)?;
        let list = p.get("headers").ok_or("no headers")?;
        let want = if method == "POST" || method == "PUT" {
            "date (request-target) host content-length content-type x-content-sha256"
        } else {
            "date (request-target) host"
        };
        if list != want {
            return Err(format!("wrong signed header list: {list}"));
        }
        let mut lines = Vec::new();
        for h in list.split(' ') {
            if h == "(request-target)" {
                lines.push(format!(
                    "(request-target): {} {target}",
                    method.to_ascii_lowercase()
                ));
            } else {
                lines.push(format!(
                    "{h}: {}",
                    get(h).ok_or_else(|| format!("{h} missing"))?
                ));
            }
        }
        if method == "POST" {
            let digest = STANDARD.encode(Sha256::digest(body.as_bytes()));
            if get("x-content-sha256") != Some(digest.as_str()) {
                return Err("x-content-sha256 does not match the body".into());
            }
        }
        date_is_fresh(get("date").ok_or("no date")?)?;
        let key_id = p.get("keyId").ok_or("no keyId")?;
        if key_id.starts_with("ST$") {
            check_signature(&p, &lines.join("\n"))
        } else {
            let keys = st.lock().unwrap().api_keys.clone();
            let (n, e) = keys.get(key_id).ok_or("unknown API keyId")?;
            verify_with(
                n,
                e,
                p.get("signature").ok_or("no signature")?,
                &lines.join("\n"),
            )
        }
    })();
    let mut s = st.lock().unwrap();
    s.records.push(Record {
        method: method.to_owned(),
        target: target.to_owned(),
        headers: headers.to_vec(),
        body: body.to_owned(),
        verified: checked.clone(),
        via_proxy: false,
    });
    if let Err(why) = checked {
        return (
            401,
            serde_json::json!({"code": "NotAuthenticated", "message": why}).to_string(),
        );
    }
    if target == "/n/" {
        return (200, "\"ocitokentest\"".to_owned());
    }
    let parts: Vec<&str> = target.trim_start_matches("/20160918/").split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", ["users", user]) => (
            200,
            serde_json::json!({"id": user, "name": "jdoe@example.com"}).to_string(),
        ),
        ("POST", ["users", user, "authTokens"]) => {
            let retry = get("opc-retry-token").map(str::to_owned);
            let fail = s.create_then_fail > 0;
            if fail {
                s.create_then_fail -= 1;
            }
            if let Some(answer) = retry.as_ref().and_then(|r| s.retry_answers.get(r)) {
                // A repeat: the first attempt's token, nothing new (its reply lost again
                // while `create_then_fail` lasts).
                if fail {
                    return (
                        500,
                        serde_json::json!({"code": "InternalServerError", "message": "lost"})
                            .to_string(),
                    );
                }
                return (200, answer.1.clone());
            }
            let list = s.auth_tokens.entry((*user).to_owned()).or_default();
            if list.len() >= 2 {
                return (
                    400,
                    serde_json::json!({"code": "LimitExceeded", "message": "User has reached the maximum number of auth tokens"}).to_string(),
                );
            }
            let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            let n = JTI.fetch_add(1, Ordering::SeqCst);
            let t = serde_json::json!({
                "id": format!("ocid1.credential.oc1..aaaaaaaatoken{n}"),
                "userId": user,
                "description": v["description"],
                "token": format!("S3cr3t+Tok3n{n}"),
                "timeCreated": "2026-11-26T03:00:00.000Z",
                "timeExpires": null,
                "lifecycleState": "ACTIVE",
                "inactiveStatus": null,
            });
            let mut listed = t.clone();
            listed["token"] = serde_json::Value::Null;
            list.push(listed);
            if let Some(r) = retry {
                s.retry_answers.insert(r, (200, t.to_string()));
            }
            if fail {
                return (
                    500,
                    serde_json::json!({"code": "InternalServerError", "message": "lost"})
                        .to_string(),
                );
            }
            (200, t.to_string())
        }
        ("GET", ["users", user, "authTokens"]) => (
            200,
            serde_json::Value::Array(s.auth_tokens.get(*user).cloned().unwrap_or_default())
                .to_string(),
        ),
        ("DELETE", ["users", user, "authTokens", id]) => {
            let list = s.auth_tokens.entry((*user).to_owned()).or_default();
            let before = list.len();
            list.retain(|t| t["id"] != *id);
            if list.len() == before {
                (404, serde_json::json!({"code": "NotAuthorizedOrNotFound", "message": "no such token"}).to_string())
            } else {
                (204, String::new())
            }
        }
        _ => (404, "{}".to_owned()),
    }
}

fn current_token(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v["currentToken"].as_str().map(str::to_owned)
}

/// Checks what every signed POST must satisfy (header list, digest, length, date) and
/// returns the Authorization parameters and the rebuilt signing string.
fn verify_common(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<(std::collections::HashMap<String, String>, String), String> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let p = auth_params(get("authorization").ok_or("no authorization header")?)?;
    if p.get("algorithm").map(String::as_str) != Some("rsa-sha256")
        || p.get("version").map(String::as_str) != Some("1")
    {
        return Err("algorithm/version".into());
    }
    let list = p.get("headers").ok_or("no headers parameter")?;
    if method == "POST"
        && list != "date (request-target) host content-length content-type x-content-sha256"
    {
        return Err(format!("wrong signed header list: {list}"));
    }
    let mut lines = Vec::new();
    for h in list.split(' ') {
        if h == "(request-target)" {
            lines.push(format!(
                "(request-target): {} {target}",
                method.to_ascii_lowercase()
            ));
        } else {
            lines.push(format!(
                "{h}: {}",
                get(h).ok_or_else(|| format!("signed header {h} missing"))?
            ));
        }
    }
    let digest = STANDARD.encode(Sha256::digest(body.as_bytes()));
    if get("x-content-sha256") != Some(digest.as_str()) {
        return Err("x-content-sha256 does not match the body".into());
    }
    if get("content-length") != Some(body.len().to_string().as_str()) {
        return Err("content-length does not match the body".into());
    }
    date_is_fresh(get("date").ok_or("no date")?)?;
    Ok((p, lines.join("\n")))
}

/// Verifies an OCI-signed refresh request.
pub fn verify(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<(), String> {
    let (p, signing_string) = verify_common(method, target, headers, body)?;
    let token = p
        .get("keyId")
        .and_then(|k| k.strip_prefix("ST$"))
        .ok_or("keyId is not a session token")?;
    if current_token(body).as_deref() != Some(token) {
        return Err("currentToken differs from the keyId token".into());
    }
    if body != format!("{{\"currentToken\": \"{token}\"}}") {
        return Err("body is not the oci CLI's JSON".into());
    }
    check_signature(&p, &signing_string)
}

/// Verifies a `GenerateUpst` request, signed with a registered API key or a session, and
/// returns the public key PEM and minutes it asks for.
fn verify_upst(
    target: &str,
    headers: &[(String, String)],
    body: &str,
    api_keys: &std::collections::HashMap<String, (Vec<u8>, Vec<u8>)>,
) -> Result<(String, i64), String> {
    let (p, signing_string) = verify_common("POST", target, headers, body)?;
    let key_id = p.get("keyId").ok_or("no keyId")?;
    if key_id.starts_with("ST$") {
        check_signature(&p, &signing_string)?;
    } else {
        let (n, e) = api_keys
            .get(key_id)
            .ok_or_else(|| format!("unknown API keyId {key_id}"))?;
        verify_with(
            n,
            e,
            p.get("signature").ok_or("no signature")?,
            &signing_string,
        )?;
    }
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let pem = v["publicKey"].as_str().ok_or("no publicKey")?.to_owned();
    let minutes: i64 = v["sessionExpirationInMinutes"]
        .as_str()
        .ok_or("sessionExpirationInMinutes is not a string")?
        .parse()
        .map_err(|_| "sessionExpirationInMinutes is not a number")?;
    if !(5..=60).contains(&minutes) {
        return Err("sessionExpirationInMinutes out of range".into());
    }
    Ok((pem, minutes))
}

/// RSA-SHA256 verification with a public key given as big-endian `n` and `e`.
pub fn verify_with(
    n: &[u8],
    e: &[u8],
    signature_b64: &str,
    signing_string: &str,
) -> Result<(), String> {
    let public = rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(n),
        rsa::BoxedUint::from_be_slice_vartime(e),
    )
    .map_err(|e| e.to_string())?;
    let sig = STANDARD.decode(signature_b64).map_err(|e| e.to_string())?;
    let sig = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).map_err(|e| e.to_string())?;
    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public)
        .verify(signing_string.as_bytes(), &sig)
        .map_err(|_| "signature does not verify".to_owned())
}

/// Parses `Signature k="v",…` into its parameters.
pub fn auth_params(auth: &str) -> Result<std::collections::HashMap<String, String>, String> {
    let params = auth
        .strip_prefix("Signature ")
        .ok_or("authorization is not a Signature")?;
    let mut p = std::collections::HashMap::new();
    for part in split_params(params) {
        let (k, v) = part.split_once('=').ok_or("bad authorization parameter")?;
        p.insert(k.to_owned(), v.trim_matches('"').to_owned());
    }
    Ok(p)
}

/// Verifies `signature` over `signing_string` with the public key of the `jwk` in the token
/// that `keyId` (`ST$<token>`) names.
pub fn check_signature(
    p: &std::collections::HashMap<String, String>,
    signing_string: &str,
) -> Result<(), String> {
    let token = p
        .get("keyId")
        .and_then(|k| k.strip_prefix("ST$"))
        .ok_or("keyId is not a session token")?;
    let claims = jwt::claims(token);
    let jwk: serde_json::Value =
        serde_json::from_str(claims["jwk"].as_str().ok_or("token has no jwk")?)
            .map_err(|e| e.to_string())?;
    let n = URL_SAFE_NO_PAD
        .decode(jwk["n"].as_str().unwrap_or(""))
        .map_err(|e| e.to_string())?;
    let e = URL_SAFE_NO_PAD
        .decode(jwk["e"].as_str().unwrap_or(""))
        .map_err(|e| e.to_string())?;
    verify_with(
        &n,
        &e,
        p.get("signature").ok_or("no signature")?,
        signing_string,
    )
    .map_err(|_| "signature does not verify with the token's jwk".to_owned())
}

/// Whether an RFC 9110 date is within 5 minutes of now.
pub fn date_is_fresh(date: &str) -> Result<(), String> {
    let t = jiff::fmt::rfc2822::parse(date)
        .map_err(|_| format!("bad date {date}"))?
        .timestamp()
        .as_second();
    if (t - super::now()).abs() > 300 {
        return Err("date is more than 5 minutes off".into());
    }
    Ok(())
}

/// Splits `a="x,y",b="z"` at commas outside quotes.
fn split_params(s: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}
