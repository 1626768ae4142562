//! Credentials: what a command signs with and prints. [`Credential`] is the one type every
//! command uses, and [`Credential::select`] the one place that decides which kind a
//! profile (or `--auth`) means. Each kind lives in its own module; adding one (instance or
//! resource principal, OIDC, registry token) adds a variant here and a module beside it.

pub mod api_key;
pub mod cache;
pub mod exchange;
pub mod ocir;
pub mod oidc;
pub mod oke;
pub mod policy;
pub mod principal;
pub mod session;

use std::path::Path;

use jiff::{SignedDuration, Timestamp};

use crate::config::Profile;
use crate::context::Context;
use crate::crypto::key::{self, SigningKey};
use crate::crypto::sign::Signer;
use crate::error::{Error, Result};
use crate::output::{self, View};
use crate::secret::Secret;
use crate::sys::os::Exposure;
use crate::sys::store;
use crate::token::{Claims, Jwk};

pub use policy::Policy;
pub use session::Session;

/// The `--auth` names of the oci CLI that oci-token serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    ApiKey,
    SecurityToken,
    InstancePrincipal,
    ResourcePrincipal,
    OkeWorkloadIdentity,
}

impl Auth {
    pub const ALL: [Auth; 5] = [
        Auth::ApiKey,
        Auth::SecurityToken,
        Auth::InstancePrincipal,
        Auth::ResourcePrincipal,
        Auth::OkeWorkloadIdentity,
    ];

    /// The oci CLI's name, as `OCI_CLI_AUTH` and the JSON `auth` field spell it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Auth::ApiKey => "api_key",
            Auth::SecurityToken => "security_token",
            Auth::InstancePrincipal => "instance_principal",
            Auth::ResourcePrincipal => "resource_principal",
            Auth::OkeWorkloadIdentity => "oke_workload_identity",
        }
    }

    /// The name as the oci CLI spells it, or `None`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Auth> {
        Auth::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether this is a principal (no profile, no config file).
    #[must_use]
    pub fn is_principal(self) -> bool {
        self.principal().is_some()
    }

    fn principal(self) -> Option<principal::Kind> {
        match self {
            Auth::InstancePrincipal => Some(principal::Kind::Instance),
            Auth::ResourcePrincipal => Some(principal::Kind::Resource),
            Auth::OkeWorkloadIdentity => Some(principal::Kind::OkeWorkload),
            Auth::ApiKey | Auth::SecurityToken => None,
        }
    }
}

/// The auth mode the oci CLI would use: `--auth`, else `OCI_CLI_AUTH`, else the `auth`
/// default of the profile's section of `oci_cli_rc`; `None` leaves it to the profile. An
/// unknown name is a usage error (exit 2), as it is for the oci CLI.
pub fn requested_auth(ctx: &Context<'_>) -> Result<Option<Auth>> {
    let (name, from) = if let Some(a) = &ctx.auth {
        (Some(a.clone()), "--auth")
    } else if let Some(a) = ctx.env.var("OCI_CLI_AUTH") {
        (Some(a), "OCI_CLI_AUTH")
    } else {
        let profile = crate::config::profile::profile_name(&ctx.config, ctx.env)?;
        let rc = crate::config::rc::profile_default(
            ctx.config.cli_rc_file.as_deref(),
            ctx.env,
            &profile,
            "auth",
        )?;
        (rc, "the oci_cli_rc auth default")
    };
    match name {
        None => Ok(None),
        Some(n) => Auth::parse(&n).map(Some).ok_or_else(|| {
            let names: Vec<&str> = Auth::ALL.iter().map(|a| a.name()).collect();
            Error::Usage(format!(
                "{from} is '{}': oci-token serves {}",
                n.escape_debug(),
                names.join(", ")
            ))
        }),
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

/// A credential of one kind, with the profile it comes from (principals need none).
#[derive(Debug)]
pub enum Credential {
    /// A session token file refreshed with its key; the session once read.
    Session {
        profile: Profile,
        session: Option<Box<Session>>,
    },
    /// An API signing key.
    ApiKey { profile: Profile },
    /// An instance, resource or OKE workload principal.
    Principal(Box<principal::Principal>),
}

impl Credential {
    /// Which credential `profile` means: `auth` when given (the profile must then hold
    /// that kind), else a session when it names a `security_token_file`, else an API key.
    /// Principals are not read from a profile: see [`Credential::active`].
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
            other => Err(Error::Other(format!(
                "internal: {} is not a profile credential",
                other.name()
            ))),
        }
    }

    /// The credential a command uses: `auth` when the command fixes one, else
    /// [`requested_auth`]; a principal needs no config file, anything else comes from the
    /// active profile.
    pub fn active(ctx: &Context<'_>, auth: Option<Auth>) -> Result<Self> {
        let auth = match auth {
            Some(a) => Some(a),
            None => requested_auth(ctx)?,
        };
        if let Some(kind) = auth.and_then(Auth::principal) {
            return Ok(Credential::Principal(Box::new(principal::Principal::new(
                ctx, kind,
            )?)));
        }
        Self::select(ctx.profile()?, auth)
    }

    #[must_use]
    pub fn auth(&self) -> Auth {
        match self {
            Credential::Session { .. } => Auth::SecurityToken,
            Credential::ApiKey { .. } => Auth::ApiKey,
            Credential::Principal(p) => p.kind.auth(),
        }
    }

    /// The profile, for credentials that come from one.
    #[must_use]
    pub fn profile(&self) -> Option<&Profile> {
        match self {
            Credential::Session { profile, .. } | Credential::ApiKey { profile } => Some(profile),
            Credential::Principal(_) => None,
        }
    }

    /// The profile's name, or the principal's short name (`instance`), for messages and
    /// prompts.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Credential::Session { profile, .. } | Credential::ApiKey { profile } => &profile.name,
            Credential::Principal(p) => p.kind.short(),
        }
    }

    /// Who this credential is, for keys of caches that must never serve one identity's
    /// token to another: the auth mode and the profile and config file, or the principal's
    /// own cache.
    #[must_use]
    pub fn identity(&self) -> String {
        match self {
            Credential::Principal(p) => format!("{}\0{}", p.kind.auth().name(), p.identity()),
            Credential::Session { profile, .. } | Credential::ApiKey { profile } => format!(
                "{}\0{}\0{}",
                self.auth().name(),
                profile.config_display(),
                profile.name
            ),
        }
    }

    /// `profile 'p'` or `the instance principal`, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Credential::Principal(p) => format!("the {} principal", p.kind.short()),
            _ => format!("profile '{}'", self.name()),
        }
    }

    /// The region requests go to.
    #[must_use]
    pub fn region(&self) -> Option<&str> {
        match self {
            Credential::Session { profile, .. } | Credential::ApiKey { profile } => {
                profile.region.as_deref()
            }
            Credential::Principal(p) => p.region.as_deref(),
        }
    }

    /// The region, or a configuration error saying how to give one.
    pub fn require_region(&self) -> Result<&str> {
        match self {
            Credential::Principal(p) => p.region.as_deref().ok_or_else(|| {
                Error::Config(format!(
                    "the {} principal has no region: pass --region (or set OCI_RESOURCE_PRINCIPAL_REGION)",
                    p.kind.short()
                ))
            }),
            Credential::Session { profile, .. } | Credential::ApiKey { profile } => {
                profile.require_region()
            }
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
            Credential::Principal(p) => p.ensure(ctx, policy, lock_timeout),
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
            Credential::Principal(p) => p.peek(),
        }
    }

    /// Whether a new session can be made without a person once this one ends: a session
    /// made by token exchange (see [`exchange`]).
    #[must_use]
    pub fn renewable(&self) -> bool {
        match self {
            Credential::Session { profile, .. } => {
                session::token_path(profile).is_ok_and(|p| exchange::read_state(p).is_some())
            }
            Credential::ApiKey { .. } | Credential::Principal(_) => false,
        }
    }

    /// The session, once [`Credential::ensure`] has read it.
    #[must_use]
    pub fn session(&self) -> Option<&Session> {
        match self {
            Credential::Session { session, .. } => session.as_deref(),
            Credential::ApiKey { .. } => None,
            Credential::Principal(p) => p.session.as_ref(),
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
        let key_id = self.key_id()?;
        let key = match self {
            Credential::Session { profile, session } => load_key(
                profile,
                session.as_ref().and_then(|s| s.claims.jwk.as_ref()),
            )?,
            Credential::ApiKey { profile } => load_key(profile, None)?,
            Credential::Principal(p) => p.key()?,
        };
        Ok(Signer { key_id, key })
    }

    /// The `keyId` requests are signed with: `ST$<token>` for sessions and principals (the
    /// token read by `ensure_fresh`), `<tenancy>/<user>/<fingerprint>` for API keys.
    fn key_id(&self) -> Result<Secret<String>> {
        let token = match self {
            Credential::ApiKey { profile } => return Ok(Secret::new(api_key::key_id(profile))),
            Credential::Session { session, .. } => session.as_deref(),
            Credential::Principal(p) => p.session.as_ref(),
        };
        let s = token.ok_or_else(|| {
            Error::Other("internal: the token was not read before signing".into())
        })?;
        Ok(Secret::new(format!("ST${}", s.token.expose())))
    }

    /// Who signs, down to the token and the key: the `keyId` and where the key comes from.
    /// Two credentials with the same signing identity make the same signatures; anything
    /// signed for one (an OKE token) may be served to the other and to no one else.
    pub fn signing_identity(&self) -> Result<Secret<String>> {
        let key_id = self.key_id()?;
        let key_from = match self {
            Credential::Session { profile, .. } | Credential::ApiKey { profile } => profile
                .key_file
                .as_ref()
                .map(|k| k.display().to_string())
                .unwrap_or_default(),
            Credential::Principal(p) => format!("{}\0{}", p.kind.short(), p.identity()),
        };
        Ok(Secret::new(format!(
            "{}\0{}\0{key_from}",
            self.auth().name(),
            key_id.expose()
        )))
    }

    /// The OKE token for `cluster`, signed by the (fresh) credential, and when to stop using
    /// it: in 4 minutes, as the oci CLI says, but never after the credential itself expires.
    pub fn oke_token(
        &self,
        ctx: &Context<'_>,
        cluster: &str,
    ) -> Result<(Secret<String>, Timestamp)> {
        let given = self.require_region()?;
        let region = crate::region::resolve(given, ctx.env);
        let sources = crate::region::sources(ctx.env);
        if !crate::region::plausible(&region, &sources) {
            return Err(crate::region::unknown(given, &sources));
        }
        let signer = self.signer()?;
        let now = ctx.env.now();
        let url = crate::services::oke::cluster_url(&region, cluster);
        let token = crate::services::oke::token(
            &signer.key,
            signer.key_id.expose(),
            &url,
            &crate::crypto::sign::http_date(now),
        )
        .map_err(|e| Error::Config(format!("signing the OKE token as '{}': {e}", self.name())))?;
        let mut expires =
            now + SignedDuration::from_secs(crate::services::oke::TOKEN_LIFETIME_SECS);
        if let Some(exp) = self.expires_at() {
            expires = expires.min(exp);
        }
        Ok((Secret::new(token), expires))
    }

    /// Writes (or replaces) a session profile `name` in the config that points at the
    /// credential's token and key files, so that anything reading session profiles (the oci
    /// CLI with `--auth security_token`, Terraform's `SecurityToken`, the SDKs) uses it.
    /// Returns the config path and whether it changed.
    pub fn write_as_profile(
        &self,
        ctx: &Context<'_>,
        name: &str,
    ) -> Result<(std::path::PathBuf, bool)> {
        crate::config::edit::check_profile_name(name)?;
        let Credential::Principal(p) = self else {
            return Err(Error::Usage(
                "--as-profile is for principals (--auth instance_principal, resource_principal or oke_workload_identity): a profile credential has a profile already".into(),
            ));
        };
        let (Some(token_file), Some(key_file)) = p.files() else {
            return Err(Error::Config(
                "--as-profile needs the token and key in files: give OCI_RESOURCE_PRINCIPAL_RPST and _PRIVATE_PEM as absolute paths".into(),
            ));
        };
        let key = p.key()?;
        let v = self.view(ctx.env.now());
        let entries = [
            ("fingerprint", crate::crypto::key::fingerprint(&key)),
            ("key_file", key_file.display().to_string()),
            ("tenancy", v.tenancy.unwrap_or_default().to_owned()),
            ("region", self.region().unwrap_or_default().to_owned()),
            ("security_token_file", token_file.display().to_string()),
        ];
        let path = ctx.config_location(None);
        let before = std::fs::read(&path).ok();
        crate::config::edit::upsert_profile(&path, name, &entries, true)?;
        let changed = before != std::fs::read(&path).ok();
        Ok((path, changed))
    }

    /// Everything `get` prints.
    #[must_use]
    pub fn view(&self, now: Timestamp) -> View<'_> {
        let s = self.session();
        let claims = s.map(|s| &s.claims);
        let path = |o: Option<&Path>| o.map(|x| x.display().to_string());
        let (profile, config_file, tenancy, user, fingerprint, key_file, token_file) = match self {
            Credential::Session { profile: p, .. } | Credential::ApiKey { profile: p } => (
                Some(p.name.as_str()),
                path(p.config_file.as_deref()),
                p.tenancy.as_deref(),
                p.user.as_deref(),
                p.fingerprint.as_deref(),
                path(p.key_file.as_deref()),
                s.map(|s| s.token_path.display().to_string()),
            ),
            Credential::Principal(p) => {
                let (token_file, key_file) = p.files();
                (
                    None,
                    None,
                    None,
                    None,
                    None,
                    key_file.map(|k| k.display().to_string()),
                    token_file.map(|t| t.display().to_string()),
                )
            }
        };
        View {
            auth: self.auth().name(),
            profile,
            config_file,
            region: self.region(),
            tenancy: tenancy
                .or_else(|| claims.and_then(|c| c.tenant.as_deref().or(c.res_tenant.as_deref()))),
            user: user.or_else(|| claims.and_then(|c| c.sub.as_deref())),
            fingerprint,
            key_file,
            token_file,
            token: s.map(|s| &s.token),
            issued_at: claims.and_then(|c| c.iat),
            expires_at: claims.map(|c| c.exp),
            session_expires_at: claims.and_then(|c| c.sess_exp),
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
        let n = &p.name;
        let next = if p.security_token_file.is_some() {
            format!("log in again to make a new session key: `oci-token login --profile-name {n}`")
        } else {
            format!(
                "point key_file in {} at the private key, or make a new key pair with `oci-token setup-key --profile-name {n} --force` (then upload its public key)",
                p.config_display()
            )
        };
        return Err(Error::Config(format!(
            "key_file {} of profile '{n}' does not exist; {next}",
            path.display()
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
    let fix = || crate::sys::os::fix_hint(path, false);
    match crate::sys::os::exposure_at(path) {
        Some(Exposure::Writable(why)) => {
            return Err(Error::Config(format!(
                "key_file {} of profile '{}' is unsafe: {why}; run {}",
                path.display(),
                p.name,
                fix()
            )));
        }
        Some(Exposure::Readable(_)) => output::warn(&format!(
            "key_file {} of profile '{}' can be read by other users; run {}",
            path.display(),
            p.name,
            fix()
        )),
        Some(Exposure::Unknown(why)) => output::warn(&format!(
            "key_file {} of profile '{}': cannot tell who else may read or change it ({why}); make sure only you can",
            path.display(),
            p.name
        )),
        None => {}
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
