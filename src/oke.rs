//! The OKE cluster token `oci ce cluster generate-token` makes: a presigned
//! `GET https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster>` whose
//! `authorization` and `date` headers become query parameters, the whole URL then
//! base64url-encoded with padding. Pure: the key, keyId and date are arguments.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

use crate::key::SigningKey;
use crate::sign;

/// How long the oci CLI says an OKE token is good for; kubectl re-execs after it.
pub const TOKEN_LIFETIME_SECS: i64 = 240;

/// `https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster>` (the domain
/// is fixed, as in the oci CLI).
#[must_use]
pub fn cluster_url(region_id: &str, cluster_id: &str) -> String {
    format!("https://containerengine.{region_id}.oraclecloud.com/cluster_request/{cluster_id}")
}

/// Python's `urllib.parse.quote_plus`: unreserved characters kept, space as `+`, the rest
/// percent-encoded with upper-case hex.
#[must_use]
pub fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// The presigned URL, before encoding.
pub fn token_url(
    key: &SigningKey,
    key_id: &str,
    url: &str,
    date: &str,
) -> Result<String, crate::key::SignError> {
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
) -> Result<String, crate::key::SignError> {
    Ok(URL_SAFE.encode(token_url(key, key_id, url, date)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(
            quote_plus("a b=\"c\",d/e:f(g)+h$i~j"),
            "a+b%3D%22c%22%2Cd%2Fe%3Af%28g%29%2Bh%24i~j"
        );
    }
}
