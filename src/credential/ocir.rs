//! OCI Container Registry (OCIR): which hosts are registries, and short-lived registry
//! tokens from `GET https://<host>/20180419/docker/token`, signed with the active
//! credential and cached per host and identity until shortly before they expire.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use crate::context::Context;
use crate::credential::cache::{self, Provider};
use crate::credential::{Credential, Freshness, Policy};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::sys::env::Env;
use crate::{region, services::api, sys::store};

/// The docker protocol's "no credentials" answer, which docker treats as "none", not as a
/// failure.
pub(crate) const NOT_FOUND: &str = "credentials not found in native keychain";

/// A cached token is served while it has at least this long left (tokens live an hour;
/// kubelet's example caches them for 55 minutes).
pub(crate) const MARGIN: SignedDuration = SignedDuration::from_mins(5);

/// A registry host from what a client passes: a bare host (`iad.ocir.io`), or a URL
/// (`https://iad.ocir.io/v2/`), lower-cased, without scheme, path or the default port.
/// `None` for something that is no host at all.
#[must_use]
pub fn normalize(server_url: &str) -> Option<String> {
    let s = server_url.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let host = host.strip_suffix(":443").unwrap_or(&host).to_owned();
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then_some(host)
}

/// The region of a registry host: `OCI_TOKEN_OCIR_HOSTS` (`host=region,…`, for private
/// endpoints and tests) first, then the OCIR host forms of every realm.
#[must_use]
pub(crate) fn region_of(host: &str, env: &dyn Env) -> Option<String> {
    if let Some(extra) = env.var("OCI_TOKEN_OCIR_HOSTS") {
        for pair in extra.split(',') {
            if let Some((h, r)) = pair.split_once('=')
                && h.trim().eq_ignore_ascii_case(host)
            {
                let sources = region::sources(env);
                return Some(region::region_id(r.trim(), &sources));
            }
        }
    }
    region::ocir_region(host, &region::sources(env))
}

/// A registry token and when it expires.
pub(crate) struct RegistryToken {
    pub token: Secret<String>,
    pub expires_at: Timestamp,
}

/// The cache entry of a host's token for one identity.
fn entry_name(host: &str, identity: &str) -> String {
    cache::entry_name("ocir", &[host, identity])
}

fn parse_cached(bytes: &[u8]) -> Option<RegistryToken> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let token = v.get("token")?.as_str()?.to_owned();
    let exp = Timestamp::from_second(v.get("expires_at")?.as_i64()?).ok()?;
    check_token(&token).ok()?;
    Some(RegistryToken {
        token: Secret::new(token),
        expires_at: exp,
    })
}

/// A registry token is printable ASCII without spaces, at most 64 KiB.
fn check_token(t: &str) -> std::result::Result<(), &'static str> {
    if t.is_empty() || t.len() > 64 << 10 {
        return Err("empty or too long");
    }
    if !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("it holds spaces or control characters");
    }
    Ok(())
}

/// The cached token for `host` if it has more than [`MARGIN`] left: no lock, no network;
/// read through the checked cache entry (a planted token is never served).
#[must_use]
pub(crate) fn cached(ctx: &Context<'_>, host: &str, identity: &str) -> Option<RegistryToken> {
    let entry = cache::entry(ctx.env, &entry_name(host, identity), false).ok()??;
    let bytes = entry.file("token").ok()?.read(store::MAX_TOKEN).ok()?;
    parse_cached(&bytes).filter(|t| t.expires_at.duration_since(ctx.env.now()) > MARGIN)
}

/// OCIR's part of the cache loop.
struct Fetcher<'a, 'c> {
    ctx: &'a Context<'c>,
    cred: &'a mut Credential,
    host: &'a str,
}

impl Provider for Fetcher<'_, '_> {
    type Item = RegistryToken;

    fn decode(&self, read: std::io::Result<Vec<u8>>) -> Result<Option<RegistryToken>> {
        Ok(read.ok().and_then(|b| parse_cached(&b)))
    }

    fn encode(&self, t: &RegistryToken) -> Result<Vec<u8>> {
        Ok(serde_json::json!({
            "token": t.token.expose(),
            "expires_at": t.expires_at.as_second(),
        })
        .to_string()
        .into_bytes())
    }

    fn claims(&self, t: &RegistryToken) -> crate::token::Claims {
        crate::token::Claims::expiring(t.expires_at, None)
    }

    fn fetch(&mut self, _: Option<&RegistryToken>, _: bool) -> Result<RegistryToken> {
        fetch(self.ctx, self.cred, self.host)
    }
}

/// A token for `host` that satisfies [`MARGIN`]: the cache, else a signed request under the
/// cache's lock (50 concurrent callers make one request).
pub(crate) fn token(ctx: &Context<'_>, cred: &mut Credential, host: &str) -> Result<RegistryToken> {
    let identity = cred.identity();
    if let Some(t) = cached(ctx, host, &identity) {
        return Ok(t);
    }
    let entry = cache::made_entry(ctx.env, &entry_name(host, &identity))?;
    let slot = entry.file("token")?;
    // Fetched again inside the last MARGIN; a failed fetch then serves the cached token
    // (with a warning) while it has a minute left.
    let policy = Policy {
        window: MARGIN,
        ..Policy::DEFAULT
    };
    let mut fetcher = Fetcher { ctx, cred, host };
    let out = cache::ensure(
        &slot,
        &mut fetcher,
        &policy,
        &|| ctx.env.now(),
        SignedDuration::from_secs(40),
    )?;
    Ok(out.item)
}

/// `GET https://<host>/20180419/docker/token`, signed with the credential (made fresh).
fn fetch(ctx: &Context<'_>, cred: &mut Credential, host: &str) -> Result<RegistryToken> {
    cred.ensure_fresh(ctx, &Freshness::default())?;
    let signer = cred.signer()?;
    let url = format!("https://{host}/20180419/docker/token");
    let reply = api::signed(&ctx.http(), "GET", &url, &signer, None, None, ctx.env).map_err(
        |e| match e {
            api::CallError::Unavailable(_) => {
                Error::network(&format!("the registry token request to {url} failed: {e}"))
            }
            _ => Error::Config(format!("the registry token request to {url} failed: {e}")),
        },
    )?;
    let detail = crate::services::auth::service_detail(&reply.body);
    match reply.status {
        200 => {}
        401 | 403 => {
            return Err(Error::NeedsLogin(format!(
                "{host} refused {} ({}{detail}); log in again, or check its policies",
                cred.describe(),
                reply.status
            )));
        }
        s => {
            return Err(Error::Service(format!(
                "the registry token request to {url} answered {s}{detail}"
            )));
        }
    }
    let v: serde_json::Value = serde_json::from_str(&reply.body)
        .map_err(|_| Error::Service(format!("the registry token reply from {url} is not JSON")))?;
    let token = v
        .get("token")
        .or_else(|| v.get("access_token"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    check_token(&token).map_err(|why| {
        Error::Service(format!(
            "the registry token reply from {url} is unusable ({why})"
        ))
    })?;
    let expires_in = v
        .get("expires_in")
        .and_then(serde_json::Value::as_i64)
        .filter(|s| (1..=86_400).contains(s))
        .unwrap_or(3600);
    Ok(RegistryToken {
        token: Secret::new(token),
        expires_at: ctx.env.now() + SignedDuration::from_secs(expires_in),
    })
}

/// Removes a host's cached token for this identity (docker's `erase`), through the
/// checked cache entry: a planted link is refused, never followed.
pub(crate) fn erase(ctx: &Context<'_>, cred: &Credential, host: &str) -> Result<()> {
    let Some(entry) = cache::entry(ctx.env, &entry_name(host, &cred.identity()), false)? else {
        return Ok(());
    };
    entry.remove("token").map_err(|e| {
        Error::Other(format!(
            "cannot remove the token in {}: {e}",
            entry.path().display()
        ))
    })
}

/// The per-registry choice of credential, `~/.oci/oci-token-registries.json`:
/// `{"<host>": {"profile": "...", "auth": "..."}}`, written by `docker install`.
#[must_use]
pub(crate) fn registries_file(env: &dyn Env) -> PathBuf {
    crate::sys::env::home_path(env, ".oci/oci-token-registries.json")
}

/// The profile and auth recorded for `host`, if any.
#[must_use]
pub(crate) fn recorded(path: &Path, host: &str) -> (Option<String>, Option<String>) {
    let Ok(text) = store::read_text(path, 1 << 20) else {
        return (None, None);
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return (None, None);
    };
    let field = |k: &str| {
        v.get(host)
            .and_then(|e| e.get(k))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    (field("profile"), field("auth"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert_eq!(normalize("iad.ocir.io").as_deref(), Some("iad.ocir.io"));
        assert_eq!(
            normalize(" https://IAD.ocir.io/v2/ \n").as_deref(),
            Some("iad.ocir.io")
        );
        assert_eq!(normalize("iad.ocir.io:443").as_deref(), Some("iad.ocir.io"));
        assert_eq!(
            normalize("localhost:5000").as_deref(),
            Some("localhost:5000")
        );
        assert_eq!(normalize(""), None);
        assert_eq!(normalize("a b"), None);
        assert_eq!(normalize("\u{0}"), None);
    }

    #[test]
    fn extra_hosts() {
        let env = crate::sys::env::FakeEnv::new("/h", Timestamp::UNIX_EPOCH).with(
            "OCI_TOKEN_OCIR_HOSTS",
            "localhost:5000=iad, reg.internal=us-phoenix-1",
        );
        assert_eq!(
            region_of("localhost:5000", &env).as_deref(),
            Some("us-ashburn-1")
        );
        assert_eq!(
            region_of("reg.internal", &env).as_deref(),
            Some("us-phoenix-1")
        );
        assert_eq!(
            region_of("fra.ocir.io", &env).as_deref(),
            Some("eu-frankfurt-1")
        );
        assert_eq!(region_of("docker.io", &env), None);
    }

    #[test]
    fn cached_records() {
        let ok = br#"{"token":"abc.def","expires_at":2000000000}"#;
        assert!(parse_cached(ok).is_some());
        assert!(parse_cached(br#"{"token":"a b","expires_at":2000000000}"#).is_none());
        assert!(parse_cached(b"garbage").is_none());
    }
}
