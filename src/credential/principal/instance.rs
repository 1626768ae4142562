//! The instance principal: the metadata service's certificate and key, federated at the
//! auth service's `/v1/x509` for a token bound to the entry's session key.

use super::shared::{auth_error, region_name_ok};
use crate::context::Context;
use crate::crypto::key::{self, SigningKey};
use crate::crypto::x509;
use crate::error::{Error, Result};
use crate::region;
use crate::secret::Secret;
use crate::services::auth::{self, AuthError};
use crate::services::http;
use crate::services::imds::Imds;

/// Metadata service, then `POST /v1/x509` signed with the leaf key; a 401 fetches the
/// certificates once more (they rotate) and tries again.
pub(crate) fn federate(
    ctx: &Context<'_>,
    imds_base: &str,
    region_slot: &mut Option<String>,
    session_key: &SigningKey,
) -> Result<Secret<String>> {
    let imds = Imds::new(imds_base.to_owned(), http::total_deadline(ctx.env));
    let off_oci = |e: String| {
        Error::Service(format!(
            "instance principal: the metadata service failed ({e}); instance principals work only on OCI compute instances (OCI_METADATA_BASE_URL overrides the address)"
        ))
    };
    if region_slot.is_none() {
        let r = imds.get("/instance/region").map_err(off_oci)?;
        let r = r.trim();
        if !region_name_ok(r) {
            return Err(Error::Service(format!(
                "instance principal: the metadata service's region is not a region name: {:?}",
                r.chars().take(40).collect::<String>()
            )));
        }
        *region_slot = Some(crate::region::resolve(r, ctx.env));
    }
    let region = region_slot.clone().unwrap_or_default();
    let url = match federation_override(ctx) {
        Some(u) => u,
        None => format!(
            "{}/v1/x509",
            region::endpoint("auth", "", &region, &region::sources(ctx.env))
        ),
    };
    let mut last = None;
    for round in 0..2 {
        // The re-read after a 401 gets a metadata deadline of its own (a slow 401 may
        // have used the first up), and if it still fails the 401 is what is reported.
        let fresh_imds;
        let imds = if round == 0 {
            &imds
        } else {
            fresh_imds = Imds::new(imds_base.to_owned(), http::total_deadline(ctx.env));
            &fresh_imds
        };
        let certs = match (fetch_certificates(imds), last.take()) {
            (Ok(c), _) => c,
            (Err(e), None) => return Err(off_oci(e)),
            (Err(_), Some(refused)) => {
                return Err(auth_error("instance principal federation", &url, refused));
            }
        };
        let body = auth::x509_body(
            &certs.leaf,
            &key::public_der(session_key),
            &certs.intermediates,
        )
        .map_err(|e| auth_error("instance principal federation", &url, e))?;
        let key_id = auth::x509_key_id(&certs.tenancy, &certs.leaf);
        let call = auth::Call {
            url: &url,
            key: &certs.key,
            key_id: &key_id,
            body: &body,
            federation: true,
        };
        match auth::post_for_token(&ctx.http(), &call, ctx.env, http::total_deadline(ctx.env)) {
            Ok(t) => return Ok(t),
            Err(e @ AuthError::Unauthorized(_)) => last = Some(e),
            Err(e) => return Err(auth_error("instance principal federation", &url, e)),
        }
    }
    Err(auth_error(
        "instance principal federation",
        &url,
        last.unwrap_or(AuthError::Unavailable(String::new())),
    ))
}

/// `OCI_CLI_FEDERATION_ENDPOINT` (a full URL, as the oci CLI takes it), else
/// `--auth-endpoint` / `OCI_TOKEN_AUTH_ENDPOINT` + `/v1/x509`.
pub(crate) fn federation_override(ctx: &Context<'_>) -> Option<String> {
    ctx.env.var("OCI_CLI_FEDERATION_ENDPOINT").or_else(|| {
        ctx.auth_endpoint
            .as_ref()
            .map(|b| format!("{}/v1/x509", b.trim_end_matches('/')))
    })
}

/// What the metadata service gives for federation.
struct Certificates {
    leaf: Vec<u8>,
    key: SigningKey,
    intermediates: Vec<Vec<u8>>,
    tenancy: String,
}

fn fetch_certificates(imds: &Imds) -> std::result::Result<Certificates, String> {
    let cert = imds.get("/identity/cert.pem")?;
    let key_pem = imds.get("/identity/key.pem")?;
    let inter = imds.get("/identity/intermediate.pem")?;
    let leaf = x509::certificates(&cert)
        .into_iter()
        .next()
        .ok_or("/identity/cert.pem holds no certificate")?;
    let tenancy = x509::tenancy(&leaf)
        .ok_or("the leaf certificate names no tenancy (no opc-tenant: in its subject)")?;
    if !tenancy
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
    {
        return Err("the leaf certificate's opc-tenant is not an OCID".into());
    }
    let key = key::load(&key_pem, None).map_err(|e| format!("/identity/key.pem: {e}"))?;
    Ok(Certificates {
        leaf,
        key,
        intermediates: x509::certificates(&inter),
        tenancy,
    })
}
