//! Private keys: PEM detection, PKCS#1, PKCS#8, encrypted PKCS#8 and legacy
//! `Proc-Type: 4,ENCRYPTED` PEM; the fingerprint; the check against a token's `jwk`.

mod error;
mod legacy_pem;

pub use error::KeyError;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use md5::{Digest as _, Md5};
use rsa::PrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;

use crate::secret::Secret;

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

/// Signing failed (a broken key or no randomness for blinding). Never an empty signature:
/// the service would answer 401 and the user would be told to log in again for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the private key could not sign the request")]
pub struct SignError;

/// A loaded private key. Signing uses ring (fast, constant-time) for the key sizes it
/// accepts (2048 bits and up, which OCI requires); smaller keys, such as the 1024-bit test
/// key of the OCI signing documentation, fall back to the pure-Rust `rsa` crate. Both give
/// the same deterministic RSASSA-PKCS1-v1_5 signature.
pub struct SigningKey {
    backend: Backend,
    n: Vec<u8>,
    e: Vec<u8>,
}

enum Backend {
    Ring(Box<ring::signature::RsaKeyPair>),
    Rsa(Box<PrivateKey>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(REDACTED)")
    }
}

impl SigningKey {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over `data`.
    pub fn sign_sha256(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.backend {
            Backend::Ring(kp) => {
                let mut sig = vec![0u8; kp.public().modulus_len()];
                let rng = ring::rand::SystemRandom::new();
                kp.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, data, &mut sig)
                    .map_err(|_| SignError)?;
                Ok(sig)
            }
            Backend::Rsa(k) => {
                use rsa::pkcs1v15::Pkcs1v15Sign;
                use rsa::sha2::{Digest as _, Sha256};
                let digest = Sha256::digest(data);
                k.sign_with_rng(
                    &mut getrandom::SysRng,
                    Pkcs1v15Sign::new::<Sha256>(),
                    &digest,
                )
                .or_else(|_| k.sign(Pkcs1v15Sign::new::<Sha256>(), &digest))
                .map_err(|_| SignError)
            }
        }
    }

    /// The modulus, unsigned big-endian without leading zeros.
    #[must_use]
    pub fn n(&self) -> &[u8] {
        &self.n
    }

    /// The public exponent, unsigned big-endian without leading zeros.
    #[must_use]
    pub fn e(&self) -> &[u8] {
        &self.e
    }
}

/// Which DER form a decoded key is in.
enum Der {
    Pkcs1(Vec<u8>),
    Pkcs8(Vec<u8>),
}

/// Loads an RSA private key from PEM text. A passphrase given for an unencrypted key is
/// ignored, as the Python SDK does.
/// Most PBKDF2 iterations an encrypted key may ask for: openssl uses 2,048 and current
/// advice is about 600,000; 2^31 would keep every command busy for minutes.
pub(crate) const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// Most scrypt work (N·r·p) an encrypted key may ask for: 2^21 (256 MiB); openssl and
/// `setup-key` use N=16384, r=8, p=1 (2^17).
const MAX_SCRYPT_WORK: u128 = 1 << 21;

/// [`load`] from the bytes of a key file: PEM text; binary DER gets its own message.
pub fn load_bytes(
    bytes: &[u8],
    passphrase: Option<&Secret<String>>,
) -> Result<SigningKey, KeyError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => load(text, passphrase),
        Err(_) if bytes.first() == Some(&0x30) => Err(KeyError::Der),
        Err(_) => Err(KeyError::NotPem),
    }
}

/// Refuses key-derivation parameters that would take minutes (or gigabytes) to run.
fn check_kdf_cost(info: &rsa::pkcs8::EncryptedPrivateKeyInfoRef<'_>) -> Result<(), KeyError> {
    use rsa::pkcs8::pkcs5::{EncryptionScheme, pbes2::Kdf};
    if let EncryptionScheme::Pbes2(params) = &info.encryption_algorithm {
        match &params.kdf {
            Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => {
                return Err(KeyError::Unsupported(format!(
                    "the key asks for {} PBKDF2 iterations (at most {MAX_PBKDF2_ITERATIONS}); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                    p.iteration_count
                )));
            }
            Kdf::Pbkdf2(_) => {}
            Kdf::Scrypt(p) => {
                // Work and memory grow with N·r·p (128 bytes each): at most 256 MiB.
                let work = u128::from(p.cost_parameter)
                    * u128::from(p.block_size)
                    * u128::from(p.parallelization.max(1));
                if work > MAX_SCRYPT_WORK {
                    return Err(KeyError::Unsupported(format!(
                        "the key asks for scrypt with N={} r={} p={} (too costly); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                        p.cost_parameter, p.block_size, p.parallelization
                    )));
                }
            }
            _ => {
                return Err(KeyError::Unsupported(
                    "this key derivation; convert the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc`".into(),
                ));
            }
        }
    }
    Ok(())
}

pub fn load(text: &str, passphrase: Option<&Secret<String>>) -> Result<SigningKey, KeyError> {
    let pem = parse_pem(text)?;
    let pass = passphrase.map(|p| p.expose().as_bytes());
    let (der, encrypted) = match pem.label {
        "RSA PRIVATE KEY" => {
            let encrypted = pem
                .headers
                .iter()
                .any(|(k, v)| *k == "Proc-Type" && v.contains("ENCRYPTED"));
            if encrypted {
                let dek = pem
                    .headers
                    .iter()
                    .find(|(k, _)| *k == "DEK-Info")
                    .map(|(_, v)| *v)
                    .ok_or_else(|| {
                        KeyError::Malformed("Proc-Type ENCRYPTED without DEK-Info".into())
                    })?;
                let pass = pass.ok_or(KeyError::PassphraseMissing)?;
                (Der::Pkcs1(legacy_pem::decrypt(dek, pass, &pem.der)?), true)
            } else {
                (Der::Pkcs1(pem.der), false)
            }
        }
        "PRIVATE KEY" => (Der::Pkcs8(pem.der), false),
        "ENCRYPTED PRIVATE KEY" => {
            let pass = pass.ok_or(KeyError::PassphraseMissing)?;
            if !contains(&pem.der, PBES2_OID) {
                return Err(KeyError::Unsupported(
                    "PBES1/PKCS#12 key encryption; convert the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc`".into(),
                ));
            }
            let info = rsa::pkcs8::EncryptedPrivateKeyInfoRef::try_from(pem.der.as_slice())
                .map_err(|_| KeyError::Malformed("not an encrypted PKCS#8 key".into()))?;
            check_kdf_cost(&info)?;
            let doc = info.decrypt(pass).map_err(|e| match e {
                rsa::pkcs8::Error::EncryptedPrivateKey(rsa::pkcs8::pkcs5::Error::UnsupportedAlgorithm { .. }) => {
                    KeyError::Unsupported(
                        "this PBES2 cipher or PRF; convert the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc`".into(),
                    )
                }
                _ => KeyError::PassphraseWrong,
            })?;
            (Der::Pkcs8(doc.as_bytes().to_vec()), true)
        }
        other => {
            return Err(KeyError::Unsupported(format!(
                "'{other}' (OCI keys are RSA)"
            )));
        }
    };
    from_der(&der).map_err(|e| {
        if encrypted {
            KeyError::PassphraseWrong
        } else {
            e
        }
    })
}

fn from_der(der: &Der) -> Result<SigningKey, KeyError> {
    let ring_key = match der {
        Der::Pkcs1(d) => ring::signature::RsaKeyPair::from_der(d),
        Der::Pkcs8(d) => ring::signature::RsaKeyPair::from_pkcs8(d),
    };
    if let Ok(kp) = ring_key
        && let Some((n, e)) = parse_rsa_public_key(kp.public().as_ref())
    {
        return Ok(SigningKey {
            n: strip_zeros(&n).to_vec(),
            e: strip_zeros(&e).to_vec(),
            backend: Backend::Ring(Box::new(kp)),
        });
    }
    let k = match der {
        Der::Pkcs1(d) => PrivateKey::from_pkcs1_der(d)
            .map_err(|_| KeyError::Malformed("not a PKCS#1 RSA key".into()))?,
        Der::Pkcs8(d) => PrivateKey::from_pkcs8_der(d).map_err(|e| pkcs8_error(&e))?,
    };
    Ok(SigningKey {
        n: strip_zeros(&k.n_bytes()).to_vec(),
        e: strip_zeros(&k.e_bytes()).to_vec(),
        backend: Backend::Rsa(Box::new(k)),
    })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` → (n, e), by
/// the `pkcs1` crate.
fn parse_rsa_public_key(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use der::Decode as _;
    let k = pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(der).ok()?;
    Some((
        k.modulus.as_bytes().to_vec(),
        k.public_exponent.as_bytes().to_vec(),
    ))
}

/// The DER `SubjectPublicKeyInfo` of the key's public half (rsaEncryption, NULL
/// parameters), encoded by the `spki` and `pkcs1` crates.
#[must_use]
pub(crate) fn public_der(key: &SigningKey) -> Vec<u8> {
    use der::Encode as _;
    let encode = || -> der::Result<Vec<u8>> {
        let rsa = pkcs1::RsaPublicKey {
            modulus: der::asn1::UintRef::new(&key.n)?,
            public_exponent: der::asn1::UintRef::new(&key.e)?,
        }
        .to_der()?;
        spki::SubjectPublicKeyInfoRef {
            algorithm: pkcs1::ALGORITHM_ID,
            subject_public_key: der::asn1::BitStringRef::from_bytes(&rsa)?,
        }
        .to_der()
    };
    // Lengths of a few hundred bytes always encode.
    encode().unwrap_or_default()
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

/// The OCI fingerprint: MD5 of the DER `SubjectPublicKeyInfo`, lower-case hex pairs joined by `:`.
#[must_use]
pub fn fingerprint(key: &SigningKey) -> String {
    fingerprint_of_der(&public_der(key))
}

/// The fingerprint of a DER `SubjectPublicKeyInfo`.
#[must_use]
pub(crate) fn fingerprint_of_der(spki: &[u8]) -> String {
    let hex = crate::encoding::hex(&Md5::digest(spki), false);
    let pairs: Vec<&str> = (0..hex.len()).step_by(2).map(|i| &hex[i..i + 2]).collect();
    pairs.join(":")
}

/// The fingerprint of a `PUBLIC KEY` (SPKI) PEM, or `None` if it is not one.
#[must_use]
pub fn public_pem_fingerprint(pem: &str) -> Option<String> {
    let p = parse_pem(pem).ok()?;
    (p.label == "PUBLIC KEY").then(|| fingerprint_of_der(&p.der))
}

/// Whether the key's public half is the one a token's `jwk` names (`n` and `e`,
/// base64url, compared as unsigned big-endian integers).
#[must_use]
pub fn matches_jwk(key: &SigningKey, n_b64: &str, e_b64: &str) -> bool {
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
    match (decode(n_b64), decode(e_b64)) {
        (Some(n), Some(e)) => strip_zeros(&n) == key.n() && strip_zeros(&e) == key.e(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS1: &str = include_str!("../../tests/data/keys/pkcs1.pem");
    const PKCS8: &str = include_str!("../../tests/data/keys/pkcs8.pem");

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
        assert_eq!(a.n(), b.n());
        assert!(
            matches!(a.backend, Backend::Ring(_)),
            "2048-bit keys sign with ring"
        );
    }

    #[test]
    fn ring_and_rsa_backends_sign_identically() {
        let ring_key = load(PKCS1, None).unwrap();
        let pem = parse_pem(PKCS1).unwrap();
        let k = PrivateKey::from_pkcs1_der(&pem.der).unwrap();
        let rsa_key = SigningKey {
            n: ring_key.n.clone(),
            e: ring_key.e.clone(),
            backend: Backend::Rsa(Box::new(k)),
        };
        let msg = b"date: Thu, 05 Jan 2014 21:31:40 GMT";
        assert_eq!(ring_key.sign_sha256(msg), rsa_key.sign_sha256(msg));
        assert_eq!(ring_key.sign_sha256(msg).unwrap().len(), 256);
    }

    #[test]
    fn spki_matches_openssl() {
        let k = load(PKCS1, None).unwrap();
        let pem = include_str!("../../tests/data/keys/public.pem");
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(public_der(&k), STANDARD.decode(body).unwrap());
    }

    #[test]
    fn not_pem() {
        assert_eq!(load("hello", None).unwrap_err(), KeyError::NotPem);
    }
}
