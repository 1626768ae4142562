//! `oci-token kube`: a kubectl exec credential plugin that signs OKE tokens natively.

use crate::context::Context;
use crate::credential::{Credential, Freshness};
use crate::error::{Error, Result};
use crate::output::exec_credential;

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

/// Prints the `ExecCredential` for `cluster_id`, with a cached token while it has a minute
/// left (see [`crate::credential::oke`]).
pub(crate) fn kube(ctx: &Context<'_>, cluster_id: &str, fresh: &Freshness) -> Result<()> {
    check_cluster_id(cluster_id)?;
    let api_version =
        exec_credential::requested_version(ctx.env.var("KUBERNETES_EXEC_INFO").as_deref())?;
    let mut cred = Credential::active(ctx, None)?;
    cred.ensure_fresh(ctx, fresh)?;
    let oke = crate::credential::oke::token(ctx, &cred, cluster_id)?;
    crate::output::print(&exec_credential::render(
        api_version,
        &oke.token,
        oke.expires_at,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ids() {
        assert!(check_cluster_id("ocid1.cluster.oc1.iad.aaaa").is_ok());
        assert!(check_cluster_id("../x").is_err());
        assert!(check_cluster_id("").is_err());
    }
}
