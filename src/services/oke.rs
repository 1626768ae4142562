//! The OKE cluster token `oci ce cluster generate-token` makes: a presigned
//! `GET https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster>` whose
//! `authorization` and `date` headers become query parameters, the whole URL then
//! base64url-encoded with padding. Pure: the key, keyId and date are arguments.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

use crate::crypto::key::SigningKey;
use crate::crypto::sign;
use crate::encoding::quote_plus;

/// How long the oci CLI says an OKE token is good for; kubectl re-execs after it.
pub(crate) const TOKEN_LIFETIME_SECS: i64 = 240;

/// `https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster>` (the domain
/// is fixed, as in the oci CLI).
#[must_use]
pub fn cluster_url(region_id: &str, cluster_id: &str) -> String {
    format!("https://containerengine.{region_id}.oraclecloud.com/cluster_request/{cluster_id}")
}

/// The presigned URL, before encoding.
pub fn token_url(
    key: &SigningKey,
    key_id: &str,
    url: &str,
    date: &str,
) -> Result<String, crate::crypto::key::SignError> {
    let (host, target) = sign::split_url(url).unwrap_or((url, "/"));
    let signed = sign::sign(
        key,
        key_id,
        &sign::Request {
            method: "GET",
            target,
            host,
            date,
            body: None,
        },
    )?;
    let auth = signed.header("authorization").unwrap_or_default();
    Ok(format!(
        "{url}?authorization={}&date={}",
        quote_plus(auth),
        quote_plus(date)
    ))
}

/// The OKE token: base64url with padding of the presigned URL.
pub fn token(
    key: &SigningKey,
    key_id: &str,
    url: &str,
    date: &str,
) -> Result<String, crate::crypto::key::SignError> {
    Ok(URL_SAFE.encode(token_url(key, key_id, url, date)?))
}
