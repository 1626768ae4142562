//! What `oci-token` reads from X.509 certificates (the instance-principal leaf and
//! intermediates from the metadata service): the DER, its SHA-256 fingerprint, and the
//! subject's attribute values, from which OCI's `opc-tenant:` names the tenancy.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::sha2::{Digest as _, Sha256};

/// The certificates in a PEM text, as DER, in order. Non-certificate blocks are skipped.
#[must_use]
pub fn certificates(pem: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body = &rest[start + 27..];
        let Some(end) = body.find("-----END CERTIFICATE-----") else {
            break;
        };
        let b64: String = body[..end].split_whitespace().collect();
        if let Ok(der) = STANDARD.decode(b64) {
            out.push(der);
        }
        rest = &body[end + 25..];
    }
    out
}

/// The base64 of the DER: the PEM without its BEGIN/END lines and line breaks, the form
/// the federation service takes.
#[must_use]
pub(crate) fn stripped(der: &[u8]) -> String {
    STANDARD.encode(der)
}

/// SHA-256 of the DER, lower-case hex pairs joined by `:` (the `fed-x509-sha256` keyId).
#[must_use]
pub(crate) fn sha256_fingerprint(der: &[u8]) -> String {
    let hex = crate::encoding::hex(&Sha256::digest(der), false);
    let pairs: Vec<&str> = (0..hex.len()).step_by(2).map(|i| &hex[i..i + 2]).collect();
    pairs.join(":")
}

/// The string values of the subject's attributes (`UTF8String`, `PrintableString`,
/// `TeletexString`, `IA5String`), in order, as the `x509-cert` crate decodes the certificate.
/// `None` when the DER is not a certificate.
#[must_use]
pub fn subject_values(der: &[u8]) -> Option<Vec<String>> {
    use der::{Decode as _, Tag, Tagged as _};
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let values = cert
        .tbs_certificate()
        .subject()
        .iter()
        .filter(|atv| {
            matches!(
                atv.value.tag(),
                Tag::Utf8String | Tag::PrintableString | Tag::TeletexString | Tag::Ia5String
            )
        })
        .filter_map(|atv| {
            std::str::from_utf8(atv.value.value())
                .ok()
                .map(str::to_owned)
        })
        .collect();
    Some(values)
}

/// The tenancy OCID a leaf certificate names: the subject value `opc-tenant:<ocid>` (the
/// Python SDK also accepts `opc-identity:`).
#[must_use]
pub fn tenancy(der: &[u8]) -> Option<String> {
    let values = subject_values(der)?;
    let find = |prefix: &str| {
        values
            .iter()
            .find_map(|v| v.strip_prefix(prefix).map(str::to_owned))
            .filter(|t| !t.is_empty())
    };
    find("opc-tenant:").or_else(|| find("opc-identity:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_certificate() {
        assert_eq!(subject_values(b""), None);
        assert_eq!(subject_values(&[0x30, 0x03, 0x30, 0x01, 0x00]), None);
        assert!(certificates("nothing").is_empty());
        assert_eq!(
            sha256_fingerprint(b""),
            "e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24:27:ae:41:e4:64:9b:93:4c:a4:95:99:1b:78:52:b8:55"
        );
    }
}
