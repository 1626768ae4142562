//! Credentials: what a command signs with and prints. Each kind (a session, an API key,
//! the instance, resource and OKE workload principals) is one module implementing
//! [`Kind`]; [`KINDS`] is the one table that says which `--auth` name makes which kind, and
//! [`Credential::select`] the one place that picks one. What the kinds share lives in
//! [`kind`] and [`auth`], so the kinds never reach back into this module.

pub(crate) mod api_key;
pub(crate) mod auth;
pub(crate) mod cache;
pub(crate) mod exchange;
pub(crate) mod kind;
pub mod ocir;
pub mod oidc;
pub(crate) mod oke;
pub(crate) mod policy;
pub(crate) mod principal;
pub mod session;

use std::path::Path;

use jiff::Timestamp;

use crate::config::Profile;
use crate::context::Context;
use crate::crypto::sign::Signer;
use crate::error::{Error, Result};
use crate::output::View;
use crate::secret::Secret;

pub(crate) use auth::{Auth, requested_auth};
pub(crate) use kind::{Freshness, Kind, Warning};
pub(crate) use policy::Policy;

/// How a kind is made: from the command's context and, for the kinds read from a profile,
/// the profile to use (`None`: the active one).
pub(crate) type Make = fn(&Context<'_>, Option<Profile>) -> Result<Box<dyn Kind>>;

/// Every kind, by its `--auth` name. Adding a kind adds its module and one row here.
pub(crate) const KINDS: [(Auth, Make); 5] = [
    (Auth::ApiKey, api_key::make),
    (Auth::SecurityToken, session::make),
    (Auth::InstancePrincipal, principal::instance),
    (Auth::ResourcePrincipal, principal::resource),
    (Auth::OkeWorkloadIdentity, principal::oke_workload_identity),
];

/// A credential of one kind: what commands hold, whatever the kind. It dereferences to its
/// [`Kind`]; what every kind does the same way (printing, OKE tokens, the signing identity)
/// is here.
#[derive(Debug)]
pub(crate) struct Credential(Box<dyn Kind>);

impl std::ops::Deref for Credential {
    type Target = dyn Kind;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::ops::DerefMut for Credential {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.0
    }
}

impl Credential {
    /// The one place that picks a kind: `auth` when given, else what `profile` (or the
    /// active profile) holds ([`Auth::of_profile`]); then the row of [`KINDS`].
    pub(crate) fn select(
        ctx: &Context<'_>,
        auth: Option<Auth>,
        profile: Option<Profile>,
    ) -> Result<Self> {
        let (auth, profile) = if let Some(a) = auth {
            (a, profile)
        } else {
            let p = match profile {
                Some(p) => p,
                None => ctx.profile()?,
            };
            (Auth::of_profile(&p), Some(p))
        };
        let make = KINDS
            .iter()
            .find(|(a, _)| *a == auth)
            .map(|(_, make)| *make)
            .ok_or_else(|| Error::internal(&format!("no kind for {}", auth.name())))?;
        Ok(Credential(make(ctx, profile)?))
    }

    /// The credential a command uses: `auth` when the command fixes one, else
    /// [`requested_auth`] (`--auth`, `OCI_CLI_AUTH`, `oci_cli_rc`), else the active profile's.
    pub(crate) fn active(ctx: &Context<'_>, auth: Option<Auth>) -> Result<Self> {
        let auth = match auth {
            Some(a) => Some(a),
            None => requested_auth(ctx)?,
        };
        Self::select(ctx, auth, None)
    }

    /// [`Kind::ensure`] with a command's freshness options, printing any warning.
    pub(crate) fn ensure_fresh(&mut self, ctx: &Context<'_>, fresh: &Freshness) -> Result<()> {
        if let Some(w) = self.ensure(ctx, &fresh.policy(false), fresh.lock_timeout)? {
            w.print();
        }
        Ok(())
    }

    /// When the credential stops working, if it expires.
    #[must_use]
    pub(crate) fn expires_at(&self) -> Option<Timestamp> {
        self.session().map(|s| s.claims.exp)
    }

    /// The keyId and key that sign requests (the key is loaded now; for a session it is
    /// checked against the token's `jwk`). Call after [`Kind::ensure`].
    pub(crate) fn signer(&self) -> Result<Signer> {
        Ok(Signer {
            key_id: self.key_id()?,
            key: self.key()?,
        })
    }

    /// Who signs, down to the token and the key: the auth mode, the `keyId` and where the
    /// key comes from. Two credentials with the same signing identity make the same
    /// signatures; anything signed for one (an OKE token) may be served to the other and to
    /// no one else.
    pub(crate) fn signing_identity(&self) -> Result<Secret<String>> {
        let key_id = self.key_id()?;
        Ok(Secret::new(format!(
            "{}\0{}\0{}",
            self.auth().name(),
            key_id.expose(),
            self.key_source()
        )))
    }

    /// Writes (or replaces) a session profile `name` in the config that points at the
    /// credential's token and key files, so that anything reading session profiles (the oci
    /// CLI with `--auth security_token`, Terraform's `SecurityToken`, the SDKs) uses it.
    /// Returns the config path and whether it changed.
    pub(crate) fn write_as_profile(
        &self,
        ctx: &Context<'_>,
        name: &str,
    ) -> Result<(std::path::PathBuf, bool)> {
        crate::config::edit::check_profile_name(name)?;
        if !self.auth().is_principal() {
            return Err(Error::Usage(
                "--as-profile is for principals (--auth instance_principal, resource_principal or oke_workload_identity): a profile credential has a profile already".into(),
            ));
        }
        let (Some(token_file), Some(key_file)) = self.files() else {
            return Err(Error::Config(
                "--as-profile needs the token and key in files: give OCI_RESOURCE_PRINCIPAL_RPST and _PRIVATE_PEM as absolute paths".into(),
            ));
        };
        let key = self.key()?;
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
    pub(crate) fn view(&self, now: Timestamp) -> View<'_> {
        let s = self.session();
        let claims = s.map(|s| &s.claims);
        let path = |o: Option<&Path>| o.map(|x| x.display().to_string());
        let (profile, config_file, tenancy, user, fingerprint, key_file, token_file) =
            if let Some(p) = self.profile() {
                (
                    Some(p.name.as_str()),
                    path(p.config_file.as_deref()),
                    p.tenancy.as_deref(),
                    p.user.as_deref(),
                    p.fingerprint.as_deref(),
                    path(p.key_file.as_deref()),
                    s.map(|s| s.token_path.display().to_string()),
                )
            } else {
                let (token_file, key_file) = self.files();
                (
                    None,
                    None,
                    None,
                    None,
                    None,
                    key_file.map(|k| k.display().to_string()),
                    token_file.map(|t| t.display().to_string()),
                )
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
