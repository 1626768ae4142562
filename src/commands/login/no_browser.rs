//! `oci-token login --no-browser`: `GenerateUpst`, signed with the active profile's API key
//! (or, with `--auth security_token`, its current session), for a session of 5 to 60
//! minutes that cannot be extended.

use crate::context::Context;
use crate::credential::{Auth, Credential, Freshness};
use crate::crypto::keygen;
use crate::error::{Error, Result};
use crate::output;
use crate::services::auth;

use super::session::{NewSession, Request, persist, profile_name, report};

/// The oci CLI's bounds and texts for `--session-expiration-in-minutes`.
pub(crate) fn check_minutes(m: i64) -> Result<()> {
    if m > 60 {
        return Err(Error::Usage(
            "Session expiration cannot be longer than 60 minutes".into(),
        ));
    }
    if m < 5 {
        return Err(Error::Usage(
            "Session expiration cannot be shorter than 5 minutes".into(),
        ));
    }
    Ok(())
}

/// The request body, as the oci CLI sends it (the minutes as a JSON string).
#[must_use]
pub(crate) fn body(public_pem: &str, minutes: i64) -> String {
    format!(
        "{{\"publicKey\": {}, \"sessionExpirationInMinutes\": \"{minutes}\"}}",
        serde_json::Value::String(public_pem.to_owned())
    )
}

/// The public key to send: the user's (`--public-key-file-path`, with its fingerprint) or a
/// fresh pair's.
fn public_key(args: &Request) -> Result<(Option<keygen::NewKey>, String, Option<String>)> {
    let Some(path) = &args.public_key_file_path else {
        let k = keygen::generate(None)?;
        let pem = k.public_pem.clone();
        return Ok((Some(k), pem, None));
    };
    let mut pem = crate::sys::store::read_text(path, crate::sys::store::MAX_KEY)
        .map_err(|e| Error::Config(format!("cannot read public key {}: {e}", path.display())))?;
    if !pem.ends_with('\n') {
        pem.push('\n');
    }
    let fp = crate::crypto::key::public_pem_fingerprint(&pem)
        .ok_or_else(|| Error::Config(format!("{} is not a PEM public key", path.display())))?;
    Ok((None, pem, Some(fp)))
}

/// `oci-token login --no-browser`.
pub(crate) fn run(ctx: &Context<'_>, args: &Request) -> Result<()> {
    check_minutes(args.session_expiration_in_minutes)?;
    let config_path = ctx.config_location(args.config_location.as_deref());
    let profile = profile_name(args, &config_path)?;
    let token_dir = ctx.token_location(args.token_location.as_deref());
    // No config at all: the API key it needs does not exist yet (telling this user to
    // "log in" would send them in a circle).
    let signer_config = ctx.config_location(None);
    if !signer_config.exists() {
        return Err(Error::Config(format!(
            "login --no-browser signs with an API key profile, and there is no config file {}; make one with `oci-token setup-key --user OCID --tenancy OCID --region REGION` (or `oci setup config`) and upload its public key first",
            signer_config.display()
        )));
    }
    let signer_profile = ctx.profile()?;
    // The signer's region already carries --region / OCI_CLI_REGION.
    let region = crate::region::known(signer_profile.require_region()?, ctx.env)?;
    if args.auth == Auth::ApiKey
        && signer_profile.security_token_file.is_some()
        && crate::credential::api_key::check(&signer_profile).is_err()
    {
        return Err(Error::Config(format!(
            "profile '{}' is a session profile, not an API-key profile; to sign with its session pass --auth security_token (or pick an API-key profile with --profile)",
            signer_profile.name
        )));
    }
    let base = ctx.auth_base(&signer_profile)?;
    let mut cred = Credential::select(ctx, Some(args.auth), Some(signer_profile))?;
    cred.ensure_fresh(ctx, &Freshness::default())?;
    let signer = cred.signer()?;
    let (new_key, public_pem, fingerprint) = public_key(args)?;
    let url = auth::generate_upst_url(&base);
    let body = body(&public_pem, args.session_expiration_in_minutes);
    let name = cred.name();
    let what = format!("creating a session with profile '{name}'");
    let call = auth::Call {
        url: &url,
        key: &signer.key,
        key_id: signer.key_id.expose(),
        body: &body,
        federation: false,
    };
    let token = auth::post_for_token(
        &ctx.http(),
        &call,
        ctx.env,
        crate::services::http::total_deadline(ctx.env),
    )
    .map_err(|e| {
        e.to_error(&what, &url, |detail| {
            if args.auth == Auth::ApiKey {
                Error::Config(format!(
                    "the auth service refused the API key of profile '{name}' ({detail}); check user, tenancy, fingerprint and that the public key is uploaded"
                ))
            } else {
                Error::needs_login(
                    name,
                    &format!("the auth service refused the session ({detail})"),
                )
            }
        })
    })?;
    persist(
        &NewSession {
            profile: &profile,
            region: &region,
            token: token.expose(),
            key: new_key.as_ref(),
            key_file: args.private_key_file_path.clone(),
            fingerprint,
        },
        &config_path,
        &token_dir,
    )?;
    output::note(&format!(
        "Session created for {} minutes (sessions made this way cannot be extended).",
        args.session_expiration_in_minutes
    ));
    report(&config_path, &profile);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_bounds_and_texts() {
        assert!(check_minutes(5).is_ok() && check_minutes(60).is_ok());
        assert_eq!(
            check_minutes(61).unwrap_err().to_string(),
            "Session expiration cannot be longer than 60 minutes"
        );
        assert_eq!(
            check_minutes(4).unwrap_err().to_string(),
            "Session expiration cannot be shorter than 5 minutes"
        );
        assert_eq!(check_minutes(4).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn body_shape() {
        assert_eq!(
            body(
                "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n",
                60
            ),
            r#"{"publicKey": "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n", "sessionExpirationInMinutes": "60"}"#
        );
    }

    #[test]
    fn fingerprint_of_a_public_pem() {
        let pem = include_str!("../../../tests/data/keys/public.pem");
        let fp = include_str!("../../../tests/data/keys/fingerprint.txt");
        assert_eq!(
            crate::crypto::key::public_pem_fingerprint(pem).unwrap(),
            fp.trim()
        );
    }
}
