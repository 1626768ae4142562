//! The refresh call: `POST <auth>/v1/authentication/refresh`, signed with the session key
//! under `ST$<token>`, bounded in time, retried on 5xx and connection errors only.

use std::time::Duration;

use crate::key::SigningKey;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::http::{self, Client, Deadline, Settings};
use crate::secret::Secret;
use crate::sign;

/// Attempts at most (the first one included).
const ATTEMPTS: u32 = 3;

/// `https://auth.<region>.<domain>`, or the override.
#[must_use]
pub fn refresh_url(base: &str) -> String {
    format!("{}/v1/authentication/refresh", base.trim_end_matches('/'))
}

/// The body the oci CLI sends: Python `json.dumps` spacing.
#[must_use]
pub fn body(token: &str) -> String {
    format!(
        "{{\"currentToken\": {}}}",
        serde_json::Value::String(token.to_owned())
    )
}

/// What one attempt came to.
enum Attempt {
    Done(Secret<String>),
    Retry(String),
    Fail(Error),
}

/// One signed `POST` whose reply carries a `token`: the refresh, and `GenerateUpst`.
pub struct Call<'a> {
    pub url: &'a str,
    pub key: &'a SigningKey,
    /// `ST$<token>` or `tenancy/user/fingerprint`.
    pub key_id: &'a str,
    pub body: &'a str,
    /// Starts error messages, e.g. `refreshing profile 'p'`.
    pub what: &'a str,
    /// The error for a 401.
    pub on_401: &'a dyn Fn(String) -> Error,
}

/// Refreshes `token` at `url`. Returns the new token text.
pub fn refresh(
    settings: &Settings,
    url: &str,
    key: &SigningKey,
    token: &Secret<String>,
    profile: &str,
    env: &dyn Env,
    total: Duration,
) -> Result<Secret<String>> {
    let body = body(token.expose());
    let key_id = format!("ST${}", token.expose());
    let what = format!("refreshing profile '{profile}'");
    let on_401 = |detail: String| {
        Error::needs_login(
            profile,
            &format!("the auth service refused the refresh ({detail})"),
        )
    };
    post_for_token(
        settings,
        &Call {
            url,
            key,
            key_id: &key_id,
            body: &body,
            what: &what,
            on_401: &on_401,
        },
        env,
        total,
    )
}

/// Sends `call`, signed, with bounded retries on 5xx, 429, unusable replies and connection
/// errors (none on other 4xx), within `total` (at most 30 s). Returns the reply's `token`.
pub fn post_for_token(
    settings: &Settings,
    call: &Call<'_>,
    env: &dyn Env,
    total: Duration,
) -> Result<Secret<String>> {
    let url = call.url;
    let (host, target) = sign::split_url(url)
        .filter(|_| url.starts_with("https://"))
        .ok_or_else(|| Error::Config(format!("the auth endpoint {url} is not an https:// URL")))?;
    let deadline = Deadline::after(total.min(http::TOTAL_DEADLINE));
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            let pause = Duration::from_millis(250 * 3u64.pow(attempt - 1));
            if deadline.remaining() <= pause {
                break;
            }
            std::thread::sleep(pause);
        }
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            break;
        }
        let client = Client::new(settings, host, remaining).map_err(|e| {
            if settings.cert_bundle.is_some() && e.0.contains("CA bundle") {
                Error::Config(e.0)
            } else {
                Error::Service(format!("{} failed: {}", call.what, e.0))
            }
        })?;
        let date = sign::http_date(env.now());
        let req = sign::Request {
            method: "POST",
            target,
            host,
            date: &date,
            body: Some((call.body.as_bytes(), "application/json")),
        };
        let mut headers = sign::sign(call.key, call.key_id, &req)
            .map_err(|e| Error::Config(format!("{} failed: {e}", call.what)))?
            .headers;
        headers.push(("opc-request-id", http::request_id()));
        match attempt_once(&client, call, &headers) {
            Attempt::Done(t) => return Ok(t),
            Attempt::Fail(e) => return Err(e),
            Attempt::Retry(why) => last = why,
        }
    }
    Err(Error::Service(format!(
        "{} at {url} failed: {last}; check the network, proxy and CA bundle, then try again",
        call.what
    )))
}

fn attempt_once(client: &Client, call: &Call<'_>, headers: &[(&str, String)]) -> Attempt {
    let url = call.url;
    let reply = match client.post(url, headers, call.body.as_bytes()) {
        Ok(r) => r,
        Err(e) => return Attempt::Retry(e.0),
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
        401 => Attempt::Fail((call.on_401)(format!(
            "401{}{rid}",
            service_detail(&reply.body)
        ))),
        s if s >= 500 || s == 429 => Attempt::Retry(format!(
            "the auth service answered {s}{}{rid}",
            service_detail(&reply.body)
        )),
        s => Attempt::Fail(Error::Service(format!(
            "{} at {url} failed: the auth service answered {s}{}{rid}",
            call.what,
            service_detail(&reply.body)
        ))),
    }
}

/// ` code: message` from an OCI error body, one line, bounded; empty if there is none.
fn service_detail(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return String::new();
    };
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let (code, message) = (field("code"), field("message"));
    if code.is_empty() && message.is_empty() {
        return String::new();
    }
    let mut s = format!(" {code}: {message}").replace(['\n', '\r'], " ");
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
        assert_eq!(body("a.b.c"), r#"{"currentToken": "a.b.c"}"#);
        assert_eq!(
            refresh_url("https://x/"),
            "https://x/v1/authentication/refresh"
        );
    }

    #[test]
    fn details() {
        assert_eq!(
            service_detail(r#"{"code":"NotAuthenticated","message":"gone"}"#),
            " NotAuthenticated: gone"
        );
        assert_eq!(service_detail("<html>"), "");
    }
}
