//! An `OpenID Connect` client for command lines: discovery, the device authorization grant
//! (RFC 8628), the password grant (deprecated, where an IAM still allows it), refresh with
//! rotation, and revocation. Form-encoded POSTs over verified TLS, bounded in time; errors
//! never carry a token, password or client secret.

use std::path::Path;
use std::time::Duration;

use crate::encoding::quote_plus;
use crate::error::Error;
use crate::secret::Secret;
use crate::services::http::{self, Attempt, Settings};
use crate::sys::env::Env;

/// What discovery says about an issuer.
#[derive(Debug, Clone)]
pub(crate) struct Metadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub device_authorization_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub grant_types_supported: Option<Vec<String>>,
}

/// A client: its id and, for confidential clients, its secret (sent with HTTP Basic).
pub(crate) struct OidcClient<'a> {
    pub settings: &'a Settings,
    pub env: &'a dyn Env,
    pub client_id: &'a str,
    pub client_secret: Option<&'a Secret<String>>,
}

/// The client secret from its file (first line), read for each use and never copied.
pub(crate) fn client_secret(file: Option<&Path>) -> crate::error::Result<Option<Secret<String>>> {
    let Some(f) = file else { return Ok(None) };
    let line = crate::secret::from_file(f, "client secret")?;
    let trimmed = line.expose().trim();
    if trimmed.is_empty() {
        return Err(Error::Config(format!(
            "the client secret file {} is empty",
            f.display()
        )));
    }
    Ok(Some(Secret::new(trimmed.to_owned())))
}

/// Runs `f` with a client of `client_id` whose secret (confidential clients) is re-read
/// from `secret_file`: how stored OIDC logins and token-exchange sessions talk to their
/// issuer.
pub(crate) fn with_client<T>(
    settings: &Settings,
    env: &dyn Env,
    client_id: &str,
    secret_file: Option<&str>,
    f: impl FnOnce(&OidcClient<'_>) -> crate::error::Result<T>,
) -> crate::error::Result<T> {
    let secret = client_secret(secret_file.map(Path::new))?;
    let client = OidcClient {
        settings,
        env,
        client_id,
        client_secret: secret.as_ref(),
    };
    f(&client)
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OidcError {
    /// The issuer could not be reached or answered 5xx / garbage (retry later).
    #[error("{0}")]
    Unavailable(String),
    /// Our side: not https, a CA bundle that cannot be read.
    #[error("{0}")]
    Setup(String),
    /// The issuer answered an OAuth error: `error` and its description (one line).
    #[error("the issuer answered {error}{}", described(.description))]
    Protocol { error: String, description: String },
    /// Discovery or a reply lacks something we need.
    #[error("{0}")]
    Unusable(String),
}

impl OidcError {
    /// The error of `what` (`refreshing at …`), with its exit code: the network is 5 (with
    /// what to check), our setup 3, an unusable or refusing issuer 5.
    #[must_use]
    pub(crate) fn to_error(&self, what: &str) -> Error {
        match self {
            OidcError::Unavailable(_) => Error::network(&format!("{what}: {self}")),
            OidcError::Setup(_) => Error::Config(format!("{what}: {self}")),
            OidcError::Unusable(_) | OidcError::Protocol { .. } => {
                Error::Service(format!("{what}: {self}"))
            }
        }
    }
}

/// `: <description>`, or nothing when the issuer gave none.
fn described(description: &str) -> String {
    if description.is_empty() {
        String::new()
    } else {
        format!(": {description}")
    }
}

/// Tokens from a token endpoint.
#[derive(Debug)]
pub(crate) struct Tokens {
    pub access_token: Secret<String>,
    pub refresh_token: Option<Secret<String>>,
    pub id_token: Option<Secret<String>>,
    pub expires_in: Option<i64>,
    pub scope: Option<String>,
}

/// What the device authorization endpoint says (RFC 8628's names).
#[derive(Debug)]
#[allow(clippy::struct_field_names)]
pub(crate) struct DeviceCode {
    pub device_code: Secret<String>,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: i64,
    /// Seconds between polls (5 when absent or 0).
    pub interval: i64,
}

/// `<issuer>/.well-known/openid-configuration` (an issuer ending in `/` is joined without
/// doubling it).
#[must_use]
pub(crate) fn discovery_url(issuer: &str) -> String {
    if issuer.ends_with('/') {
        format!("{issuer}.well-known/openid-configuration")
    } else {
        format!("{issuer}/.well-known/openid-configuration")
    }
}

/// One text value: at most 200 characters, no control characters.
fn one_line(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    t.trim().to_owned()
}

/// `application/x-www-form-urlencoded` of `pairs`.
#[must_use]
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl OidcClient<'_> {
    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&str>,
        auth: bool,
    ) -> Result<http::Reply, OidcError> {
        let Some((host, _)) =
            crate::crypto::sign::split_url(url).filter(|_| url.starts_with("https://"))
        else {
            return Err(OidcError::Setup(format!("{url} is not an https:// URL")));
        };
        let mut headers = vec![("accept", "application/json".to_owned())];
        if body.is_some() {
            headers.push((
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ));
        }
        if auth && let Some(secret) = self.client_secret {
            use base64::Engine as _;
            let pair = format!(
                "{}:{}",
                quote_plus(self.client_id),
                quote_plus(secret.expose())
            );
            headers.push((
                "authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            ));
        }
        http::with_retries(
            self.settings,
            host,
            http::total_deadline(self.env).min(Duration::from_secs(20)),
            |e| {
                if e.is_config() {
                    OidcError::Setup(e.to_string())
                } else {
                    OidcError::Unavailable(e.to_string())
                }
            },
            OidcError::Unavailable,
            |client| match client.request(method, url, &headers, body.map(str::as_bytes)) {
                Ok(r) if r.status >= 500 || r.status == 429 => {
                    Attempt::Retry(format!("{url} answered {}", r.status))
                }
                Ok(r) => Attempt::Done(r),
                Err(e) => Attempt::Retry(format!("{url}: {e}")),
            },
        )
    }

    /// Discovery. The document's `issuer` must be the issuer asked for.
    pub(crate) fn discover(&self, issuer: &str) -> Result<Metadata, OidcError> {
        let url = discovery_url(issuer);
        let r = self.send("GET", &url, None, false)?;
        if r.status != 200 {
            return Err(OidcError::Unusable(format!("{url} answered {}", r.status)));
        }
        let v: serde_json::Value = serde_json::from_str(&r.body)
            .map_err(|_| OidcError::Unusable(format!("{url} is not JSON")))?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        let got = s("issuer").unwrap_or_default();
        if got.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(OidcError::Unusable(format!(
                "{url} names another issuer ({})",
                one_line(&got)
            )));
        }
        Ok(Metadata {
            issuer: got,
            token_endpoint: s("token_endpoint")
                .ok_or_else(|| OidcError::Unusable(format!("{url} has no token_endpoint")))?,
            device_authorization_endpoint: s("device_authorization_endpoint"),
            revocation_endpoint: s("revocation_endpoint"),
            grant_types_supported: v.get("grant_types_supported").and_then(|g| {
                g.as_array().map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
            }),
        })
    }

    /// The client's own parameters: `client_id` in the body only for public clients.
    fn with_client<'p>(&'p self, mut pairs: Vec<(&'p str, &'p str)>) -> Vec<(&'p str, &'p str)> {
        if self.client_secret.is_none() {
            pairs.push(("client_id", self.client_id));
        }
        pairs
    }

    /// The device authorization request (`extra` adds e.g. identity domains'
    /// `response_type=device_code`).
    pub(crate) fn device_authorization(
        &self,
        endpoint: &str,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> Result<DeviceCode, OidcError> {
        let mut pairs = vec![("client_id", self.client_id), ("scope", scope)];
        pairs.extend_from_slice(extra);
        let r = self.send("POST", endpoint, Some(&form(&pairs)), true)?;
        let v = json_reply(&r, endpoint)?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        let n = |k: &str| v.get(k).and_then(serde_json::Value::as_i64);
        Ok(DeviceCode {
            device_code: Secret::new(
                s("device_code")
                    .ok_or_else(|| OidcError::Unusable(format!("{endpoint}: no device_code")))?,
            ),
            user_code: one_line(&s("user_code").unwrap_or_default()),
            verification_uri: one_line(
                &s("verification_uri")
                    .or_else(|| s("verification_url"))
                    .ok_or_else(|| {
                        OidcError::Unusable(format!("{endpoint}: no verification_uri"))
                    })?,
            ),
            verification_uri_complete: s("verification_uri_complete").map(|u| one_line(&u)),
            expires_in: n("expires_in").filter(|e| *e > 0).unwrap_or(300).min(3600),
            interval: n("interval").filter(|i| *i > 0).unwrap_or(5).min(60),
        })
    }

    /// One token request with a grant's parameters.
    pub(crate) fn token(
        &self,
        endpoint: &str,
        pairs: Vec<(&str, &str)>,
    ) -> Result<Tokens, OidcError> {
        let body = form(&self.with_client(pairs));
        let r = self.send("POST", endpoint, Some(&body), true)?;
        let v = json_reply(&r, endpoint)?;
        // Every token printable and at most 64 KiB: a hostile issuer cannot grow the
        // stored state past what is read back, nor put control characters in it.
        let usable = |t: &str| t.len() < 64 << 10 && t.bytes().all(|b| b.is_ascii_graphic());
        let s = |k: &str| -> Result<Option<Secret<String>>, OidcError> {
            match v.get(k).and_then(|x| x.as_str()).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(t) if usable(t) => Ok(Some(Secret::new(t.to_owned()))),
                Some(_) => Err(OidcError::Unusable(format!(
                    "{endpoint}: the reply's {k} is larger than 64 KiB or not printable"
                ))),
            }
        };
        let access_token = s("access_token")?.ok_or_else(|| {
            OidcError::Unusable(format!("{endpoint}: the reply has no usable access_token"))
        })?;
        Ok(Tokens {
            access_token,
            refresh_token: s("refresh_token")?,
            id_token: s("id_token")?,
            expires_in: v.get("expires_in").and_then(serde_json::Value::as_i64),
            scope: v.get("scope").and_then(|x| x.as_str()).map(str::to_owned),
        })
    }

    /// The `refresh_token` grant (RFC 6749 §6).
    pub(crate) fn refresh(&self, endpoint: &str, refresh_token: &str) -> Result<Tokens, OidcError> {
        self.token(
            endpoint,
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
    }

    /// An OCI token exchange (identity domains' `/oauth2/v1/token`): the reply's `token`
    /// (a UPST), not an `access_token`.
    pub(crate) fn exchange(
        &self,
        endpoint: &str,
        pairs: Vec<(&str, &str)>,
    ) -> Result<Secret<String>, OidcError> {
        let body = form(&self.with_client(pairs));
        let r = self.send("POST", endpoint, Some(&body), true)?;
        let v = json_reply(&r, endpoint)?;
        v.get("token")
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty() && t.len() < 64 << 10)
            .map(|t| Secret::new(t.to_owned()))
            .ok_or_else(|| {
                OidcError::Unusable(format!("{endpoint}: the exchange reply has no token"))
            })
    }

    /// Revokes a refresh token (RFC 7009).
    pub(crate) fn revoke(&self, endpoint: &str, token: &Secret<String>) -> Result<(), OidcError> {
        let body = form(&self.with_client(vec![
            ("token", token.expose()),
            ("token_type_hint", "refresh_token"),
        ]));
        let r = self.send("POST", endpoint, Some(&body), true)?;
        if r.status == 200 {
            Ok(())
        } else {
            Err(OidcError::Unusable(format!(
                "{endpoint} answered {}",
                r.status
            )))
        }
    }
}

/// A 2xx JSON object, or the OAuth error the issuer gave.
fn json_reply(r: &http::Reply, url: &str) -> Result<serde_json::Value, OidcError> {
    let v: Option<serde_json::Value> = serde_json::from_str(&r.body).ok();
    if let Some(err) = v
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(|e| e.as_str())
    {
        let description = v
            .as_ref()
            .and_then(|v| v.get("error_description"))
            .and_then(|d| d.as_str())
            .map(one_line)
            .unwrap_or_default();
        return Err(OidcError::Protocol {
            error: one_line(err),
            description,
        });
    }
    match v {
        Some(v) if (200..300).contains(&r.status) && v.is_object() => Ok(v),
        Some(_) | None if (200..300).contains(&r.status) => Err(OidcError::Unusable(format!(
            "{url} answered something that is not a JSON object"
        ))),
        _ => Err(OidcError::Unusable(format!("{url} answered {}", r.status))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_forms() {
        assert_eq!(
            discovery_url("https://iam.example/"),
            "https://iam.example/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://op.example/realms/x"),
            "https://op.example/realms/x/.well-known/openid-configuration"
        );
        assert_eq!(
            form(&[("scope", "openid offline_access"), ("a", "b&c=d")]),
            "scope=openid+offline_access&a=b%26c%3Dd"
        );
        assert_eq!(one_line("a\nb\u{1b}[31m"), "a b [31m");
    }
}
