//! Principals: an instance (the metadata service's certificate, federated at the auth
//! service's `/v1/x509`), a resource (an RPST and key the platform hands over, v2.2), and
//! an OKE workload (a Kubernetes service-account token exchanged at the cluster's proxymux).
//!
//! Instance and workload tokens are cached per user and per identity source
//! (`<cache>/<kind>-<hash>/`: `token`, `key.pem`, `region`; directory 0700, files 0600),
//! refreshed under the same sidecar lock and policy as sessions. The session key is made
//! once per cache directory and reused, so `token` and `key.pem` never disagree for a
//! reader such as the oci CLI; every later call within the token's life reads the cache
//! only: no metadata call, no federation, no key generation.

use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use rsa::sha2::{Digest as _, Sha256};

use super::policy::{self, Input, Policy, Verdict};
use super::{Auth, Session, Warning};
use crate::auth::{self, AuthError};
use crate::context::Context;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::imds::{self, Imds};
use crate::key::{self, SigningKey};
use crate::secret::Secret;
use crate::token::{self, Claims};
use crate::{http, region, store, x509};

/// Which principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Instance,
    Resource,
    OkeWorkload,
}

impl Kind {
    #[must_use]
    pub fn auth(self) -> Auth {
        match self {
            Kind::Instance => Auth::InstancePrincipal,
            Kind::Resource => Auth::ResourcePrincipal,
            Kind::OkeWorkload => Auth::OkeWorkloadIdentity,
        }
    }

    /// A short name for prompts (`oci:instance 17m`) and messages.
    #[must_use]
    pub fn short(self) -> &'static str {
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
        Some(if v.starts_with('/') {
            Value::Path(PathBuf::from(v))
        } else {
            Value::Literal(Secret::new(v))
        })
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
pub struct Principal {
    pub kind: Kind,
    /// `--region`, else the principal's own (metadata service, cache or environment).
    pub region: Option<String>,
    source: Source,
    /// The cache directory (instance, OKE).
    cache: Option<PathBuf>,
    pub session: Option<Session>,
}

/// The per-user cache root: `OCI_TOKEN_CACHE_DIR`, else `$XDG_CACHE_HOME/oci-token`, else
/// `~/.cache/oci-token`.
pub fn cache_root(env: &dyn Env) -> Result<PathBuf> {
    if let Some(d) = env.var("OCI_TOKEN_CACHE_DIR") {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = env.var("XDG_CACHE_HOME").filter(|d| d.starts_with('/')) {
        return Ok(Path::new(&d).join("oci-token"));
    }
    env.home()
        .map(|h| h.join(".cache/oci-token"))
        .ok_or_else(|| {
            Error::Config(
                "no cache directory for principal tokens: set HOME, XDG_CACHE_HOME or OCI_TOKEN_CACHE_DIR".into(),
            )
        })
}

/// `<root>/<kind>-<16 hex digits of SHA-256 over the identity source>`: a token is only
/// ever served to the source it came from.
fn cache_dir(env: &dyn Env, kind: Kind, source: &[&str]) -> Result<PathBuf> {
    let mut h = Sha256::new();
    h.update(kind.auth().name().as_bytes());
    for part in source {
        h.update([0u8]);
        h.update(part.as_bytes());
    }
    let hex = crate::encoding::hex(&h.finalize()[..8], false);
    Ok(cache_root(env)?.join(format!("{}-{hex}", kind.short())))
}

fn region_from(env: &dyn Env, r: &str) -> String {
    region::region_id(r, &region::sources(env))
}

impl Principal {
    /// Reads the environment for `kind`: no network, no file.
    pub fn new(ctx: &Context<'_>, kind: Kind) -> Result<Self> {
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
                let cache = cache_dir(
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
                let cache = cache_dir(env, kind, &[&id])?;
                (source, Some(cache), env_region())
            }
        };
        Ok(Principal {
            kind,
            region,
            source,
            cache,
            session: None,
        })
    }

    /// The token file and the session key file, when there are files.
    #[must_use]
    pub fn files(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        match (&self.source, &self.cache) {
            (Source::Resource { rpst, key, .. }, _) => (
                rpst.path().map(Path::to_owned),
                key.path().map(Path::to_owned),
            ),
            (_, Some(dir)) => (Some(dir.join("token")), Some(dir.join("key.pem"))),
            _ => (None, None),
        }
    }

    /// The claims of the cached token, without locking or fetching (prompts, exec).
    pub fn peek(&self) -> Result<Option<Claims>> {
        if let Source::Resource { rpst, .. } = &self.source {
            let t = rpst.read("OCI_RESOURCE_PRINCIPAL_RPST", store::MAX_TOKEN)?;
            return Ok(token::decode(t.expose()).ok());
        }
        let Some(path) = self.files().0 else {
            return Ok(None);
        };
        Ok(store::read_regular(&path, store::MAX_TOKEN)
            .ok()
            .and_then(|b| token::decode(token::trim_file(&String::from_utf8_lossy(&b))).ok()))
    }

    /// The signing key: the cached session key, or the resource principal's key.
    pub fn key(&self) -> Result<SigningKey> {
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
                let path = self
                    .files()
                    .1
                    .ok_or_else(|| Error::Other("internal: no key file".into()))?;
                let b = store::read_regular(&path, store::MAX_KEY).map_err(|e| {
                    Error::Config(format!(
                        "cannot read the cached session key {}: {e}",
                        path.display()
                    ))
                })?;
                (b, None, path.display().to_string())
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
    pub fn ensure(
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
            self.session = Some(Session {
                token_path: rpst.path().map(Path::to_owned).unwrap_or_default(),
                token: t,
                claims,
                refreshed: false,
            });
            return Ok(None);
        }
        let dir = self
            .cache
            .clone()
            .ok_or_else(|| Error::Other("internal: no cache".into()))?;
        let pinned = store::private_cache(&dir, "the principal cache")?;
        let token_path = dir.join("token");
        let now = || ctx.env.now();
        let cached = read_cached(&pinned)?;
        if let Some((t, c)) = &cached {
            let first = Input::Read {
                claims: c,
                locked: false,
                changed: false,
            };
            if policy::decide(now(), policy, first) == Verdict::Serve {
                self.serve(&dir, token_path, t.expose().clone(), c.clone(), false);
                return Ok(None);
            }
        }
        let _lock = match pinned.lock(crate::duration::to_std(lock_timeout)) {
            Ok(l) => l,
            Err(e) => return self.fallback(e, ctx, policy, &dir, cached),
        };
        let again = read_cached(&pinned)?;
        if let Some((t, c)) = &again {
            let changed = cached.as_ref().map(|(a, _)| a.expose()) != Some(t.expose());
            let read = Input::Read {
                claims: c,
                locked: true,
                changed,
            };
            if policy::decide(now(), policy, read) == Verdict::Serve {
                self.serve(&dir, token_path, t.expose().clone(), c.clone(), false);
                return Ok(None);
            }
        }
        let (new, claims) = match self.fetch(ctx, &dir) {
            Ok(t) => t,
            Err(e) => return self.fallback(e, ctx, policy, &dir, again),
        };
        pinned.write_atomic(new.expose().as_bytes()).map_err(|e| {
            Error::Other(format!(
                "cannot write the principal token {} (it is unchanged): {e}",
                token_path.display()
            ))
        })?;
        if let Some(r) = &self.region {
            let _ =
                store::Pinned::new(&dir.join("region")).and_then(|p| p.write_atomic(r.as_bytes()));
        }
        self.serve(&dir, token_path, new.expose().clone(), claims, true);
        Ok(None)
    }

    fn serve(
        &mut self,
        dir: &Path,
        token_path: PathBuf,
        token: String,
        claims: Claims,
        refreshed: bool,
    ) {
        if self.region.is_none() {
            self.region = store::read_text(&dir.join("region"), 256)
                .ok()
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
        }
        self.session = Some(Session {
            token_path,
            token: Secret::new(token),
            claims,
            refreshed,
        });
    }

    /// A failed fetch: serve the cached token with a warning when the policy allows.
    fn fallback(
        &mut self,
        e: Error,
        ctx: &Context<'_>,
        policy: &Policy,
        dir: &Path,
        cached: Option<(Secret<String>, Claims)>,
    ) -> Result<Option<Warning>> {
        let Some((t, c)) = cached else { return Err(e) };
        match policy::decide(ctx.env.now(), policy, Input::Failed { claims: &c }) {
            Verdict::ServeWithWarning(_) => {
                let w = format!("{e} (the cached token is still valid until {})", c.exp);
                self.serve(dir, dir.join("token"), t.expose().clone(), c, false);
                Ok(Some(Warning::RefreshFailed(w)))
            }
            _ => Err(e),
        }
    }

    /// Gets a new token (the lock is held): the session key (made once), then the
    /// federation or the proxymux. The reply must be a JWT bound to that key.
    fn fetch(&mut self, ctx: &Context<'_>, dir: &Path) -> Result<(Secret<String>, Claims)> {
        let session_key = session_key(dir)?;
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
        Ok((new, claims))
    }

    /// Metadata service, then `POST /v1/x509` signed with the leaf key; a 401 fetches the
    /// certificates once more (they rotate) and tries again.
    fn federate(
        &mut self,
        ctx: &Context<'_>,
        imds_base: &str,
        session_key: &SigningKey,
    ) -> Result<Secret<String>> {
        let imds = Imds::new(imds_base.to_owned());
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
        for _ in 0..2 {
            let certs = fetch_certificates(&imds).map_err(off_oci)?;
            let body = auth::x509_body(
                &certs.leaf,
                &key::public_der(session_key),
                &certs.intermediates,
            );
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
    let id = format!(
        "{url}\0{}",
        sa_token
            .path()
            .map_or_else(|| "literal".to_owned(), |p| p.display().to_string())
    );
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

/// The cache's session key, made (RSA-2048) and written 0600 the first time.
fn session_key(dir: &Path) -> Result<SigningKey> {
    let path = dir.join("key.pem");
    if let Ok(bytes) = store::read_regular(&path, store::MAX_KEY)
        && let Ok(k) = key::load_bytes(&bytes, None)
    {
        return Ok(k);
    }
    let k = crate::keygen::generate(None)?;
    store::Pinned::new(&path)
        .and_then(|p| p.write_atomic(k.private_pem.expose().as_bytes()))
        .map_err(|e| {
            Error::Other(format!(
                "cannot write the session key {}: {e}",
                path.display()
            ))
        })?;
    Ok(k.key)
}

fn read_cached(pinned: &store::Pinned) -> Result<Option<(Secret<String>, Claims)>> {
    match pinned.read(store::MAX_TOKEN) {
        Ok(b) => {
            let text = String::from_utf8_lossy(&b);
            let t = token::trim_file(&text);
            Ok(token::decode(t)
                .ok()
                .map(|c| (Secret::new(t.to_owned()), c)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Config(format!(
            "cannot read the cached principal token {}: {e}",
            pinned.path().display()
        ))),
    }
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
