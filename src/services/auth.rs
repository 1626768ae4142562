//! The OCI auth service client: every call whose reply is a token. Today the session
//! refresh (`/v1/authentication/refresh`) and `GenerateUpst`; federation (x509) and token
//! exchange belong here too. Signed requests, bounded in time, retried on 5xx, 429, unusable
//! replies and connection errors only. It knows nothing of profiles or sessions: callers
//! turn an [`AuthError`] into the message and exit code that fit them.

use std::time::Duration;

use crate::crypto::key::{SignError, SigningKey};
use crate::crypto::sign;
use crate::error::Error;
use crate::secret::Secret;
use crate::services::http::{self, Attempt, Client, Settings, TransportError};
use crate::sys::env::Env;

/// `<base>/v1/authentication/refresh`.
#[must_use]
pub(crate) fn refresh_url(base: &str) -> String {
    format!("{}/v1/authentication/refresh", base.trim_end_matches('/'))
}

/// `<base>/v1/token/upst/actions/GenerateUpst`.
#[must_use]
pub(crate) fn generate_upst_url(base: &str) -> String {
    format!(
        "{}/v1/token/upst/actions/GenerateUpst",
        base.trim_end_matches('/')
    )
}

/// The refresh body the oci CLI sends: Python `json.dumps` spacing.
#[must_use]
pub(crate) fn refresh_body(token: &str) -> String {
    format!(
        "{{\"currentToken\": {}}}",
        serde_json::Value::String(token.to_owned())
    )
}

/// Why a token call failed. Texts never hold a secret; service texts are one line, bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// The endpoint is not an `https://` URL.
    NotHttps(String),
    /// Our side could not sign or connect for a reason retrying cannot fix (CA bundle,
    /// proxy setting, a key that cannot sign).
    Setup(String),
    /// The service answered 401: the credential is not (or no longer) accepted.
    Unauthorized(String),
    /// Any other 4xx: not retried.
    Rejected(u16, String),
    /// 5xx, 429, unusable replies or the network, after the bounded retries.
    Unavailable(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::NotHttps(url) => write!(f, "the auth endpoint {url} is not an https:// URL"),
            AuthError::Setup(t) | AuthError::Unavailable(t) => f.write_str(t),
            AuthError::Unauthorized(detail) => write!(f, "the auth service answered {detail}"),
            AuthError::Rejected(status, detail) => {
                write!(f, "the auth service answered {status}{detail}")
            }
        }
    }
}

impl AuthError {
    /// The error of `what` at `url`, with its exit code: `refused` says what a 401 means
    /// for this call (log in again, check the key, check the policies) and gets the
    /// service's detail; our setup is 3, a 4xx 5, the network 5 with what to check.
    pub(crate) fn to_error(
        &self,
        what: &str,
        url: &str,
        refused: impl FnOnce(&str) -> Error,
    ) -> Error {
        match self {
            AuthError::Unauthorized(detail) => refused(detail),
            AuthError::NotHttps(_) | AuthError::Setup(_) => {
                Error::Config(format!("{what} failed: {self}"))
            }
            AuthError::Rejected(..) => Error::Service(format!("{what} at {url} failed: {self}")),
            AuthError::Unavailable(_) => Error::network(&format!("{what} at {url} failed: {self}")),
        }
    }
}

impl From<SignError> for AuthError {
    fn from(e: SignError) -> Self {
        AuthError::Setup(e.to_string())
    }
}

/// One signed `POST` whose reply carries a `token`.
pub(crate) struct Call<'a> {
    pub url: &'a str,
    pub key: &'a SigningKey,
    /// `ST$<token>`, `tenancy/user/fingerprint` or `tenancy/fed-x509-sha256/<fp>`.
    pub key_id: &'a str,
    pub body: &'a str,
    /// The x509 federation endpoint, which is signed without `host`.
    pub federation: bool,
}

/// The body of `POST /v1/x509`: the leaf certificate and the new session public key as
/// base64 DER (PEM without its armour), the intermediates, and `fingerprintAlgorithm`
/// `SHA256` to go with the `fed-x509-sha256` keyId (as the Go and Java SDKs send it).
pub(crate) fn x509_body(
    leaf_der: &[u8],
    session_public_der: &[u8],
    intermediates: &[Vec<u8>],
) -> Result<String, AuthError> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        certificate: String,
        public_key: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        intermediate_certificates: Vec<String>,
        fingerprint_algorithm: &'static str,
    }
    serde_json::to_string(&Body {
        certificate: crate::crypto::x509::stripped(leaf_der),
        public_key: crate::crypto::x509::stripped(session_public_der),
        intermediate_certificates: intermediates
            .iter()
            .map(|d| crate::crypto::x509::stripped(d))
            .collect(),
        fingerprint_algorithm: "SHA256",
    })
    .map_err(|e| {
        AuthError::Setup(format!(
            "internal: the federation request cannot be written: {e}"
        ))
    })
}

/// `<tenancy>/fed-x509-sha256/<sha256 of the leaf DER>`: the keyId of a federation request.
#[must_use]
pub(crate) fn x509_key_id(tenancy: &str, leaf_der: &[u8]) -> String {
    format!(
        "{tenancy}/fed-x509-sha256/{}",
        crate::crypto::x509::sha256_fingerprint(leaf_der)
    )
}

/// Refreshes `token` at `url`, signed with the session key. Returns the new token text.
pub(crate) fn refresh(
    settings: &Settings,
    url: &str,
    key: &SigningKey,
    token: &Secret<String>,
    env: &dyn Env,
    total: Duration,
) -> Result<Secret<String>, AuthError> {
    let body = refresh_body(token.expose());
    let key_id = format!("ST${}", token.expose());
    post_for_token(
        settings,
        &Call {
            url,
            key,
            key_id: &key_id,
            body: &body,
            federation: false,
        },
        env,
        total,
    )
}

/// The OKE workload-identity exchange: `POST <proxymux>/resourcePrincipalSessionTokens`
/// with `Authorization: Bearer <service-account token>` and `{"podKey": <base64 DER of the
/// session public key>}`. The answer is a JSON string holding base64 of
/// `{"token": "ST$<jwt>"}`; the JWT is returned. Retried like the token calls.
pub(crate) fn oke_workload_token(
    settings: &Settings,
    url: &str,
    sa_token: &Secret<String>,
    session_public_der: &[u8],
    env: &dyn Env,
) -> Result<Secret<String>, AuthError> {
    let (host, _) = sign::split_url(url)
        .filter(|_| url.starts_with("https://"))
        .ok_or_else(|| AuthError::NotHttps(url.to_owned()))?;
    let body = serde_json::json!({ "podKey": crate::crypto::x509::stripped(session_public_der) })
        .to_string();
    http::with_retries(
        settings,
        host,
        http::total_deadline(env),
        client_error,
        AuthError::Unavailable,
        |client| {
            let headers = [
                ("authorization", format!("Bearer {}", sa_token.expose())),
                ("content-type", "application/json".to_owned()),
                ("opc-request-id", http::request_id()),
            ];
            let reply = match client.post(url, &headers, body.as_bytes()) {
                Ok(r) => r,
                Err(e @ TransportError::CaBundle(_)) => {
                    return Attempt::Fail(AuthError::Setup(e.to_string()));
                }
                Err(e) => return Attempt::Retry(e.to_string()),
            };
            match reply.status {
                200 => match workload_token(&reply.body) {
                    Some(t) => Attempt::Done(t),
                    None => Attempt::Retry(format!("the reply from {url} holds no token")),
                },
                401 => Attempt::Fail(AuthError::Unauthorized(format!(
                    "401{}",
                    service_detail(&reply.body)
                ))),
                403 => Attempt::Fail(AuthError::Rejected(
                    403,
                    format!(
                        "{} (is the cluster an enhanced cluster with workload identity?)",
                        service_detail(&reply.body)
                    ),
                )),
                s if s >= 500 || s == 429 => {
                    Attempt::Retry(format!("{url} answered {s}{}", service_detail(&reply.body)))
                }
                s => Attempt::Fail(AuthError::Rejected(s, service_detail(&reply.body))),
            }
        },
    )
}

/// A client that cannot be made: our setting (CA bundle, proxy) or the network.
fn client_error(e: &TransportError) -> AuthError {
    if e.is_config() {
        AuthError::Setup(e.to_string())
    } else {
        AuthError::Unavailable(e.to_string())
    }
}

/// `"<base64 of {\"token\": \"ST$<jwt>\"}>"` → the JWT.
fn workload_token(body: &str) -> Option<Secret<String>> {
    use base64::Engine as _;
    let inner: String = serde_json::from_str(body.trim()).ok()?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(inner.trim())
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    let t = v.get("token")?.as_str()?;
    let jwt = t.strip_prefix("ST$").unwrap_or(t);
    (!jwt.is_empty()).then(|| Secret::new(jwt.to_owned()))
}

/// Sends `call`, signed, with bounded retries on 5xx, 429, unusable replies and connection
/// errors (none on other 4xx), within `total` (at most 30 s). Returns the reply's `token`.
pub(crate) fn post_for_token(
    settings: &Settings,
    call: &Call<'_>,
    env: &dyn Env,
    total: Duration,
) -> Result<Secret<String>, AuthError> {
    let url = call.url;
    let (host, target) = sign::split_url(url)
        .filter(|_| url.starts_with("https://"))
        .ok_or_else(|| AuthError::NotHttps(url.to_owned()))?;
    http::with_retries(
        settings,
        host,
        total.min(http::TOTAL_DEADLINE),
        client_error,
        AuthError::Unavailable,
        |client| {
            let date = sign::http_date(env.now());
            let req = sign::Request {
                method: "POST",
                target,
                host,
                date: &date,
                body: Some((call.body.as_bytes(), "application/json")),
            };
            let signed = if call.federation {
                sign::sign_federation(call.key, call.key_id, &req)
            } else {
                sign::sign(call.key, call.key_id, &req)
            };
            let mut headers = match signed {
                Ok(s) => s.headers,
                Err(e) => return Attempt::Fail(e.into()),
            };
            headers.push(("opc-request-id", http::request_id()));
            attempt_once(client, call, &headers)
        },
    )
}

fn attempt_once(
    client: &Client,
    call: &Call<'_>,
    headers: &[(&str, String)],
) -> Attempt<Secret<String>, AuthError> {
    let url = call.url;
    let reply = match client.post(url, headers, call.body.as_bytes()) {
        Ok(r) => r,
        Err(e @ TransportError::CaBundle(_)) => {
            return Attempt::Fail(AuthError::Setup(e.to_string()));
        }
        Err(e) => return Attempt::Retry(e.to_string()),
    };
    let rid = reply
        .request_id
        .as_deref()
        .map(|r| format!(" (opc-request-id {r})"))
        .unwrap_or_default();
    match reply.status {
        200 => match serde_json::from_str::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned))
        {
            Some(t) if !t.is_empty() => Attempt::Done(Secret::new(t)),
            _ => Attempt::Retry(format!("the reply from {url} has no token{rid}")),
        },
        401 => Attempt::Fail(AuthError::Unauthorized(format!(
            "401{}{rid}",
            service_detail(&reply.body)
        ))),
        s if s >= 500 || s == 429 => Attempt::Retry(format!(
            "the auth service answered {s}{}{rid}",
            service_detail(&reply.body)
        )),
        s => Attempt::Fail(AuthError::Rejected(
            s,
            format!("{}{rid}", service_detail(&reply.body)),
        )),
    }
}

/// ` code: message` from an OCI error body, one line, bounded; empty if there is none.
#[must_use]
pub(crate) fn service_detail(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return String::new();
    };
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let (code, message) = (field("code"), field("message"));
    if code.is_empty() && message.is_empty() {
        return String::new();
    }
    let mut s: String = format!(" {code}: {message}")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_matches_python_json_dumps() {
        assert_eq!(refresh_body("a.b.c"), r#"{"currentToken": "a.b.c"}"#);
        assert_eq!(
            refresh_url("https://x/"),
            "https://x/v1/authentication/refresh"
        );
        assert_eq!(
            generate_upst_url("https://x"),
            "https://x/v1/token/upst/actions/GenerateUpst"
        );
    }

    #[test]
    fn workload_replies() {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD.encode(r#"{"token":"ST$a.b.c"}"#);
        assert_eq!(
            workload_token(&format!("\"{b}\"")).unwrap().expose(),
            "a.b.c"
        );
        assert!(workload_token("{}").is_none());
        assert!(workload_token("\"not base64!\"").is_none());
        let b = base64::engine::general_purpose::STANDARD.encode(r#"{"token":""}"#);
        assert!(workload_token(&format!("\"{b}\"")).is_none());
    }

    #[test]
    fn details() {
        assert_eq!(
            service_detail(r#"{"code":"NotAuthenticated","message":"gone"}"#),
            " NotAuthenticated: gone"
        );
        assert_eq!(
            service_detail(r#"{"code":"X","message":"a\nforged: line\u001b[31m"}"#),
            " X: a forged: line [31m"
        );
        assert_eq!(service_detail("<html>"), "");
    }

    #[test]
    fn plain_http_is_refused_before_anything_is_sent() {
        let key = crate::crypto::key::load(include_str!("../../tests/data/keys/pkcs8.pem"), None)
            .unwrap();
        let env = crate::sys::env::FakeEnv::new("/nonexistent", jiff::Timestamp::UNIX_EPOCH);
        let call = Call {
            url: "http://auth.example/v1/x",
            key: &key,
            key_id: "k",
            body: "{}",
            federation: false,
        };
        let e =
            post_for_token(&Settings::default(), &call, &env, Duration::from_secs(1)).unwrap_err();
        assert_eq!(e, AuthError::NotHttps("http://auth.example/v1/x".into()));
    }
}
