//! The bodies of the fuzz targets: one per parser that reads outside input. libFuzzer runs
//! them (`fuzz_targets/`, `cargo +nightly fuzz run <target>`), and `cargo test` replays the
//! seed corpus and every input that ever failed through the same bodies
//! (`tests/cli/fuzz.rs`). Each must neither panic nor take long, and checks the invariants
//! its parser promises.

#![allow(clippy::missing_panics_doc)]

use std::path::Path;

/// A target's body.
pub type Body = fn(&[u8]);

/// Every target, by name: the name of its `fuzz_targets/<name>.rs` and seed directory.
pub const TARGETS: &[(&str, Body)] = &[
    ("ini", ini),
    ("jwt", jwt),
    ("pem", pem),
    ("zip", zip),
    ("kubeconfig", kubeconfig),
    ("exec_info", exec_info),
    ("query", query),
    ("x509", x509),
    ("registry", registry),
    ("oidc_state", oidc_state),
];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The INI parser (configparser semantics): reading one profile agrees with reading them
/// all, and the config edits never fail on what parsed.
pub fn ini(b: &[u8]) {
    let t = text(b);
    let full = oci_token::config::ini::parse(&t);
    let name = full
        .as_ref()
        .ok()
        .and_then(|i| i.sections.last().map(|s| s.name.clone()))
        .unwrap_or_else(|| "p".to_owned());
    let one = oci_token::config::ini::parse_only(&t, Some(&name));
    match (&full, &one) {
        (Ok(f), Ok(o)) => assert_eq!(f.items(&name), o.items(&name)),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("parse and parse_only disagree"),
    }
    if let Ok(ini) = full {
        for s in &ini.sections {
            let _ = ini.items(&s.name);
        }
        let _ = oci_token::config::edit::remove_section(&t, "p");
        let _ = oci_token::config::edit::append_section(&t, "p", &[("k", "v".into())]);
    }
}

/// JWT claims, the refresh decision and exec's wake-up time.
pub fn jwt(b: &[u8]) {
    let t = text(b);
    let _ = oci_token::token::issuer_subject(&t);
    if let Ok(c) = oci_token::token::decode(&t) {
        let _ = oci_token::token::decode_issued(&t);
        let now =
            jiff::Timestamp::from_second(1_800_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let w = jiff::SignedDuration::from_mins(15);
        let _ = oci_token::token::decide(now, &c, w, jiff::SignedDuration::from_secs(60));
        let _ = oci_token::commands::exec::next_wait(now, Some(&c), w, 3);
    }
}

/// Private keys: PEM in every form, and DER wrapped in each PEM label.
pub fn pem(b: &[u8]) {
    use base64::Engine as _;
    let pass = oci_token::secret::Secret::new("test-pass".to_owned());
    let _ = oci_token::crypto::key::load_bytes(b, Some(&pass));
    let _ = oci_token::crypto::key::public_pem_fingerprint(&text(b));
    if b.first() == Some(&0x30) && b.len() < 16 << 10 {
        let b64 = base64::engine::general_purpose::STANDARD.encode(b);
        for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"] {
            let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
            let _ = oci_token::crypto::key::load(&pem, Some(&pass));
        }
    }
}

/// Session archives (`import`).
pub fn zip(b: &[u8]) {
    let _ = oci_token::commands::archive::read_archive_bytes(Path::new("fuzz.zip"), b.to_vec());
}

/// The kubeconfig converter: bounded growth.
pub fn kubeconfig(b: &[u8]) {
    let c = oci_token::commands::kubeconfig::convert(&text(b), "oci-token");
    assert!(c.text.len() < b.len() * 4 + 8192, "bounded growth");
}

/// `KUBERNETES_EXEC_INFO`.
pub fn exec_info(b: &[u8]) {
    let _ = oci_token::output::exec_credential::requested_version(Some(&text(b)));
}

/// Terraform's external data source query.
pub fn query(b: &[u8]) {
    let _ = oci_token::commands::terraform::parse_query(&text(b));
}

/// Certificates from the metadata service.
pub fn x509(b: &[u8]) {
    let _ = oci_token::crypto::x509::subject_values(b);
    let _ = oci_token::crypto::x509::tenancy(b);
    for der in oci_token::crypto::x509::certificates(&text(b)) {
        let _ = oci_token::crypto::x509::tenancy(&der);
    }
}

/// Registry hosts, docker configs: a normalised host has no path or space; an edited
/// config is JSON with our entry; duplicate keys are found without panicking.
pub fn registry(b: &[u8]) {
    let t = text(b);
    if let Some(h) = oci_token::credential::ocir::normalize(&t) {
        assert!(!h.contains(['/', ' ']), "{h}");
    }
    let _ = oci_token::commands::docker::duplicate_keys(&t);
    if let Some(out) = oci_token::commands::docker::add_cred_helper(&t, "iad.ocir.io") {
        // As docker (Go) reads it: repeated top-level objects merged, so an entry added to
        // the first of two `credHelpers` counts.
        let v = oci_token::commands::docker::parse_docker_config(&out).expect("valid JSON");
        assert_eq!(v["credHelpers"]["iad.ocir.io"], "oci-token");
        serde_json::from_str::<serde_json::Value>(&out).expect("valid JSON to any parser");
    }
}

/// A stored OIDC login, as `oidc token` and `logout` read it.
pub fn oidc_state(b: &[u8]) {
    if let Ok(s) = oci_token::credential::oidc::parse(b, Path::new("f.json")) {
        for needs in [
            oci_token::credential::oidc::Needs::Access,
            oci_token::credential::oidc::Needs::IdToken,
        ] {
            let _ = s.claims(needs);
        }
        let _ = s.login_hint("f");
    }
}
