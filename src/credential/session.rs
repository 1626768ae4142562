//! A session credential: the token file a profile names (`security_token_file`) and its
//! key, refreshed at the auth service under the sidecar lock and written atomically.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::policy::{self, Input, Policy, Verdict, Why};
use super::{Warning, load_key};
use crate::config::Profile;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{self, Claims};
use crate::{auth, key, store};

/// A session token as read (and perhaps just refreshed).
#[derive(Debug)]
pub struct Session {
    pub token_path: PathBuf,
    pub token: Secret<String>,
    pub claims: Claims,
    /// Whether this run wrote a new token.
    pub refreshed: bool,
}

/// The command that makes a new session for `profile`, for "log in" hints.
#[must_use]
pub fn login_hint(profile: &str) -> String {
    format!(
        "`oci-token login --profile-name {profile}` (or `oci session authenticate --profile-name {profile}`)"
    )
}

/// The token file of a session profile, or a configuration error.
pub fn token_path(p: &Profile) -> Result<&Path> {
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

/// [`read_token`] relative to a pinned directory, never through a symlink swapped in.
fn read_pinned(pinned: &store::Pinned, profile: &str) -> Result<(Secret<String>, Claims)> {
    let path = pinned.path();
    let bytes = pinned
        .read(store::MAX_TOKEN)
        .map_err(|e| read_error(&e, &path, profile))?;
    decode_file(&bytes, &path, profile)
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

fn serve(token_path: PathBuf, token: Secret<String>, claims: Claims) -> Session {
    Session {
        token_path,
        token,
        claims,
        refreshed: false,
    }
}

/// Replaces the token file atomically with a new token.
fn write_new(
    pinned: &store::Pinned,
    path: PathBuf,
    token: Secret<String>,
    claims: Claims,
) -> Result<Session> {
    pinned
        .write_atomic(token.expose().as_bytes())
        .map_err(|e| {
            Error::Other(format!(
                "cannot write token file {} (it is unchanged): {e}",
                path.display()
            ))
        })?;
    Ok(Session {
        token_path: path,
        token,
        claims,
        refreshed: true,
    })
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

/// Returns a session that satisfies `policy`, refreshing it under the lock when
/// [`policy::decide`] says so, and the warning to print when the current token is served
/// although a new one was wanted.
///
/// The token path is resolved once: its directory is opened, checked (it must be this
/// user's and not writable by others), and the lock, the re-read and the write all happen
/// relative to it, so a symlink swapped in while we wait is never followed.
pub fn ensure(
    ctx: &Context<'_>,
    p: &Profile,
    policy: &Policy,
    lock_timeout: SignedDuration,
) -> Result<(Session, Option<Warning>)> {
    let now = || ctx.env.now();
    let path = token_path(p)?.to_owned();
    let (token, claims) = read_token(&path, &p.name)?;
    check_min_valid(p, &claims, policy.min_valid)?;
    let first = Input::Read {
        claims: &claims,
        locked: false,
        changed: false,
    };
    let verdict = policy::decide(now(), policy, first);
    if verdict == Verdict::Serve {
        return Ok((serve(path, token, claims), None));
    }
    // A session made by token exchange renews itself past `sess_exp` (see `exchange`);
    // looked up only here, off the path of a valid token.
    let renewable = super::exchange::read_state(&path).is_some();
    if verdict == Verdict::Ended && !renewable {
        return Err(ended(p, &claims));
    }
    let warn =
        |e: Error, path: PathBuf, token, claims: Claims| -> Result<(Session, Option<Warning>)> {
            match policy::decide(now(), policy, Input::Failed { claims: &claims }) {
                Verdict::ServeWithWarning(_) => {
                    let text = format!(
                        "{e} (the current token is still valid until {})",
                        claims.exp
                    );
                    Ok((
                        serve(path, token, claims),
                        Some(Warning::RefreshFailed(text)),
                    ))
                }
                _ => Err(e),
            }
        };
    let pinned = store::Pinned::new(&path).map_err(|e| {
        Error::Config(format!(
            "cannot open the directory of token file {}: {e}",
            path.display()
        ))
    })?;
    let path = pinned.path();
    pinned
        .check_private()
        .map_err(|why| Error::Config(format!("refusing to refresh profile '{}': {why}", p.name)))?;
    let _lock = match pinned.lock(crate::duration::to_std(lock_timeout)) {
        Ok(l) => l,
        Err(e) => return warn(e, path, token, claims),
    };
    let first_token = token;
    let (token, claims) = read_pinned(&pinned, &p.name)?;
    let changed = token.expose() != first_token.expose();
    drop(first_token);
    let again = Input::Read {
        claims: &claims,
        locked: true,
        changed,
    };
    let ended_now = match policy::decide(now(), policy, again) {
        Verdict::Serve => return Ok((serve(path, token, claims), None)),
        Verdict::Ended if !renewable => return Err(ended(p, &claims)),
        Verdict::Ended => true,
        _ => false,
    };
    let (new_token, new_claims) =
        match refresh_or_renew(ctx, p, &path, &token, &claims, ended_now, renewable) {
            Ok(t) => t,
            Err(e) => return warn(e, path, token, claims),
        };
    let issued = Input::Issued {
        old: &claims,
        new: &new_claims,
    };
    let not_extended = || {
        Error::needs_login(
            &p.name,
            &format!(
                "the auth service did not extend the session (it still ends at {}; sessions made with --no-browser cannot be extended)",
                claims.exp
            ),
        )
    };
    match policy::decide(now(), policy, issued) {
        Verdict::ServeWithWarning(Why::NotExtended) => {
            let w = Warning::NotExtended(not_extended().to_string());
            return Ok((serve(path, token, claims), Some(w)));
        }
        Verdict::Write => {}
        _ => return Err(not_extended()),
    }
    Ok((write_new(&pinned, path, new_token, new_claims)?, None))
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
        .ok_or_else(|| Error::Other("internal: no exchange state".into()))?;
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
    let total = crate::http::total_deadline(ctx.env);
    let what = format!("refreshing profile '{}'", p.name);
    let new = auth::refresh(&ctx.http(), &url, &k, token, ctx.env, total).map_err(|e| match e {
        auth::AuthError::Unauthorized(d) => Error::needs_login(
            &p.name,
            &format!("the auth service refused the refresh ({d})"),
        ),
        auth::AuthError::NotHttps(_) | auth::AuthError::Setup(_) => {
            Error::Config(format!("{what} failed: {e}"))
        }
        auth::AuthError::Rejected(..) => Error::Service(format!("{what} at {url} failed: {e}")),
        auth::AuthError::Unavailable(_) => Error::Service(format!(
            "{what} at {url} failed: {e}; check the network, proxy and CA bundle, then try again"
        )),
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
pub fn is_valid(c: &Claims, now: Timestamp) -> bool {
    now < c.exp && c.sess_exp.is_none_or(|s| now < s)
}
