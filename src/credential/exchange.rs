//! Sessions obtained by token exchange at an OCI identity domain (`/oauth2/v1/token`,
//! `requested_token_type` `urn:oci:token-type:oci-upst`): a person signed in with the device
//! flow (headless login), or a CI job's OIDC token (keyless CI). The session is an ordinary
//! session profile; beside its token, `exchange.json` (0600) says how to get the next one
//! without a person once the standard refresh is refused or `sess_exp` passes: a domain
//! refresh token (device login), or the subject JWT file re-read (CI). Never a secret: the
//! client secret stays in its own file, named.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::crypto::key::{self, SigningKey};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::services::oidc::{self, OidcClient, OidcError};
use crate::sys::store;

pub(crate) const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub(crate) const UPST: &str = "urn:oci:token-type:oci-upst";

/// Where the subject token comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Subject {
    /// The domain's access token, from the stored refresh token (device login).
    RefreshToken,
    /// A JWT file, re-read on every exchange (CI).
    File,
    /// The GitHub Actions OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`).
    GithubActions,
}

/// `exchange.json` (no `Debug`: it may hold a refresh token).
#[derive(Serialize, Deserialize)]
pub(crate) struct State {
    pub version: u8,
    pub domain_url: String,
    pub client_id: String,
    pub client_secret_file: Option<String>,
    pub subject: Subject,
    pub scope: Option<String>,
    pub refresh_token: Option<String>,
    pub subject_token_file: Option<String>,
    pub audience: Option<String>,
}

/// `<session dir>/exchange.json`.
#[must_use]
pub(crate) fn state_path(token_path: &Path) -> PathBuf {
    token_path.with_file_name("exchange.json")
}

#[must_use]
/// The exchange state beside a session's token, if it has one. One that exists but cannot
/// be used (garbled, too large, not a regular file) is said once on stderr, not ignored.
pub(crate) fn read_state(token_path: &Path) -> Option<State> {
    let path = state_path(token_path);
    let broken = |why: &dyn std::fmt::Display| {
        crate::output::warn(&format!(
            "{} cannot be used ({why}), so this session is not renewed by token exchange; log in again with `oci-token login --token-exchange` or `--device-code` to make a new one",
            path.display()
        ));
        None
    };
    match store::read_text(&path, 1 << 20) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(s) => Some(s),
            Err(_) => broken(&"it is not an oci-token exchange state"),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => broken(&e),
    }
}

pub(crate) fn write_state(token_path: &Path, s: &State) -> Result<()> {
    let path = state_path(token_path);
    let text = serde_json::to_string(s).map_err(|e| Error::Other(e.to_string()))?;
    store::Pinned::new(&path)
        .and_then(|p| p.write_atomic(text.as_bytes()))
        .map_err(|e| Error::write(&path, &e))
}

/// `<domain>/oauth2/v1/token`.
#[must_use]
pub(crate) fn token_endpoint(domain_url: &str) -> String {
    format!("{}/oauth2/v1/token", domain_url.trim_end_matches('/'))
}

/// One exchange: `subject` (a JWT) for a UPST bound to `key`.
pub(crate) fn exchange(
    ctx: &Context<'_>,
    domain_url: &str,
    client_id: &str,
    secret: Option<&Secret<String>>,
    subject: &Secret<String>,
    key: &SigningKey,
) -> Result<Secret<String>> {
    let settings = ctx.http();
    let client = OidcClient {
        settings: &settings,
        env: ctx.env,
        client_id,
        client_secret: secret,
    };
    let public = crate::crypto::x509::stripped(&key::public_der(key));
    let endpoint = token_endpoint(domain_url);
    client
        .exchange(
            &endpoint,
            vec![
                ("grant_type", TOKEN_EXCHANGE),
                ("requested_token_type", UPST),
                ("subject_token", subject.expose()),
                ("subject_token_type", "jwt"),
                ("public_key", &public),
            ],
        )
        .map_err(|e| match e {
            OidcError::Protocol { .. } => Error::NeedsLogin(format!(
                "the token exchange at {endpoint} was refused ({e}); check the identity propagation trust and the client, or sign in again"
            )),
            OidcError::Unavailable(_) => {
                Error::network(&format!("the token exchange at {endpoint} failed: {e}"))
            }
            OidcError::Setup(_) => Error::Config(format!("the token exchange at {endpoint}: {e}")),
            OidcError::Unusable(_) => Error::Service(format!("the token exchange at {endpoint}: {e}")),
        })
}

/// The subject JWT from a file: regular, at most 64 KiB, a JWT that has not expired.
pub(crate) fn jwt_from_file(ctx: &Context<'_>, path: &Path) -> Result<Secret<String>> {
    let t = store::read_text(path, 64 << 10).map_err(|e| {
        Error::Config(format!(
            "cannot read the subject token file {}: {e}",
            path.display()
        ))
    })?;
    let t = t.trim();
    if t.is_empty() {
        return Err(Error::Config(format!(
            "the subject token file {} is empty",
            path.display()
        )));
    }
    let c = crate::token::decode(t)
        .map_err(|e| Error::Config(format!("the subject token file {}: {e}", path.display())))?;
    if c.exp <= ctx.env.now() {
        return Err(Error::NeedsLogin(format!(
            "the subject token in {} expired at {}; the CI platform must write a fresh one",
            path.display(),
            c.exp
        )));
    }
    Ok(Secret::new(t.to_owned()))
}

/// The job's OIDC token from GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=…`
/// with `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answered `{"value": …}`.
pub(crate) fn jwt_from_github(ctx: &Context<'_>, audience: Option<&str>) -> Result<Secret<String>> {
    let url = ctx.env.var("ACTIONS_ID_TOKEN_REQUEST_URL").ok_or_else(|| {
        Error::Config(
            "ACTIONS_ID_TOKEN_REQUEST_URL is not set: run in GitHub Actions with `permissions: id-token: write`".into(),
        )
    })?;
    let bearer = Secret::new(
        ctx.env
            .var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
            .ok_or_else(|| Error::Config("ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set".into()))?,
    );
    let url = match audience {
        Some(a) => format!(
            "{url}{}audience={}",
            if url.contains('?') { '&' } else { '?' },
            crate::encoding::quote_plus(a)
        ),
        None => url,
    };
    let (host, _) = crate::crypto::sign::split_url(&url)
        .filter(|_| url.starts_with("https://"))
        .ok_or_else(|| {
            Error::Config("ACTIONS_ID_TOKEN_REQUEST_URL is not an https:// URL".into())
        })?;
    let client =
        crate::services::http::Client::new(&ctx.http(), host, std::time::Duration::from_secs(20))
            .map_err(|e| Error::Service(format!("the GitHub Actions token request: {e}")))?;
    let r = client
        .get(
            &url,
            &[("authorization", format!("bearer {}", bearer.expose()))],
        )
        .map_err(|e| Error::Service(format!("the GitHub Actions token request: {e}")))?;
    if r.status != 200 {
        return Err(Error::Service(format!(
            "the GitHub Actions token request answered {}",
            r.status
        )));
    }
    let v: serde_json::Value = serde_json::from_str(&r.body)
        .map_err(|_| Error::Service("the GitHub Actions token reply is not JSON".into()))?;
    v.get("value")
        .and_then(|t| t.as_str())
        .filter(|t| crate::token::decode(t).is_ok())
        .map(|t| Secret::new(t.to_owned()))
        .ok_or_else(|| Error::Service("the GitHub Actions token reply holds no JWT".into()))
}

/// The next subject token, as the state says; a rotated domain refresh token is stored.
fn subject(ctx: &Context<'_>, token_path: &Path, s: &mut State) -> Result<Secret<String>> {
    match s.subject {
        Subject::File => {
            let f = s.subject_token_file.clone().unwrap_or_default();
            jwt_from_file(ctx, Path::new(&f))
        }
        Subject::GithubActions => jwt_from_github(ctx, s.audience.as_deref()),
        Subject::RefreshToken => {
            let rt = s.refresh_token.clone().ok_or_else(|| {
                Error::NeedsLogin("no domain refresh token is stored; sign in again".into())
            })?;
            let domain_url = s.domain_url.clone();
            let t = oidc::with_client(
                &ctx.http(),
                ctx.env,
                &s.client_id,
                s.client_secret_file.as_deref(),
                |client| {
                    client
                        .refresh(&token_endpoint(&domain_url), &rt)
                        .map_err(|e| match e {
                            OidcError::Protocol { .. } => Error::NeedsLogin(format!(
                                "the identity domain refused the stored refresh token ({e}); sign in again with `oci-token login --device-code`"
                            )),
                            e => Error::Service(format!("refreshing at {domain_url}: {e}")),
                        })
                },
            )?;
            if let Some(new) = t.refresh_token {
                s.refresh_token = Some(new.expose().clone());
                write_state(token_path, s)?;
            }
            Ok(t.access_token)
        }
    }
}

/// A new UPST for the session at `token_path`, bound to its `key`, when the session was
/// made by exchange; `None` otherwise. Call with the session's lock held.
pub(crate) fn renew(
    ctx: &Context<'_>,
    token_path: &Path,
    key: &SigningKey,
) -> Result<Option<Secret<String>>> {
    let Some(mut s) = read_state(token_path) else {
        return Ok(None);
    };
    let subject = subject(ctx, token_path, &mut s)?;
    let secret = oidc::client_secret(s.client_secret_file.as_deref().map(Path::new))?;
    exchange(
        ctx,
        &s.domain_url,
        &s.client_id,
        secret.as_ref(),
        &subject,
        key,
    )
    .map(Some)
}
