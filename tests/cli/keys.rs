//! Every key form the Go SDK accepts, made with openssl (tests/data/keys/make-keys.sh).

use oci_token::key::{self, KeyError};
use oci_token::secret::Secret;

use crate::support::data;

fn read(name: &str) -> String {
    std::fs::read_to_string(data(&format!("keys/{name}"))).unwrap()
}

fn fp() -> String {
    read("fingerprint.txt").trim().to_owned()
}

#[test]
fn every_supported_form_gives_the_same_key() {
    let pass = Secret::new("test-pass".to_owned());
    for name in [
        "pkcs1.pem",
        "pkcs8.pem",
        "pkcs8-aes256.pem",
        "pkcs8-des3-sha1.pem",
        "legacy-aes128.pem",
        "legacy-des3.pem",
    ] {
        let k = key::load(&read(name), Some(&pass)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key::fingerprint(&k), fp(), "{name}");
        // The oci CLI appends a label after the END line.
        let labelled = format!("{}OCI_API_KEY", read(name));
        assert!(
            key::load(&labelled, Some(&pass)).is_ok(),
            "{name} with label"
        );
    }
}

#[test]
fn passphrase_errors_are_distinct() {
    for name in [
        "pkcs8-aes256.pem",
        "pkcs8-des3-sha1.pem",
        "legacy-aes128.pem",
        "legacy-des3.pem",
    ] {
        assert_eq!(
            key::load(&read(name), None).unwrap_err(),
            KeyError::PassphraseMissing,
            "{name}"
        );
        let wrong = Secret::new("nope".to_owned());
        assert_eq!(
            key::load(&read(name), Some(&wrong)).unwrap_err(),
            KeyError::PassphraseWrong,
            "{name}"
        );
    }
}

#[test]
fn a_passphrase_for_a_plain_key_is_ignored() {
    let pass = Secret::new("inherited-from-default".to_owned());
    assert!(key::load(&read("pkcs8.pem"), Some(&pass)).is_ok());
}

#[test]
fn unsupported_forms_say_so() {
    let pass = Secret::new("test-pass".to_owned());
    let e = key::load(&read("pkcs8-pbes1.pem"), Some(&pass)).unwrap_err();
    assert!(
        matches!(e, KeyError::Unsupported(ref m) if m.contains("openssl pkcs8 -topk8 -v2")),
        "{e:?}"
    );
    assert!(matches!(
        key::load(&read("ec.pem"), None).unwrap_err(),
        KeyError::Unsupported(_)
    ));
    assert!(matches!(
        key::load(&read("public.pem"), None).unwrap_err(),
        KeyError::Unsupported(_)
    ));
}
