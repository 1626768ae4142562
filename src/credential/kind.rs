//! What every credential kind shares: the [`Kind`] trait each kind implements (sessions,
//! API keys, the principals), the token a kind keeps ([`Session`]), how fresh it must be
//! ([`Freshness`]) and why a stale one is served ([`Warning`]).

use std::path::PathBuf;

use jiff::SignedDuration;

use super::auth::Auth;
use super::policy::Policy;
use crate::config::Profile;
use crate::context::Context;
use crate::crypto::key::SigningKey;
use crate::error::{Error, Result};
use crate::output;
use crate::secret::Secret;
use crate::token::Claims;

/// A session token as read (and perhaps just refreshed).
#[derive(Debug)]
pub(crate) struct Session {
    pub token_path: PathBuf,
    pub token: Secret<String>,
    pub claims: Claims,
    /// Whether this run wrote a new token.
    pub refreshed: bool,
}

/// The command that makes a new session for `profile`, for "log in" hints.
#[must_use]
pub(crate) fn login_hint(profile: &str) -> String {
    format!(
        "`oci-token login --profile-name {profile}` (or `oci session authenticate --profile-name {profile}`)"
    )
}

/// How fresh a credential must be: `--refresh-window`, `--min-valid`, `--lock-timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Freshness {
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
    pub(crate) fn policy(&self, force: bool) -> Policy {
        Policy {
            window: self.window,
            min_valid: self.min_valid,
            force,
        }
    }
}

/// Why the current token is served although a new one was wanted (one stderr line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Warning {
    /// The refresh failed (network, service, lock, key); the token is still good.
    RefreshFailed(String),
    /// The service answered but did not move `exp`: the session cannot be extended.
    NotExtended(String),
}

impl Warning {
    /// Prints the warning as one stderr line.
    pub(crate) fn print(&self) {
        match self {
            Warning::RefreshFailed(w) | Warning::NotExtended(w) => output::warn(w),
        }
    }
}

/// One credential kind. Each kind is one module that implements this trait; the table in
/// [`super::select`] is the one place that picks a kind. A kind read from a profile (a
/// session, an API key) returns it from [`Kind::profile`] and takes the defaults of
/// `name`, `identity`, `region`, `require_region` and `key_source`, which read it; a kind
/// without one (the principals) overrides them all. A kind that keeps a token (a session,
/// a principal) overrides `ensure`, `peek`, `read_stored` and `session`, whose defaults are
/// those of a kind without one (an API key: nothing to read, refresh or validate).
pub(crate) trait Kind: std::fmt::Debug + Send {
    /// The oci CLI's `--auth` name of the kind.
    fn auth(&self) -> Auth;

    /// The profile, for kinds read from one.
    fn profile(&self) -> Option<&Profile> {
        None
    }

    /// The profile's name, or the principal's short name (`instance`), for messages and
    /// prompts.
    fn name(&self) -> &str {
        self.profile().map_or("", |p| &p.name)
    }

    /// Who this credential is, for keys of caches that must never serve one identity's
    /// token to another: the auth mode and the profile and config file, or the principal.
    fn identity(&self) -> String {
        let (config, name) = self
            .profile()
            .map(|p| (p.config_display(), p.name.as_str()))
            .unwrap_or_default();
        format!("{}\0{config}\0{name}", self.auth().name())
    }

    /// `profile 'p'` or `the instance principal`, for messages.
    fn describe(&self) -> String {
        format!("profile '{}'", self.name())
    }

    /// The region requests go to.
    fn region(&self) -> Option<&str> {
        self.profile().and_then(|p| p.region.as_deref())
    }

    /// The region, or a configuration error saying how to give one.
    fn require_region(&self) -> Result<&str> {
        self.profile()
            .ok_or_else(|| Error::internal("a kind without a profile must say its region"))?
            .require_region()
    }

    /// Makes the credential usable under `policy` (read, and refreshed under its lock when
    /// needed); the warning to print when a wanted refresh did not happen. The key is not
    /// loaded: `get` never signs, and loading one costs more than the rest of `get`.
    fn ensure(
        &mut self,
        _ctx: &Context<'_>,
        _policy: &Policy,
        _lock_timeout: SignedDuration,
    ) -> Result<Option<Warning>> {
        Ok(None)
    }

    /// The claims of the token as it is on disk, without checking the key, locking or
    /// refreshing (prompts); `None` for kinds without a token.
    fn peek(&self) -> Result<Option<Claims>> {
        Ok(None)
    }

    /// `validate`: the token as stored, checked (a session's against its key) but neither
    /// locked nor refreshed, kept as [`Kind::session`]; its claims. A kind without a token
    /// has nothing to validate.
    fn read_stored(&mut self) -> Result<Claims> {
        Err(Error::Usage(format!(
            "{} does not expire: validate checks sessions and principals",
            self.describe()
        )))
    }

    /// The error `validate` gives for a token that is no longer valid (`why`).
    fn invalid(&self, why: &str) -> Error {
        Error::needs_login(self.name(), why)
    }

    /// Whether a new session can be made without a person once this one ends.
    fn renewable(&self) -> bool {
        false
    }

    /// The token, once [`Kind::ensure`] (or [`Kind::read_stored`]) has read it.
    fn session(&self) -> Option<&Session> {
        None
    }

    /// The private key that signs (loaded and checked now).
    fn key(&self) -> Result<SigningKey>;

    /// The `keyId` requests are signed with: `ST$<token>` for kinds that keep a token.
    fn key_id(&self) -> Result<Secret<String>> {
        let s = self
            .session()
            .ok_or_else(|| Error::internal("the token was not read before signing"))?;
        Ok(Secret::new(format!("ST${}", s.token.expose())))
    }

    /// Where the key comes from (its file, or the principal's cache), for the signing
    /// identity.
    fn key_source(&self) -> String {
        self.profile()
            .and_then(|p| p.key_file.as_ref())
            .map(|k| k.display().to_string())
            .unwrap_or_default()
    }

    /// The token file and the key file, when the kind keeps them in files of its own
    /// (principals; a profile's are in the profile).
    fn files(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        (None, None)
    }
}
