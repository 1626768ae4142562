//! A loopback HTTPS stand-in for an OKE Kubernetes API server. It accepts a request only when
//! its bearer token decodes to a correctly signed `cluster_request` URL for its own cluster
//! and region: the signature verified with the session public key (the token's `jwk`), the
//! date fresh.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::fake_auth;

pub struct FakeK8s {
    pub server: String,
    pub ca_b64: String,
    /// Every request: the verification result.
    pub seen: Arc<Mutex<Vec<Result<(), String>>>>,
    _dir: tempfile::TempDir,
}

use oci_token::commands::login::browser::form_decode;

/// Verifies an OKE bearer token for `cluster_id` in `region`.
pub fn verify_token(bearer: &str, cluster_id: &str, region: &str) -> Result<(), String> {
    let url = String::from_utf8(
        URL_SAFE
            .decode(bearer)
            .map_err(|e| format!("not base64url: {e}"))?,
    )
    .map_err(|e| e.to_string())?;
    let (base, query) = url.split_once('?').ok_or("no query")?;
    let host = format!("containerengine.{region}.oraclecloud.com");
    let path = format!("/cluster_request/{cluster_id}");
    if base != format!("https://{host}{path}") {
        return Err(format!("token is for {base}, not this cluster"));
    }
    let mut auth = None;
    let mut date = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("authorization", v)) => auth = Some(form_decode(v)),
            Some(("date", v)) => date = Some(form_decode(v)),
            _ => return Err(format!("unexpected query part {pair}")),
        }
    }
    let (auth, date) = (auth.ok_or("no authorization")?, date.ok_or("no date")?);
    fake_auth::date_is_fresh(&date)?;
    let p = fake_auth::auth_params(&auth)?;
    if p.get("headers").map(String::as_str) != Some("date (request-target) host") {
        return Err("wrong signed headers".into());
    }
    let signing = format!("date: {date}\n(request-target): get {path}\nhost: {host}");
    fake_auth::check_signature(&p, &signing)
}

impl FakeK8s {
    pub fn start(cluster_id: &str, region: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (config, ca_pem) = super::tls::server("fake OKE CA");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (cid, reg, s2) = (cluster_id.to_owned(), region.to_owned(), seen.clone());
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, cid, reg, seen) =
                    (config.clone(), cid.clone(), reg.clone(), s2.clone());
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    // Serve requests on this connection until it closes.
                    loop {
                        let mut reader = BufReader::new(&mut tls);
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let mut bearer = None;
                        let mut len = 0usize;
                        loop {
                            let mut h = String::new();
                            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                                return;
                            }
                            let h = h.trim_end();
                            if h.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = h.split_once(':') {
                                if k.eq_ignore_ascii_case("authorization") {
                                    bearer = v.trim().strip_prefix("Bearer ").map(str::to_owned);
                                } else if k.eq_ignore_ascii_case("content-length") {
                                    len = v.trim().parse().unwrap_or(0);
                                }
                            }
                        }
                        let mut body = vec![0u8; len];
                        let _ = reader.read_exact(&mut body);
                        let verdict = bearer
                            .as_deref()
                            .ok_or_else(|| "no bearer token".to_owned())
                            .and_then(|b| verify_token(b, &cid, &reg));
                        seen.lock().unwrap().push(verdict.clone());
                        let (status, body) = match verdict {
                            Ok(()) => (
                                "200 OK",
                                format!(
                                    r#"{{"kind":"NamespaceList","apiVersion":"v1","metadata":{{}},"items":[{{"metadata":{{"name":"verified-{cid}"}}}}]}}"#
                                ),
                            ),
                            Err(_) => (
                                "401 Unauthorized",
                                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#.to_owned(),
                            ),
                        };
                        let resp = format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if tls.write_all(resp.as_bytes()).is_err() || tls.flush().is_err() {
                            return;
                        }
                    }
                });
            }
        });
        FakeK8s {
            server: format!("https://127.0.0.1:{port}"),
            ca_b64: STANDARD.encode(ca_pem),
            seen,
            _dir: dir,
        }
    }

    pub fn verified(&self) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.is_ok())
            .count()
    }
    pub fn rejected(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| r.clone().err())
            .collect()
    }

    /// A kubeconfig whose one user runs `exec`, given as YAML lines at the `exec:` level.
    pub fn kubeconfig(&self, exec_yaml: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: cluster-1\ncontexts:\n- context:\n    cluster: cluster-1\n    user: user-1\n  name: context-1\ncurrent-context: context-1\npreferences: {{}}\nusers:\n- name: user-1\n  user:\n    exec:\n{exec_yaml}",
            ca = self.ca_b64,
            server = self.server
        )
    }
}

pub fn path_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_oci-token"))
        .parent()
        .unwrap()
        .to_owned()
}
