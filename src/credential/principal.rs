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

use std::path::{Path, PathBuf};

use jiff::SignedDuration;

use super::auth::Auth;
use super::cache::{self, Provider};
use super::kind::{Kind as CredentialKind, Session, Warning};
use super::policy::Policy;
use crate::context::Context;
use crate::crypto::key::{self, SigningKey};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::services::auth::{self, AuthError};
use crate::services::imds::{self, Imds};
use crate::sys::env::Env;
use crate::sys::store::Dir;
use crate::token::{self, Claims};
use crate::{crypto::x509, region, services::http, sys::store};
use rsa::sha2::{Digest as _, Sha256};

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

/// A value from the environment: the text itself, or an absolute path to a file holding
/// it (re-read on every use).
#[derive(Debug)]
enum Value {
    Path(PathBuf),
    Literal(Secret<String>),
}

impl Value {
    fn from_env(env: &dyn Env, name: &str) -> Option<Value> {
        let v = env.var(name)?;
        Some(
            if v.starts_with('/') || std::path::Path::new(&v).is_absolute() {
                Value::Path(PathBuf::from(v))
            } else {
                Value::Literal(Secret::new(v))
            },
        )
    }

    /// The text (a file is read now: regular, at most `max` bytes, trailing newline off).
    fn read(&self, what: &str, max: u64) -> Result<Secret<String>> {
        match self {
            Value::Literal(s) => Ok(Secret::new(s.expose().trim().to_owned())),
            Value::Path(p) => store::read_text(p, max)
                .map(|t| Secret::new(t.trim_end_matches(['\n', '\r']).to_owned()))
                .map_err(|e| Error::Config(format!("cannot read {what} {}: {e}", p.display()))),
        }
    }

    fn path(&self) -> Option<&Path> {
        match self {
            Value::Path(p) => Some(p),
            Value::Literal(_) => None,
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
    OkeWorkload {
        url: String,
        sa_token: Value,
        ca: PathBuf,
    },
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

fn region_from(env: &dyn Env, r: &str) -> String {
    region::region_id(r, &region::sources(env))
}

impl Principal {
    /// Reads the environment for `kind`: no network, no file.
    pub(crate) fn new(ctx: &Context<'_>, kind: Kind) -> Result<Self> {
        let env = ctx.env;
        let region_flag =
            crate::config::profile::region_override(ctx.config.region.as_deref(), env)
                .map(|r| region_from(env, &r));
        let env_region = || {
            region_flag.clone().or_else(|| {
                env.var("OCI_RESOURCE_PRINCIPAL_REGION")
                    .map(|r| region_from(env, &r))
            })
        };
        let (source, cache, region) = match kind {
            Kind::Instance => {
                let base = imds::base_url(env);
                let federation = federation_override(ctx);
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
            Kind::Resource => (resource_source(env)?, None, env_region()),
            Kind::OkeWorkload => {
                let (source, id) = workload_source(env)?;
                let cache = cache_entry(env, kind, &[&id])?;
                (source, Some(cache), env_region())
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
                let entry = self.entry.as_ref().ok_or_else(|| {
                    Error::Other("internal: the principal cache was not opened".into())
                })?;
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
            .ok_or_else(|| Error::Other("internal: no cache".into()))?;
        let entry = cache::entry_in(&root, &name, true)?
            .ok_or_else(|| Error::Other("internal: the cache entry was not made".into()))?;
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
        let entry = cache::entry(ctx.env, &name, true)?
            .ok_or_else(|| Error::Other("internal: the cache entry was not made".into()))?;
        let file = entry.file("key.pem")?;
        if file.read(store::MAX_KEY).ok().as_deref() != Some(pem.expose().as_bytes()) {
            let _lock = file.lock(std::time::Duration::from_secs(10))?;
            file.write_atomic(pem.expose().as_bytes()).map_err(|e| {
                Error::Other(format!("cannot write {}: {e}", file.path().display()))
            })?;
        }
        Ok(Some(file.path()))
    }

    /// Gets a new token (the lock is held): the session key (made once), then the
    /// federation or the proxymux. The reply must be a JWT bound to that key.
    fn fetch(&mut self, ctx: &Context<'_>, entry: &Dir) -> Result<cache::Token> {
        let session_key = session_key(entry)?;
        let new = match &self.source {
            Source::Instance { imds_base } => {
                let base = imds_base.clone();
                self.federate(ctx, &base, &session_key)?
            }
            Source::OkeWorkload { url, sa_token, ca } => {
                oke_workload(ctx, url, sa_token, ca, &session_key)?
            }
            Source::Resource { .. } => {
                return Err(Error::Other("internal: nothing to fetch".into()));
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

    /// Metadata service, then `POST /v1/x509` signed with the leaf key; a 401 fetches the
    /// certificates once more (they rotate) and tries again.
    fn federate(
        &mut self,
        ctx: &Context<'_>,
        imds_base: &str,
        session_key: &SigningKey,
    ) -> Result<Secret<String>> {
        let imds = Imds::new(imds_base.to_owned(), http::total_deadline(ctx.env));
        let off_oci = |e: String| {
            Error::Service(format!(
                "instance principal: the metadata service failed ({e}); instance principals work only on OCI compute instances (OCI_METADATA_BASE_URL overrides the address)"
            ))
        };
        if self.region.is_none() {
            let r = imds.get("/instance/region").map_err(off_oci)?;
            let r = r.trim();
            if r.is_empty()
                || r.len() > 64
                || !r
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                return Err(Error::Service(format!(
                    "instance principal: the metadata service's region is not a region name: {:?}",
                    r.chars().take(40).collect::<String>()
                )));
            }
            self.region = Some(region_from(ctx.env, r));
        }
        let region = self.region.clone().unwrap_or_default();
        let url = match federation_override(ctx) {
            Some(u) => u,
            None => format!(
                "{}/v1/x509",
                region::endpoint("auth", "", &region, &region::sources(ctx.env))
            ),
        };
        let mut last = None;
        for round in 0..2 {
            // The re-read after a 401 gets a metadata deadline of its own (a slow 401 may
            // have used the first up), and if it still fails the 401 is what is reported.
            let fresh_imds;
            let imds = if round == 0 {
                &imds
            } else {
                fresh_imds = Imds::new(imds_base.to_owned(), http::total_deadline(ctx.env));
                &fresh_imds
            };
            let certs = match (fetch_certificates(imds), last.take()) {
                (Ok(c), _) => c,
                (Err(e), None) => return Err(off_oci(e)),
                (Err(_), Some(refused)) => {
                    return Err(auth_error("instance principal federation", &url, refused));
                }
            };
            let body = auth::x509_body(
                &certs.leaf,
                &key::public_der(session_key),
                &certs.intermediates,
            )
            .map_err(|e| auth_error("instance principal federation", &url, e))?;
            let key_id = auth::x509_key_id(&certs.tenancy, &certs.leaf);
            let call = auth::Call {
                url: &url,
                key: &certs.key,
                key_id: &key_id,
                body: &body,
                federation: true,
            };
            match auth::post_for_token(&ctx.http(), &call, ctx.env, http::total_deadline(ctx.env)) {
                Ok(t) => return Ok(t),
                Err(e @ AuthError::Unauthorized(_)) => last = Some(e),
                Err(e) => return Err(auth_error("instance principal federation", &url, e)),
            }
        }
        Err(auth_error(
            "instance principal federation",
            &url,
            last.unwrap_or(AuthError::Unavailable(String::new())),
        ))
    }
}

/// Resource principal v2.2 from the environment (other versions are refused with a reason).
fn resource_source(env: &dyn Env) -> Result<Source> {
    match env.var("OCI_RESOURCE_PRINCIPAL_VERSION").as_deref() {
        Some("2.2") => {}
        Some(v) => {
            return Err(Error::Config(format!(
                "OCI_RESOURCE_PRINCIPAL_VERSION is {v}; oci-token serves resource principals of version 2.2 (an RPST and key from the platform)"
            )));
        }
        None => {
            return Err(Error::Config(
                "resource principal: OCI_RESOURCE_PRINCIPAL_VERSION is not set (this is not an OCI Function or other resource with a principal)".into(),
            ));
        }
    }
    let need = |name: &str| {
        Value::from_env(env, name)
            .ok_or_else(|| Error::Config(format!("resource principal: {name} is not set")))
    };
    Ok(Source::Resource {
        rpst: need("OCI_RESOURCE_PRINCIPAL_RPST")?,
        key: need("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM")?,
        passphrase: Value::from_env(env, "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"),
    })
}

/// OKE workload identity from the environment, and what identifies it for the cache.
fn workload_source(env: &dyn Env) -> Result<(Source, String)> {
    let url = if let Some(u) = env.var("OCI_TOKEN_OKE_PROXYMUX_URL") {
        u.trim_end_matches('/').to_owned()
    } else {
        let host = env.var("KUBERNETES_SERVICE_HOST").ok_or_else(|| {
            Error::Config(
                "OKE workload identity: KUBERNETES_SERVICE_HOST is not set (this is not a pod)"
                    .into(),
            )
        })?;
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        format!("https://{host}:12250")
    };
    let sa_token = if let Some(literal) = env.var("OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING") {
        Value::Literal(Secret::new(literal))
    } else {
        Value::Path(PathBuf::from(
            env.var("OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH")
                .unwrap_or_else(|| "/var/run/secrets/kubernetes.io/serviceaccount/token".into()),
        ))
    };
    let ca = PathBuf::from(
        env.var("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH")
            .unwrap_or_else(|| "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt".into()),
    );
    // Who: the service account the token names (`iss`, `sub`), or, for a token that is no
    // JWT, a hash of the token. Never where the token came from: every pod has the same
    // path, and a literal token is one string among many.
    let sa = sa_token.read("the service-account token", store::MAX_TOKEN)?;
    let who = if let Some((iss, sub)) = token::issuer_subject(sa.expose()) {
        format!("sa\0{iss}\0{sub}")
    } else {
        let digest = Sha256::digest(sa.expose().as_bytes());
        format!("sha256\0{}", crate::encoding::hex(&digest, false))
    };
    let id = format!("{url}\0{who}");
    Ok((Source::OkeWorkload { url, sa_token, ca }, id))
}

/// `OCI_CLI_FEDERATION_ENDPOINT` (a full URL, as the oci CLI takes it), else
/// `--auth-endpoint` / `OCI_TOKEN_AUTH_ENDPOINT` + `/v1/x509`.
fn federation_override(ctx: &Context<'_>) -> Option<String> {
    ctx.env.var("OCI_CLI_FEDERATION_ENDPOINT").or_else(|| {
        ctx.auth_endpoint
            .as_ref()
            .map(|b| format!("{}/v1/x509", b.trim_end_matches('/')))
    })
}

#[allow(clippy::needless_pass_by_value)] // called with errors just made
fn auth_error(what: &str, url: &str, e: AuthError) -> Error {
    match e {
        AuthError::Unauthorized(_) => Error::NeedsLogin(format!(
            "{what} at {url} was refused ({e}); check the dynamic group and policies of this principal"
        )),
        AuthError::NotHttps(_) | AuthError::Setup(_) => {
            Error::Config(format!("{what} failed: {e}"))
        }
        AuthError::Rejected(..) => Error::Service(format!("{what} at {url} failed: {e}")),
        AuthError::Unavailable(_) => Error::Service(format!(
            "{what} at {url} failed: {e}; check the network, proxy and CA bundle, then try again"
        )),
    }
}

/// What the metadata service gives for federation.
struct Certificates {
    leaf: Vec<u8>,
    key: SigningKey,
    intermediates: Vec<Vec<u8>>,
    tenancy: String,
}

fn fetch_certificates(imds: &Imds) -> std::result::Result<Certificates, String> {
    let cert = imds.get("/identity/cert.pem")?;
    let key_pem = imds.get("/identity/key.pem")?;
    let inter = imds.get("/identity/intermediate.pem")?;
    let leaf = x509::certificates(&cert)
        .into_iter()
        .next()
        .ok_or("/identity/cert.pem holds no certificate")?;
    let tenancy = x509::tenancy(&leaf)
        .ok_or("the leaf certificate names no tenancy (no opc-tenant: in its subject)")?;
    if !tenancy
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
    {
        return Err("the leaf certificate's opc-tenant is not an OCID".into());
    }
    let key = key::load(&key_pem, None).map_err(|e| format!("/identity/key.pem: {e}"))?;
    Ok(Certificates {
        leaf,
        key,
        intermediates: x509::certificates(&inter),
        tenancy,
    })
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

/// `POST <proxymux>/resourcePrincipalSessionTokens` with the service-account token; the
/// answer is a JSON string holding base64 of `{"token": "ST$<jwt>"}`.
fn oke_workload(
    ctx: &Context<'_>,
    url: &str,
    sa_token: &Value,
    ca: &Path,
    session_key: &SigningKey,
) -> Result<Secret<String>> {
    let sa = sa_token.read("the service-account token", store::MAX_TOKEN)?;
    if let Ok(c) = token::decode(sa.expose())
        && c.exp <= ctx.env.now()
    {
        return Err(Error::Config(format!(
            "OKE workload identity: the service-account token expired at {}",
            c.exp
        )));
    }
    let settings = http::Settings {
        cert_bundle: Some(ca.to_owned()),
        ..ctx.http()
    };
    let url = format!("{url}/resourcePrincipalSessionTokens");
    auth::oke_workload_token(&settings, &url, &sa, &key::public_der(session_key), ctx.env)
        .map_err(|e| auth_error("OKE workload identity", &url, e))
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
