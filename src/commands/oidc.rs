//! `oidc login|token|logout`: tokens of any `OpenID Connect` issuer for tools that exec a
//! command, as `get` does for OCI sessions. `login` is the only command that may talk to a
//! person (the device code on stderr, or a password prompt on a terminal); `token` never
//! prompts, refreshes under a lock, and prints.
//!
//! The stored state and its refresh are a credential kind: [`crate::credential::oidc`].

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::context::Context;
use crate::credential::oidc::{self as stored, Needs, Stored, Wish};
use crate::error::{Error, Result};
use crate::output::{self, env::Shell};
use crate::secret::Secret;
use crate::services::oidc::{OidcClient, OidcError, client_secret};

/// How `login` obtains the first tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Device,
    Password,
}

/// `oidc login`'s options.
#[derive(Debug, Clone)]
pub(crate) struct LoginRequest {
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
pub(crate) enum TokenOutput {
    Json,
    Bearer,
    Env,
    ExecCredential,
}

/// `oidc token`'s options.
#[derive(Debug, Clone)]
pub(crate) struct TokenRequest {
    pub name: String,
    pub window: SignedDuration,
    pub min_valid: SignedDuration,
    pub lock_timeout: SignedDuration,
    pub output: TokenOutput,
    /// Which token an `ExecCredential` carries.
    pub exec_token: ExecToken,
}

/// The token an `ExecCredential` carries: the ID token (what kube-apiserver's OIDC
/// authenticator checks by default) or the access token (for clusters whose structured
/// authentication accepts JWT access tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecToken {
    Id,
    Access,
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
    let read = crate::sys::os::read_hidden_line();
    let _ = writeln!(std::io::stderr());
    let line = read.map_err(|e| Error::Other(format!("cannot read the password: {e}")))?;
    Ok(Secret::new(line.trim_end_matches(['\n', '\r']).to_owned()))
}

/// `oci-token oidc login`.
pub(crate) fn login(ctx: &Context<'_>, req: &LoginRequest) -> Result<()> {
    let path = stored::state_path(ctx.env, &req.name)?;
    // Checked before anyone signs in: tokens are never written where others could swap them.
    let dir = stored::open_dir(ctx.env, true)?
        .ok_or_else(|| Error::internal("the OIDC directory was not made"))?;
    let slot = dir.file(&format!("{}.json", req.name))?;
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
        e => e.to_error(&format!("discovery of {}", req.issuer)),
    })?;
    let scope = if req.scopes.is_empty() {
        "openid offline_access".to_owned()
    } else {
        req.scopes.join(" ")
    };
    let tokens = match req.flow {
        Flow::Device => stored::device_flow(&client, &meta, &scope, &[], ctx.env)?,
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
                    e => e.to_error("the password grant"),
                })?
        }
    };
    let s = Stored::from_reply(
        &meta,
        (&req.client_id, req.client_secret_file.as_deref()),
        &scope,
        &tokens,
        None,
        ctx.env.now(),
    );
    {
        let _lock = slot.lock(Duration::from_secs(10))?;
        stored::write(&slot, &s)?;
    }
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

/// `oci-token oidc token`: never prompts; never prints a token past its expiry.
pub(crate) fn token_cmd(ctx: &Context<'_>, req: &TokenRequest) -> Result<()> {
    let needs = match (req.output, req.exec_token) {
        (TokenOutput::ExecCredential, ExecToken::Id) => Needs::IdToken,
        _ => Needs::Access,
    };
    let wish = Wish {
        window: req.window,
        min_valid: req.min_valid,
        lock_timeout: req.lock_timeout,
        needs,
    };
    let (s, warning) = stored::ensure(ctx, &req.name, &wish)?;
    if let Some(w) = warning {
        w.print();
    }
    print_token(ctx, &s, req.output, needs)
}

fn print_token(ctx: &Context<'_>, s: &Stored, out: TokenOutput, needs: Needs) -> Result<()> {
    let exp = Timestamp::from_second(s.expires_at).unwrap_or(Timestamp::UNIX_EPOCH);
    // An ID token is printed only while it is valid.
    let now = ctx.env.now();
    let id_token = s
        .id_token
        .as_deref()
        .filter(|_| s.id_expires_at().is_some_and(|e| e > now));
    match out {
        TokenOutput::Bearer => output::print(&format!("{}\n", s.access_token)),
        TokenOutput::Env => output::print(
            &output::env::render_pairs(
                Shell::from_shell_var(
                    ctx.env.var("SHELL").as_deref(),
                    crate::sys::os::POWERSHELL_BY_DEFAULT,
                ),
                &[
                    ("OIDC_ACCESS_TOKEN", Some(&s.access_token)),
                    ("OIDC_ID_TOKEN", id_token),
                    ("OIDC_TOKEN_EXPIRES_AT", Some(&exp.to_string())),
                ],
            )
            .map_err(|e| Error::Config(e.to_string()))?,
        ),
        TokenOutput::ExecCredential => {
            let api = crate::output::exec_credential::requested_version(
                ctx.env.var("KUBERNETES_EXEC_INFO").as_deref(),
            )?;
            let token = match needs {
                Needs::IdToken => id_token.ok_or_else(|| {
                    Error::NeedsLogin(format!(
                        "'{}' holds no valid ID token (ask for the openid scope); run oidc login again, or print the access token with --exec-token access",
                        s.issuer
                    ))
                })?,
                Needs::Access => &s.access_token,
            };
            let token = Secret::new(token.to_owned());
            output::print(&output::exec_credential::render(
                api,
                &token,
                s.claims(needs).exp,
            )?)
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
                id_token,
                expires_at: exp.to_string(),
                issuer: &s.issuer,
                scope: &s.scope,
            };
            output::print(&output::json_line(&v, false)?)
        }
    }
}

/// `oci-token oidc logout`: revoke the refresh token where the issuer can, then delete.
/// Nothing stored is no error; a state file that cannot be read (garbled, too large, not a
/// regular file) is removed without revocation, with a warning: logout always works.
pub(crate) fn logout(ctx: &Context<'_>, name: &str) -> Result<()> {
    let path = stored::state_path(ctx.env, name)?;
    let file = format!("{name}.json");
    let Some(dir) = stored::open_dir(ctx.env, false)? else {
        output::note(&format!("No OIDC login named '{name}'; nothing to do"));
        return Ok(());
    };
    let slot = dir.file(&file)?;
    let read = slot.read(stored::MAX_STATE);
    if matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
        output::note(&format!("No OIDC login named '{name}'; nothing to do"));
        return Ok(());
    }
    let state = read
        .map_err(|e| Error::Config(e.to_string()))
        .and_then(|b| stored::parse(&b, &path));
    let issuer = match &state {
        Ok(s) => {
            if let (Some(endpoint), Some(rt)) = (&s.revocation_endpoint, &s.refresh_token) {
                crate::services::oidc::with_client(
                    &ctx.http(),
                    ctx.env,
                    &s.client_id,
                    s.client_secret_file.as_deref(),
                    |client| {
                        client
                            .revoke(endpoint, &Secret::new(rt.clone()))
                            .map_err(|e| {
                                e.to_error("revoking the refresh token (nothing was deleted)")
                            })
                    },
                )?;
            }
            s.issuer.clone()
        }
        Err(e) => {
            output::warn(&format!(
                "{} cannot be read ({e}); removing it without revoking its refresh token at the issuer",
                path.display()
            ));
            "the issuer".to_owned()
        }
    };
    dir.remove(&file)
        .map_err(|e| Error::Other(format!("cannot remove {}: {e}", path.display())))?;
    output::note(&format!(
        "Signed out of {issuer}; removed {}",
        path.display()
    ));
    Ok(())
}
