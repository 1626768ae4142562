//! Every key form the Go SDK accepts, made with openssl (tests/data/keys/make-keys.sh).

use oci_token::crypto::key::{self, KeyError};
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

#[test]
fn a_key_asking_for_too_many_pbkdf2_iterations_is_refused_at_once() {
    let pass = Secret::new("pw".to_owned());
    let t = std::time::Instant::now();
    let e = key::load(&read("pbkdf2-2m-iterations.pem"), Some(&pass)).unwrap_err();
    assert!(
        t.elapsed() < std::time::Duration::from_millis(200),
        "refused before deriving: {:?}",
        t.elapsed()
    );
    assert!(
        matches!(&e, KeyError::Unsupported(w) if w.contains("2000000 PBKDF2 iterations")),
        "{e}"
    );
}

#[test]
fn a_der_key_gets_its_own_message() {
    use base64::Engine as _;
    let pem = read("pkcs8.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let e = key::load_bytes(&der, None).unwrap_err();
    assert_eq!(e, KeyError::Der);
    assert!(e.to_string().contains("openssl pkey -inform DER"), "{e}");
}
