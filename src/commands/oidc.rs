//! `oidc login|token|logout`: tokens of any `OpenID Connect` issuer for tools that exec a
//! command, as `get` does for OCI sessions. `login` is the only command that may talk to a
//! person (the device code on stderr, or a password prompt on a terminal); `token` never
//! prompts, refreshes under a lock, and prints.
//!
//! State per name: `~/.oci/oidc/<name>.json` (directory 0700, file 0600, replaced
//! atomically under `<name>.json.lock`): the issuer, client id, the client secret's *file*
//! (re-read when needed, never copied), scope, endpoints, the refresh token and the last
//! access and ID tokens. Never the password or the client secret.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config;
use crate::context::Context;
use crate::credential::exchange::client_secret;
use crate::error::{Error, Result};
use crate::oidc::{self, OidcClient, OidcError, Tokens};
use crate::output::{self, env::Shell};
use crate::secret::Secret;
use crate::store;
use crate::token::{self, Claims, Decision};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How `login` obtains the first tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Device,
    Password,
}

/// `oidc login`'s options.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    pub issuer: String,
    pub client_id: String,
    pub client_secret_file: Option<PathBuf>,
    pub scopes: Vec<String>,
    pub flow: Flow,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub name: String,
}

/// What `oidc token` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOutput {
    Json,
    Bearer,
    Env,
    ExecCredential,
}

/// `oidc token`'s options.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub name: String,
    pub window: SignedDuration,
    pub min_valid: SignedDuration,
    pub lock_timeout: SignedDuration,
    pub output: TokenOutput,
}

/// The stored state (no `Debug`: it holds tokens).
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u8,
    issuer: String,
    client_id: String,
    client_secret_file: Option<String>,
    scope: String,
    token_endpoint: String,
    revocation_endpoint: Option<String>,
    refresh_token: Option<String>,
    access_token: String,
    id_token: Option<String>,
    issued_at: i64,
    expires_at: i64,
}

fn state_path(ctx: &Context<'_>, name: &str) -> Result<PathBuf> {
    config::edit::check_profile_name(name)?;
    Ok(config::home_path(ctx.env, ".oci/oidc").join(format!("{name}.json")))
}

fn login_hint(s: &Stored, name: &str) -> String {
    format!(
        "`oci-token oidc login --issuer {} --client-id {} --name {name}`",
        s.issuer, s.client_id
    )
}

#[allow(clippy::needless_pass_by_value)] // called with errors just made
fn oidc_error(what: &str, e: OidcError) -> Error {
    match e {
        OidcError::Unavailable(_) => Error::Service(format!(
            "{what}: {e}; check the network, proxy and CA bundle"
        )),
        OidcError::Setup(_) => Error::Config(format!("{what}: {e}")),
        OidcError::Unusable(_) | OidcError::Protocol { .. } => {
            Error::Service(format!("{what}: {e}"))
        }
    }
}

/// Reads the password: the first line of `--password-file`, else a prompt on the terminal
/// with echo off. Never from argv or the environment.
fn password(req: &LoginRequest) -> Result<Secret<String>> {
    if let Some(f) = &req.password_file {
        return crate::secret::from_file(f, "password");
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Usage(
            "the password flow needs --password-file, or a terminal to ask on".into(),
        ));
    }
    let user = req.username.as_deref().unwrap_or_default();
    let _ = write!(std::io::stderr(), "Password for {user} at {}: ", req.issuer);
    let termios = rustix::termios::tcgetattr(&stdin).ok();
    if let Some(t) = &termios {
        let mut quiet = t.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &quiet);
    }
    let mut line = String::new();
    let read = std::io::BufRead::read_line(&mut stdin.lock(), &mut line);
    if let Some(t) = &termios {
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, t);
    }
    let _ = writeln!(std::io::stderr());
    read.map_err(|e| Error::Other(format!("cannot read the password: {e}")))?;
    Ok(Secret::new(line.trim_end_matches(['\n', '\r']).to_owned()))
}

/// The device flow (RFC 8628): show the code, poll at `interval` (`slow_down` adds 5 s),
/// until approved, denied or expired. `poll_floor` shortens the wait in tests.
pub(crate) fn device_flow(
    client: &OidcClient<'_>,
    meta: &oidc::Metadata,
    scope: &str,
    extra: &[(&str, &str)],
    env: &dyn crate::env::Env,
) -> Result<Tokens> {
    let endpoint = meta.device_authorization_endpoint.as_deref().ok_or_else(|| {
        Error::Config(format!(
            "{} offers no device flow (no device_authorization_endpoint in its discovery document); try --flow password if the IAM allows it",
            meta.issuer
        ))
    })?;
    let dc = client
        .device_authorization(endpoint, scope, extra)
        .map_err(|e| oidc_error("the device authorization request", e))?;
    let complete = dc
        .verification_uri_complete
        .as_deref()
        .map(|u| format!("\n  or open {u}"))
        .unwrap_or_default();
    output::note(&format!(
        "To sign in, open {} and enter the code {}{complete}\n(waiting up to {}s)",
        dc.verification_uri, dc.user_code, dc.expires_in
    ));
    let floor = env
        .var("OCI_TOKEN_DEVICE_POLL_INTERVAL")
        .and_then(|v| crate::duration::parse(&v).ok())
        .map(|d| d.as_secs());
    let mut interval = floor.map_or(dc.interval, |f| f.clamp(1, dc.interval.max(1)));
    let deadline = std::time::Instant::now() + Duration::from_secs(dc.expires_in.unsigned_abs());
    loop {
        std::thread::sleep(Duration::from_secs(interval.unsigned_abs()));
        if std::time::Instant::now() >= deadline {
            return Err(Error::NeedsLogin(format!(
                "the device code expired after {}s without an approval; run the login again",
                dc.expires_in
            )));
        }
        match client.token(
            &meta.token_endpoint,
            vec![
                ("grant_type", DEVICE_GRANT),
                ("device_code", dc.device_code.expose()),
            ],
        ) {
            Ok(t) => return Ok(t),
            Err(OidcError::Protocol { error, .. }) if error == "authorization_pending" => {}
            Err(OidcError::Protocol { error, .. }) if error == "slow_down" => interval += 5,
            Err(OidcError::Protocol { error, .. }) if error == "access_denied" => {
                return Err(Error::NeedsLogin(
                    "the sign-in was denied at the issuer; run the login again to retry".into(),
                ));
            }
            Err(OidcError::Protocol { error, .. }) if error == "expired_token" => {
                return Err(Error::NeedsLogin(
                    "the device code expired before it was approved; run the login again".into(),
                ));
            }
            Err(e) => return Err(oidc_error("polling the token endpoint", e)),
        }
    }
}

fn stored_from(
    meta: &oidc::Metadata,
    req_client: (&str, Option<&Path>),
    scope: &str,
    t: &Tokens,
    previous_refresh: Option<String>,
    now: Timestamp,
) -> Stored {
    let expires_in = t.expires_in.filter(|e| *e > 0).unwrap_or(300).min(86_400);
    Stored {
        version: 1,
        issuer: meta.issuer.clone(),
        client_id: req_client.0.to_owned(),
        // Absolute: `oidc token` runs from any directory.
        client_secret_file: req_client.1.map(|p| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_owned())
                .display()
                .to_string()
        }),
        scope: t.scope.clone().unwrap_or_else(|| scope.to_owned()),
        token_endpoint: meta.token_endpoint.clone(),
        revocation_endpoint: meta.revocation_endpoint.clone(),
        refresh_token: t
            .refresh_token
            .as_ref()
            .map(|r| r.expose().clone())
            .or(previous_refresh),
        access_token: t.access_token.expose().clone(),
        id_token: t.id_token.as_ref().map(|i| i.expose().clone()),
        issued_at: now.as_second(),
        expires_at: now.as_second() + expires_in,
    }
}

/// The state file's directory (created 0700 when missing), pinned and checked as session
/// directories are: this user's, not writable by others.
fn pin_state(path: &Path) -> Result<store::Pinned> {
    store::create_private_dir(path.parent().unwrap_or(Path::new(".")))?;
    let pinned = store::Pinned::new(path)
        .map_err(|e| Error::Config(format!("cannot open {}: {e}", path.display())))?;
    pinned
        .check_private()
        .map_err(|why| Error::Config(format!("refusing the OIDC state: {why}")))?;
    Ok(pinned)
}

fn write_state(pinned: &store::Pinned, s: &Stored) -> Result<()> {
    let text = serde_json::to_string(s).map_err(|e| Error::Other(e.to_string()))?;
    pinned
        .write_atomic(text.as_bytes())
        .map_err(|e| Error::Other(format!("cannot write {}: {e}", pinned.path().display())))
}

/// `oci-token oidc login`.
pub fn login(ctx: &Context<'_>, req: &LoginRequest) -> Result<()> {
    let path = state_path(ctx, &req.name)?;
    // Checked before anyone signs in: tokens are never written where others could swap them.
    let pinned = pin_state(&path)?;
    let secret = client_secret(req.client_secret_file.as_deref())?;
    let settings = ctx.http();
    let client = OidcClient {
        settings: &settings,
        env: ctx.env,
        client_id: &req.client_id,
        client_secret: secret.as_ref(),
    };
    let meta = client.discover(&req.issuer).map_err(|e| match e {
        // A document that is not an issuer's: the URL is wrong.
        OidcError::Unusable(_) => Error::Config(format!("discovery of {}: {e}", req.issuer)),
        e => oidc_error(&format!("discovery of {}", req.issuer), e),
    })?;
    let scope = if req.scopes.is_empty() {
        "openid offline_access".to_owned()
    } else {
        req.scopes.join(" ")
    };
    let tokens = match req.flow {
        Flow::Device => device_flow(&client, &meta, &scope, &[], ctx.env)?,
        Flow::Password => {
            if meta
                .grant_types_supported
                .as_ref()
                .is_some_and(|g| !g.iter().any(|x| x == "password"))
            {
                return Err(Error::Config(format!(
                    "{} does not offer the password grant (IAMs such as INDIGO IAM disable it by default; it is deprecated); use --flow device",
                    meta.issuer
                )));
            }
            let user = req
                .username
                .as_deref()
                .ok_or_else(|| Error::Usage("--flow password needs --username".into()))?;
            let pw = password(req)?;
            client
                .token(
                    &meta.token_endpoint,
                    vec![
                        ("grant_type", "password"),
                        ("username", user),
                        ("password", pw.expose()),
                        ("scope", &scope),
                    ],
                )
                .map_err(|e| match e {
                    OidcError::Protocol { ref error, .. } if error == "invalid_grant" => {
                        Error::NeedsLogin(format!("{}: wrong username or password", meta.issuer))
                    }
                    e => oidc_error("the password grant", e),
                })?
        }
    };
    let s = stored_from(
        &meta,
        (&req.client_id, req.client_secret_file.as_deref()),
        &scope,
        &tokens,
        None,
        ctx.env.now(),
    );
    write_state(&pinned, &s)?;
    output::note(&format!(
        "Signed in at {}; tokens for '{}' stored in {}{}",
        meta.issuer,
        req.name,
        path.display(),
        if s.refresh_token.is_some() {
            ""
        } else {
            " (no refresh token: ask for the offline_access scope to stay signed in)"
        }
    ));
    output::note(&format!("Try it: oci-token oidc token --name {}", req.name));
    Ok(())
}

fn read_state(path: &Path, name: &str) -> Result<Stored> {
    let text = store::read_text(path, 1 << 20).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NeedsLogin(format!(
                "no OIDC login named '{name}'; sign in with `oci-token oidc login --issuer URL --client-id ID --name {name}`"
            ))
        } else {
            Error::Config(format!("cannot read {}: {e}", path.display()))
        }
    })?;
    serde_json::from_str(&text).map_err(|_| {
        Error::Config(format!(
            "{} is not an oci-token OIDC state file; remove it and sign in again",
            path.display()
        ))
    })
}

/// The validity that matters for the output: the access token's, and for an
/// `ExecCredential` the ID token's too.
fn claims_of(s: &Stored, output: TokenOutput) -> Result<Claims> {
    let mut exp = s.expires_at;
    if output == TokenOutput::ExecCredential {
        let id = s.id_token.as_deref().ok_or_else(|| {
            Error::Config("the issuer gave no ID token (ask for the openid scope)".into())
        })?;
        if let Ok(c) = token::decode(id) {
            exp = exp.min(c.exp.as_second());
        }
    }
    let t = |x: i64| Timestamp::from_second(x).unwrap_or(Timestamp::UNIX_EPOCH);
    Ok(Claims {
        exp: t(exp),
        iat: Some(t(s.issued_at)),
        sub: None,
        tenant: None,
        res_tenant: None,
        sess_exp: None,
        jwk: None,
    })
}

fn refresh(ctx: &Context<'_>, s: &Stored, name: &str) -> Result<Stored> {
    let rt = s.refresh_token.as_deref().ok_or_else(|| {
        Error::NeedsLogin(format!(
            "the tokens of '{name}' expired and there is no refresh token; sign in again with {}",
            login_hint(s, name)
        ))
    })?;
    let secret = client_secret(s.client_secret_file.as_deref().map(Path::new))?;
    let settings = ctx.http();
    let client = OidcClient {
        settings: &settings,
        env: ctx.env,
        client_id: &s.client_id,
        client_secret: secret.as_ref(),
    };
    let t = client
        .token(
            &s.token_endpoint,
            vec![("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .map_err(|e| match e {
            OidcError::Protocol { ref error, .. } if error == "invalid_grant" => Error::NeedsLogin(format!(
                "the refresh token of '{name}' was refused ({e}: revoked or expired); sign in again with {}",
                login_hint(s, name)
            )),
            e => oidc_error(&format!("refreshing '{name}' at {}", s.token_endpoint), e),
        })?;
    let meta = oidc::Metadata {
        issuer: s.issuer.clone(),
        token_endpoint: s.token_endpoint.clone(),
        device_authorization_endpoint: None,
        revocation_endpoint: s.revocation_endpoint.clone(),
        grant_types_supported: None,
    };
    let mut next = stored_from(
        &meta,
        (&s.client_id, s.client_secret_file.as_deref().map(Path::new)),
        &s.scope,
        &t,
        s.refresh_token.clone(),
        ctx.env.now(),
    );
    if next.id_token.is_none() {
        next.id_token.clone_from(&s.id_token);
    }
    Ok(next)
}

/// `oci-token oidc token`: never prompts.
pub fn token_cmd(ctx: &Context<'_>, req: &TokenRequest) -> Result<()> {
    let path = state_path(ctx, &req.name)?;
    let now = || ctx.env.now();
    let mut s = read_state(&path, &req.name)?;
    let decision = token::decide(
        now(),
        &claims_of(&s, req.output)?,
        req.window,
        req.min_valid,
    );
    if decision != Decision::Fresh {
        let pinned = pin_state(&path)?;
        let lock = pinned.lock(crate::duration::to_std(req.lock_timeout));
        let again = read_state(&path, &req.name)?;
        let fresh_now = token::decide(
            now(),
            &claims_of(&again, req.output)?,
            req.window,
            req.min_valid,
        ) == Decision::Fresh;
        s = again;
        if !fresh_now {
            let result = lock.and_then(|_l| {
                let next = refresh(ctx, &s, &req.name)?;
                write_state(&pinned, &next)?;
                Ok(next)
            });
            match result {
                Ok(next) => s = next,
                Err(e) => {
                    let still =
                        claims_of(&s, req.output)?.exp.duration_since(now()) >= req.min_valid;
                    if !still {
                        return Err(e);
                    }
                    output::warn(&format!(
                        "{e} (the current token is still valid until {})",
                        claims_of(&s, req.output)?.exp
                    ));
                }
            }
        }
    }
    print_token(ctx, &s, req.output)
}

fn print_token(ctx: &Context<'_>, s: &Stored, out: TokenOutput) -> Result<()> {
    let exp = Timestamp::from_second(s.expires_at).unwrap_or(Timestamp::UNIX_EPOCH);
    match out {
        TokenOutput::Bearer => output::print(&format!("{}\n", s.access_token)),
        TokenOutput::Env => output::print(&output::env::render_pairs(
            Shell::from_shell_var(ctx.env.var("SHELL").as_deref()),
            &[
                ("OIDC_ACCESS_TOKEN", Some(&s.access_token)),
                ("OIDC_ID_TOKEN", s.id_token.as_deref()),
                ("OIDC_TOKEN_EXPIRES_AT", Some(&exp.to_string())),
            ],
        )),
        TokenOutput::ExecCredential => {
            let api =
                super::kube::requested_version(ctx.env.var("KUBERNETES_EXEC_INFO").as_deref())?;
            let id = Secret::new(s.id_token.clone().unwrap_or_default());
            let c = claims_of(s, out)?;
            output::print(&output::exec_credential::render(api, &id, c.exp))
        }
        TokenOutput::Json => {
            #[derive(Serialize)]
            struct View<'a> {
                version: u8,
                token: &'a str,
                id_token: Option<&'a str>,
                expires_at: String,
                issuer: &'a str,
                scope: &'a str,
            }
            let v = View {
                version: 1,
                token: &s.access_token,
                id_token: s.id_token.as_deref(),
                expires_at: exp.to_string(),
                issuer: &s.issuer,
                scope: &s.scope,
            };
            let mut line = serde_json::to_string(&v).map_err(|e| Error::Other(e.to_string()))?;
            line.push('\n');
            output::print(&line)
        }
    }
}

/// `oci-token oidc logout`: revoke the refresh token where the issuer can, then delete.
pub fn logout(ctx: &Context<'_>, name: &str) -> Result<()> {
    let path = state_path(ctx, name)?;
    let s = read_state(&path, name)?;
    if let (Some(endpoint), Some(rt)) = (&s.revocation_endpoint, &s.refresh_token) {
        let secret = client_secret(s.client_secret_file.as_deref().map(Path::new))?;
        let settings = ctx.http();
        let client = OidcClient {
            settings: &settings,
            env: ctx.env,
            client_id: &s.client_id,
            client_secret: secret.as_ref(),
        };
        client
            .revoke(endpoint, &Secret::new(rt.clone()))
            .map_err(|e| oidc_error("revoking the refresh token (nothing was deleted)", e))?;
    }
    std::fs::remove_file(&path)
        .map_err(|e| Error::Other(format!("cannot remove {}: {e}", path.display())))?;
    output::note(&format!(
        "Signed out of {}; removed {}",
        s.issuer,
        path.display()
    ));
    Ok(())
}
