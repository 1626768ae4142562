//! OKE tokens (`kube`, Terraform's `oke_token`), kept in the one token cache.
//!
//! Every kubectl process execs `oci-token kube`, and an OKE token costs one RSA signature
//! (11 M instructions, some 27 times the 0.41 M of serving a cached token). A token is
//! therefore cached:
//!
//! - the entry, `kube-<hash>`, is one per cluster, region (whose endpoint the token names)
//!   and credential ([`Credential::identity`]: the profile and config file, or the
//!   principal), so entries do not pile up as sessions are refreshed;
//! - the token in it carries the SHA-256 of its signing identity
//!   ([`Credential::signing_identity`]: the auth mode, the `keyId`, which for sessions and
//!   principals is the token itself, and where the key comes from), and is served only to
//!   that identity. After a refresh, a new login or a new key, the token is signed again
//!   and replaces the old one: a token is never served to an identity that did not sign it.
//!
//! A cached token is served while at least [`MARGIN`] of its 4 minutes is left, so kubectl
//! (which re-execs the plugin when `expirationTimestamp` passes) always gets a minute or
//! more; after that it is signed again under the entry's lock. A cache that cannot be
//! opened or made (a read-only home, a root another user owns) is left alone and the token
//! signed for the call, with a warning: `kube` never fails for want of a cache.

use jiff::{SignedDuration, Timestamp};

use crate::context::Context;
use crate::credential::cache::{self, Provider};
use crate::credential::{Credential, Policy};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// A cached OKE token is served while it has at least this long left.
pub(crate) const MARGIN: SignedDuration = SignedDuration::from_mins(1);

/// An OKE token and when to stop using it.
#[derive(Debug)]
pub(crate) struct OkeToken {
    pub token: Secret<String>,
    pub signed_at: Timestamp,
    pub expires_at: Timestamp,
}

/// The cache entry for `cluster` in `region`, for the credential `identity`.
fn entry_name(cluster: &str, region: &str, identity: &str) -> String {
    cache::entry_name("kube", &[cluster, region, identity])
}

/// What a cached token must carry to be served to `signing_identity`.
fn signer_digest(cluster: &str, region: &str, signing_identity: &str) -> String {
    cache::digest("kube-signer", &[cluster, region, signing_identity])
}

/// An OKE token is base64url text (a presigned URL), at most 64 KiB.
fn plausible(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 64 << 10
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
}

/// The token in `bytes` if it was signed by `signer` (a [`signer_digest`]).
fn decode(bytes: &[u8], signer: &str) -> Option<OkeToken> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if v.get("signer")?.as_str()? != signer {
        return None;
    }
    let token = v.get("token")?.as_str()?;
    let at = |k: &str| Timestamp::from_second(v.get(k)?.as_i64()?).ok();
    let (signed_at, expires_at) = (at("signed_at")?, at("expires_at")?);
    // A token lives 4 minutes from its signature; a longer life was not written by us.
    let lives = expires_at.duration_since(signed_at);
    let life_ok = lives >= SignedDuration::ZERO && lives <= LIFETIME;
    (plausible(token) && life_ok).then(|| OkeToken {
        token: Secret::new(token.to_owned()),
        signed_at,
        expires_at,
    })
}

/// How long an OKE token is good for, as the oci CLI says.
const LIFETIME: SignedDuration =
    SignedDuration::from_secs(crate::services::oke::TOKEN_LIFETIME_SECS);

/// The OKE token's part of the cache loop: "fetching" is signing.
struct Signing<'a, 'c> {
    ctx: &'a Context<'c>,
    cred: &'a Credential,
    cluster: &'a str,
    /// The region id the token names.
    region: &'a str,
    signer: String,
}

impl Signing<'_, '_> {
    /// A new OKE token for the cluster, signed by the (fresh) credential now; it ends in 4
    /// minutes, but never after the credential itself.
    fn sign(&self) -> Result<OkeToken> {
        // An unknown region is refused before signing (not on the cached path: it reads
        // the region table).
        let sources = crate::region::sources(self.ctx.env);
        if !crate::region::plausible(self.region, &sources) {
            return Err(crate::region::unknown(
                self.cred.require_region()?,
                &sources,
            ));
        }
        let signer = self.cred.signer()?;
        let now = self.ctx.env.now();
        let url = crate::services::oke::cluster_url(self.region, self.cluster);
        let token = crate::services::oke::token(
            &signer.key,
            signer.key_id.expose(),
            &url,
            &crate::crypto::sign::http_date(now),
        )
        .map_err(|e| {
            Error::Config(format!(
                "signing the OKE token as '{}': {e}",
                self.cred.name()
            ))
        })?;
        let ends = self
            .cred
            .expires_at()
            .map_or(now + LIFETIME, |exp| exp.min(now + LIFETIME));
        Ok(OkeToken {
            token: Secret::new(token),
            signed_at: now,
            expires_at: ends,
        })
    }
}

impl Provider for Signing<'_, '_> {
    type Item = OkeToken;

    fn decode(&self, read: std::io::Result<Vec<u8>>) -> Result<Option<OkeToken>> {
        Ok(read.ok().and_then(|b| decode(&b, &self.signer)))
    }

    fn encode(&self, t: &OkeToken) -> Result<Vec<u8>> {
        Ok(serde_json::json!({
            "signer": self.signer,
            "token": t.token.expose(),
            "signed_at": t.signed_at.as_second(),
            "expires_at": t.expires_at.as_second(),
        })
        .to_string()
        .into_bytes())
    }

    fn claims(&self, t: &OkeToken) -> crate::token::Claims {
        crate::token::Claims::expiring(t.expires_at, Some(t.signed_at))
    }

    fn fetch(&mut self, _: Option<&OkeToken>, _: bool) -> Result<OkeToken> {
        self.sign()
    }
}

/// An OKE token for `cluster`, signed by `cred` (already made fresh): the cached one while
/// it has [`MARGIN`] left, else a new signature, written to the cache.
pub(crate) fn token(ctx: &Context<'_>, cred: &Credential, cluster: &str) -> Result<OkeToken> {
    let region = crate::region::resolve(cred.require_region()?, ctx.env);
    let name = entry_name(cluster, &region, &cred.identity());
    let signer = signer_digest(cluster, &region, cred.signing_identity()?.expose());
    let mut signing = Signing {
        ctx,
        cred,
        cluster,
        region: &region,
        signer,
    };
    // A cache that cannot be used (a read-only home, a root another user owns) is not
    // read or written; the token is signed for this call alone, as before there was a
    // cache, and the warning says why.
    let slot = match cache::made_entry(ctx.env, &name).and_then(|e| e.file("token")) {
        Ok(slot) => slot,
        Err(e) => {
            crate::output::warn(&format!(
                "the OKE token is not cached ({e}); signing one for every call"
            ));
            return signing.sign();
        }
    };
    let policy = Policy {
        window: MARGIN,
        min_valid: MARGIN,
        force: false,
    };
    let out = cache::ensure(
        &slot,
        &mut signing,
        &policy,
        &|| ctx.env.now(),
        SignedDuration::from_secs(10),
    )?;
    Ok(out.item)
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "ocid1.cluster.oc1.iad.a";
    const R: &str = "us-ashburn-1";

    /// Signing identities that must never share a token: a token signed by one row is
    /// served to that row only.
    const SIGNERS: [(&str, &str, &str); 11] = [
        (C, R, "security_token\0ST$t1\0/k"),
        ("ocid1.cluster.oc1.iad.b", R, "security_token\0ST$t1\0/k"),
        (C, "eu-frankfurt-1", "security_token\0ST$t1\0/k"),
        // A refreshed session, or a new login into the same profile.
        (C, R, "security_token\0ST$t2\0/k"),
        (C, R, "security_token\0ST$t1\0/k2"),
        (C, R, "api_key\0ten/usr/aa:bb\0/k"),
        (C, R, "api_key\0ten/usr/aa:bc\0/k"),
        (C, R, "api_key\0ten/usr2/aa:bb\0/k"),
        (C, R, "instance_principal\0ST$p\0instance\0instance-1"),
        (C, R, "oke_workload_identity\0ST$p\0oke\0oke-1"),
        // Parts cannot run into each other.
        (
            "ocid1.cluster.oc1.iad.a\0us",
            "ashburn-1",
            "security_token\0ST$t1\0/k",
        ),
    ];

    fn cached_for(signer: &str) -> Vec<u8> {
        format!(
            r#"{{"signer":"{signer}","token":"aHR0cHM6Ly9h","signed_at":100,"expires_at":340}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_token_is_served_to_the_identity_that_signed_it_and_no_other() {
        let digests: Vec<String> = SIGNERS
            .iter()
            .map(|(c, r, i)| signer_digest(c, r, i))
            .collect();
        for (a, da) in digests.iter().enumerate() {
            let bytes = cached_for(da);
            for (b, db) in digests.iter().enumerate() {
                assert_eq!(
                    decode(&bytes, db).is_some(),
                    a == b,
                    "signed by {:?}, asked by {:?}",
                    SIGNERS[a],
                    SIGNERS[b]
                );
            }
        }
    }

    #[test]
    fn entries_are_per_cluster_region_and_credential() {
        let names: std::collections::HashSet<_> = [
            (C, R, "security_token\0/c\0p"),
            ("ocid1.cluster.oc1.iad.b", R, "security_token\0/c\0p"),
            (C, "eu-frankfurt-1", "security_token\0/c\0p"),
            (C, R, "security_token\0/c\0q"),
            (C, R, "api_key\0/c\0p"),
            (C, R, "instance_principal\0instance-1"),
        ]
        .iter()
        .map(|(c, r, i)| entry_name(c, r, i))
        .collect();
        assert_eq!(names.len(), 6);
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("kube-") && n.len() == 21)
        );
    }

    #[test]
    fn cached_bytes_are_checked() {
        let t = decode(&cached_for("s"), "s").unwrap();
        assert_eq!(t.expires_at.as_second(), 340);
        for bad in [
            r#"{"signer":"s","token":"a b","signed_at":100,"expires_at":340}"#,
            r#"{"signer":"s","token":"","signed_at":100,"expires_at":340}"#,
            r#"{"signer":"s","token":"a\n","signed_at":100,"expires_at":340}"#,
            r#"{"signer":"s","token":"a","signed_at":400,"expires_at":340}"#,
            // Longer than the 4 minutes an OKE token lives: not ours.
            r#"{"signer":"s","token":"a","signed_at":100,"expires_at":341}"#,
            r#"{"signer":"s","token":"a","signed_at":100,"expires_at":99999999}"#,
            r#"{"signer":"s","token":"a","expires_at":340}"#,
            r#"{"signer":"s","token":1,"signed_at":100,"expires_at":340}"#,
            r#"{"token":"a","signed_at":100,"expires_at":340}"#,
            "[]",
            "",
        ] {
            assert!(decode(bad.as_bytes(), "s").is_none(), "{bad}");
        }
    }
}
