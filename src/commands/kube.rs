//! `oci-token kube`: a kubectl exec credential plugin that signs OKE tokens natively.

use jiff::{SignedDuration, Timestamp};

use crate::context::Context;
use crate::credential::{Credential, Freshness};
use crate::error::{Error, Result};
use crate::output::exec_credential::{self, V1, V1BETA1};
use crate::secret::Secret;
use crate::{oke, region, sign};

/// The apiVersion kubectl asked for in `KUBERNETES_EXEC_INFO`; v1beta1 when it is absent.
pub fn requested_version(info: Option<&str>) -> Result<&'static str> {
    let Some(info) = info else { return Ok(V1BETA1) };
    let v: serde_json::Value = serde_json::from_str(info)
        .map_err(|_| Error::Config("KUBERNETES_EXEC_INFO is not valid JSON".into()))?;
    match v.get("apiVersion").and_then(serde_json::Value::as_str) {
        Some(V1) => Ok(V1),
        Some(V1BETA1) | None => Ok(V1BETA1),
        Some(other) => Err(Error::Config(format!(
            "kubectl asked for ExecCredential apiVersion {other}; oci-token answers {V1} and {V1BETA1}: set one of them in the kubeconfig"
        ))),
    }
}

fn check_cluster_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "'{id}' is not a cluster OCID (ocid1.cluster.oc1...)"
        )))
    }
}

/// The OKE token for `cluster`, signed by the (fresh) credential, and when to stop using
/// it: in 4 minutes, as the oci CLI says, but never after the credential itself expires.
pub fn oke_token(
    ctx: &Context<'_>,
    cred: &Credential,
    cluster: &str,
) -> Result<(Secret<String>, Timestamp)> {
    let region = region::region_id(cred.require_region()?, &region::sources(ctx.env));
    let signer = cred.signer()?;
    let now = ctx.env.now();
    let url = oke::cluster_url(&region, cluster);
    let token = oke::token(
        &signer.key,
        signer.key_id.expose(),
        &url,
        &sign::http_date(now),
    )
    .map_err(|e| Error::Config(format!("signing the OKE token as '{}': {e}", cred.name())))?;
    let mut expires = now + SignedDuration::from_secs(oke::TOKEN_LIFETIME_SECS);
    if let Some(exp) = cred.expires_at() {
        expires = expires.min(exp);
    }
    Ok((Secret::new(token), expires))
}

/// Prints the `ExecCredential` for `cluster_id`.
pub fn kube(ctx: &Context<'_>, cluster_id: &str, fresh: &Freshness) -> Result<()> {
    check_cluster_id(cluster_id)?;
    let api_version = requested_version(ctx.env.var("KUBERNETES_EXEC_INFO").as_deref())?;
    let mut cred = Credential::active(ctx, None)?;
    cred.ensure_fresh(ctx, fresh)?;
    let (token, expires) = oke_token(ctx, &cred, cluster_id)?;
    crate::output::print(&exec_credential::render(api_version, &token, expires))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(requested_version(None).unwrap(), V1BETA1);
        let v1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
        assert_eq!(requested_version(Some(v1)).unwrap(), V1);
        let b = r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{}}"#;
        assert_eq!(requested_version(Some(b)).unwrap(), V1BETA1);
        assert_eq!(
            requested_version(Some(
                r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#
            ))
            .unwrap_err()
            .exit_code(),
            3
        );
        assert!(requested_version(Some("nope")).is_err());
    }

    #[test]
    fn cluster_ids() {
        assert!(check_cluster_id("ocid1.cluster.oc1.iad.aaaa").is_ok());
        assert!(check_cluster_id("../x").is_err());
        assert!(check_cluster_id("").is_err());
    }
}
