//! A small OpenID Provider stand-in for what the real one never does: `slow_down`,
//! `expired_token`, 5xx, garbage, discovery without a device endpoint. Token replies are
//! scripted; poll times are recorded.

use std::collections::VecDeque;
use std::io::{BufReader, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct FakeOidc {
    pub issuer: String,
    pub ca_path: PathBuf,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
    polls: Arc<Mutex<Vec<Instant>>>,
    device_expires_in: Arc<std::sync::atomic::AtomicU64>,
    _dir: tempfile::TempDir,
}

impl FakeOidc {
    /// `device` false leaves the device endpoint out of discovery.
    pub fn start(device: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (config, ca_pem) = super::tls::server("fake OIDC CA");
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &ca_pem).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let script: Arc<Mutex<VecDeque<(u16, String)>>> = Arc::default();
        let polls: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let device_expires_in = Arc::new(std::sync::atomic::AtomicU64::new(60));
        let shared = (
            script.clone(),
            polls.clone(),
            issuer.clone(),
            device_expires_in.clone(),
        );
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, (script, polls, issuer, expires_in)) =
                    (config.clone(), shared.clone());
                std::thread::spawn(move || -> std::io::Result<()> {
                    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
                    let conn =
                        rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    let Some(req) = super::http1::read_request(&mut BufReader::new(&mut tls))?
                    else {
                        return Ok(());
                    };
                    let path = req.target.clone();
                    let (status, out) = match path.as_str() {
                        "/.well-known/openid-configuration" => {
                            let mut d = serde_json::json!({
                                "issuer": issuer,
                                "token_endpoint": format!("{issuer}/token"),
                                // As IAMs that disable the deprecated password grant.
                                "grant_types_supported": ["authorization_code", "refresh_token",
                                    "urn:ietf:params:oauth:grant-type:device_code"],
                            });
                            if device {
                                d["device_authorization_endpoint"] =
                                    format!("{issuer}/device").into();
                            }
                            (200, d.to_string())
                        }
                        "/device" => (
                            200,
                            serde_json::json!({
                                "device_code": "dc-1", "user_code": "ABCD-EFGH",
                                "verification_uri": format!("{issuer}/activate"),
                                "expires_in": expires_in.load(std::sync::atomic::Ordering::SeqCst),
                                "interval": 1
                            })
                            .to_string(),
                        ),
                        "/token" => {
                            polls.lock().unwrap().push(Instant::now());
                            script
                                .lock()
                                .unwrap()
                                .pop_front()
                                .unwrap_or((400, r#"{"error":"authorization_pending"}"#.into()))
                        }
                        _ => (404, "{}".into()),
                    };
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
                        out.len()
                    );
                    tls.write_all(resp.as_bytes())?;
                    tls.flush()
                });
            }
        });
        FakeOidc {
            issuer,
            ca_path,
            script,
            polls,
            device_expires_in,
            _dir: dir,
        }
    }

    /// How long the next device codes live (60 s unless set).
    pub fn device_expires_in(&self, secs: u64) {
        self.device_expires_in
            .store(secs, std::sync::atomic::Ordering::SeqCst);
    }

    /// Answers the next token request this way.
    pub fn then(&self, status: u16, body: &str) {
        self.script
            .lock()
            .unwrap()
            .push_back((status, body.to_owned()));
    }

    pub fn polls(&self) -> Vec<Instant> {
        self.polls.lock().unwrap().clone()
    }
}
