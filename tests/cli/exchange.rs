//! Headless OCI login (device flow at an identity domain, then token exchange) and keyless CI
//! (a CI job's OIDC token exchanged for a session): the sessions work with `get`, a forced
//! refresh through the signature-verifying auth stand-in and the real `oci session validate
//! --local`, and renew themselves by exchange when the auth service refuses them.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::fake_domain::{FakeDomain, Trust};
use crate::support::*;

/// Trust both stand-ins with one bundle.
fn env_for(domain: &FakeDomain, auth: &FakeAuth, extra_ca: Option<&std::path::Path>) -> TestEnv {
    let t = TestEnv::new();
    let mut bundle = std::fs::read_to_string(&domain.ca_path).unwrap();
    bundle.push_str(&std::fs::read_to_string(&auth.ca_path).unwrap());
    if let Some(ca) = extra_ca {
        bundle.push_str(&std::fs::read_to_string(ca).unwrap());
    }
    std::fs::write(t.path("bundle.pem"), bundle).unwrap();
    let b = t.path("bundle.pem");
    t.env("OCI_CLI_CERT_BUNDLE", b)
        .env("OCI_TOKEN_AUTH_ENDPOINT", &auth.url)
        .env("OCI_TOKEN_DEVICE_POLL_INTERVAL", "1s")
}

use crate::support::mode;

/// `login --device-code` for `profile`, approved by "a person" once the code is shown.
fn device_login(t: &TestEnv, domain: &FakeDomain, profile: &str) {
    let mut child = t
        .std_cmd()
        .args([
            "login",
            "--device-code",
            "--domain-url",
            &domain.url,
            "--client-id",
            "dev-client",
            "--profile-name",
            profile,
            "--region",
            "us-ashburn-1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_retrying();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "{seen}");
        seen.push_str(&line);
        if line.contains("enter the code SDFGHJKL") {
            break;
        }
    }
    domain.approve();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let o = child.finish();
    assert_eq!(code(&o), 0, "{seen}{rest}");
}

#[test]
fn headless_login_by_device_code_then_renewal_by_exchange() {
    let domain = FakeDomain::start();
    domain.register_client("dev-client", None);
    let auth = FakeAuth::start();
    let t = env_for(&domain, &auth, None);
    device_login(&t, &domain, "hd");
    assert_eq!(domain.count("exchange"), 1);

    // An ordinary session profile: get, a forced refresh (signature verified), the oci CLI.
    let o = t.run(&["get", "--profile", "hd"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["auth"], "security_token");
    let o = t.run(&["refresh", "--profile", "hd"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    auth.assert_all_verified();
    if let Some(oci) = crate::interop::oci() {
        let o = crate::interop::oci_validate_local(&oci, &t, "hd");
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let state_path = t.path(".oci/sessions/hd/exchange.json");
    assert_eq!(mode(&state_path), 0o600);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    assert_eq!(state["subject"], "refresh_token");
    let rt = state["refresh_token"].as_str().unwrap().to_owned();

    // The auth service refuses to refresh: a new exchange, from the domain refresh token.
    auth.always(Reply::Status(
        401,
        r#"{"code":"NotAuthenticated","message":"ended"}"#.into(),
    ));
    let before = t.read_token("hd");
    let o = t.run(&["refresh", "--profile", "hd"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_ne!(t.read_token("hd"), before);
    assert_eq!((domain.count("refresh"), domain.count("exchange")), (1, 2));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    assert_ne!(
        state["refresh_token"],
        rt.as_str(),
        "the rotated refresh token is kept"
    );
    // The renewed token is bound to the same key: the oci CLI still accepts the profile.
    if let Some(oci) = crate::interop::oci() {
        let o = crate::interop::oci_validate_local(&oci, &t, "hd");
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn an_ended_exchange_session_renews_itself_and_a_refusal_changes_nothing() {
    let domain = FakeDomain::start();
    domain.register_client("dev-client", None);
    let auth = FakeAuth::start();
    let t = env_for(&domain, &auth, None);
    // A session that ends 1 s after it is issued.
    domain.upst_times(1, 1);
    device_login(&t, &domain, "short");
    let first = t.read_token("short");
    domain.upst_times(3600, 20 * 3600);
    std::thread::sleep(std::time::Duration::from_secs(2));
    // A browser session in this state needs a login (exit 4); this one is renewed by
    // exchange, without calling the auth service's refresh.
    let o = t.run(&["get", "--profile", "short"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_ne!(t.read_token("short"), first);
    assert_eq!(json(&o)["auth"], "security_token");
    assert_eq!((domain.count("refresh"), domain.count("exchange")), (1, 2));
    assert_eq!(auth.count(), 0, "an ended session is not refreshed");

    // Another such session, and now the domain refuses the exchange: exit 4, one line
    // naming the exchange, the token file byte-identical, no temporary file left.
    domain.upst_times(1, 1);
    device_login(&t, &domain, "short2");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let before = t.read_token("short2");
    domain.then_exchange(
        400,
        r#"{"error":"invalid_grant","error_description":"trust revoked"}"#,
    );
    let o = t.run(&["get", "--profile", "short2"]);
    assert_fails(&o, 4, "token exchange");
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    assert_eq!(t.read_token("short2"), before, "unchanged");
    let dir = t.path(".oci/sessions/short2");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "no temporary file: {names:?}"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the child is a POSIX sh script (Windows: windows::exec_passes_the_environment_and_exit_code)"
)]
fn exec_keeps_an_exchange_session_alive_past_its_session_limit() {
    let domain = FakeDomain::start();
    domain.register_client("dev-client", None);
    let auth = FakeAuth::start();
    let t = env_for(&domain, &auth, None);
    // Sessions of 6 s that the auth service cannot extend: only new exchanges keep the
    // command's credentials valid.
    domain.upst_times(6, 6);
    device_login(&t, &domain, "ex");
    let script = format!(
        "i=0; while [ $i -lt 20 ]; do {BIN} validate --profile ex 2>/dev/null || {{ echo invalid at $i; exit 99; }}; i=$((i+1)); sleep 0.5; done"
    );
    let o = t.run(&[
        "exec",
        "--profile",
        "ex",
        "--refresh-window",
        "3s",
        "--min-valid",
        "1s",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        domain.count("exchange") >= 3,
        "renewed by exchange {} times",
        domain.count("exchange") - 1
    );
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
#[cfg_attr(windows, ignore = "Unix: FIFOs, sparse 1 GiB files and symlinks")]
fn hostile_subject_token_and_client_secret_files_are_refused_before_any_request() {
    #[cfg(unix)]
    {
        let domain = FakeDomain::start();
        domain.register_client("ci-client", Some("ci-s3cret"));
        let auth = FakeAuth::start();
        let t = env_for(&domain, &auth, None);
        std::fs::write(t.path("secret"), "ci-s3cret\n").unwrap();
        let n = now();
        std::fs::write(
            t.path("job.jwt"),
            jwt::mint(&jwt::Claims::for_key(&key_pem(), n, n + 600, None)),
        )
        .unwrap();
        let fifo = t.path("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let big = std::fs::File::create(t.path("big")).unwrap();
        big.set_len(1 << 30).unwrap(); // 1 GiB, sparse
        std::fs::write(t.path("empty"), "").unwrap();
        std::fs::write(t.path("lines"), "\n\nci-s3cret\n").unwrap();
        std::fs::write(t.path("two-jwts"), "not.a.jwt\nsecond line\n").unwrap();
        std::os::unix::fs::symlink(&fifo, t.path("link-to-fifo")).unwrap();
        let login = |secret: &str, jwt_file: &str| {
            let started = std::time::Instant::now();
            let o = t.run(&[
                "login",
                "--token-exchange",
                "--domain-url",
                &domain.url,
                "--client-id",
                "ci-client",
                "--client-secret-file",
                t.path(secret).to_str().unwrap(),
                "--subject-token-file",
                t.path(jwt_file).to_str().unwrap(),
                "--profile-name",
                "h",
                "--region",
                "iad",
            ]);
            assert!(started.elapsed().as_secs() < 10, "never hangs");
            o
        };
        for (secret, jwt_file, needle) in [
            ("fifo", "job.jwt", "not a regular file"),
            ("link-to-fifo", "job.jwt", "not a regular file"),
            ("big", "job.jwt", "larger than"),
            ("empty", "job.jwt", "is empty"),
            ("lines", "job.jwt", "is empty"),
            ("secret", "fifo", "not a regular file"),
            ("secret", "link-to-fifo", "not a regular file"),
            ("secret", "big", "larger than"),
            ("secret", "empty", "is empty"),
            ("secret", "two-jwts", "subject token file"),
            ("secret", "missing", "cannot read the subject token file"),
        ] {
            let o = login(secret, jwt_file);
            assert_fails(&o, 3, needle);
            assert!(!stderr(&o).contains("ci-s3cret"), "{}", stderr(&o));
        }
        assert_eq!(domain.count("exchange"), 0, "nothing was sent");
        assert!(!t.path(".oci/sessions/h").exists(), "nothing written");
        assert!(
            !std::fs::read_to_string(t.config_path())
                .unwrap_or_default()
                .contains("[h]")
        );
    }
}

/// The OP's signing keys (its JWKS), fetched with curl.
fn jwks(op: &crate::support::op::Op) -> std::collections::HashMap<String, (Vec<u8>, Vec<u8>)> {
    use base64::Engine as _;
    let o = std::process::Command::new("curl")
        .args(["-s", "--cacert"])
        .arg(&op.ca)
        .arg(format!("{}/jwks", op.issuer))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = |s: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.as_str().unwrap_or_default())
            .unwrap_or_default()
    };
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kty"] == "RSA")
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                (d(&k["n"]), d(&k["e"])),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs the oidc-provider OP (node) (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_oidc_provider)),
    ignore = "oidc-provider is not installed (npm ci in tests/op)"
)]
fn keyless_ci_exchanges_a_jwt_from_a_real_op() {
    let op = crate::support::op::Op::start();
    let domain = FakeDomain::start();
    domain.register_client("ci-client", Some("ci-s3cret"));
    domain.trust(Trust {
        issuer: op.issuer.clone(),
        audience: "cli-public".into(),
        keys: jwks(&op),
    });
    let auth = FakeAuth::start();
    let t = env_for(&domain, &auth, Some(&op.ca));
    // The CI job's OIDC token: an ID token from the real OP.
    std::fs::write(t.path("pw"), "wonderland\n").unwrap();
    let o = t.run(&[
        "oidc",
        "login",
        "--issuer",
        &op.issuer,
        "--client-id",
        "cli-public",
        "--flow",
        "password",
        "--username",
        "alice",
        "--password-file",
        t.path("pw").to_str().unwrap(),
        "--name",
        "ci",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = t.run(&["oidc", "token", "--name", "ci", "--min-valid", "5m"]);
    let id_token = json(&o)["id_token"].as_str().unwrap().to_owned();
    let jwt_file = t.path("job.jwt");
    std::fs::write(&jwt_file, &id_token).unwrap();
    std::fs::write(t.path("secret"), "ci-s3cret\n").unwrap();
    let login = |profile: &str, extra: &[&str]| {
        let mut args = vec![
            "login",
            "--token-exchange",
            "--domain-url",
            &domain.url,
            "--client-id",
            "ci-client",
            "--client-secret-file",
            t.path("secret").to_str().unwrap().to_owned().leak(),
            "--profile-name",
            profile,
            "--region",
            "iad",
        ];
        args.extend_from_slice(extra);
        t.run(&args)
    };
    let o = login("ci", &["--subject-token-file", jwt_file.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = t.run(&["get", "--profile", "ci"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    if let Some(oci) = crate::interop::oci() {
        let o = crate::interop::oci_validate_local(&oci, &t, "ci");
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let text = std::fs::read_to_string(t.path(".oci/sessions/ci/exchange.json")).unwrap();
    assert!(
        !text.contains("ci-s3cret") && !text.contains(&id_token),
        "no secret, no JWT stored"
    );

    // Renewal re-reads the JWT file and exchanges again.
    auth.always(Reply::Status(
        401,
        r#"{"code":"NotAuthenticated","message":"ended"}"#.into(),
    ));
    let o = t.run(&["refresh", "--profile", "ci"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(domain.count("exchange"), 2);
    // A JWT file that is gone or empty: exit 3; an expired JWT: exit 4; nothing changes.
    let token_before = t.read_token("ci");
    std::fs::write(&jwt_file, "").unwrap();
    assert_fails(&t.run(&["refresh", "--profile", "ci"]), 3, "is empty");
    std::fs::remove_file(&jwt_file).unwrap();
    assert_fails(
        &t.run(&["refresh", "--profile", "ci"]),
        3,
        "cannot read the subject token file",
    );
    let n = now();
    let expired = jwt::mint(&jwt::Claims::for_key(&key_pem(), n - 600, n - 60, None));
    std::fs::write(&jwt_file, expired).unwrap();
    assert_fails(&t.run(&["refresh", "--profile", "ci"]), 4, "expired");
    assert_eq!(t.read_token("ci"), token_before, "unchanged");
    // The wrong client secret: refused by the domain, exit 4, no profile written.
    std::fs::write(&jwt_file, &id_token).unwrap();
    std::fs::write(t.path("secret"), "wrong\n").unwrap();
    let o = login("ci2", &["--subject-token-file", jwt_file.to_str().unwrap()]);
    assert_fails(&o, 4, "refused");
    assert!(
        !std::fs::read_to_string(t.config_path())
            .unwrap()
            .contains("[ci2]")
    );
    std::fs::write(t.path("secret"), "ci-s3cret\n").unwrap();

    // GitHub Actions: the JWT from the runner's token endpoint, with an audience.
    domain.github(&id_token);
    let o = t
        .cmd()
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/github", domain.url),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token")
        .args([
            "login",
            "--token-exchange",
            "--domain-url",
            &domain.url,
            "--client-id",
            "ci-client",
            "--client-secret-file",
            t.path("secret").to_str().unwrap(),
            "--profile-name",
            "gh",
            "--region",
            "iad",
            "--subject-token-from",
            "github-actions",
            "--audience",
            "oci",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(domain.count("github"), 1);

    // Relative file names are recorded absolute: a renewal from another directory (the
    // auth service still refuses refreshes, so this is an exchange) finds them.
    let o = t
        .cmd()
        .current_dir(t.path(""))
        .args([
            "login",
            "--token-exchange",
            "--domain-url",
            &domain.url,
            "--client-id",
            "ci-client",
            "--client-secret-file",
            "secret",
            "--subject-token-file",
            "job.jwt",
            "--profile-name",
            "rel",
            "--region",
            "iad",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let n = domain.count("exchange");
    let o = t
        .cmd()
        .current_dir("/")
        .args(["refresh", "--profile", "rel"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(domain.count("exchange"), n + 1);
}
