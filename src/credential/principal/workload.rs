//! The OKE workload identity: the pod's service-account token, exchanged at the cluster's
//! proxymux for a token bound to the entry's session key.

use std::path::PathBuf;

use rsa::sha2::{Digest as _, Sha256};

use super::shared::{Value, auth_error};
use crate::context::Context;
use crate::crypto::key::{self, SigningKey};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::services::{auth, http};
use crate::sys::env::Env;
use crate::sys::store;
use crate::token;

/// Where the workload's token comes from: the proxymux, the service-account token and the
/// cluster's CA.
#[derive(Debug)]
pub(crate) struct Workload {
    url: String,
    sa_token: Value,
    ca: PathBuf,
}

/// OKE workload identity from the environment, and what identifies it for the cache.
pub(crate) fn from_env(env: &dyn Env) -> Result<(Workload, String)> {
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
    Ok((Workload { url, sa_token, ca }, id))
}

/// `POST <proxymux>/resourcePrincipalSessionTokens` with the service-account token; the
/// answer is a JSON string holding base64 of `{"token": "ST$<jwt>"}`.
pub(crate) fn exchange(
    ctx: &Context<'_>,
    w: &Workload,
    session_key: &SigningKey,
) -> Result<Secret<String>> {
    let (url, sa_token, ca) = (&w.url, &w.sa_token, &w.ca);
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
