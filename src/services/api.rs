//! Signed calls to OCI service APIs other than the auth service: the OCIR token endpoint,
//! Identity (auth tokens, users) and Object Storage (the namespace). Bounded in time,
//! retried on 5xx, 429 and connection errors only, and a POST only when it carries an
//! `opc-retry-token` (with which the service answers a repeat with the first result, as the
//! OCI SDKs rely on); the caller reads status and body.

use crate::crypto::sign;
use crate::crypto::sign::Signer;
use crate::services::http::{self, Attempt, Reply, Settings, TransportError};
use crate::sys::env::Env;

/// Why a call did not get an answer worth reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallError {
    /// Not an `https://` URL.
    #[error("{0} is not an https:// URL")]
    NotHttps(String),
    /// Our side: a CA bundle or proxy setting, a key that cannot sign.
    #[error("{0}")]
    Setup(String),
    /// The network or 5xx/429 after the bounded retries.
    #[error("{0}")]
    Unavailable(String),
}

/// Sends one signed request (`body`, JSON, for POST and PUT) and returns the first reply
/// that is not a 5xx or 429. A POST is retried only with a `retry_token` (sent as
/// `opc-retry-token`, unsigned as in the SDKs); without one it is sent once, since a repeat
/// could do twice what it does.
pub(crate) fn signed(
    settings: &Settings,
    method: &str,
    url: &str,
    signer: &Signer,
    body: Option<&str>,
    retry_token: Option<&str>,
    env: &dyn Env,
) -> Result<Reply, CallError> {
    let retryable = method != "POST" || retry_token.is_some();
    let (host, target) = sign::split_url(url)
        .filter(|_| url.starts_with("https://"))
        .ok_or_else(|| CallError::NotHttps(url.to_owned()))?;
    http::with_retries(
        settings,
        host,
        http::total_deadline(env),
        |e| {
            if e.is_config() {
                CallError::Setup(e.to_string())
            } else {
                CallError::Unavailable(e.to_string())
            }
        },
        CallError::Unavailable,
        |client| {
            let date = sign::http_date(env.now());
            let req = sign::Request {
                method,
                target,
                host,
                date: &date,
                body: body.map(|b| (b.as_bytes(), "application/json")),
            };
            let mut headers = match sign::sign(&signer.key, signer.key_id.expose(), &req) {
                Ok(s) => s.headers,
                Err(e) => return Attempt::Fail(CallError::Setup(e.to_string())),
            };
            headers.push(("opc-request-id", http::request_id()));
            headers.push(("accept", "application/json".to_owned()));
            if let Some(t) = retry_token {
                headers.push(("opc-retry-token", t.to_owned()));
            }
            let again = |why: String| {
                if retryable {
                    Attempt::Retry(why)
                } else {
                    Attempt::Fail(CallError::Unavailable(why))
                }
            };
            match client.request(method, url, &headers, body.map(str::as_bytes)) {
                Ok(r) if r.status >= 500 || r.status == 429 => {
                    again(format!("{url} answered {}", r.status))
                }
                Ok(r) => Attempt::Done(r),
                Err(e @ TransportError::CaBundle(_)) => {
                    Attempt::Fail(CallError::Setup(e.to_string()))
                }
                Err(e) => again(format!("{url}: {e}")),
            }
        },
    )
}
