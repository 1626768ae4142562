//! OCI request signing (draft-cavage-http-signatures-08 in the `Authorization` header).
//! Pure: the date is an argument, and nothing here does I/O.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::key::{SignError, SigningKey};

/// `x-content-sha256` of an empty body.
pub const EMPTY_BODY_SHA256: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

const GENERIC_HEADERS: &str = "date (request-target) host";
const BODY_HEADERS: &str =
    "date (request-target) host content-length content-type x-content-sha256";
/// The federation endpoint signs without `host` (the SDKs' `AuthTokenRequestSigner`).
const FEDERATION_BODY_HEADERS: &str =
    "date (request-target) content-length content-type x-content-sha256";

/// A request to sign. `target` is the path plus `?query` exactly as sent; `host` the URL
/// authority (with a non-default port).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub host: &'a str,
    pub date: &'a str,
    /// Body and content type, for POST, PUT and PATCH.
    pub body: Option<(&'a [u8], &'a str)>,
}

/// The headers to send, and the signing string they were signed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `(name, value)` in signing order, `authorization` last.
    pub headers: Vec<(&'static str, String)>,
    pub signing_string: String,
}

impl Signed {
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn is_body_method(method: &str) -> bool {
    matches!(
        method.to_ascii_uppercase().as_str(),
        "POST" | "PUT" | "PATCH"
    )
}

/// Standard base64 of SHA-256 over `body`.
#[must_use]
pub fn body_sha256(body: &[u8]) -> String {
    // ring's SHA-256 (assembly) rather than the portable one: bodies carry a session token.
    STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, body))
}

/// The signed headers (without `authorization`), the header list and the signing string.
#[must_use]
pub fn signing_string(req: &Request<'_>) -> (Vec<(&'static str, String)>, &'static str, String) {
    signing_string_for(req, false)
}

fn signing_string_for(
    req: &Request<'_>,
    federation: bool,
) -> (Vec<(&'static str, String)>, &'static str, String) {
    let mut headers = vec![("date", req.date.to_owned())];
    let target = format!("{} {}", req.method.to_ascii_lowercase(), req.target);
    let mut s = format!("date: {}\n(request-target): {target}", req.date);
    if !federation {
        let _ = write!(s, "\nhost: {}", req.host);
        headers.push(("host", req.host.to_owned()));
    }
    if !is_body_method(req.method) {
        return (headers, GENERIC_HEADERS, s);
    }
    let (body, ctype) = req.body.unwrap_or((b"", "application/json"));
    let digest = if body.is_empty() {
        EMPTY_BODY_SHA256.to_owned()
    } else {
        body_sha256(body)
    };
    let len = body.len().to_string();
    let _ = write!(
        s,
        "\ncontent-length: {len}\ncontent-type: {ctype}\nx-content-sha256: {digest}"
    );
    headers.push(("content-length", len));
    headers.push(("content-type", ctype.to_owned()));
    headers.push(("x-content-sha256", digest));
    let list = if federation {
        FEDERATION_BODY_HEADERS
    } else {
        BODY_HEADERS
    };
    (headers, list, s)
}

/// The `Authorization` value in the parameter order of the Python SDK and oci CLI.
#[must_use]
pub(crate) fn authorization(header_list: &str, key_id: &str, signature_b64: &str) -> String {
    format!(
        "Signature algorithm=\"rsa-sha256\",headers=\"{header_list}\",keyId=\"{key_id}\",signature=\"{signature_b64}\",version=\"1\""
    )
}

/// RSASSA-PKCS1-v1_5 / SHA-256 over `data`, standard base64.
pub(crate) fn rsa_sha256(key: &SigningKey, data: &[u8]) -> Result<String, SignError> {
    Ok(STANDARD.encode(key.sign_sha256(data)?))
}

/// Signs `req` with `key` under `key_id` (`ST$<token>` or `tenancy/user/fingerprint`).
pub fn sign(key: &SigningKey, key_id: &str, req: &Request<'_>) -> Result<Signed, SignError> {
    sign_for(key, key_id, req, false)
}

/// [`sign`] for the x509 federation endpoint: `host` is not signed (and, being a body
/// request, the list is `date (request-target) content-length content-type
/// x-content-sha256`).
pub(crate) fn sign_federation(
    key: &SigningKey,
    key_id: &str,
    req: &Request<'_>,
) -> Result<Signed, SignError> {
    sign_for(key, key_id, req, true)
}

fn sign_for(
    key: &SigningKey,
    key_id: &str,
    req: &Request<'_>,
    federation: bool,
) -> Result<Signed, SignError> {
    let (mut headers, list, signing_string) = signing_string_for(req, federation);
    let signature = rsa_sha256(key, signing_string.as_bytes())?;
    headers.push(("authorization", authorization(list, key_id, &signature)));
    Ok(Signed {
        headers,
        signing_string,
    })
}

/// Splits `https://host[:port]/path?query` into (authority, target); the target is `/`
/// when the URL has no path.
#[must_use]
pub fn split_url(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let i = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(i);
    let authority = authority.strip_suffix(":443").unwrap_or(authority);
    Some((authority, if target.is_empty() { "/" } else { target }))
}

/// An RFC 9110 IMF-fixdate (`Tue, 24 Nov 2026 03:01:07 GMT`).
#[must_use]
pub(crate) fn http_date(t: jiff::Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// What signs a request: the keyId and the private key.
pub(crate) struct Signer {
    pub key_id: crate::secret::Secret<String>,
    pub key: crate::crypto::key::SigningKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_split() {
        assert_eq!(
            split_url("https://a.b:8443/v1/x?y=1"),
            Some(("a.b:8443", "/v1/x?y=1"))
        );
        assert_eq!(split_url("https://a.b:443/v1"), Some(("a.b", "/v1")));
        assert_eq!(split_url("https://a.b"), Some(("a.b", "/")));
        assert_eq!(split_url("ftp://a"), None);
    }

    #[test]
    fn date_format() {
        let t: jiff::Timestamp = "2026-11-24T03:01:07Z".parse().unwrap();
        assert_eq!(http_date(t), "Tue, 24 Nov 2026 03:01:07 GMT");
    }
}
