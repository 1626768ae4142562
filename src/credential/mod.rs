//! Credentials: what a command signs with and prints. [`Credential`] is the one type every
//! command uses, and [`Credential::select`] the one place that decides which kind a
//! profile (or `--auth`) means. Each kind lives in its own module; adding one (instance or
//! resource principal, OIDC, registry token) adds a variant here and a module beside it.

pub mod api_key;
pub mod policy;
pub mod session;

use std::path::Path;

use jiff::{SignedDuration, Timestamp};

use crate::config::Profile;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::key::{self, SigningKey};
use crate::output::{self, View};
use crate::secret::Secret;
use crate::store;
use crate::token::{Claims, Jwk};

pub use policy::Policy;
pub use session::Session;

/// The `--auth` names of the oci CLI that oci-token serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    ApiKey,
    SecurityToken,
}

impl Auth {
    /// The oci CLI's name, as `OCI_CLI_AUTH` and the JSON `auth` field spell it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Auth::ApiKey => "api_key",
            Auth::SecurityToken => "security_token",
        }
    }
}

/// How fresh a credential must be: `--refresh-window`, `--min-valid`, `--lock-timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub window: SignedDuration,
    pub min_valid: SignedDuration,
    pub lock_timeout: SignedDuration,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            window: Policy::DEFAULT.window,
            min_valid: Policy::DEFAULT.min_valid,
            lock_timeout: SignedDuration::from_secs(40),
        }
    }
}

impl Freshness {
    /// The refresh policy these options ask for (`force` for `refresh`).
    #[must_use]
    pub fn policy(&self, force: bool) -> Policy {
        Policy {
            window: self.window,
            min_valid: self.min_valid,
            force,
        }
    }
}

/// Why the current token is served although a new one was wanted (one stderr line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The refresh failed (network, service, lock, key); the token is still good.
    RefreshFailed(String),
    /// The service answered but did not move `exp`: the session cannot be extended.
    NotExtended(String),
}

impl Warning {
    /// Prints the warning as one stderr line.
    pub fn print(&self) {
        match self {
            Warning::RefreshFailed(w) | Warning::NotExtended(w) => output::warn(w),
        }
    }
}

/// What signs a request: the keyId and the private key.
pub struct Signer {
    pub key_id: Secret<String>,
    pub key: SigningKey,
}

/// A credential of one kind, with the profile it comes from.
#[derive(Debug)]
pub enum Credential {
    /// A session token file refreshed with its key; the session once read.
    Session {
        profile: Profile,
        session: Option<Box<Session>>,
    },
    /// An API signing key.
    ApiKey { profile: Profile },
}

impl Credential {
    /// Which credential `profile` means: `auth` when given (the profile must then hold
    /// that kind), else a session when it names a `security_token_file`, else an API key.
    pub fn select(profile: Profile, auth: Option<Auth>) -> Result<Self> {
        let auth = auth.unwrap_or(if profile.security_token_file.is_some() {
            Auth::SecurityToken
        } else {
            Auth::ApiKey
        });
        match auth {
            Auth::SecurityToken => {
                session::token_path(&profile)?;
                Ok(Credential::Session {
                    profile,
                    session: None,
                })
            }
            Auth::ApiKey => {
                api_key::check(&profile)?;
                Ok(Credential::ApiKey { profile })
            }
        }
    }

    /// The active profile's credential (`Context::profile`, then [`Credential::select`]).
    pub fn active(ctx: &Context<'_>, auth: Option<Auth>) -> Result<Self> {
        Self::select(ctx.profile()?, auth)
    }

    #[must_use]
    pub fn auth(&self) -> Auth {
        match self {
            Credential::Session { .. } => Auth::SecurityToken,
            Credential::ApiKey { .. } => Auth::ApiKey,
        }
    }

    #[must_use]
    pub fn profile(&self) -> &Profile {
        match self {
            Credential::Session { profile, .. } | Credential::ApiKey { profile } => profile,
        }
    }

    /// Makes the credential usable under `policy`: a session is read and refreshed when
    /// needed (under its lock); an API key needs nothing. Returns the warning to print when
    /// a wanted refresh did not happen.
    pub fn ensure(
        &mut self,
        ctx: &Context<'_>,
        policy: &Policy,
        lock_timeout: SignedDuration,
    ) -> Result<Option<Warning>> {
        match self {
            Credential::Session { profile, session } => {
                require_key_file(profile)?;
                let (s, warning) = session::ensure(ctx, profile, policy, lock_timeout)?;
                *session = Some(Box::new(s));
                Ok(warning)
            }
            Credential::ApiKey { .. } => Ok(None),
        }
    }

    /// [`Credential::ensure`] with a command's freshness options, printing any warning.
    pub fn ensure_fresh(&mut self, ctx: &Context<'_>, fresh: &Freshness) -> Result<()> {
        if let Some(w) = self.ensure(ctx, &fresh.policy(false), fresh.lock_timeout)? {
            w.print();
        }
        Ok(())
    }

    /// The claims of the token as it is on disk, without checking the key, locking or
    /// refreshing (for prompts); `None` for kinds without a token.
    pub fn peek(&self) -> Result<Option<Claims>> {
        match self {
            Credential::Session { profile, .. } => {
                let path = session::token_path(profile)?;
                Ok(Some(session::read_token(path, &profile.name)?.1))
            }
            Credential::ApiKey { .. } => Ok(None),
        }
    }

    /// The session, once [`Credential::ensure`] has read it.
    #[must_use]
    pub fn session(&self) -> Option<&Session> {
        match self {
            Credential::Session { session, .. } => session.as_deref(),
            Credential::ApiKey { .. } => None,
        }
    }

    /// When the credential stops working, if it expires.
    #[must_use]
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.session().map(|s| s.claims.exp)
    }

    /// The keyId and key that sign requests (the key is loaded now; for a session it is
    /// checked against the token's `jwk`). Call after [`Credential::ensure`].
    pub fn signer(&self) -> Result<Signer> {
        match self {
            Credential::Session { profile, session } => {
                let s = session.as_ref().ok_or_else(|| {
                    Error::Other("internal: the session was not read before signing".into())
                })?;
                Ok(Signer {
                    key_id: Secret::new(format!("ST${}", s.token.expose())),
                    key: load_key(profile, s.claims.jwk.as_ref())?,
                })
            }
            Credential::ApiKey { profile } => Ok(Signer {
                key_id: Secret::new(api_key::key_id(profile)),
                key: load_key(profile, None)?,
            }),
        }
    }

    /// Everything `get` prints.
    #[must_use]
    pub fn view(&self, now: Timestamp) -> View<'_> {
        let p = self.profile();
        let s = self.session();
        let path = |o: Option<&Path>| o.map(|x| x.display().to_string());
        View {
            auth: self.auth().name(),
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

/// Loads the profile's private key (never prompting) and, given a token's `jwk`, checks
/// that the token belongs to this key. A key that another user owns or that group or
/// others can write is refused; one they can read is used with a warning (as the oci CLI
/// warns; ssh would refuse).
pub fn load_key(p: &Profile, jwk: Option<&Jwk>) -> Result<SigningKey> {
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
    if let Some(jwk) = jwk
        && !key::matches_jwk(&k, &jwk.n, &jwk.e)
    {
        return Err(Error::Config(format!(
            "the session token of profile '{}' was issued for a different key than key_file {}; the two come from different logins: log in again with {}",
            p.name,
            path.display(),
            session::login_hint(&p.name)
        )));
    }
    Ok(k)
}
