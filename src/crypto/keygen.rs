//! New RSA-2048 key pairs, written the way the oci CLI writes them.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};

use crate::crypto::key::{self, SigningKey};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The label the oci CLI appends after a private key it writes (no trailing newline).
pub(crate) const KEY_LABEL: &str = "OCI_API_KEY";

/// A fresh key pair.
pub(crate) struct NewKey {
    /// PKCS#8 PEM, encrypted (PBES2, AES-256-CBC) when a passphrase was given.
    pub private_pem: Secret<String>,
    /// SPKI PEM with `\n` line ends and a final newline.
    pub public_pem: String,
    pub key: SigningKey,
}

/// Generates an RSA-2048 key pair (e = 65537).
pub(crate) fn generate(passphrase: Option<&Secret<String>>) -> Result<NewKey> {
    let mut rng = getrandom::SysRng;
    let private = rsa::PrivateKey::new(&mut rng, 2048)
        .map_err(|e| Error::Other(format!("key generation failed: {e}")))?;
    let plain = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| Error::Other(format!("key encoding failed: {e}")))?;
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::Other(format!("key encoding failed: {e}")))?;
    let key = key::load(&plain, None)
        .map_err(|e| Error::Other(format!("the new key does not load: {e}")))?;
    let private_pem = match passphrase {
        Some(p) => private
            .to_pkcs8_encrypted_pem(p.expose().as_bytes(), LineEnding::LF)
            .map_err(|e| Error::Other(format!("key encryption failed: {e}")))?
            .to_string(),
        None => plain.to_string(),
    };
    Ok(NewKey {
        private_pem: Secret::new(private_pem),
        public_pem,
        key,
    })
}

/// The `public_key` login parameter: base64url (padding kept) of the JWK JSON as Python's
/// `json.dumps` writes it: `{"kty": "RSA", "n": …, "e": …, "kid": "Ignored"}`.
#[must_use]
pub(crate) fn jwk_param(k: &SigningKey) -> String {
    let json = format!(
        "{{\"kty\": \"RSA\", \"n\": \"{}\", \"e\": \"{}\", \"kid\": \"Ignored\"}}",
        URL_SAFE_NO_PAD.encode(k.n()),
        URL_SAFE_NO_PAD.encode(k.e())
    );
    URL_SAFE.encode(json)
}

/// Writes `<dir>/<name>.pem` (with the label, 0600) and `<dir>/<name>_public.pem` (0600),
/// creating `dir` with mode 0700. Returns both paths.
pub(crate) fn write_pair(dir: &Path, name: &str, k: &NewKey) -> Result<(PathBuf, PathBuf)> {
    crate::sys::store::create_private_dir(dir)?;
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}_public.pem"));
    let io = |p: &Path, e: std::io::Error| Error::write(p, &e);
    let mut text = k.private_pem.expose().clone();
    text.push_str(KEY_LABEL);
    crate::sys::store::write_atomic(&private, text.as_bytes()).map_err(|e| io(&private, e))?;
    crate::sys::store::write_atomic(&public, k.public_pem.as_bytes())
        .map_err(|e| io(&public, e))?;
    Ok((private, public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip() {
        let pass = Secret::new("pw".to_owned());
        let k = generate(Some(&pass)).unwrap();
        assert!(
            k.private_pem
                .expose()
                .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
        );
        assert!(
            k.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n")
                && k.public_pem.ends_with("-----\n")
        );
        let back = key::load(k.private_pem.expose(), Some(&pass)).unwrap();
        assert_eq!(key::fingerprint(&back), key::fingerprint(&k.key));
        assert_eq!(k.key.n().len(), 256);
        let json = String::from_utf8(URL_SAFE.decode(jwk_param(&k.key)).unwrap()).unwrap();
        assert!(
            json.starts_with("{\"kty\": \"RSA\", \"n\": \"")
                && json.ends_with("\", \"e\": \"AQAB\", \"kid\": \"Ignored\"}")
        );
        assert_eq!(
            json.len(),
            396,
            "a 2048-bit key gives 396 bytes, as the spec says"
        );
    }
}
