//! `oci-token terraform`: the program of a Terraform `external` data source.
//!
//! Reads the query (a JSON object of strings) on stdin, makes sure the session is fresh, and
//! prints one flat JSON object of strings. It never prints the session token: data source
//! results are stored in the Terraform state (the OCI provider reads the token file itself).

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Read as _};
use std::time::Duration;

use crate::context::Context;
use crate::credential::{Credential, Freshness};
use crate::error::{Error, Result};

/// Keys the query may hold.
pub(crate) const QUERY_KEYS: [&str; 5] = [
    "profile",
    "config_file",
    "min_valid",
    "cluster_id",
    "region",
];

/// How long to wait for Terraform to write the query.
const STDIN_DEADLINE: Duration = Duration::from_secs(10);

/// Parses and checks the query object.
pub fn parse_query(text: &str) -> Result<BTreeMap<String, String>> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let q: BTreeMap<String, String> = serde_json::from_str(text).map_err(|e| {
        Error::Config(format!("the query on stdin is not a JSON object of strings ({e}); Terraform's `external` data source sends one"))
    })?;
    if let Some(bad) = q.keys().find(|k| !QUERY_KEYS.contains(&k.as_str())) {
        return Err(Error::Config(format!(
            "unknown query key '{bad}'; oci-token terraform takes {}",
            QUERY_KEYS.join(", ")
        )));
    }
    Ok(q)
}

/// Reads stdin with a deadline; a terminal counts as an empty query.
fn read_stdin() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(String::new());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = String::new();
        let r = std::io::stdin()
            .lock()
            .take(1 << 20)
            .read_to_string(&mut buf)
            .map(|_| buf);
        let _ = tx.send(r);
    });
    match rx.recv_timeout(STDIN_DEADLINE) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(Error::Config(format!(
            "cannot read the query on stdin: {e}"
        ))),
        Err(_) => Err(Error::Config(format!(
            "no query on stdin after {}s (Terraform's external data source writes one and closes stdin)",
            STDIN_DEADLINE.as_secs()
        ))),
    }
}

/// `oci-token terraform`.
pub(crate) fn run(ctx: &Context<'_>, fresh: &Freshness) -> Result<()> {
    let q = parse_query(&read_stdin()?)?;
    let mut config = ctx.config.clone();
    if let Some(p) = q.get("profile") {
        config.profile = Some(p.clone());
    }
    if let Some(c) = q.get("config_file") {
        config.config_file = Some(c.into());
    }
    if let Some(r) = q.get("region") {
        config.region = Some(r.clone());
    }
    let min_valid = match q.get("min_valid") {
        Some(m) => crate::duration::parse_min_valid(m)
            .map_err(|e| Error::Config(format!("query min_valid: {e}")))?,
        None => fresh.min_valid,
    };
    let fresh = Freshness {
        window: fresh.window.max(min_valid),
        min_valid,
        lock_timeout: fresh.lock_timeout,
    };
    let ctx = ctx.with_config(config);
    let mut cred = Credential::active(&ctx, None)?;
    cred.ensure_fresh(&ctx, &fresh)?;
    let text = |o: Option<&str>| o.unwrap_or_default().to_owned();
    let v = cred.view(ctx.env.now());
    let mut out: BTreeMap<&str, String> = BTreeMap::new();
    out.insert("profile", v.profile.unwrap_or_default().to_owned());
    out.insert("auth", cred.auth().name().to_owned());
    out.insert("config_file", v.config_file.clone().unwrap_or_default());
    out.insert("region", text(v.region));
    out.insert("fingerprint", text(v.fingerprint));
    out.insert("key_file", v.key_file.clone().unwrap_or_default());
    out.insert("tenancy", text(v.tenancy));
    out.insert("user", text(v.user));
    out.insert("token_file", v.token_file.clone().unwrap_or_default());
    out.insert(
        "expires_at",
        v.expires_at.map(|t| t.to_string()).unwrap_or_default(),
    );
    if let Some(cluster) = q.get("cluster_id") {
        // The OKE token's contract includes it; it is valid for minutes, not hours.
        let oke = crate::credential::oke::token(&ctx, &cred, cluster)?;
        out.insert("oke_token", oke.token.expose().clone());
        out.insert("oke_token_expires_at", oke.expires_at.to_string());
    }
    crate::output::print(&crate::output::terraform::render(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        assert!(parse_query("").unwrap().is_empty());
        assert_eq!(parse_query(r#"{"profile":"p"}"#).unwrap()["profile"], "p");
        assert_eq!(parse_query(r#"{"profil":"p"}"#).unwrap_err().exit_code(), 3);
        assert_eq!(parse_query(r#"{"profile":1}"#).unwrap_err().exit_code(), 3);
        assert!(parse_query("[]").is_err());
    }
}
