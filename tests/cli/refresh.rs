//! Refreshing against the loopback TLS stand-in, which verifies every signature.

use crate::support::fake_auth::FakeAuth;
use crate::support::proxy::Proxy;
use crate::support::*;

use crate::support::mode;

#[test]
fn get_inside_the_window_refreshes_and_writes_atomically() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    let old = t.session(&SessionSpec::new("p", 300));
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        o.stderr.is_empty(),
        "get is quiet on success: {}",
        stderr(&o)
    );
    let v = json(&o);
    assert_eq!(v["refreshed"], true);
    let new = v["token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        t.read_token("p"),
        new,
        "the file holds the new token, with no trailing newline"
    );
    assert_eq!(mode(&t.token_path("p")), 0o600);
    assert!(v["expires_in_seconds"].as_i64().unwrap() > 3500);
    assert_eq!(jwt::claims(new)["sess_exp"], jwt::claims(&old)["sess_exp"]);
    assert_eq!(mode(&t.path(".oci/sessions/p/token.lock")), 0o600);
    let files: Vec<_> = std::fs::read_dir(t.path(".oci/sessions/p"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        files.len(),
        3,
        "token, key, lock; no temp file left: {files:?}"
    );
    assert_eq!(auth.count(), 1);
    auth.assert_all_verified();
}

#[test]
fn the_request_matches_the_oci_cli_recording() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    let old = t.session(&SessionSpec::new("p", 3600));
    let o = t.run(&["refresh", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = &auth.records()[0];
    r.verified.clone().unwrap();
    // What the reference recording (shared/reference-requests/refresh.json) shows oci-cli sends.
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("reference-refresh.json")).unwrap())
            .unwrap();
    let want = &reference["requests"][0];
    assert_eq!(r.method, want["method"].as_str().unwrap());
    assert_eq!(r.target, want["target"].as_str().unwrap());
    assert_eq!(r.body, format!("{{\"currentToken\": \"{old}\"}}"));
    let want_auth = want["verification"]["params"].clone();
    let auth_header = r.header("authorization").unwrap();
    assert!(auth_header.starts_with("Signature algorithm=\"rsa-sha256\",headers=\""));
    assert!(auth_header.contains(&format!(
        "headers=\"{}\"",
        want_auth["headers"].as_str().unwrap()
    )));
    assert!(auth_header.contains(&format!("keyId=\"ST${old}\"")));
    assert!(auth_header.ends_with(",version=\"1\""));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("host"),
        Some(format!("localhost:{}", auth.port).as_str())
    );
    assert!(r.header("user-agent").unwrap().starts_with("oci-token/"));
    let rid = r.header("opc-request-id").unwrap();
    assert!(
        rid.len() == 32 && rid.chars().all(|c| c.is_ascii_hexdigit()),
        "{rid}"
    );
    // Byte for byte the body the oci CLI sent, but for the token.
    let ref_token = want["verification"]["token"].as_str().unwrap();
    assert_eq!(
        r.body.replace(old.as_str(), "<token>"),
        want["body"].as_str().unwrap().replace(ref_token, "<token>")
    );
}

#[test]
fn refresh_command_always_refreshes_and_reports_on_stderr() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    // Far outside the refresh window, where `get` would not refresh.
    let old = t.session(&SessionSpec::new("p", 1800));
    let o = t.run(&["refresh", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["refreshed"], true);
    assert_ne!(t.read_token("p"), old);
    assert!(
        stderr(&o).contains("refreshed profile 'p'"),
        "{}",
        stderr(&o)
    );
    assert_eq!(auth.count(), 1);
    auth.assert_all_verified();
}

#[test]
fn a_token_past_exp_gets_one_attempt_and_the_service_decides() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    t.session(&SessionSpec::new("p", -120));
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["refreshed"], true);
    assert_eq!(auth.count(), 1);
}

#[test]
fn encrypted_keys_sign_with_the_configured_passphrase() {
    let auth = FakeAuth::start();
    let t = TestEnv::new()
        .use_auth(&auth)
        .env("OCI_CLI_PASSPHRASE", "test-pass");
    let key = std::fs::read_to_string(data("keys/legacy-aes128.pem")).unwrap();
    let mut spec = SessionSpec::new("p", 60);
    spec.key_label = false;
    // The token is minted for the (decrypted) key: same key as the fixture.
    t.session(&spec);
    std::fs::write(t.path(".oci/sessions/p/oci_api_key.pem"), key).unwrap();
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["refreshed"], true);
    auth.assert_all_verified();
}

#[test]
#[cfg_attr(windows, ignore = "Unix: symlinks need a privilege on Windows")]
fn symlinked_token_file_keeps_its_link() {
    #[cfg(unix)]
    {
        let auth = FakeAuth::start();
        let t = TestEnv::new().use_auth(&auth);
        t.session(&SessionSpec::new("p", 100));
        let real = t.path("real-token");
        std::fs::rename(t.token_path("p"), &real).unwrap();
        std::os::unix::fs::symlink(&real, t.token_path("p")).unwrap();
        let o = t.run(&["get", "--profile", "p"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(
            std::fs::symlink_metadata(t.token_path("p"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(&real).unwrap(),
            json(&o)["token"].as_str().unwrap()
        );
    }
}

#[test]
fn https_proxy_is_used_and_no_proxy_bypasses_it() {
    let auth = FakeAuth::start();
    let proxy = Proxy::start(auth.port);
    let t = TestEnv::new()
        .use_auth(&auth)
        .env("HTTPS_PROXY", &proxy.url);
    t.session(&SessionSpec::new("p", 100));
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(proxy.count(), 1);
    assert_eq!(
        proxy.targets.lock().unwrap()[0],
        format!("localhost:{}", auth.port)
    );
    assert!(auth.records()[0].via_proxy);
    auth.assert_all_verified();

    let t = t.env("NO_PROXY", ".localhost");
    t.run(&["refresh", "--profile", "p"]);
    assert_eq!(
        proxy.count(),
        1,
        "NO_PROXY=.localhost covers localhost itself"
    );
    assert_eq!(auth.count(), 2);
}

#[test]
fn http_proxy_is_never_used_for_https() {
    let auth = FakeAuth::start();
    let proxy = Proxy::start(auth.port);
    let t = TestEnv::new()
        .use_auth(&auth)
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url);
    t.session(&SessionSpec::new("p", 100));
    assert_eq!(code(&t.run(&["get", "--profile", "p"])), 0);
    assert_eq!(proxy.count(), 0);
    assert_eq!(auth.count(), 1);
}

#[test]
fn ca_bundle_precedence_and_verification() {
    let auth = FakeAuth::start();
    let other = FakeAuth::start(); // a different CA
    let t = TestEnv::new().env("OCI_TOKEN_AUTH_ENDPOINT", &auth.url);
    let original = t.session(&SessionSpec::new("p", 30));
    // No bundle: the built-in Mozilla roots do not trust the test CA.
    assert_fails(&t.run(&["get", "--profile", "p"]), 5, "TLS");
    // REQUESTS_CA_BUNDLE alone works.
    let t2 = TestEnv {
        home: t.home,
        vars: t.vars.clone(),
    }
    .env("REQUESTS_CA_BUNDLE", &auth.ca_path);
    assert_eq!(t2.read_token("p"), original);
    assert_eq!(code(&t2.run(&["refresh", "--profile", "p"])), 0);
    // OCI_CLI_CERT_BUNDLE beats REQUESTS_CA_BUNDLE, and --cert-bundle beats both.
    let t3 = t2.env("OCI_CLI_CERT_BUNDLE", &other.ca_path);
    assert_fails(&t3.run(&["refresh", "--profile", "p"]), 5, "TLS");
    let o = t3.run(&[
        "refresh",
        "--profile",
        "p",
        "--cert-bundle",
        auth.ca_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // An unreadable bundle is a configuration error.
    let o = t3.run(&[
        "refresh",
        "--profile",
        "p",
        "--cert-bundle",
        "/nonexistent/ca.pem",
    ]);
    assert_fails(&o, 3, "CA bundle");
}
