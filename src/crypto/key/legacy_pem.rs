//! Legacy OpenSSL `Proc-Type: 4,ENCRYPTED` PEM: `DEK-Info: <cipher>,<iv hex>`, the key
//! derived with `EVP_BytesToKey(MD5, salt = first 8 bytes of the IV, count = 1)`, CBC mode
//! with PKCS#7 padding.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt as _, KeyIvInit as _};
use md5::{Digest as _, Md5};

use super::error::KeyError;

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one iteration.
fn bytes_to_key(pass: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    let mut prev: Vec<u8> = Vec::new();
    while out.len() < len {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(pass);
        h.update(salt);
        prev = h.finalize().to_vec();
        out.extend_from_slice(&prev);
    }
    out.truncate(len);
    out
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, KeyError>
where
    cbc::Decryptor<C>: cbc::cipher::KeyIvInit + cbc::cipher::BlockModeDecrypt,
    C: cbc::cipher::BlockCipherDecrypt,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| KeyError::Malformed("bad DEK-Info IV length".into()))?;
    let mut buf = data.to_vec();
    let n = dec
        .decrypt_padded::<Pkcs7>(&mut buf)
        .map_err(|_| KeyError::PassphraseWrong)?
        .len();
    buf.truncate(n);
    Ok(buf)
}

/// Decrypts the DER body of a legacy encrypted PEM.
pub(crate) fn decrypt(dek_info: &str, pass: &[u8], data: &[u8]) -> Result<Vec<u8>, KeyError> {
    let (cipher, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| KeyError::Malformed("DEK-Info without an IV".into()))?;
    let iv =
        hex(iv_hex.trim()).ok_or_else(|| KeyError::Malformed("DEK-Info IV is not hex".into()))?;
    if iv.len() < 8 {
        return Err(KeyError::Malformed("DEK-Info IV too short".into()));
    }
    let salt = &iv[..8];
    match cipher.trim().to_ascii_uppercase().as_str() {
        "AES-128-CBC" => cbc_decrypt::<aes::Aes128>(&bytes_to_key(pass, salt, 16), &iv, data),
        "AES-192-CBC" => cbc_decrypt::<aes::Aes192>(&bytes_to_key(pass, salt, 24), &iv, data),
        "AES-256-CBC" => cbc_decrypt::<aes::Aes256>(&bytes_to_key(pass, salt, 32), &iv, data),
        "DES-EDE3-CBC" => cbc_decrypt::<des::TdesEde3>(&bytes_to_key(pass, salt, 24), &iv, data),
        "DES-CBC" => cbc_decrypt::<des::Des>(&bytes_to_key(pass, salt, 8), &iv, data),
        other => Err(KeyError::Unsupported(format!(
            "legacy PEM cipher {other}; convert the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
        ))),
    }
}
