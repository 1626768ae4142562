//! Why a key could not be loaded.

/// Why a key could not be loaded. The caller adds the file name and the next action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM private key")]
    NotPem,
    /// Binary DER where PEM text was expected.
    #[error(
        "the key is binary DER, not PEM; convert it with `openssl pkey -inform DER -in KEY -out KEY.pem`"
    )]
    Der,
    #[error("unsupported key format: {0}")]
    Unsupported(String),
    #[error(
        "the key is encrypted and no passphrase is set (set pass_phrase in the profile or OCI_CLI_PASSPHRASE)"
    )]
    PassphraseMissing,
    #[error("the passphrase does not decrypt the key (check pass_phrase or OCI_CLI_PASSPHRASE)")]
    PassphraseWrong,
    #[error("malformed key: {0}")]
    Malformed(String),
}
