//! An `OpenID Connect` login as a credential: its stored state and its refresh, kept fresh
//! by the one [`cache::ensure`] loop like every other kind.
//!
//! State per name: `~/.oci/oidc/<name>.json`, on Windows `%LOCALAPPDATA%\oci-token\oidc\<name>.json`
//! (so refresh tokens stay on the machine and never roam with the profile) (directory 0700 and checked on every read, file
//! 0600, replaced atomically under `<name>.json.lock`): the issuer, client id, the client
//! secret's *file* (re-read when needed, never copied), scope, endpoints, the refresh token
//! and the last access and ID tokens. Never the password or the client secret. Each token is
//! at most 64 KiB, so a hostile issuer cannot grow the file past what is read back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::cache::{self, Provider};
use super::kind::Warning;
use super::policy::Policy;
use crate::config;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output;
use crate::services::oidc::{self, OidcClient, OidcError, Tokens};
use crate::sys::store::{self, Dir};
use crate::token::{self, Claims};

/// The largest state file read: three tokens of at most 64 KiB and a few URLs.
pub(crate) const MAX_STATE: u64 = 1 << 20;

/// Which token a consumer of an `ExecCredential` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The access token (json, bearer, env; an `ExecCredential` with `--exec-token access`).
    Access,
    /// The ID token too (an `ExecCredential`: kube-apiserver's OIDC authenticator).
    IdToken,
}

/// The stored state (no `Debug`: it holds tokens).
#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub version: u8,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_file: Option<String>,
    pub scope: String,
    pub token_endpoint: String,
    pub revocation_endpoint: Option<String>,
    pub refresh_token: Option<String>,
    pub access_token: String,
    pub id_token: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl Stored {
    /// The state after a token reply: `previous_refresh` is kept when the reply rotates
    /// none in, and `previous_id` when it brings no ID token but the old one is still
    /// valid (an expired ID token is dropped, never carried on).
    #[must_use]
    pub(crate) fn from_reply(
        meta: &oidc::Metadata,
        client: (&str, Option<&Path>),
        scope: &str,
        t: &Tokens,
        previous: Option<&Stored>,
        now: Timestamp,
    ) -> Stored {
        let expires_in = t.expires_in.filter(|e| *e > 0).unwrap_or(300).min(86_400);
        let previous_id = previous
            .and_then(|p| p.id_token.clone())
            .filter(|id| token::decode(id).is_ok_and(|c| c.exp > now));
        Stored {
            version: 1,
            issuer: meta.issuer.clone(),
            client_id: client.0.to_owned(),
            // Absolute: `oidc token` runs from any directory.
            client_secret_file: client.1.map(|p| {
                std::path::absolute(p)
                    .unwrap_or_else(|_| p.to_owned())
                    .display()
                    .to_string()
            }),
            scope: t.scope.clone().unwrap_or_else(|| scope.to_owned()),
            token_endpoint: meta.token_endpoint.clone(),
            revocation_endpoint: meta.revocation_endpoint.clone(),
            refresh_token: t
                .refresh_token
                .as_ref()
                .map(|r| r.expose().clone())
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            access_token: t.access_token.expose().clone(),
            id_token: t
                .id_token
                .as_ref()
                .map(|i| i.expose().clone())
                .or(previous_id),
            issued_at: now.as_second(),
            expires_at: now.as_second() + expires_in,
        }
    }

    /// The command that signs in again.
    #[must_use]
    pub fn login_hint(&self, name: &str) -> String {
        format!(
            "`oci-token oidc login --issuer {} --client-id {} --name {name}`",
            self.issuer, self.client_id
        )
    }

    /// When the ID token expires, if there is one that decodes.
    #[must_use]
    pub(crate) fn id_expires_at(&self) -> Option<Timestamp> {
        self.id_token
            .as_deref()
            .and_then(|id| token::decode(id).ok())
            .map(|c| c.exp)
    }

    /// The validity that matters to a consumer: the access token's, and with
    /// [`Needs::IdToken`] the ID token's too (a missing one counts as expired).
    #[must_use]
    pub fn claims(&self, needs: Needs) -> Claims {
        let t = |x: i64| Timestamp::from_second(x).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut exp = t(self.expires_at);
        if needs == Needs::IdToken {
            exp = exp.min(self.id_expires_at().unwrap_or(Timestamp::UNIX_EPOCH));
        }
        Claims::expiring(exp, Some(t(self.issued_at)))
    }
}

/// `~/.oci/oidc/<name>.json`, on Windows under `%LOCALAPPDATA%\oci-token\oidc` (the name
/// is checked as a profile name is).
pub(crate) fn state_path(env: &dyn crate::sys::env::Env, name: &str) -> Result<PathBuf> {
    config::edit::check_profile_name(name)?;
    Ok(state_dir(env).join(format!("{name}.json")))
}

fn state_dir(env: &dyn crate::sys::env::Env) -> PathBuf {
    crate::sys::os::oidc_state_dir(env)
}

/// The state directory, opened and checked (this user's, not writable by others):
/// created when `create`, else `None` when missing.
pub(crate) fn open_dir(env: &dyn crate::sys::env::Env, create: bool) -> Result<Option<Dir>> {
    Dir::open_private(&state_dir(env), create)
}

fn no_login(name: &str) -> Error {
    Error::NeedsLogin(format!(
        "no OIDC login named '{name}'; sign in with `oci-token oidc login --issuer URL --client-id ID --name {name}`"
    ))
}

/// Parses a state file's bytes.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Stored> {
    serde_json::from_slice(bytes).map_err(|_| {
        Error::Config(format!(
            "{} is not an oci-token OIDC state file; remove it (`oci-token oidc logout`) and sign in again",
            path.display()
        ))
    })
}

/// Writes the state atomically through its pinned slot.
pub(crate) fn write(slot: &store::Pinned, s: &Stored) -> Result<()> {
    let text = serde_json::to_string(s).map_err(|e| Error::Other(e.to_string()))?;
    slot.write_atomic(text.as_bytes())
        .map_err(|e| Error::write(&slot.path(), &e))
}

/// An OIDC login's part of the cache loop.
struct Refresher<'a, 'c> {
    ctx: &'a Context<'c>,
    name: &'a str,
    path: PathBuf,
    needs: Needs,
}

impl Provider for Refresher<'_, '_> {
    type Item = Stored;

    fn decode(&self, read: std::io::Result<Vec<u8>>) -> Result<Option<Stored>> {
        match read {
            Ok(b) => parse(&b, &self.path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(no_login(self.name)),
            Err(e) => Err(Error::Config(format!(
                "cannot read {}: {e}; remove it (`oci-token oidc logout --name {}`) and sign in again",
                self.path.display(),
                self.name
            ))),
        }
    }

    fn encode(&self, s: &Stored) -> Result<Vec<u8>> {
        serde_json::to_vec(s).map_err(|e| Error::Other(e.to_string()))
    }

    /// Three tokens of up to 64 KiB each and a few URLs: the cap `logout` reads with too.
    fn max_bytes(&self) -> u64 {
        MAX_STATE
    }

    fn claims(&self, s: &Stored) -> Claims {
        s.claims(self.needs)
    }

    fn keeps_every_issue(&self) -> bool {
        true
    }

    fn too_short(&self, s: &Stored) -> Error {
        let what = if self.needs == Needs::IdToken {
            "without a new ID token, and the stored one has expired"
        } else {
            "with tokens that have already expired"
        };
        Error::NeedsLogin(format!(
            "the issuer refreshed '{}' {what}; run oidc login again: {} (or print the access token with --exec-token access)",
            self.name,
            s.login_hint(self.name)
        ))
    }

    fn fetch(&mut self, current: Option<&Stored>, _ended: bool) -> Result<Stored> {
        let s = current.ok_or_else(|| no_login(self.name))?;
        refresh(self.ctx, s, self.name)
    }
}

fn refresh(ctx: &Context<'_>, s: &Stored, name: &str) -> Result<Stored> {
    let rt = s.refresh_token.as_deref().ok_or_else(|| {
        Error::NeedsLogin(format!(
            "the tokens of '{name}' expired and there is no refresh token; sign in again with {}",
            s.login_hint(name)
        ))
    })?;
    let t = oidc::with_client(
        &ctx.http(),
        ctx.env,
        &s.client_id,
        s.client_secret_file.as_deref(),
        |client| {
            client
            .refresh(&s.token_endpoint, rt)
            .map_err(|e| match e {
                OidcError::Protocol { ref error, .. } if error == "invalid_grant" => Error::NeedsLogin(format!(
                    "the refresh token of '{name}' was refused ({e}: revoked or expired); sign in again with {}",
                    s.login_hint(name)
                )),
                e => e.to_error(&format!("refreshing '{name}' at {}", s.token_endpoint)),
            })
        },
    )?;
    let meta = oidc::Metadata {
        issuer: s.issuer.clone(),
        token_endpoint: s.token_endpoint.clone(),
        device_authorization_endpoint: None,
        revocation_endpoint: s.revocation_endpoint.clone(),
        grant_types_supported: None,
    };
    Ok(Stored::from_reply(
        &meta,
        (&s.client_id, s.client_secret_file.as_deref().map(Path::new)),
        &s.scope,
        &t,
        Some(s),
        ctx.env.now(),
    ))
}

/// The freshness `oidc token` asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wish {
    pub window: SignedDuration,
    pub min_valid: SignedDuration,
    pub lock_timeout: SignedDuration,
    pub needs: Needs,
}

/// The login `name`, fresh enough for `wish` (refreshed under its lock when not), and the
/// warning to print when a wanted refresh failed but the tokens are still good. Never
/// returns tokens the consumer would find expired.
pub(crate) fn ensure(
    ctx: &Context<'_>,
    name: &str,
    wish: &Wish,
) -> Result<(Stored, Option<Warning>)> {
    let path = state_path(ctx.env, name)?;
    let dir = open_dir(ctx.env, false)?.ok_or_else(|| no_login(name))?;
    let slot = dir.file(&format!("{name}.json"))?;
    let mut refresher = Refresher {
        ctx,
        name,
        path,
        needs: wish.needs,
    };
    let policy = Policy {
        window: wish.window,
        min_valid: wish.min_valid,
        force: false,
    };
    let out = cache::ensure(
        &slot,
        &mut refresher,
        &policy,
        &|| ctx.env.now(),
        wish.lock_timeout,
    )?;
    Ok((out.item, out.warning))
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device flow (RFC 8628): show the code, poll at `interval` (`slow_down` adds 5 s),
/// until approved, denied or expired. `poll_floor` shortens the wait in tests.
pub(crate) fn device_flow(
    client: &OidcClient<'_>,
    meta: &oidc::Metadata,
    scope: &str,
    extra: &[(&str, &str)],
    env: &dyn crate::sys::env::Env,
) -> Result<Tokens> {
    let endpoint = meta.device_authorization_endpoint.as_deref().ok_or_else(|| {
        Error::Config(format!(
            "{} offers no device flow (no device_authorization_endpoint in its discovery document); try --flow password if the IAM allows it",
            meta.issuer
        ))
    })?;
    let dc = client
        .device_authorization(endpoint, scope, extra)
        .map_err(|e| e.to_error("the device authorization request"))?;
    let complete = dc
        .verification_uri_complete
        .as_deref()
        .map(|u| format!("\n  or open {u}"))
        .unwrap_or_default();
    output::note(&format!(
        "To sign in, open {} and enter the code {}{complete}\n(waiting up to {}s)",
        dc.verification_uri, dc.user_code, dc.expires_in
    ));
    let floor = env
        .var("OCI_TOKEN_DEVICE_POLL_INTERVAL")
        .and_then(|v| crate::duration::parse(&v).ok())
        .map(|d| d.as_secs());
    let mut interval = floor.map_or(dc.interval, |f| f.clamp(1, dc.interval.max(1)));
    let deadline = std::time::Instant::now() + Duration::from_secs(dc.expires_in.unsigned_abs());
    loop {
        // Never past the deadline, however much `slow_down` stretched the interval.
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let wait = Duration::from_secs(interval.unsigned_abs());
        if wait >= left {
            std::thread::sleep(left);
            return Err(Error::NeedsLogin(format!(
                "the device code expired after {}s without an approval; run the login again",
                dc.expires_in
            )));
        }
        std::thread::sleep(wait);
        match client.token(
            &meta.token_endpoint,
            vec![
                ("grant_type", DEVICE_GRANT),
                ("device_code", dc.device_code.expose()),
            ],
        ) {
            Ok(t) => return Ok(t),
            Err(OidcError::Protocol { error, .. }) if error == "authorization_pending" => {}
            Err(OidcError::Protocol { error, .. }) if error == "slow_down" => interval += 5,
            Err(OidcError::Protocol { error, .. }) if error == "access_denied" => {
                return Err(Error::NeedsLogin(
                    "the sign-in was denied at the issuer; run the login again to retry".into(),
                ));
            }
            Err(OidcError::Protocol { error, .. }) if error == "expired_token" => {
                return Err(Error::NeedsLogin(
                    "the device code expired before it was approved; run the login again".into(),
                ));
            }
            Err(e) => return Err(e.to_error("polling the token endpoint")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(id: Option<&str>) -> Tokens {
        Tokens {
            access_token: crate::secret::Secret::new("at".into()),
            refresh_token: None,
            id_token: id.map(|i| crate::secret::Secret::new(i.into())),
            expires_in: Some(600),
            scope: None,
        }
    }

    fn jwt(exp: i64) -> String {
        use base64::Engine as _;
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.c2ln",
            e(r#"{"alg":"RS256"}"#),
            e(&format!(r#"{{"exp":{exp}}}"#))
        )
    }

    #[test]
    fn an_expired_id_token_is_never_carried_on() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let meta = oidc::Metadata {
            issuer: "https://op".into(),
            token_endpoint: "https://op/token".into(),
            device_authorization_endpoint: None,
            revocation_endpoint: None,
            grant_types_supported: None,
        };
        let first = Stored::from_reply(
            &meta,
            ("c", None),
            "openid",
            &tokens(Some(&jwt(now.as_second() + 60))),
            None,
            now,
        );
        // A reply without an ID token keeps a valid one ...
        let later = Stored::from_reply(
            &meta,
            ("c", None),
            "openid",
            &tokens(None),
            Some(&first),
            now,
        );
        assert!(later.id_token.is_some());
        assert_eq!(
            later.claims(Needs::IdToken).exp.as_second(),
            now.as_second() + 60
        );
        // ... and drops an expired one: the ID-token validity is then nothing.
        let after = now + SignedDuration::from_secs(120);
        let dropped = Stored::from_reply(
            &meta,
            ("c", None),
            "openid",
            &tokens(None),
            Some(&first),
            after,
        );
        assert!(dropped.id_token.is_none());
        assert_eq!(dropped.claims(Needs::IdToken).exp, Timestamp::UNIX_EPOCH);
        assert_eq!(
            dropped.claims(Needs::Access).exp.as_second(),
            after.as_second() + 600
        );
    }
}
