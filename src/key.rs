//! Private keys: PEM detection, PKCS#1, PKCS#8, encrypted PKCS#8 and legacy
//! `Proc-Type: 4,ENCRYPTED` PEM; the fingerprint; the check against a token's `jwk`.

mod legacy_pem;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use md5::{Digest as _, Md5};
use rsa::PrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
use rsa::traits::PublicKeyParts as _;

use crate::secret::Secret;

/// Why a key could not be loaded. The caller adds the file name and the next action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    NotPem,
    Unsupported(String),
    PassphraseMissing,
    PassphraseWrong,
    Malformed(String),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::NotPem => f.write_str("not a PEM private key"),
            KeyError::Unsupported(what) => write!(f, "unsupported key format: {what}"),
            KeyError::PassphraseMissing => f.write_str(
                "the key is encrypted and no passphrase is set (set pass_phrase in the profile or OCI_CLI_PASSPHRASE)",
            ),
            KeyError::PassphraseWrong => f.write_str(
                "the passphrase does not decrypt the key (check pass_phrase or OCI_CLI_PASSPHRASE)",
            ),
            KeyError::Malformed(what) => write!(f, "malformed key: {what}"),
        }
    }
}

/// One PEM block: its label, its RFC 1421 headers and its decoded body.
struct Pem<'a> {
    label: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    der: Vec<u8>,
}

/// Finds the first PEM block in `text`; anything after its END line (such as the
/// `OCI_API_KEY` label the oci CLI appends) is ignored.
fn parse_pem(text: &str) -> Result<Pem<'_>, KeyError> {
    let start = text.find("-----BEGIN ").ok_or(KeyError::NotPem)?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----").ok_or(KeyError::NotPem)?;
    let label = &rest[..label_end];
    let body = &rest[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let end = body.find(&end_marker).ok_or(KeyError::NotPem)?;
    let body = &body[..end];
    let mut headers = Vec::new();
    let mut b64 = String::with_capacity(body.len());
    for line in body.lines() {
        let line = line.trim();
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim(), v.trim()));
        } else {
            b64.push_str(line);
        }
    }
    let der = STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| KeyError::Malformed("the PEM body is not valid base64".into()))?;
    Ok(Pem {
        label,
        headers,
        der,
    })
}

/// Loads an RSA private key from PEM text. A passphrase given for an unencrypted key is
/// ignored, as the Python SDK does.
pub fn load(text: &str, passphrase: Option<&Secret<String>>) -> Result<PrivateKey, KeyError> {
    let pem = parse_pem(text)?;
    let pass = passphrase.map(|p| p.expose().as_bytes());
    match pem.label {
        "RSA PRIVATE KEY" => {
            let encrypted = pem
                .headers
                .iter()
                .any(|(k, v)| *k == "Proc-Type" && v.contains("ENCRYPTED"));
            let der = if encrypted {
                let dek = pem
                    .headers
                    .iter()
                    .find(|(k, _)| *k == "DEK-Info")
                    .map(|(_, v)| *v)
                    .ok_or_else(|| {
                        KeyError::Malformed("Proc-Type ENCRYPTED without DEK-Info".into())
                    })?;
                let pass = pass.ok_or(KeyError::PassphraseMissing)?;
                legacy_pem::decrypt(dek, pass, &pem.der)?
            } else {
                pem.der
            };
            PrivateKey::from_pkcs1_der(&der).map_err(|_| {
                if encrypted {
                    KeyError::PassphraseWrong
                } else {
                    KeyError::Malformed("not a PKCS#1 RSA key".into())
                }
            })
        }
        "PRIVATE KEY" => PrivateKey::from_pkcs8_der(&pem.der).map_err(|e| pkcs8_error(&e)),
        "ENCRYPTED PRIVATE KEY" => {
            let pass = pass.ok_or(KeyError::PassphraseMissing)?;
            if !contains(&pem.der, PBES2_OID) {
                return Err(KeyError::Unsupported(
                    "PBES1/PKCS#12 key encryption; convert the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc`".into(),
                ));
            }
            PrivateKey::from_pkcs8_encrypted_der(&pem.der, pass).map_err(|e| match e {
                rsa::pkcs8::Error::EncryptedPrivateKey(rsa::pkcs8::pkcs5::Error::UnsupportedAlgorithm { .. }) => {
                    KeyError::Unsupported(
                        "this PBES2 cipher or PRF; convert the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc`".into(),
                    )
                }
                _ => KeyError::PassphraseWrong,
            })
        }
        other => Err(KeyError::Unsupported(format!(
            "'{other}' (OCI keys are RSA)"
        ))),
    }
}

/// DER of the PBES2 OID 1.2.840.113549.1.5.13.
const PBES2_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
];

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn pkcs8_error(e: &rsa::pkcs8::Error) -> KeyError {
    match e {
        rsa::pkcs8::Error::KeyMalformed(_) | rsa::pkcs8::Error::Asn1(_) => {
            KeyError::Malformed("not a PKCS#8 key".into())
        }
        _ => KeyError::Unsupported("not an RSA key (OCI keys are RSA)".into()),
    }
}

/// The DER `SubjectPublicKeyInfo` of the key's public half.
#[must_use]
pub fn public_der(key: &PrivateKey) -> Vec<u8> {
    key.to_public_key()
        .to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default()
}

/// The OCI fingerprint: MD5 of the DER `SubjectPublicKeyInfo`, lower-case hex pairs joined by `:`.
#[must_use]
pub fn fingerprint(key: &PrivateKey) -> String {
    let digest = Md5::digest(public_der(key));
    let hex = crate::http::hex(&digest, false);
    let pairs: Vec<&str> = (0..hex.len()).step_by(2).map(|i| &hex[i..i + 2]).collect();
    pairs.join(":")
}

/// Whether the key's public half is the one a token's `jwk` names (`n` and `e`,
/// base64url, compared as unsigned big-endian integers).
#[must_use]
pub fn matches_jwk(key: &PrivateKey, n_b64: &str, e_b64: &str) -> bool {
    fn strip(b: &[u8]) -> &[u8] {
        let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        &b[i..]
    }
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
    match (decode(n_b64), decode(e_b64)) {
        (Some(n), Some(e)) => {
            strip(&n) == strip(&key.n_bytes()) && strip(&e) == strip(&key.e_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS1: &str = include_str!("../tests/data/keys/pkcs1.pem");
    const PKCS8: &str = include_str!("../tests/data/keys/pkcs8.pem");

    #[test]
    fn label_after_end_is_ignored() {
        let with_label = format!("{PKCS8}OCI_API_KEY");
        let a = load(PKCS8, None).unwrap();
        let b = load(&with_label, None).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn pkcs1_and_pkcs8_are_the_same_key() {
        let a = load(PKCS1, None).unwrap();
        let b = load(PKCS8, None).unwrap();
        assert_eq!(a.n_bytes(), b.n_bytes());
    }

    #[test]
    fn not_pem() {
        assert_eq!(load("hello", None).unwrap_err(), KeyError::NotPem);
    }
}
