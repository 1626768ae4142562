//! A session credential: the token file a profile names (`security_token_file`) and its
//! key, refreshed at the auth service under the sidecar lock and written atomically.

use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::api_key::load_key;
use super::auth::Auth;
use super::cache::{self, Provider};
use super::kind::{Kind, Session, Warning, login_hint};
use super::policy::Policy;
use crate::config::Profile;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{self, Claims};
use crate::{crypto::key, services::auth, sys::store};

/// The token file of a session profile, or a configuration error.
pub(crate) fn token_path(p: &Profile) -> Result<&Path> {
    p.security_token_file.as_deref().ok_or_else(|| {
        Error::Config(format!(
            "profile '{}' in {} has no security_token_file (it is not a session profile); log in with {}",
            p.name,
            p.config_display(),
            login_hint(&p.name)
        ))
    })
}

/// Decodes token text read from `path`; a trailing newline is tolerated.
fn decode_file(text: &[u8], path: &Path, profile: &str) -> Result<(Secret<String>, Claims)> {
    let text = String::from_utf8_lossy(text);
    let token = token::trim_file(&text).to_owned();
    let claims = token::decode(&token).map_err(|e| {
        Error::Config(format!(
            "token file {} of profile '{profile}': {e}; log in again with {}",
            path.display(),
            login_hint(profile)
        ))
    })?;
    Ok((Secret::new(token), claims))
}

fn read_error(e: &std::io::Error, path: &Path, profile: &str) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::Config(format!(
            "token file {} of profile '{profile}' not found; log in with {}",
            path.display(),
            login_hint(profile)
        ))
    } else {
        Error::Config(format!("cannot read token file {}: {e}", path.display()))
    }
}

/// Reads and decodes a token file: a regular file of at most 64 KiB (a FIFO or device is
/// refused without blocking). An empty file is read once more after a moment: the oci CLI
/// rewrites the token in place (truncate, then write), and a reader can land in between.
pub fn read_token(path: &Path, profile: &str) -> Result<(Secret<String>, Claims)> {
    let read =
        || store::read_regular(path, store::MAX_TOKEN).map_err(|e| read_error(&e, path, profile));
    let mut bytes = read()?;
    if bytes.is_empty() {
        std::thread::sleep(Duration::from_millis(50));
        bytes = read()?;
    }
    decode_file(&bytes, path, profile)
}

/// A `--min-valid` chosen by the user must be something a token of this session can
/// satisfy: not its whole lifetime or more. (The default, one minute, always can.)
fn check_min_valid(p: &Profile, c: &Claims, min_valid: SignedDuration) -> Result<()> {
    if min_valid == crate::duration::DEFAULT_MIN_VALID {
        return Ok(());
    }
    match token::lifetime(c) {
        Some(life) if min_valid >= life => Err(Error::Usage(format!(
            "--min-valid {} cannot be met: the tokens of profile '{}' live {} in all; pass a shorter --min-valid",
            crate::duration::text(min_valid),
            p.name,
            crate::duration::text(life)
        ))),
        _ => Ok(()),
    }
}

fn ended(p: &Profile, c: &Claims) -> Error {
    Error::needs_login(
        &p.name,
        &format!(
            "the session ended at {}",
            c.sess_exp
                .map_or_else(|| "its 24-hour limit".to_owned(), |t| t.to_string())
        ),
    )
}

/// Refreshes the session once; a session made by token exchange that the auth service
/// refuses, does not extend, or that has ended gets a new one by exchange instead.
fn refresh_or_renew(
    ctx: &Context<'_>,
    p: &Profile,
    path: &Path,
    token: &Secret<String>,
    claims: &Claims,
    ended_now: bool,
    renewable: bool,
) -> Result<(Secret<String>, Claims)> {
    let refreshed = if ended_now {
        Err(ended(p, claims))
    } else {
        refresh_once(ctx, p, token, claims)
    };
    match refreshed {
        Err(Error::NeedsLogin(_)) if renewable => renew_by_exchange(ctx, p, path, claims),
        Ok((_, ref c)) if renewable && token::not_extended(claims, c) => {
            renew_by_exchange(ctx, p, path, claims)
        }
        other => other,
    }
}

/// A session's part of the cache loop: its token file is the profile's own, refreshed at
/// the auth service (or renewed by token exchange, see [`super::exchange`]).
struct Refresher<'a, 'c> {
    ctx: &'a Context<'c>,
    profile: &'a Profile,
    path: &'a Path,
    /// Whether the session was made by token exchange; looked up once, off the fast path.
    renewable: std::cell::OnceCell<bool>,
}

impl Refresher<'_, '_> {
    fn renewable(&self) -> bool {
        *self
            .renewable
            .get_or_init(|| super::exchange::read_state(self.path).is_some())
    }
}

impl Provider for Refresher<'_, '_> {
    type Item = cache::Token;

    fn decode(&self, read: std::io::Result<Vec<u8>>) -> Result<Option<cache::Token>> {
        let bytes = read.map_err(|e| read_error(&e, self.path, &self.profile.name))?;
        let (token, claims) = decode_file(&bytes, self.path, &self.profile.name)?;
        Ok(Some(cache::Token { token, claims }))
    }

    fn encode(&self, item: &cache::Token) -> Result<Vec<u8>> {
        Ok(item.token.expose().as_bytes().to_vec())
    }

    fn claims(&self, item: &cache::Token) -> Claims {
        item.claims.clone()
    }

    fn admit(&self, item: &cache::Token, policy: &Policy) -> Result<()> {
        check_min_valid(self.profile, &item.claims, policy.min_valid)
    }

    fn renews_past_end(&self) -> bool {
        self.renewable()
    }

    fn ended(&self, item: &cache::Token) -> Error {
        ended(self.profile, &item.claims)
    }

    fn not_extended(&self, item: &cache::Token) -> Error {
        Error::needs_login(
            &self.profile.name,
            &format!(
                "the auth service did not extend the session (it still ends at {}; sessions made with --no-browser cannot be extended)",
                item.claims.exp
            ),
        )
    }

    fn refusing(&self, why: String) -> Error {
        Error::Config(format!(
            "refusing to refresh profile '{}': {why}",
            self.profile.name
        ))
    }

    fn fetch(&mut self, current: Option<&cache::Token>, ended: bool) -> Result<cache::Token> {
        let current = current.ok_or_else(|| Error::internal("no session to refresh"))?;
        let renewable = self.renewable();
        let (token, claims) = refresh_or_renew(
            self.ctx,
            self.profile,
            self.path,
            &current.token,
            &current.claims,
            ended,
            renewable,
        )?;
        Ok(cache::Token { token, claims })
    }
}

/// Returns a session that satisfies `policy`, refreshing it under the lock when
/// [`policy::decide`] says so (the one [`cache::ensure`] loop), and the warning to print
/// when the current token is served although a new one was wanted.
///
/// The token path is resolved once: its directory is opened, and the reads, the check
/// (before locking, it must be this user's and not writable by others), the lock and the
/// write all happen relative to it, so a symlink swapped in while we wait is never followed.
pub(crate) fn ensure(
    ctx: &Context<'_>,
    p: &Profile,
    policy: &Policy,
    lock_timeout: SignedDuration,
) -> Result<(Session, Option<Warning>)> {
    let path = token_path(p)?;
    let slot = store::Pinned::new(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            read_error(&e, path, &p.name)
        } else {
            Error::Config(format!(
                "cannot open the directory of token file {}: {e}",
                path.display()
            ))
        }
    })?;
    let mut refresher = Refresher {
        ctx,
        profile: p,
        path,
        renewable: std::cell::OnceCell::new(),
    };
    let out = cache::ensure(
        &slot,
        &mut refresher,
        policy,
        &|| ctx.env.now(),
        lock_timeout,
    )?;
    let session = Session {
        token_path: path.to_owned(),
        token: out.item.token,
        claims: out.item.claims,
        refreshed: out.refreshed,
    };
    Ok((session, out.warning))
}

/// A new session token by token exchange, bound to the session's key and checked like a
/// refresh reply.
fn renew_by_exchange(
    ctx: &Context<'_>,
    p: &Profile,
    path: &Path,
    claims: &Claims,
) -> Result<(Secret<String>, Claims)> {
    let k = load_key(p, claims.jwk.as_ref())?;
    let new = super::exchange::renew(ctx, path, &k)?
        .ok_or_else(|| Error::internal("no exchange state"))?;
    let c = token::decode_issued(new.expose()).map_err(|e| {
        Error::Service(format!(
            "the token exchange for profile '{}' returned an unusable token ({e}); the token file is unchanged",
            p.name
        ))
    })?;
    if let Some(jwk) = &c.jwk
        && !key::matches_jwk(&k, &jwk.n, &jwk.e)
    {
        return Err(Error::Service(format!(
            "the token exchange for profile '{}' returned a token for another key; the token file is unchanged",
            p.name
        )));
    }
    Ok((new, c))
}

/// The network step: load the key, sign, send, check the reply is a well-formed token
/// bound to this session's key (anything else must not replace the token file).
fn refresh_once(
    ctx: &Context<'_>,
    p: &Profile,
    token: &Secret<String>,
    claims: &Claims,
) -> Result<(Secret<String>, Claims)> {
    let k = load_key(p, claims.jwk.as_ref())?;
    let url = auth::refresh_url(&ctx.auth_base(p)?);
    let total = crate::services::http::total_deadline(ctx.env);
    let what = format!("refreshing profile '{}'", p.name);
    let new = auth::refresh(&ctx.http(), &url, &k, token, ctx.env, total).map_err(|e| {
        e.to_error(&what, &url, |d| {
            Error::needs_login(
                &p.name,
                &format!("the auth service refused the refresh ({d})"),
            )
        })
    })?;
    let unusable = |why: &dyn std::fmt::Display| {
        Error::Service(format!(
            "{what} at {url}: the reply token is unusable ({why}); the token file is unchanged; try again"
        ))
    };
    if new.expose().len() as u64 > store::MAX_TOKEN {
        return Err(unusable(&"it is larger than 64 KiB"));
    }
    let claims = token::decode_issued(new.expose()).map_err(|e| unusable(&e))?;
    if let Some(jwk) = &claims.jwk
        && !key::matches_jwk(&k, &jwk.n, &jwk.e)
    {
        return Err(unusable(
            &"it is bound to a different key than the session's",
        ));
    }
    Ok((new, claims))
}

/// Whether a session is valid now: not past `exp` and not past `sess_exp`.
#[must_use]
pub(crate) fn is_valid(c: &Claims, now: Timestamp) -> bool {
    now < c.exp && c.sess_exp.is_none_or(|s| now < s)
}

/// A session profile as a credential kind.
#[derive(Debug)]
pub(crate) struct SessionProfile {
    profile: Profile,
    session: Option<Session>,
}

/// The session `profile` (or the active profile) holds.
pub(crate) fn make(ctx: &Context<'_>, profile: Option<Profile>) -> Result<Box<dyn Kind>> {
    let profile = match profile {
        Some(p) => p,
        None => ctx.profile()?,
    };
    token_path(&profile)?;
    Ok(Box::new(SessionProfile {
        profile,
        session: None,
    }))
}

impl Kind for SessionProfile {
    fn auth(&self) -> Auth {
        Auth::SecurityToken
    }

    fn profile(&self) -> Option<&Profile> {
        Some(&self.profile)
    }

    fn ensure(
        &mut self,
        ctx: &Context<'_>,
        policy: &Policy,
        lock_timeout: SignedDuration,
    ) -> Result<Option<Warning>> {
        super::api_key::require_key_file(&self.profile)?;
        let (s, warning) = ensure(ctx, &self.profile, policy, lock_timeout)?;
        self.session = Some(s);
        Ok(warning)
    }

    fn peek(&self) -> Result<Option<Claims>> {
        let path = token_path(&self.profile)?;
        Ok(Some(read_token(path, &self.profile.name)?.1))
    }

    fn read_stored(&mut self) -> Result<Claims> {
        let p = &self.profile;
        let path = token_path(p)?.to_owned();
        let (token, claims) = read_token(&path, &p.name)?;
        load_key(p, claims.jwk.as_ref())?;
        self.session = Some(Session {
            token_path: path,
            token,
            claims: claims.clone(),
            refreshed: false,
        });
        Ok(claims)
    }

    fn renewable(&self) -> bool {
        token_path(&self.profile).is_ok_and(|p| super::exchange::read_state(p).is_some())
    }

    fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    fn key(&self) -> Result<crate::crypto::key::SigningKey> {
        load_key(
            &self.profile,
            self.session.as_ref().and_then(|s| s.claims.jwk.as_ref()),
        )
    }
}
