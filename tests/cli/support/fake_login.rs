//! A loopback stand-in for the OCI login service (`/v1/oauth2/authorize`): it reads the
//! `public_key` parameter, mints a session token for that key (or, told to, for another key)
//! and redirects the browser to `redirect_uri` with the token in the URL fragment.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

use super::jwt;

/// The decoded query pairs of each authorize request.
pub type Requests = Arc<Mutex<Vec<Vec<(String, String)>>>>;

pub struct FakeLogin {
    pub url: String,
    /// The query pairs of each authorize request, in order, decoded.
    pub requests: Requests,
}

use oci_token::commands::login::browser::form_decode as decode;

impl FakeLogin {
    /// `wrong_key`: mint the token for this PEM key instead of the one the client sent.
    pub fn start(wrong_key: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                let mut line = String::new();
                let mut r = BufReader::new(s.try_clone().unwrap());
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                }
                let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let Some(("/v1/oauth2/authorize", query)) = target.split_once('?') else {
                    let _ = s.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    continue;
                };
                let pairs: Vec<(String, String)> = query
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (decode(k), decode(v)))
                    .collect();
                reqs.lock().unwrap().push(pairs.clone());
                let get = |k: &str| {
                    pairs
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let jwk: serde_json::Value =
                    serde_json::from_slice(&URL_SAFE.decode(get("public_key")).unwrap_or_default())
                        .unwrap_or_default();
                let now = super::now();
                let mut claims = jwt::Claims {
                    iat: now,
                    exp: now + 3600,
                    sess_exp: Some(now + 24 * 3600),
                    n: jwk["n"].as_str().unwrap_or("").to_owned(),
                    e: jwk["e"].as_str().unwrap_or("").to_owned(),
                    jti: "browser-login".into(),
                };
                if let Some(pem) = &wrong_key {
                    let other = jwt::Claims::for_key(pem, now, now + 3600, None);
                    claims.n = other.n;
                    claims.e = other.e;
                }
                let location = format!(
                    "{}#security_token={}&token_type=security_token",
                    get("redirect_uri"),
                    jwt::mint(&claims)
                );
                let _ = write!(
                    s,
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        FakeLogin { url, requests }
    }
}
