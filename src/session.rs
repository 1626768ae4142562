//! `get`, `refresh` and `validate`: the session as the profile names it, kept fresh.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::key::SigningKey;
use jiff::{SignedDuration, Timestamp};

use crate::cli::Global;
use crate::config::{self, Profile};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::output::{self, View};
use crate::secret::Secret;
use crate::token::{self, Claims, Decision};
use crate::{http, key, refresh, region, store};

/// What every command needs: the global options and the environment.
pub struct Ctx<'a> {
    pub global: &'a Global,
    pub env: &'a dyn Env,
}

impl Ctx<'_> {
    pub fn profile(&self) -> Result<Profile> {
        let g = self.global;
        config::resolve(
            &config::Options {
                config_file: g.config_file.clone(),
                profile: g.profile.clone(),
                region: g.region.clone(),
                cli_rc_file: g.cli_rc_file.clone(),
            },
            self.env,
        )
    }
}

/// A session read from disk.
pub struct Session {
    pub token_path: PathBuf,
    pub token: Secret<String>,
    pub claims: Claims,
    pub refreshed: bool,
    /// Set when a refresh was wanted but the current token is served instead.
    pub warning: Option<Warning>,
}

/// Why `ensure` served the current token although it wanted a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The refresh failed (network, service, lock, key); the token is still good for `min_valid`.
    RefreshFailed(String),
    /// The service answered but did not move `exp`: the session cannot be extended.
    NotExtended(String),
}

impl Session {
    fn new(token_path: PathBuf, token: Secret<String>, claims: Claims) -> Self {
        Session {
            token_path,
            token,
            claims,
            refreshed: false,
            warning: None,
        }
    }

    /// Prints the warning, if any, as one stderr line.
    pub fn warn(&self) {
        match &self.warning {
            Some(Warning::RefreshFailed(w) | Warning::NotExtended(w)) => output::warn(w),
            None => {}
        }
    }
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

/// The command that makes a new session for `profile`, for "log in" hints.
#[must_use]
pub fn login_hint(profile: &str) -> String {
    format!(
        "`oci-token login --profile-name {profile}` (or `oci session authenticate --profile-name {profile}`)"
    )
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

fn token_read_error(e: &std::io::Error, path: &Path, profile: &str) -> Error {
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
    let read = || {
        store::read_regular(path, store::MAX_TOKEN).map_err(|e| token_read_error(&e, path, profile))
    };
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
        .map_err(|e| token_read_error(&e, &path, profile))?;
    decode_file(&bytes, &path, profile)
}

/// The key file must exist (as the Python SDK checks at load time).
fn require_key_file(p: &Profile) -> Result<&Path> {
    let path = p.key_file.as_deref().ok_or_else(|| {
        Error::Config(format!(
            "profile '{}' in {} has no key_file",
            p.name,
            p.config_display()
        ))
    })?;
    if !path.exists() {
        return Err(Error::Config(format!(
            "key_file {} of profile '{}' does not exist",
            path.display(),
            p.name
        )));
    }
    Ok(path)
}

/// Loads the profile's private key (never prompting) and, when `claims` carry a `jwk`,
/// checks that the token belongs to this key. A key that another user owns or that group
/// or others can write is refused; one they can read is used with a warning (as the oci
/// CLI warns; ssh would refuse).
pub fn load_key(p: &Profile, claims: Option<&Claims>) -> Result<SigningKey> {
    let path = require_key_file(p)?;
    if let Ok(m) = std::fs::metadata(path) {
        if let Some(why) = store::unsafe_owner_or_mode(&m) {
            return Err(Error::Config(format!(
                "key_file {} of profile '{}' is unsafe: {why}; run `chmod 600 {}`",
                path.display(),
                p.name,
                path.display()
            )));
        }
        if m.is_file() && std::os::unix::fs::MetadataExt::mode(&m) & 0o044 != 0 {
            output::warn(&format!(
                "key_file {} of profile '{}' can be read by other users; run `chmod 600 {}`",
                path.display(),
                p.name,
                path.display()
            ));
        }
    }
    let bytes = store::read_regular(path, store::MAX_KEY)
        .map_err(|e| Error::Config(format!("cannot read key_file {}: {e}", path.display())))?;
    let k = key::load_bytes(&bytes, p.pass_phrase.as_ref()).map_err(|e| {
        Error::Config(format!(
            "key_file {} of profile '{}': {e}",
            path.display(),
            p.name
        ))
    })?;
    if let Some(jwk) = claims.and_then(|c| c.jwk.as_ref())
        && !key::matches_jwk(&k, &jwk.n, &jwk.e)
    {
        return Err(Error::Config(format!(
            "the session token of profile '{}' was issued for a different key than key_file {}; the two come from different logins: log in again with {}",
            p.name,
            path.display(),
            login_hint(&p.name)
        )));
    }
    Ok(k)
}

/// How `ensure` decides.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `get`: refresh inside the window; the token must stay valid for `min_valid`.
    IfNeeded {
        window: SignedDuration,
        min_valid: SignedDuration,
    },
    /// `refresh`: always.
    Force { min_valid: SignedDuration },
}

impl Mode {
    fn min_valid(self) -> SignedDuration {
        match self {
            Mode::IfNeeded { min_valid, .. } | Mode::Force { min_valid } => min_valid,
        }
    }
}

fn expiry_text(t: Timestamp) -> String {
    t.to_string()
}

/// A `--min-valid` chosen by the user must be something a token of this session can
/// satisfy: not its whole lifetime or more. (The default, one minute, always can.)
fn check_min_valid(p: &Profile, c: &Claims, mode: Mode) -> Result<()> {
    let min_valid = mode.min_valid();
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

/// Returns a token that satisfies `mode`, refreshing it under the lock when needed.
///
/// The token path is resolved once: its directory is opened, checked (it must be this
/// user's and not writable by others), and the lock, the re-read and the write all happen
/// relative to it, so a symlink swapped in while we wait is never followed.
#[allow(clippy::too_many_lines)] // one linear recipe: read, decide, lock, re-read, refresh, write
pub fn ensure(
    ctx: &Ctx<'_>,
    p: &Profile,
    mode: Mode,
    lock_timeout: SignedDuration,
) -> Result<Session> {
    let path = token_path(p)?.to_owned();
    let (token, claims) = read_token(&path, &p.name)?;
    check_min_valid(p, &claims, mode)?;
    let decide = |c: &Claims| match mode {
        Mode::IfNeeded { window, min_valid } => token::decide(ctx.env.now(), c, window, min_valid),
        Mode::Force { .. } => {
            match token::decide(ctx.env.now(), c, SignedDuration::ZERO, SignedDuration::ZERO) {
                Decision::NeedsLogin => Decision::NeedsLogin,
                _ => Decision::RefreshRequired,
            }
        }
    };
    let ended = |c: &Claims| {
        Error::needs_login(
            &p.name,
            &format!(
                "the session ended at {}",
                c.sess_exp
                    .map_or_else(|| "its 24-hour limit".to_owned(), expiry_text)
            ),
        )
    };
    match decide(&claims) {
        Decision::Fresh => return Ok(Session::new(path, token, claims)),
        Decision::NeedsLogin => return Err(ended(&claims)),
        Decision::RefreshOptional | Decision::RefreshRequired => {}
    }
    let still_valid = |c: &Claims| c.exp.duration_since(ctx.env.now()) >= mode.min_valid();
    // A proactive refresh may fail: the current token is still good for `min_valid`.
    let optional = |c: &Claims| !matches!(mode, Mode::Force { .. }) && still_valid(c);
    let fallback = |e: Error, path: PathBuf, token: Secret<String>, claims: Claims| {
        if !optional(&claims) {
            return Err(e);
        }
        let text = format!(
            "{e} (the current token is still valid until {})",
            expiry_text(claims.exp)
        );
        let mut s = Session::new(path, token, claims);
        s.warning = Some(Warning::RefreshFailed(text));
        Ok(s)
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
    let timeout = crate::duration::to_std(lock_timeout);
    let _lock = match pinned.lock(timeout) {
        Ok(l) => l,
        Err(e) => return fallback(e, path, token, claims),
    };
    // Another process may have refreshed while we waited.
    let first = token;
    let (token, claims) = read_pinned(&pinned, &p.name)?;
    let refreshed_meanwhile = token.expose() != first.expose();
    drop(first);
    let decision = if refreshed_meanwhile && matches!(mode, Mode::Force { .. }) {
        // `refresh` asked for a new token, and one just arrived: one request for many callers.
        if still_valid(&claims) {
            Decision::Fresh
        } else {
            decide(&claims)
        }
    } else {
        decide(&claims)
    };
    match decision {
        Decision::Fresh => return Ok(Session::new(path, token, claims)),
        Decision::NeedsLogin => return Err(ended(&claims)),
        Decision::RefreshOptional | Decision::RefreshRequired => {}
    }
    let (new_token, new_claims) = match refresh_once(ctx, p, &token, &claims) {
        Ok(t) => t,
        Err(e) => return fallback(e, path, token, claims),
    };
    if token::not_extended(&claims, &new_claims) {
        // Sessions from `--no-browser` (GenerateUpst) cannot be extended: never loop on them.
        let e = Error::needs_login(
            &p.name,
            &format!(
                "the auth service did not extend the session (it still ends at {}; sessions made with --no-browser cannot be extended)",
                expiry_text(claims.exp)
            ),
        );
        if !still_valid(&claims) {
            return Err(e);
        }
        let mut s = Session::new(path, token, claims);
        s.warning = Some(Warning::NotExtended(e.to_string()));
        return Ok(s);
    }
    pinned
        .write_atomic(new_token.expose().as_bytes())
        .map_err(|e| {
            Error::Other(format!(
                "cannot write token file {} (it is unchanged): {e}",
                path.display()
            ))
        })?;
    let mut s = Session::new(path, new_token, new_claims);
    s.refreshed = true;
    Ok(s)
}

/// `ensure` with the refresh options of a command (`--refresh-window`, `--min-valid`,
/// `--lock-timeout`), printing any warning.
pub fn ensure_fresh(ctx: &Ctx<'_>, p: &Profile, g: &crate::cli::GetArgs) -> Result<Session> {
    let mode = Mode::IfNeeded {
        window: g.refresh_window,
        min_valid: g.min_valid,
    };
    let s = ensure(ctx, p, mode, g.lock.lock_timeout)?;
    s.warn();
    Ok(s)
}

/// What signs requests for a profile: its session (keyId `ST$<token>`, refreshed first when
/// needed) or its API key (keyId `tenancy/user/fingerprint`). The key is parsed only when
/// asked for.
pub struct Identity<'a> {
    pub profile: &'a Profile,
    /// The session, when signing with one.
    pub session: Option<Session>,
}

impl Identity<'_> {
    #[must_use]
    pub fn key_id(&self) -> Secret<String> {
        match &self.session {
            Some(s) => Secret::new(format!("ST${}", s.token.expose())),
            None => Secret::new(self.profile.api_key_id()),
        }
    }

    /// The private key, checked against the session token's `jwk`.
    pub fn key(&self) -> Result<SigningKey> {
        load_key(self.profile, self.session.as_ref().map(|s| &s.claims))
    }
}

/// The signing identity of `p`: its session when `use_session` (made fresh with `g`),
/// otherwise its API key (which must be complete).
pub fn identity<'a>(
    ctx: &Ctx<'_>,
    p: &'a Profile,
    g: &crate::cli::GetArgs,
    use_session: bool,
) -> Result<Identity<'a>> {
    let session = if use_session {
        Some(ensure_fresh(ctx, p, g)?)
    } else {
        check_api_key_profile(p)?;
        None
    };
    Ok(Identity {
        profile: p,
        session,
    })
}

/// The auth service's base URL: `--auth-endpoint`, `OCI_TOKEN_AUTH_ENDPOINT`, else
/// `https://auth.<region>.<domain>` for the profile's region (an error only when it is
/// needed and missing).
pub fn auth_base(ctx: &Ctx<'_>, p: &Profile) -> Result<String> {
    match ctx
        .global
        .auth_endpoint
        .clone()
        .or_else(|| ctx.env.var("OCI_TOKEN_AUTH_ENDPOINT"))
    {
        Some(b) => Ok(b),
        None => Ok(region::endpoint(
            "auth",
            "",
            p.require_region()?,
            &region_sources(ctx.env),
        )),
    }
}

/// The network step: load the key, sign, send, check the reply is a well-formed token
/// bound to this session's key (anything else must not replace the token file).
fn refresh_once(
    ctx: &Ctx<'_>,
    p: &Profile,
    token: &Secret<String>,
    claims: &Claims,
) -> Result<(Secret<String>, Claims)> {
    let k = load_key(p, Some(claims))?;
    let url = refresh::refresh_url(&auth_base(ctx, p)?);
    let settings = http::Settings::from_env(ctx.global.cert_bundle.clone(), ctx.env);
    let total = http::total_deadline(ctx.env);
    let new = refresh::refresh(&settings, &url, &k, token, &p.name, ctx.env, total)?;
    let unusable = |why: &dyn std::fmt::Display| {
        Error::Service(format!(
            "refreshing profile '{}' at {url}: the reply token is unusable ({why}); the token file is unchanged; try again",
            p.name
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

/// See [`region::sources`].
#[must_use]
pub fn region_sources(env: &dyn Env) -> region::Sources {
    region::sources(env)
}

#[must_use]
/// The view of a profile and, for session profiles, its session.
pub fn view<'a>(p: &'a Profile, s: Option<&'a Session>, now: Timestamp) -> View<'a> {
    let path = |o: Option<&Path>| o.map(|x| x.display().to_string());
    View {
        auth: p.auth(),
        profile: &p.name,
        config_file: p.config_file.as_deref().map(|x| x.display().to_string()),
        region: p.region.as_deref(),
        tenancy: p
            .tenancy
            .as_deref()
            .or_else(|| s.and_then(|s| s.claims.tenant.as_deref())),
        user: p
            .user
            .as_deref()
            .or_else(|| s.and_then(|s| s.claims.sub.as_deref())),
        fingerprint: p.fingerprint.as_deref(),
        key_file: path(p.key_file.as_deref()),
        token_file: s.map(|s| s.token_path.display().to_string()),
        token: s.map(|s| &s.token),
        issued_at: s.and_then(|s| s.claims.iat),
        expires_at: s.map(|s| s.claims.exp),
        session_expires_at: s.and_then(|s| s.claims.sess_exp),
        now,
        refreshed: s.is_some_and(|s| s.refreshed),
    }
}

/// An API-key profile needs what the Python SDK requires of one.
pub fn check_api_key_profile(p: &Profile) -> Result<()> {
    let missing: Vec<&str> = [
        ("user", p.user.is_none()),
        ("tenancy", p.tenancy.is_none()),
        ("fingerprint", p.fingerprint.is_none()),
        ("key_file", p.key_file.is_none()),
        ("region", p.region.is_none()),
    ]
    .into_iter()
    .filter_map(|(k, m)| m.then_some(k))
    .collect();
    if !missing.is_empty() {
        return Err(Error::Config(format!(
            "profile '{}' in {} has neither security_token_file nor a complete API key (missing: {})",
            p.name,
            p.config_display(),
            missing.join(", ")
        )));
    }
    require_key_file(p).map(|_| ())
}

fn render(format: Option<crate::cli::Format>, v: &View<'_>) -> String {
    match format {
        Some(crate::cli::Format::Text) => output::text::render(v, None),
        _ => output::json::render(v),
    }
}

/// `oci-token get` and `oci-token refresh`.
pub fn get(
    ctx: &Ctx<'_>,
    mode: Mode,
    lock_timeout: SignedDuration,
    format: Option<crate::cli::Format>,
) -> Result<()> {
    let p = ctx.profile()?;
    if p.security_token_file.is_none() {
        check_api_key_profile(&p)?;
        if matches!(mode, Mode::Force { .. }) {
            token_path(&p)?;
        }
        return emit(&render(format, &view(&p, None, ctx.env.now())));
    }
    require_key_file(&p)?;
    let s = ensure(ctx, &p, mode, lock_timeout)?;
    s.warn();
    if let Mode::Force { .. } = mode
        && s.refreshed
    {
        output::note(&format!(
            "oci-token: refreshed profile '{}'; valid until {}",
            p.name,
            expiry_text(s.claims.exp)
        ));
    }
    emit(&render(format, &view(&p, Some(&s), ctx.env.now())))
}

/// `oci-token validate`: no network, no lock, no writes. Exit 0 when valid, 4 when not.
pub fn validate(ctx: &Ctx<'_>, format: Option<crate::cli::Format>) -> Result<()> {
    let p = ctx.profile()?;
    let path = token_path(&p)?.to_owned();
    let (token, claims) = read_token(&path, &p.name)?;
    load_key(&p, Some(&claims))?;
    let now = ctx.env.now();
    let session_over = claims.sess_exp.is_some_and(|s| now >= s);
    let valid = now < claims.exp && !session_over;
    let s = Session::new(path, token, claims);
    let v = view(&p, Some(&s), now);
    match format {
        Some(crate::cli::Format::Json) => emit(&output::json::render_validate(&v, valid))?,
        Some(crate::cli::Format::Text) => emit(&output::text::render(&v, Some(valid)))?,
        None => {}
    }
    if valid {
        output::note(&format!(
            "Session is valid until {}",
            s.claims.exp.strftime("%Y-%m-%d %H:%M:%S UTC")
        ));
        return Ok(());
    }
    let why = if session_over {
        format!(
            "the session ended at {}",
            s.claims.sess_exp.map(expiry_text).unwrap_or_default()
        )
    } else {
        format!(
            "the session token expired at {} (`oci-token refresh` may still revive it)",
            expiry_text(s.claims.exp)
        )
    };
    Err(Error::needs_login(&p.name, &why))
}

/// Writes the payload to stdout (the one writer), mapping I/O errors.
pub fn emit(s: &str) -> Result<()> {
    output::emit(s).map_err(|e| Error::Other(format!("cannot write to stdout: {e}")))
}
