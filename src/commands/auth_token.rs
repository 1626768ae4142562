//! `auth-token create|list|delete`: the long-lived passwords people give `docker login` for
//! OCIR, managed with the Identity API, signed natively with the active credential. The
//! token is shown once (or written 0600 with `--output-file`) and never stored otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::credential::{Credential, Freshness};
use crate::error::{Error, Result};
use crate::services::api;
use crate::{output, region, sys::store};

/// What to do.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    Create {
        description: String,
        user_id: Option<String>,
        output_file: Option<PathBuf>,
        /// Print the token alone on stdout, and the docker username on stderr.
        docker_login: bool,
    },
    List {
        user_id: Option<String>,
    },
    Delete {
        auth_token_id: String,
        user_id: Option<String>,
    },
}

/// `{"description": "…"}` with Python `json.dumps` spacing, as the oci CLI sends it.
#[must_use]
pub(crate) fn create_body(description: &str) -> String {
    format!(
        "{{\"description\": {}}}",
        serde_json::Value::from(description)
    )
}

/// An API model as the oci CLI prints it: keys in kebab-case, sorted.
#[must_use]
pub(crate) fn cli_shape(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(o) => {
            let m: BTreeMap<String, serde_json::Value> =
                o.iter().map(|(k, v)| (kebab(k), cli_shape(v))).collect();
            serde_json::to_value(m).unwrap_or_default()
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(cli_shape).collect()),
        other => other.clone(),
    }
}

fn kebab(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An OCID as a path segment: nothing that could leave the path.
fn check_ocid(what: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 255
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{what} '{}' is not an OCID",
            id.escape_debug()
        )))
    }
}

/// `--user-id`, else the profile's `user`, else the token's `sub` (a session's user).
fn user_of(cred: &Credential, flag: Option<&String>) -> Result<String> {
    let id = flag
        .cloned()
        .or_else(|| cred.profile().and_then(|p| p.user.clone()))
        .or_else(|| cred.session().and_then(|s| s.claims.sub.clone()))
        .ok_or_else(|| Error::Config(format!("no user for {}: pass --user-id", cred.describe())))?;
    check_ocid("the user", &id)?;
    Ok(id)
}

fn identity_base(ctx: &Context<'_>, cred: &Credential) -> Result<String> {
    if let Some(b) = ctx.env.var("OCI_TOKEN_IDENTITY_ENDPOINT") {
        return Ok(b.trim_end_matches('/').to_owned());
    }
    Ok(region::endpoint(
        "identity",
        "oci.",
        cred.require_region()?,
        &region::sources(ctx.env),
    ))
}

/// One Identity call; service errors become one line with the right exit code.
fn call(
    ctx: &Context<'_>,
    cred: &Credential,
    method: &str,
    url: &str,
    body: Option<&str>,
) -> Result<serde_json::Value> {
    call_with(ctx, cred, method, url, body, None, "")
}

/// What to add to an error after which a created auth token may exist unseen.
const MAY_EXIST: &str = "; an auth token may have been created all the same: see `oci-token auth-token list` and delete what you do not know with `oci-token auth-token delete --auth-token-id <id>` (a user may have only two)";

/// [`call`] with a `retry_token` (see [`api::signed`]) and what to add to an error whose
/// outcome is unknown (`ambiguous`): a dropped connection, a 5xx, a reply that is not JSON.
fn call_with(
    ctx: &Context<'_>,
    cred: &Credential,
    method: &str,
    url: &str,
    body: Option<&str>,
    retry_token: Option<&str>,
    ambiguous: &str,
) -> Result<serde_json::Value> {
    let signer = cred.signer()?;
    let reply = api::signed(
        &ctx.http(),
        method,
        url,
        &signer,
        body,
        retry_token,
        ctx.env,
    )
    .map_err(|e| match e {
        api::CallError::Unavailable(_) => Error::Service(format!(
            "{method} {url} failed: {e}; {}{ambiguous}",
            crate::error::NETWORK_HINT
        )),
        _ => Error::Config(format!("{method} {url} failed: {e}")),
    })?;
    let v: serde_json::Value = if reply.body.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&reply.body).map_err(|_| {
            Error::Service(format!(
                "{method} {url} answered {} with a body that is not JSON{ambiguous}",
                reply.status
            ))
        })?
    };
    let code = v.get("code").and_then(|c| c.as_str()).unwrap_or("");
    let detail = crate::services::auth::service_detail(&reply.body);
    match reply.status {
        200..=299 => Ok(v),
        400 | 409 if code.contains("Limit") || detail.contains("limit") => {
            Err(Error::Config(format!(
                "the user already has as many auth tokens as allowed (two){detail}; delete one with `oci-token auth-token delete --auth-token-id <id>` (see `oci-token auth-token list`)"
            )))
        }
        401 => Err(Error::NeedsLogin(format!(
            "{method} {url} was refused for {} (401{detail}); log in again",
            cred.describe()
        ))),
        403 | 404 => Err(Error::Config(format!(
            "{method} {url} answered {}{detail}: no such user or token, or not allowed",
            reply.status
        ))),
        s => Err(Error::Service(format!(
            "{method} {url} answered {s}{detail}{}",
            if s >= 500 { ambiguous } else { "" }
        ))),
    }
}

/// `oci-token auth-token …`.
pub(crate) fn run(ctx: &Context<'_>, req: &Request) -> Result<()> {
    let mut cred = Credential::active(ctx, None)?;
    cred.ensure_fresh(ctx, &Freshness::default())?;
    let base = identity_base(ctx, &cred)?;
    match req {
        Request::List { user_id } => {
            let user = user_of(&cred, user_id.as_ref())?;
            let v = call(
                ctx,
                &cred,
                "GET",
                &format!("{base}/20160918/users/{user}/authTokens"),
                None,
            )?;
            let list = if v.is_array() {
                v
            } else {
                serde_json::json!([])
            };
            print_data(&cli_shape(&list))
        }
        Request::Delete {
            auth_token_id,
            user_id,
        } => {
            let user = user_of(&cred, user_id.as_ref())?;
            check_ocid("--auth-token-id", auth_token_id)?;
            call(
                ctx,
                &cred,
                "DELETE",
                &format!("{base}/20160918/users/{user}/authTokens/{auth_token_id}"),
                None,
            )?;
            output::note(&format!("Deleted auth token {auth_token_id} of {user}"));
            Ok(())
        }
        Request::Create {
            description,
            user_id,
            output_file,
            docker_login,
        } => create(
            ctx,
            &cred,
            &base,
            description,
            user_id.as_ref(),
            output_file.as_ref(),
            *docker_login,
        ),
    }
}

/// `auth-token create`.
fn create(
    ctx: &Context<'_>,
    cred: &Credential,
    base: &str,
    description: &str,
    user_id: Option<&String>,
    output_file: Option<&PathBuf>,
    docker_login: bool,
) -> Result<()> {
    if description.len() > 400 || description.chars().any(char::is_control) {
        return Err(Error::Usage(
            "--description: at most 400 characters, no control characters".into(),
        ));
    }
    let user = user_of(cred, user_id)?;
    // Everything that can fail locally fails before the token exists on the server: the
    // file is created (new, 0600) now and removed again if the call fails; without a
    // file, a closed stdout is refused.
    let mut reserved = store::Rollback::default();
    let file = if let Some(f) = output_file {
        reserved.will_create_file(f);
        Some((f, create_private_new(f)?))
    } else {
        if !output::stdout_is_open() {
            return Err(Error::Usage(
                "stdout is closed or /dev/null: the new token would be lost; pass --output-file FILE"
                    .into(),
            ));
        }
        None
    };
    let docker_user = if docker_login {
        Some(docker_username(ctx, cred, &user, base)?)
    } else {
        None
    };
    // One retry token for every attempt: a repeat after a lost reply is answered with the
    // token the first attempt made, never a second one.
    let retry_token = crate::services::http::request_id();
    let mut v = call_with(
        ctx,
        cred,
        "POST",
        &format!("{base}/20160918/users/{user}/authTokens"),
        Some(&create_body(description)),
        Some(&retry_token),
        MAY_EXIST,
    )?;
    let token = v
        .get("token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty() && t.len() < 4096 && !t.chars().any(char::is_control))
        .ok_or_else(|| {
            Error::Service(format!(
                "the created auth token came back without a token{MAY_EXIST}"
            ))
        })?
        .to_owned();
    // From here on the token exists: nothing may be lost. Its id goes to stderr with any
    // failure, so it can be found and deleted.
    let id = v
        .get("id")
        .and_then(|i| i.as_str())
        .filter(|i| i.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("(no id in the reply)")
        .to_owned();
    let lost = |e: Error| {
        Error::Other(format!(
            "the auth token {id} was created but {e}; delete it with `oci-token auth-token delete --auth-token-id {id}` if it is lost"
        ))
    };
    if let Some((f, mut handle)) = file {
        let written = std::io::Write::write_all(&mut handle, token.as_bytes())
            .and_then(|()| handle.sync_all());
        if let Err(e) = written {
            // Not lost: the token goes to stdout instead, and the exit says what happened.
            drop(reserved);
            output::print_once(&format!("{token}\n")).map_err(lost)?;
            return Err(lost(Error::Other(format!(
                "cannot be written to {} ({e}); it was printed on stdout instead",
                f.display()
            ))));
        }
        reserved.commit();
        if let Some(o) = v.as_object_mut() {
            o.insert("token".into(), serde_json::Value::Null);
        }
        output::note(&format!(
            "The token was written to {} ({}); it is shown nowhere else.",
            f.display(),
            crate::sys::os::text("mode 0600", "readable by you only")
        ));
    }
    if let Some(u) = docker_user {
        output::note(&format!(
            "docker username: {u}\nUse: oci-token auth-token … --docker-login | docker login <region-key>.ocir.io -u '{u}' --password-stdin"
        ));
        if output_file.is_some() {
            return Ok(());
        }
        return output::print_once(&format!("{token}\n")).map_err(lost);
    }
    let out = serde_json::to_string_pretty(&serde_json::json!({ "data": cli_shape(&v) }))
        .map_err(|e| Error::Other(e.to_string()))?;
    if output_file.is_some() {
        output::print(&format!("{out}\n"))
    } else {
        output::print_once(&format!("{out}\n")).map_err(lost)
    }
}

/// Creates `f` as a new file, mode 0600; an existing path (a file, a link, anything) is
/// refused: the token is written only to a file of its own.
fn create_private_new(f: &Path) -> Result<std::fs::File> {
    crate::sys::os::create_private_new(f).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Config(format!(
                "{} exists; the token is written only to a new file",
                f.display()
            ))
        } else {
            Error::Config(format!(
                "cannot create {} ({e}); nothing was created",
                f.display()
            ))
        }
    })
}

/// `<namespace>/<user name>`: the Object Storage namespace and the user's name.
fn docker_username(
    ctx: &Context<'_>,
    cred: &Credential,
    user: &str,
    identity: &str,
) -> Result<String> {
    let u = call(
        ctx,
        cred,
        "GET",
        &format!("{identity}/20160918/users/{user}"),
        None,
    )?;
    let name = u
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty() && !n.chars().any(char::is_control))
        .ok_or_else(|| Error::Service(format!("user {user} has no name")))?
        .to_owned();
    let os = match ctx.env.var("OCI_TOKEN_OBJECTSTORAGE_ENDPOINT") {
        Some(b) => b.trim_end_matches('/').to_owned(),
        None => region::endpoint(
            "objectstorage",
            "",
            cred.require_region()?,
            &region::sources(ctx.env),
        ),
    };
    let ns = call(ctx, cred, "GET", &format!("{os}/n/"), None)?;
    let ns = ns
        .as_str()
        .filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .ok_or_else(|| {
            Error::Service("the Object Storage namespace reply is not a namespace".into())
        })?;
    Ok(format!("{ns}/{name}"))
}

fn print_data(v: &serde_json::Value) -> Result<()> {
    let out = serde_json::to_string_pretty(&serde_json::json!({ "data": v }))
        .map_err(|e| Error::Other(e.to_string()))?;
    output::print(&format!("{out}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(create_body("ci \"x\""), r#"{"description": "ci \"x\""}"#);
        let v = serde_json::json!({"userId": "u", "timeCreated": "t", "lifecycleState": "ACTIVE", "id": "i"});
        assert_eq!(
            cli_shape(&v).to_string(),
            r#"{"id":"i","lifecycle-state":"ACTIVE","time-created":"t","user-id":"u"}"#
        );
        assert!(check_ocid("x", "ocid1.user.oc1..aaaa").is_ok());
        for bad in ["", "../x", "a/b", "a?b", "ocid1 x"] {
            assert!(check_ocid("x", bad).is_err(), "{bad}");
        }
    }
}
