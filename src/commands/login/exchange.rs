//! `login --device-code` (headless: the device flow at an identity domain, then a token
//! exchange) and `login --token-exchange` (keyless CI: a JWT the domain trusts). Both end in
//! a session profile written exactly as `login` writes one, plus `exchange.json` so that
//! `get` and `exec` renew it without a person (see `credential::exchange`).

use std::path::Path;

use super::session::{NewSession, Request, login_region, persist, profile_name, report};
use crate::context::Context;
use crate::credential::exchange::{self, State, Subject};
use crate::crypto::keygen;
use crate::error::{Error, Result};
use crate::output;
use crate::secret::Secret;
use crate::services::oidc::{Metadata, OidcClient};

/// Scopes asked for by `login --device-code` without `--scope`: every scope the client
/// was granted, and a refresh token so the session can be renewed.
pub(crate) const DEFAULT_DEVICE_SCOPE: &str = "urn:opc:idm:__myscopes__ offline_access";

/// `login --device-code` or `login --token-exchange`.
pub(crate) fn run(ctx: &Context<'_>, args: &Request) -> Result<()> {
    let domain = args
        .domain_url
        .as_deref()
        .ok_or_else(|| Error::Usage("--domain-url is required".into()))?
        .trim_end_matches('/')
        .to_owned();
    if !domain.starts_with("https://") {
        return Err(Error::Usage(format!(
            "--domain-url {domain} is not an https:// URL"
        )));
    }
    let client_id = args
        .client_id
        .clone()
        .ok_or_else(|| Error::Usage("--client-id is required".into()))?;
    let config_path = ctx.config_location(args.config_location.as_deref());
    let profile = profile_name(args, &config_path)?;
    let region = login_region(ctx, &config_path, &profile)?;
    let token_dir = ctx.token_location(args.token_location.as_deref());
    // Absolute: renewals run from any directory.
    let secret_file = args.client_secret_file.as_ref().map(|p| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.clone())
            .display()
            .to_string()
    });
    let secret = crate::services::oidc::client_secret(secret_file.as_deref().map(Path::new))?;
    let (subject, state) = if args.device_code {
        by_device(ctx, args, &domain, &client_id, secret.as_ref(), secret_file)?
    } else {
        by_subject_token(ctx, args, &domain, &client_id, secret_file)?
    };
    let key = keygen::generate(None)?;
    let upst = exchange::exchange(
        ctx,
        &domain,
        &client_id,
        secret.as_ref(),
        &subject,
        &key.key,
    )?;
    let token_path = persist(
        &NewSession {
            profile: &profile,
            region: &region,
            token: upst.expose(),
            key: Some(&key),
            key_file: None,
            fingerprint: None,
        },
        &config_path,
        &token_dir,
    )?;
    exchange::write_state(&token_path, &state)?;
    output::note(&format!(
        "Session created by token exchange at {domain}; `get` and `exec` renew it from {} when the auth service stops refreshing it.",
        describe(&state, &exchange::state_path(&token_path))
    ));
    report(&config_path, &profile);
    Ok(())
}

fn describe(s: &State, path: &Path) -> String {
    match s.subject {
        Subject::RefreshToken => format!("the domain refresh token in {}", path.display()),
        Subject::File => format!(
            "the subject token file {}",
            s.subject_token_file.as_deref().unwrap_or_default()
        ),
        Subject::GithubActions => "the GitHub Actions OIDC token endpoint".to_owned(),
    }
}

/// The device flow at the identity domain: an access token to exchange, and the refresh
/// token that renews the session later.
fn by_device(
    ctx: &Context<'_>,
    args: &Request,
    domain: &str,
    client_id: &str,
    secret: Option<&Secret<String>>,
    secret_file: Option<String>,
) -> Result<(Secret<String>, State)> {
    let scope = if args.scopes.is_empty() {
        DEFAULT_DEVICE_SCOPE.to_owned()
    } else {
        args.scopes.join(" ")
    };
    let settings = ctx.http();
    let client = OidcClient {
        settings: &settings,
        env: ctx.env,
        client_id,
        client_secret: secret,
    };
    let meta = Metadata {
        issuer: domain.to_owned(),
        token_endpoint: exchange::token_endpoint(domain),
        device_authorization_endpoint: Some(format!("{domain}/oauth2/v1/device")),
        revocation_endpoint: None,
        grant_types_supported: None,
    };
    // Identity domains want the non-standard response_type=device_code.
    let t = crate::credential::oidc::device_flow(
        &client,
        &meta,
        &scope,
        &[("response_type", "device_code")],
        ctx.env,
    )?;
    let state = State {
        version: 1,
        domain_url: domain.to_owned(),
        client_id: client_id.to_owned(),
        client_secret_file: secret_file,
        subject: Subject::RefreshToken,
        scope: Some(scope),
        refresh_token: t.refresh_token.map(|r| r.expose().clone()),
        subject_token_file: None,
        audience: None,
    };
    Ok((t.access_token, state))
}

/// A JWT from a file or from the GitHub Actions token endpoint.
fn by_subject_token(
    ctx: &Context<'_>,
    args: &Request,
    domain: &str,
    client_id: &str,
    secret_file: Option<String>,
) -> Result<(Secret<String>, State)> {
    let (jwt, subject, file) = match (&args.subject_token_file, args.subject_token_from.as_deref())
    {
        (Some(f), _) => {
            let abs = std::path::absolute(f).unwrap_or_else(|_| f.clone());
            (
                exchange::jwt_from_file(ctx, &abs)?,
                Subject::File,
                Some(abs.display().to_string()),
            )
        }
        (None, Some("github-actions")) => (
            exchange::jwt_from_github(ctx, args.audience.as_deref())?,
            Subject::GithubActions,
            None,
        ),
        _ => {
            return Err(Error::Usage(
                "--token-exchange needs --subject-token-file FILE or --subject-token-from github-actions".into(),
            ));
        }
    };
    let state = State {
        version: 1,
        domain_url: domain.to_owned(),
        client_id: client_id.to_owned(),
        client_secret_file: secret_file,
        subject,
        scope: None,
        refresh_token: None,
        subject_token_file: file,
        audience: args.audience.clone(),
    };
    Ok((jwt, state))
}
