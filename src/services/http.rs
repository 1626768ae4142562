//! HTTPS: built only when a request is about to go out. TLS always verified; a CA bundle
//! replaces the built-in Mozilla roots; proxies chosen explicitly; bounded time.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::sys::env::Env;

/// Connect timeout of one attempt.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The deadline across all attempts of one logical request.
pub(crate) const TOTAL_DEADLINE: Duration = Duration::from_secs(30);

/// The deadline of one logical request: `OCI_TOKEN_HTTP_TIMEOUT`, at most (and by default)
/// `TOTAL_DEADLINE`.
#[must_use]
pub(crate) fn total_deadline(env: &dyn Env) -> Duration {
    env.var("OCI_TOKEN_HTTP_TIMEOUT")
        .and_then(|v| crate::duration::parse(&v).ok())
        .map_or(TOTAL_DEADLINE, |d| {
            Duration::from_millis(u64::try_from(d.as_millis().max(1)).unwrap_or(u64::MAX))
                .min(TOTAL_DEADLINE)
        })
}

/// ureq's I/O buffers (128 KiB each by default, zero-filled on every connection: half a
/// million instructions per request). Replies are a few KiB; the input buffer still holds
/// ureq's largest response head (64 KiB), the output buffer a request head with a session
/// token in it several times over.
const INPUT_BUFFER: usize = 64 << 10;
const OUTPUT_BUFFER: usize = 32 << 10;

/// Where TLS trust and the proxy come from.
#[derive(Debug, Default, Clone)]
pub(crate) struct Settings {
    /// `--cert-bundle`, else `OCI_CLI_CERT_BUNDLE`, else `REQUESTS_CA_BUNDLE`.
    pub cert_bundle: Option<PathBuf>,
    /// `HTTPS_PROXY`/`https_proxy`, else `ALL_PROXY`/`all_proxy` (never `HTTP_PROXY`).
    pub proxy: Option<String>,
    /// `NO_PROXY`/`no_proxy`.
    pub no_proxy: Option<String>,
}

impl Settings {
    #[must_use]
    pub(crate) fn from_env(cert_bundle_flag: Option<PathBuf>, env: &dyn Env) -> Self {
        let first = |names: &[&str]| names.iter().find_map(|n| env.var(n));
        Settings {
            cert_bundle: cert_bundle_flag.or_else(|| {
                first(&["OCI_CLI_CERT_BUNDLE", "REQUESTS_CA_BUNDLE"]).map(PathBuf::from)
            }),
            proxy: first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
        }
    }
}

/// Whether `NO_PROXY` exempts `host`: `*`, an exact host, or `.suffix` / `*.suffix`
/// (which also match the bare suffix). A port in an entry or the host is ignored.
#[must_use]
pub(crate) fn no_proxy_matches(no_proxy: &str, host: &str) -> bool {
    let host = strip_port(host).to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = strip_port(entry).to_ascii_lowercase();
            let bare = entry.trim_start_matches('*').trim_start_matches('.');
            host == bare || host.ends_with(&format!(".{bare}"))
        })
}

fn strip_port(h: &str) -> &str {
    if h.starts_with('[') {
        return h.split(']').next().map_or(h, |s| s.trim_start_matches('['));
    }
    match h.rsplit_once(':') {
        Some((a, p)) if p.chars().all(|c| c.is_ascii_digit()) => a,
        _ => h,
    }
}

/// A failure before a status code came back. Texts never hold a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TransportError {
    /// The CA bundle cannot be read or holds no certificate: a configuration error.
    #[error("{0}")]
    CaBundle(String),
    /// The proxy setting is not a URL: a configuration error.
    #[error("the proxy setting (HTTPS_PROXY/ALL_PROXY) is not a valid URL")]
    ProxySetting,
    /// Nothing came back in time.
    #[error("timed out")]
    Timeout,
    /// DNS could not resolve the host.
    #[error("host not found (DNS)")]
    Dns,
    /// Connecting, TLS, the proxy or reading the reply failed.
    #[error("{0}")]
    Network(String),
}

impl TransportError {
    /// Whether the user's configuration (not the network) is at fault: retrying cannot help.
    #[must_use]
    pub(crate) fn is_config(&self) -> bool {
        matches!(
            self,
            TransportError::CaBundle(_) | TransportError::ProxySetting
        )
    }
}

/// rustls with ring, offering `TLS_AES_128_GCM_SHA256` first (then the default order:
/// AES-256-GCM, ChaCha20-Poly1305, the TLS 1.2 suites). Every TLS 1.3 server has it (RFC
/// 8446 makes it mandatory), its strength matches the handshake's (X25519, RSA-2048), and
/// its SHA-256 transcript and key schedule cost 74 k instructions less a handshake than
/// SHA-384's. (X25519 stays first: P-256 first cost 0.13 M more.)
fn crypto_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    p.cipher_suites
        .sort_by_key(|s| s.suite() != rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
    std::sync::Arc::new(p)
}

/// A reply.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    pub request_id: Option<String>,
}

/// One configured client for one URL (trust, proxy, timeouts).
pub(crate) struct Client {
    agent: ureq::Agent,
}

impl Client {
    /// Builds the agent. `remaining` bounds the whole attempt.
    pub(crate) fn new(
        settings: &Settings,
        host: &str,
        remaining: Duration,
    ) -> Result<Self, TransportError> {
        let roots = match &settings.cert_bundle {
            Some(path) => {
                let pem = crate::sys::store::read_regular(path, crate::sys::store::MAX_CONFIG)
                    .map_err(|e| {
                        TransportError::CaBundle(format!(
                            "cannot read the CA bundle {}: {e}",
                            path.display()
                        ))
                    })?;
                let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                if certs.is_empty() {
                    return Err(TransportError::CaBundle(format!(
                        "the CA bundle {} holds no certificate",
                        path.display()
                    )));
                }
                ureq::tls::RootCerts::new_with_certs(&certs)
            }
            // Windows: the system's certificate store; elsewhere Mozilla's roots (built in).
            None => match crate::sys::os::system_roots() {
                Some(ders) => ureq::tls::RootCerts::new_with_certs(
                    &ders
                        .iter()
                        .map(|d| ureq::tls::Certificate::from_der(d).to_owned())
                        .collect::<Vec<_>>(),
                ),
                None => ureq::tls::RootCerts::WebPki,
            },
        };
        let proxy = match &settings.proxy {
            Some(p)
                if !settings
                    .no_proxy
                    .as_deref()
                    .is_some_and(|np| no_proxy_matches(np, host)) =>
            {
                let p = if p.contains("://") {
                    p.clone()
                } else {
                    format!("http://{p}")
                };
                Some(ureq::Proxy::new(&p).map_err(|_| TransportError::ProxySetting)?)
            }
            _ => None,
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(true)
            .max_redirects(0)
            .user_agent(format!("oci-token/{}", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(roots)
                    .unversioned_rustls_crypto_provider(crypto_provider())
                    .build(),
            )
            .proxy(proxy)
            .timeout_connect(Some(CONNECT_TIMEOUT.min(remaining)))
            .timeout_global(Some(remaining))
            .input_buffer_size(INPUT_BUFFER)
            .output_buffer_size(OUTPUT_BUFFER)
            .build();
        Ok(Client {
            agent: config.into(),
        })
    }

    /// A client for the instance metadata service: plain HTTP to a link-local address, so
    /// never through a proxy, and a short connect timeout (off OCI nothing answers there).
    #[must_use]
    pub(crate) fn metadata(remaining: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(false)
            .max_redirects(0)
            .user_agent(format!("oci-token/{}", env!("CARGO_PKG_VERSION")))
            .proxy(None)
            .timeout_connect(Some(Duration::from_secs(2).min(remaining)))
            .timeout_global(Some(remaining))
            .input_buffer_size(INPUT_BUFFER)
            .output_buffer_size(OUTPUT_BUFFER)
            .build();
        Client {
            agent: config.into(),
        }
    }

    /// Any method: `body` is sent with POST and PUT.
    pub(crate) fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<Reply, TransportError> {
        match (method, body) {
            ("POST", b) => self.post(url, headers, b.unwrap_or_default()),
            ("DELETE", _) => {
                let mut req = self.agent.delete(url);
                for (name, value) in headers {
                    req = req.header(*name, value.as_str());
                }
                read_reply(req.call().map_err(|e| describe(&e))?)
            }
            ("PUT", b) => {
                let mut req = self.agent.put(url);
                for (name, value) in headers {
                    req = req.header(*name, value.as_str());
                }
                read_reply(req.send(b.unwrap_or_default()).map_err(|e| describe(&e))?)
            }
            _ => self.get(url, headers),
        }
    }

    /// GETs `url` with `headers` and reads the reply (at most 1 MiB).
    pub(crate) fn get(
        &self,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<Reply, TransportError> {
        let mut req = self.agent.get(url);
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let resp = req.call().map_err(|e| describe(&e))?;
        read_reply(resp)
    }

    /// POSTs `body` with `headers` (which include the signed ones) and reads the reply.
    pub(crate) fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Reply, TransportError> {
        let mut req = self.agent.post(url);
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let resp = req.send(body).map_err(|e| describe(&e))?;
        read_reply(resp)
    }
}

/// The most of a reply body that is read: OCI's answers here are a few KiB.
const MAX_REPLY: u64 = 1 << 20;

/// The status, `opc-request-id` and the body (as text; invalid UTF-8 is an error rather
/// than a panic). A body larger than [`MAX_REPLY`] is an error that says so (it was cut
/// and then reported as a reply without a token); no more than one byte past the limit is
/// read.
fn read_reply(mut resp: ureq::http::Response<ureq::Body>) -> Result<Reply, TransportError> {
    {
        let status = resp.status().as_u16();
        let request_id = resp
            .headers()
            .get("opc-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(MAX_REPLY + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| TransportError::Network(format!("reading the reply failed: {e}")))?;
        if bytes.len() as u64 > MAX_REPLY {
            return Err(TransportError::Network(format!(
                "the reply (status {status}) is larger than 1 MiB, more than any OCI answer here; refused unread"
            )));
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            TransportError::Network(format!("the reply (status {status}) is not UTF-8 text"))
        })?;
        Ok(Reply {
            status,
            body: text,
            request_id,
        })
    }
}

/// An I/O failure in words: a connection the other side (or a proxy, or the network)
/// dropped is said to be that, even when it happened inside TLS ("peer closed connection
/// without sending TLS `close_notify`"); the CA bundle is named only for certificate trouble.
fn io_text(kind: std::io::ErrorKind, text: &str) -> String {
    use std::io::ErrorKind as K;
    if matches!(
        kind,
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
    ) || text.contains("close_notify")
        || text.contains("closed connection")
    {
        format!(
            "the connection was dropped before a reply came (by the server, a proxy or the network): {text}"
        )
    } else if text.contains("certificate") || text.contains("UnknownIssuer") {
        format!("TLS error: {text} (is the CA bundle right?)")
    } else if ["handshake", "TLS", "tls"].iter().any(|w| text.contains(w)) {
        format!("TLS error: {text}")
    } else {
        format!("I/O error: {text}")
    }
}

fn describe(e: &ureq::Error) -> TransportError {
    let text = match e {
        ureq::Error::Timeout(_) => return TransportError::Timeout,
        ureq::Error::HostNotFound => return TransportError::Dns,
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Io(io) => io_text(io.kind(), &io.to_string()),
        ureq::Error::Rustls(t) => format!("TLS error: {t}"),
        ureq::Error::ConnectProxyFailed(_) => {
            "the proxy refused the connection (CONNECT failed)".to_owned()
        }
        other => other.to_string(),
    };
    TransportError::Network(text)
}

/// A random `opc-request-id`: 32 upper-case hex digits, as the SDKs send.
#[must_use]
pub(crate) fn request_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        b = std::process::id()
            .to_be_bytes()
            .repeat(4)
            .try_into()
            .unwrap_or([0; 16]);
    }
    crate::encoding::hex(&b, true)
}

/// Attempts at most, the first one included, of [`with_retries`].
pub(crate) const ATTEMPTS: u32 = 3;

/// What one attempt of [`with_retries`] came to.
pub(crate) enum Attempt<T, E> {
    /// The answer.
    Done(T),
    /// An answer that another attempt cannot change.
    Fail(E),
    /// Worth another attempt; why this one failed (the error if it was the last).
    Retry(String),
}

/// Runs `attempt` at most [`ATTEMPTS`] times within `total`, each time with a client for
/// `host` bounded by the time left, pausing 250 ms and then 750 ms in between (never past
/// the deadline). A client that cannot be made ends it at once (`client_error` says how);
/// when no attempt succeeded, the last reason goes to `unavailable`.
pub(crate) fn with_retries<T, E>(
    settings: &Settings,
    host: &str,
    total: Duration,
    client_error: impl Fn(&TransportError) -> E,
    unavailable: impl FnOnce(String) -> E,
    mut attempt: impl FnMut(&Client) -> Attempt<T, E>,
) -> Result<T, E> {
    let deadline = Deadline::after(total);
    let mut last = String::new();
    for n in 0..ATTEMPTS {
        if n > 0 {
            let pause = Duration::from_millis(250 * 3u64.pow(n - 1));
            if deadline.remaining() <= pause {
                break;
            }
            std::thread::sleep(pause);
        }
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            break;
        }
        let client = Client::new(settings, host, remaining).map_err(|e| client_error(&e))?;
        match attempt(&client) {
            Attempt::Done(t) => return Ok(t),
            Attempt::Fail(e) => return Err(e),
            Attempt::Retry(why) => last = why,
        }
    }
    Err(unavailable(last))
}

/// A deadline helper for retries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Instant);

impl Deadline {
    #[must_use]
    pub(crate) fn after(d: Duration) -> Self {
        Deadline(Instant::now() + d)
    }
    #[must_use]
    pub(crate) fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_rules() {
        assert!(no_proxy_matches("*", "auth.x.com"));
        assert!(no_proxy_matches("auth.x.com", "auth.x.com:443"));
        assert!(no_proxy_matches(".x.com", "auth.x.com"));
        assert!(no_proxy_matches(".x.com", "x.com"));
        assert!(no_proxy_matches("*.x.com", "x.com"));
        assert!(no_proxy_matches("a, x.com:8443", "auth.x.com"));
        assert!(!no_proxy_matches("y.com", "auth.x.com"));
        assert!(!no_proxy_matches("x.com", "auth.xx.com"));
        assert!(no_proxy_matches("127.0.0.1", "127.0.0.1:8443"));
    }

    #[test]
    fn request_id_shape() {
        let id = request_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }

    #[test]
    fn a_dropped_connection_is_not_a_ca_bundle_problem() {
        use std::io::ErrorKind as K;
        for (kind, text) in [
            (
                K::UnexpectedEof,
                "peer closed connection without sending TLS close_notify",
            ),
            (
                K::ConnectionReset,
                "Connection reset by peer (os error 104)",
            ),
            (
                K::Other,
                "tls: peer closed connection without sending TLS close_notify",
            ),
        ] {
            let t = io_text(kind, text);
            assert!(t.starts_with("the connection was dropped"), "{t}");
            assert!(!t.contains("CA bundle"), "{t}");
        }
        let t = io_text(K::InvalidData, "invalid peer certificate: UnknownIssuer");
        assert!(t.contains("CA bundle"), "{t}");
        assert!(!io_text(K::Other, "TLS handshake failed").contains("CA bundle"));
    }
}
