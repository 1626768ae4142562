//! Principals: an instance (the metadata service's certificate, federated at the auth
//! service's `/v1/x509`), a resource (an RPST and key the platform hands over, v2.2), and
//! an OKE workload (a Kubernetes service-account token exchanged at the cluster's proxymux).
//!
//! Instance and workload tokens live in the [`cache`] (`<root>/<kind>-<hash>/`: `token`,
//! `key.pem`, `region`; directory 0700, files 0600) and are kept fresh by its one loop.
//! The entry's identity: for an instance, the metadata service, federation endpoint and
//! region asked for (the cache is on the instance itself); for an OKE workload, the
//! proxymux and the service account (`iss` and `sub` of its token, or a hash of a token that
//! is no JWT), so one pod's token is never served to another service account. The session
//! key is made once per entry and reused, so `token` and `key.pem` never disagree for a
//! reader such as the oci CLI; every later call within the token's life reads the cache
//! only: no metadata call, no federation, no key generation. A resource principal's key
//! given as a value is written once to `resource-<hash>/key.pem`, so consumers get a path.

mod instance;
mod resource;
mod shared;
mod workload;

use std::path::{Path, PathBuf};

use jiff::SignedDuration;

use super::auth::Auth;
use super::cache::{self, Provider};
use super::kind::{Kind as CredentialKind, Session, Warning};
use super::policy::Policy;
use crate::context::Context;
use crate::crypto::key::{self, SigningKey};
use crate::error::{Error, Result};
use crate::services::imds;
use crate::sys::env::Env;
use crate::sys::store::{self, Dir};
use crate::token::{self, Claims};
use rsa::sha2::{Digest as _, Sha256};
use shared::Value;

/// Which principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Instance,
    Resource,
    OkeWorkload,
}

impl Kind {
    #[must_use]
    pub(crate) fn auth(self) -> Auth {
        match self {
            Kind::Instance => Auth::InstancePrincipal,
            Kind::Resource => Auth::ResourcePrincipal,
            Kind::OkeWorkload => Auth::OkeWorkloadIdentity,
        }
    }

    /// A short name for prompts (`oci:instance 17m`) and messages.
    #[must_use]
    pub(crate) fn short(self) -> &'static str {
        match self {
            Kind::Instance => "instance",
            Kind::Resource => "resource",
            Kind::OkeWorkload => "workload",
        }
    }
}

/// Where the token comes from.
#[derive(Debug)]
enum Source {
    /// The metadata service, then `/v1/x509`.
    Instance { imds_base: String },
    /// `OCI_RESOURCE_PRINCIPAL_RPST` and `_PRIVATE_PEM` (+ `_PASSPHRASE`).
    Resource {
        rpst: Value,
        key: Value,
        passphrase: Option<Value>,
    },
    /// The service-account token, posted to the proxymux with the cluster's CA.
    OkeWorkload(workload::Workload),
}

/// A principal, its cache and, once [`Principal::ensure`] ran, its token.
#[derive(Debug)]
pub(crate) struct Principal {
    pub kind: Kind,
    /// `--region`, else the principal's own (metadata service, cache or environment).
    pub region: Option<String>,
    source: Source,
    /// The cache root and the entry's name (instance, OKE).
    cache: Option<(PathBuf, String)>,
    /// The entry, opened and checked by [`Principal::ensure`]; the key is read through it.
    entry: Option<Dir>,
    /// A resource principal's key given as a value, written to the cache.
    key_file: Option<PathBuf>,
    pub session: Option<Session>,
}

/// The cache root and the entry of `kind` for `identity`.
fn cache_entry(env: &dyn Env, kind: Kind, identity: &[&str]) -> Result<(PathBuf, String)> {
    Ok((
        cache::root_path(env)?,
        cache::entry_name(kind.short(), identity),
    ))
}

impl Principal {
    /// Reads the environment for `kind`: no network, no file.
    pub(crate) fn new(ctx: &Context<'_>, kind: Kind) -> Result<Self> {
        let env = ctx.env;
        let region_flag =
            crate::config::profile::region_override(ctx.config.region.as_deref(), env)
                .map(|r| crate::region::resolve(&r, env));
        let env_region = || -> Result<Option<String>> {
            if region_flag.is_some() {
                return Ok(region_flag.clone());
            }
            let Some(r) = env.var("OCI_RESOURCE_PRINCIPAL_REGION") else {
                return Ok(None);
            };
            if !shared::region_name_ok(r.trim()) {
                return Err(Error::Config(format!(
                    "OCI_RESOURCE_PRINCIPAL_REGION is not a region name: {:?}",
                    r.chars().take(40).collect::<String>()
                )));
            }
            Ok(Some(crate::region::resolve(&r, env)))
        };
        let (source, cache, region) = match kind {
            Kind::Instance => {
                let base = imds::base_url(env);
                let federation = instance::federation_override(ctx);
                let cache = cache_entry(
                    env,
                    kind,
                    &[
                        &base,
                        federation.as_deref().unwrap_or(""),
                        region_flag.as_deref().unwrap_or(""),
                    ],
                )?;
                let source = Source::Instance { imds_base: base };
                (source, Some(cache), region_flag.clone())
            }
            Kind::Resource => {
                let (rpst, key, passphrase) = resource::from_env(env)?;
                let source = Source::Resource {
                    rpst,
                    key,
                    passphrase,
                };
                (source, None, env_region()?)
            }
            Kind::OkeWorkload => {
                let (w, id) = workload::from_env(env)?;
                let cache = cache_entry(env, kind, &[&id])?;
                (Source::OkeWorkload(w), Some(cache), env_region()?)
            }
        };
        Ok(Principal {
            kind,
            region,
            source,
            cache,
            entry: None,
            key_file: None,
            session: None,
        })
    }

    /// The token file and the session key file, when there are files.
    #[must_use]
    pub(crate) fn files(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        match (&self.source, &self.cache) {
            (Source::Resource { rpst, key, .. }, _) => (
                rpst.path().map(Path::to_owned),
                key.path()
                    .map(Path::to_owned)
                    .or_else(|| self.key_file.clone()),
            ),
            (_, Some((root, name))) => {
                let dir = root.join(name);
                (Some(dir.join("token")), Some(dir.join("key.pem")))
            }
            _ => (None, None),
        }
    }

    /// Who this principal is, for cache keys: the cache entry (whose name hashes the
    /// identity), or for a resource principal the RPST's subject and tenancy.
    #[must_use]
    pub(crate) fn identity(&self) -> String {
        match (&self.source, &self.cache) {
            (Source::Resource { rpst, .. }, _) => rpst
                .read("OCI_RESOURCE_PRINCIPAL_RPST", store::MAX_TOKEN)
                .ok()
                .and_then(|t| token::decode(t.expose()).ok())
                .map(|c| {
                    format!(
                        "{}\0{}",
                        c.sub.unwrap_or_default(),
                        c.res_tenant.or(c.tenant).unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
            (_, Some((_, name))) => name.clone(),
            _ => String::new(),
        }
    }

    /// The claims of the cached token, without locking or fetching (prompts, exec).
    pub(crate) fn peek(&self) -> Result<Option<Claims>> {
        if let Source::Resource { rpst, .. } = &self.source {
            let t = rpst.read("OCI_RESOURCE_PRINCIPAL_RPST", store::MAX_TOKEN)?;
            return Ok(token::decode(t.expose()).ok());
        }
        let Some((root, name)) = &self.cache else {
            return Ok(None);
        };
        let Some(entry) = cache::entry_in(root, name, false).ok().flatten() else {
            return Ok(None);
        };
        Ok(entry
            .file("token")
            .ok()
            .and_then(|f| f.read(store::MAX_TOKEN).ok())
            .and_then(|b| cache::Token::parse(&b))
            .map(|t| t.claims))
    }

    /// The signing key: the cached session key, or the resource principal's key.
    pub(crate) fn key(&self) -> Result<SigningKey> {
        let (bytes, pass, what) = if let Source::Resource {
            key: k, passphrase, ..
        } = &self.source
        {
            {
                let pass = passphrase
                    .as_ref()
                    .map(|p| {
                        p.read(
                            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE",
                            store::MAX_KEY,
                        )
                    })
                    .transpose()?;
                let pem = k.read("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", store::MAX_KEY)?;
                (
                    pem.expose().as_bytes().to_vec(),
                    pass,
                    "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM".to_owned(),
                )
            }
        } else {
            {
                let entry = self
                    .entry
                    .as_ref()
                    .ok_or_else(|| Error::internal("the principal cache was not opened"))?;
                let file = entry.file("key.pem")?;
                let b = file.read(store::MAX_KEY).map_err(|e| {
                    Error::Config(format!(
                        "cannot read the cached session key {}: {e}",
                        file.path().display()
                    ))
                })?;
                (b, None, file.path().display().to_string())
            }
        };
        let k = key::load_bytes(&bytes, pass.as_ref()).map_err(|e| {
            Error::Config(format!("{} principal key {what}: {e}", self.kind.short()))
        })?;
        if let Some(jwk) = self.session.as_ref().and_then(|s| s.claims.jwk.as_ref())
            && !key::matches_jwk(&k, &jwk.n, &jwk.e)
        {
            return Err(Error::Config(format!(
                "the {} principal token was issued for a different key than {what}",
                self.kind.short()
            )));
        }
        Ok(k)
    }

    /// Makes the token usable under `policy`: the resource principal's is read (the
    /// platform renews it); a cached one is served while fresh and fetched again under the
    /// cache's lock when the policy says so.
    pub(crate) fn ensure(
        &mut self,
        ctx: &Context<'_>,
        policy: &Policy,
        lock_timeout: SignedDuration,
    ) -> Result<Option<Warning>> {
        if let Source::Resource { rpst, .. } = &self.source {
            let t = rpst.read("OCI_RESOURCE_PRINCIPAL_RPST", store::MAX_TOKEN)?;
            let claims = token::decode(t.expose()).map_err(|e| {
                Error::Config(format!(
                    "resource principal: OCI_RESOURCE_PRINCIPAL_RPST: {e}"
                ))
            })?;
            if claims.exp.duration_since(ctx.env.now()) < policy.min_valid {
                return Err(Error::NeedsLogin(format!(
                    "resource principal: the RPST expires at {} (less than --min-valid away); the platform renews it in OCI_RESOURCE_PRINCIPAL_RPST",
                    claims.exp
                )));
            }
            let token_path = rpst.path().map(Path::to_owned).unwrap_or_default();
            self.key_file = self.resource_key_file(ctx)?;
            self.session = Some(Session {
                token_path,
                token: t,
                claims,
                refreshed: false,
            });
            return Ok(None);
        }
        let (root, name) = self
            .cache
            .clone()
            .ok_or_else(|| Error::internal("no cache"))?;
        let entry = cache::made_entry_in(&root, &name)?;
        let slot = entry.file("token")?;
        let had_token = slot.path().exists();
        let mut fetcher = Fetcher {
            principal: self,
            ctx,
            entry: &entry,
        };
        let out = match cache::ensure(&slot, &mut fetcher, policy, &|| ctx.env.now(), lock_timeout)
        {
            Ok(out) => out,
            Err(e) => {
                if !had_token {
                    discard_unused_key(&entry, &slot);
                }
                return Err(e);
            }
        };
        if out.refreshed
            && let Some(r) = &self.region
        {
            // The token is cached; only the region beside it (for `prompt` and the JSON of
            // a later warm run) could not be kept: said, not fatal.
            let region = entry.file("region")?;
            if let Err(e) = region.write_atomic(r.as_bytes()) {
                crate::output::warn(&format!(
                    "cannot write {} ({e}); the token is cached without its region",
                    region.path().display()
                ));
            }
        }
        if self.region.is_none() {
            self.region = entry
                .file("region")?
                .read(256)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
        }
        self.session = Some(Session {
            token_path: slot.path(),
            token: out.item.token,
            claims: out.item.claims,
            refreshed: out.refreshed,
        });
        self.entry = Some(entry);
        Ok(out.warning)
    }

    /// A resource principal's key given as a value (not a path) is written once, 0600,
    /// to the cache entry `resource-<hash of the key>` and its path returned, so consumers
    /// (`key_file`, `--as-profile`) have a file. `None` for a key given as a path.
    fn resource_key_file(&self, ctx: &Context<'_>) -> Result<Option<PathBuf>> {
        let Source::Resource { key: k, .. } = &self.source else {
            return Ok(None);
        };
        if k.path().is_some() {
            return Ok(None);
        }
        let pem = k.read("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", store::MAX_KEY)?;
        let digest = Sha256::digest(pem.expose().as_bytes());
        let name = cache::entry_name("resource", &[&crate::encoding::hex(&digest, false)]);
        let entry = cache::made_entry(ctx.env, &name)?;
        let file = entry.file("key.pem")?;
        if file.read(store::MAX_KEY).ok().as_deref() != Some(pem.expose().as_bytes()) {
            let _lock = file.lock(std::time::Duration::from_secs(10))?;
            file.write_atomic(pem.expose().as_bytes())
                .map_err(|e| Error::write(&file.path(), &e))?;
        }
        Ok(Some(file.path()))
    }

    /// Gets a new token (the lock is held): the session key (made once), then the
    /// federation or the proxymux. The reply must be a JWT bound to that key.
    fn fetch(&mut self, ctx: &Context<'_>, entry: &Dir) -> Result<cache::Token> {
        let session_key = session_key(entry)?;
        let new = match &self.source {
            Source::Instance { imds_base } => {
                instance::federate(ctx, imds_base, &mut self.region, &session_key)?
            }
            Source::OkeWorkload(w) => workload::exchange(ctx, w, &session_key)?,
            Source::Resource { .. } => {
                return Err(Error::internal("nothing to fetch"));
            }
        };
        let what = self.kind.short();
        let claims = token::decode_issued(new.expose()).map_err(|e| {
            Error::Service(format!(
                "{what} principal: the token received is unusable ({e}); nothing was cached"
            ))
        })?;
        if let Some(jwk) = &claims.jwk
            && !key::matches_jwk(&session_key, &jwk.n, &jwk.e)
        {
            return Err(Error::Service(format!(
                "{what} principal: the token received is bound to another key; nothing was cached"
            )));
        }
        Ok(cache::Token { token: new, claims })
    }
}

/// A principal's part of the cache loop.
struct Fetcher<'a, 'c> {
    principal: &'a mut Principal,
    ctx: &'a Context<'c>,
    entry: &'a Dir,
}

impl Provider for Fetcher<'_, '_> {
    type Item = cache::Token;

    fn decode(&self, read: std::io::Result<Vec<u8>>) -> Result<Option<cache::Token>> {
        match read {
            Ok(b) => Ok(cache::Token::parse(&b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Config(format!(
                "cannot read the cached principal token in {}: {e}",
                self.entry.path().display()
            ))),
        }
    }

    fn encode(&self, item: &cache::Token) -> Result<Vec<u8>> {
        Ok(item.token.expose().as_bytes().to_vec())
    }

    fn claims(&self, item: &cache::Token) -> Claims {
        item.claims.clone()
    }

    fn fetch(&mut self, _current: Option<&cache::Token>, _ended: bool) -> Result<cache::Token> {
        self.principal.fetch(self.ctx, self.entry)
    }
}

/// After a first fetch failed (`--auth instance_principal` off OCI, say), the session key it
/// made has no token and is removed, with the region: no private key is left behind for
/// nothing. Under the entry's lock and only while no token is cached, so a concurrent fetch
/// that succeeded keeps its key. The directory and its lock file stay (removing a lock file
/// others may wait on would let two holders in).
fn discard_unused_key(entry: &Dir, slot: &store::Pinned) {
    let Ok(_lock) = slot.lock(std::time::Duration::from_secs(2)) else {
        return;
    };
    if slot.read(store::MAX_TOKEN).is_err() {
        let _ = entry.remove("key.pem");
        let _ = entry.remove("region");
    }
}

/// The entry's session key, made (RSA-2048) and written 0600 the first time, with the
/// `OCI_API_KEY` label the oci CLI appends to keys it writes.
fn session_key(entry: &Dir) -> Result<SigningKey> {
    let file = entry.file("key.pem")?;
    if let Ok(bytes) = file.read(store::MAX_KEY)
        && let Ok(k) = key::load_bytes(&bytes, None)
    {
        return Ok(k);
    }
    let k = crate::crypto::keygen::generate(None)?;
    let pem = format!(
        "{}{}",
        k.private_pem.expose(),
        crate::crypto::keygen::KEY_LABEL
    );
    file.write_atomic(pem.as_bytes()).map_err(|e| {
        Error::Other(format!(
            "cannot write the session key {}: {e}",
            file.path().display()
        ))
    })?;
    Ok(k.key)
}

/// The instance principal (`--auth instance_principal`).
pub(crate) fn instance(
    ctx: &Context<'_>,
    _: Option<crate::config::Profile>,
) -> Result<Box<dyn CredentialKind>> {
    Ok(Box::new(Principal::new(ctx, Kind::Instance)?))
}

/// The resource principal (`--auth resource_principal`).
pub(crate) fn resource(
    ctx: &Context<'_>,
    _: Option<crate::config::Profile>,
) -> Result<Box<dyn CredentialKind>> {
    Ok(Box::new(Principal::new(ctx, Kind::Resource)?))
}

/// The OKE workload identity (`--auth oke_workload_identity`).
pub(crate) fn oke_workload_identity(
    ctx: &Context<'_>,
    _: Option<crate::config::Profile>,
) -> Result<Box<dyn CredentialKind>> {
    Ok(Box::new(Principal::new(ctx, Kind::OkeWorkload)?))
}

impl CredentialKind for Principal {
    fn auth(&self) -> Auth {
        self.kind.auth()
    }

    fn name(&self) -> &str {
        self.kind.short()
    }

    fn identity(&self) -> String {
        format!("{}\0{}", self.kind.auth().name(), Principal::identity(self))
    }

    fn describe(&self) -> String {
        format!("the {} principal", self.kind.short())
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    fn require_region(&self) -> Result<&str> {
        self.region.as_deref().ok_or_else(|| {
            Error::Config(format!(
                "the {} principal has no region: pass --region (or set OCI_RESOURCE_PRINCIPAL_REGION)",
                self.kind.short()
            ))
        })
    }

    fn ensure(
        &mut self,
        ctx: &Context<'_>,
        policy: &Policy,
        lock_timeout: SignedDuration,
    ) -> Result<Option<Warning>> {
        Principal::ensure(self, ctx, policy, lock_timeout)
    }

    fn peek(&self) -> Result<Option<Claims>> {
        Principal::peek(self)
    }

    fn read_stored(&mut self) -> Result<Claims> {
        let (file, _) = self.files();
        let claims = Principal::peek(self)?.ok_or_else(|| {
            Error::NeedsLogin(format!(
                "{} has no token yet; `oci-token get --auth {}` fetches one",
                self.describe(),
                self.kind.auth().name()
            ))
        })?;
        let text = match &file {
            Some(f) => store::read_text(f, store::MAX_TOKEN).unwrap_or_default(),
            None => String::new(),
        };
        self.session = Some(Session {
            token_path: file.unwrap_or_default(),
            token: crate::secret::Secret::new(text),
            claims: claims.clone(),
            refreshed: false,
        });
        Ok(claims)
    }

    fn invalid(&self, why: &str) -> Error {
        Error::NeedsLogin(format!("{}: {why}", self.describe()))
    }

    fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    fn key(&self) -> Result<SigningKey> {
        Principal::key(self)
    }

    fn key_source(&self) -> String {
        format!("{}\0{}", self.kind.short(), Principal::identity(self))
    }

    fn files(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        Principal::files(self)
    }
}
