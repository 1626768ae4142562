//! `oidc login|token|logout` against a real OpenID Provider (npm `oidc-provider`): the device
//! flow approved through the OP's own pages, the password grant, refresh-token rotation
//! under concurrency, ExecCredential output and revocation.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use crate::support::op::Op;
use crate::support::*;

fn op_env(op: &Op) -> TestEnv {
    TestEnv::new()
        .env("OCI_CLI_CERT_BUNDLE", &op.ca)
        .env("OCI_TOKEN_DEVICE_POLL_INTERVAL", "1s")
}

/// Runs `oidc login` (device flow), approves it through the OP's pages, waits.
fn device_login(op: &Op, t: &TestEnv, name: &str, deny: bool) -> std::process::Output {
    let mut child = t
        .std_cmd()
        .args([
            "oidc",
            "login",
            "--issuer",
            &op.issuer,
            "--client-id",
            "cli-public",
            "--name",
            name,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_retrying();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let uri = loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "no verification URI: {seen}"
        );
        seen.push_str(&line);
        if let Some(u) = line.trim().strip_prefix("or open ") {
            break u.to_owned();
        }
    };
    let page = op.approve(&uri, deny);
    if !deny {
        assert!(page.contains("Sign-in Success"), "{page}");
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let mut o = child.finish();
    o.stderr = format!("{seen}{rest}").into_bytes();
    o
}

fn state(t: &TestEnv, name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(t.oidc_path(&format!("{name}.json"))).unwrap())
        .unwrap()
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
fn device_flow_token_refresh_rotation_and_logout() {
    let op = Op::start();
    let t = op_env(&op);
    let o = device_login(&op, &t, "dev", false);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("enter the code"), "{}", stderr(&o));
    let s = state(&t, "dev");
    assert!(s["refresh_token"].is_string());
    assert!(s.get("password").is_none() && s.get("client_secret").is_none());
    assert_eq!(crate::support::mode(&t.oidc_path("")), 0o700);
    assert_eq!(crate::support::mode(&t.oidc_path("dev.json")), 0o600);

    // Fresh: printed from the state, as JSON or a bare bearer token.
    let o = t.run(&["oidc", "token", "--name", "dev"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["version"], 1);
    assert_eq!(v["issuer"], op.issuer.as_str());
    assert_eq!(v["token"], s["access_token"]);
    let o = t.run(&["oidc", "token", "--name", "dev", "--output", "bearer"]);
    assert_eq!(stdout(&o).trim(), s["access_token"].as_str().unwrap());

    // Within --min-valid: refreshed; the rotated refresh token is stored.
    let o = t.run(&["oidc", "token", "--name", "dev", "--min-valid", "5m"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let s2 = state(&t, "dev");
    assert_ne!(s2["access_token"], s["access_token"]);
    assert_ne!(s2["refresh_token"], s["refresh_token"], "rotated");
    assert!(s2["id_token"].is_string());

    // Fifty callers at once: refreshes serialised by the lock (a reused, rotated refresh
    // token would be refused), every caller served.
    let children: Vec<_> = (0..50)
        .map(|_| {
            child::start(|| {
                let mut c = t.std_cmd();
                c.args([
                    "oidc",
                    "token",
                    "--name",
                    "dev",
                    "--min-valid",
                    "5m",
                    "--output",
                    "bearer",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
                c
            })
        })
        .collect();
    for c in children {
        let o = c.finish();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(!stderr(&o).contains("refused"), "{}", stderr(&o));
    }

    // kubectl's ExecCredential carries the ID token.
    let o = t
        .cmd()
        .env(
            "KUBERNETES_EXEC_INFO",
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{}}"#,
        )
        .args([
            "oidc",
            "token",
            "--name",
            "dev",
            "--output",
            "exec-credential",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(v["status"]["token"], state(&t, "dev")["id_token"]);

    // Logout revokes the refresh token at the OP and forgets everything.
    let rt = state(&t, "dev")["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let o = t.run(&["oidc", "logout", "--name", "dev"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!t.oidc_path("dev.json").exists());
    let o = t.run(&["oidc", "token", "--name", "dev"]);
    assert_fails(&o, 4, "oidc login");
    // The revoked refresh token no longer works at the OP.
    std::fs::write(
        t.oidc_path("dev.json"),
        serde_json::json!({
            "version": 1, "issuer": op.issuer, "client_id": "cli-public",
            "client_secret_file": null, "scope": "openid offline_access",
            "token_endpoint": format!("{}/token", op.issuer), "revocation_endpoint": null,
            "refresh_token": rt, "access_token": "x", "id_token": null,
            "issued_at": 0, "expires_at": 1
        })
        .to_string(),
    )
    .unwrap();
    chmod(&t.oidc_path("dev.json"), 0o600);
    let o = t.run(&["oidc", "token", "--name", "dev"]);
    assert_fails(&o, 4, "sign in again");
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
fn denied_device_login_and_the_password_flow() {
    let op = Op::start();
    let t = op_env(&op);
    let o = device_login(&op, &t, "no", true);
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(stderr(&o).contains("denied"), "{}", stderr(&o));
    assert!(!t.oidc_path("no.json").exists(), "nothing stored");

    let pw = t.path("pw");
    std::fs::write(&pw, "wonderland\n").unwrap();
    let args = |f: &str| {
        vec![
            "oidc".to_owned(),
            "login".into(),
            "--issuer".into(),
            op.issuer.clone(),
            "--client-id".into(),
            "cli-confidential".into(),
            "--client-secret-file".into(),
            t.path("secret").display().to_string(),
            "--flow".into(),
            "password".into(),
            "--username".into(),
            "alice".into(),
            "--password-file".into(),
            f.to_owned(),
            "--name".into(),
            "pw".into(),
        ]
    };
    std::fs::write(t.path("secret"), "confidential-s3cret\n").unwrap();
    let o = t.cmd().args(args(pw.to_str().unwrap())).output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let s = state(&t, "pw");
    assert_eq!(
        s["client_secret_file"],
        t.path("secret").display().to_string()
    );
    let text = std::fs::read_to_string(t.oidc_path("pw.json")).unwrap();
    assert!(!text.contains("wonderland") && !text.contains("confidential-s3cret"));
    // A refresh authenticates the confidential client with the secret file.
    let o = t.run(&["oidc", "token", "--name", "pw", "--min-valid", "5m"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // A wrong password: exit 4, nothing stored.
    std::fs::write(&pw, "nope\n").unwrap();
    let mut a = args(pw.to_str().unwrap());
    *a.last_mut().unwrap() = "bad".into();
    let o = t.cmd().args(a).output().unwrap();
    assert_fails(&o, 4, "wrong username or password");
    assert!(!t.oidc_path("bad.json").exists());
    // No password file and no terminal: a usage error, never a hang.
    let o = t
        .cmd()
        .args([
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
        ])
        .output()
        .unwrap();
    assert_fails(&o, 2, "--password-file");
}

fn login_at(t: &TestEnv, issuer: &str) -> std::process::Output {
    t.run(&[
        "oidc",
        "login",
        "--issuer",
        issuer,
        "--client-id",
        "c",
        "--name",
        "f",
    ])
}

#[test]
fn slow_down_expiry_and_broken_issuers() {
    use crate::support::fake_oidc::FakeOidc;
    let op = FakeOidc::start(true);
    let t = TestEnv::new().env("OCI_CLI_CERT_BUNDLE", &op.ca_path);
    // slow_down: the next poll waits 5 s longer (the interval stays longer after it).
    op.then(400, r#"{"error":"slow_down"}"#);
    op.then(
        200,
        r#"{"access_token":"at-1","token_type":"Bearer","expires_in":600,"refresh_token":"rt-1"}"#,
    );
    let o = login_at(&t, &op.issuer);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let p = op.polls();
    assert_eq!(p.len(), 2);
    assert!(
        p[1] - p[0] >= std::time::Duration::from_secs(6),
        "{:?}",
        p[1] - p[0]
    );
    let o = t.run(&["oidc", "token", "--name", "f", "--output", "bearer"]);
    assert_eq!(stdout(&o), "at-1\n");

    for (status, body, exit, needle) in [
        (400, r#"{"error":"expired_token"}"#, 4, "expired"),
        (400, r#"{"error":"access_denied"}"#, 4, "denied"),
        (503, "{}", 5, "503"),
        (200, "<html>not json</html>", 5, "not a JSON object"),
        (
            200,
            r#"{"token_type":"Bearer"}"#,
            5,
            "no usable access_token",
        ),
    ] {
        let u = TestEnv::new().env("OCI_CLI_CERT_BUNDLE", &op.ca_path);
        // A 5xx is retried (three attempts); anything else ends the flow at once.
        for _ in 0..if status >= 500 { 3 } else { 1 } {
            op.then(status, body);
        }
        let o = login_at(&u, &op.issuer);
        assert_fails_after_notes(&o, exit, needle);
        assert!(!u.oidc_path("f.json").exists(), "nothing stored half-way");
    }
    // The password grant not offered (grant_types_supported): exit 3, before any prompt.
    let pw = t.path("password.txt");
    std::fs::write(&pw, "pw\n").unwrap();
    let o = t.run(&[
        "oidc",
        "login",
        "--issuer",
        &op.issuer,
        "--client-id",
        "c",
        "--flow",
        "password",
        "--username",
        "alice",
        "--password-file",
        pw.to_str().unwrap(),
        "--name",
        "pw",
    ]);
    assert_fails(&o, 3, "does not offer the password grant");
    assert!(!t.oidc_path("pw.json").exists());
    // No device endpoint in discovery; an unreachable issuer.
    let nodev = FakeOidc::start(false);
    let u = TestEnv::new().env("OCI_CLI_CERT_BUNDLE", &nodev.ca_path);
    assert_fails(
        &login_at(&u, &nodev.issuer),
        3,
        "no device_authorization_endpoint",
    );
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    assert_fails(
        &login_at(&u, &format!("https://localhost:{port}")),
        5,
        "discovery",
    );
}

#[test]
#[cfg_attr(windows, ignore = "Unix: sends SIGINT")]
fn ctrl_c_while_waiting_for_the_device_approval_leaves_nothing() {
    #[cfg(unix)]
    {
        use crate::support::fake_oidc::FakeOidc;
        use std::os::unix::process::ExitStatusExt as _;
        let op = FakeOidc::start(true);
        let t = TestEnv::new().env("OCI_CLI_CERT_BUNDLE", &op.ca_path);
        // Never approved: the OP answers authorization_pending to every poll.
        // As a shell runs a foreground job: SIGINT at its default action. (A test runner in a
        // background job inherits it ignored, and an ignored signal stays ignored across exec.)
        let mut c = std::process::Command::new("python3");
        c.env_clear()
            .env("HOME", t.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        for (k, v) in &t.vars {
            c.env(k, v);
        }
        let child = c
            .args([
                "-c",
                "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
                BIN,
                "oidc",
                "login",
                "--issuer",
                &op.issuer,
                "--client-id",
                "c",
                "--name",
                "f",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn_retrying();
        let start = std::time::Instant::now();
        while op.polls().is_empty() {
            assert!(start.elapsed().as_secs() < 30, "no poll came");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let status = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let o = child.finish();
        assert_eq!(
            o.status.signal(),
            Some(2),
            "ended by SIGINT: {:?}",
            o.status
        );
        assert!(o.stdout.is_empty());
        assert!(
            !t.oidc_path("").exists()
                || std::fs::read_dir(t.oidc_path("")).unwrap().next().is_none(),
            "nothing stored, no temporary or lock file left"
        );
    }
}

#[test]
fn a_state_directory_others_can_write_is_refused_before_signing_in() {
    use crate::support::fake_oidc::FakeOidc;
    let op = FakeOidc::start(true);
    let t = TestEnv::new().env("OCI_CLI_CERT_BUNDLE", &op.ca_path);
    let dir = t.oidc_path("");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o777);
    let o = login_at(&t, &op.issuer);
    assert_fails(&o, 3, "unsafe");
    assert!(op.polls().is_empty(), "no device flow started");
    assert!(!dir.join("f.json").exists());
}

/// Like `assert_fails`, but `login` may have printed the code and URI first.
fn assert_fails_after_notes(o: &std::process::Output, exit: i32, needle: &str) {
    assert_eq!(code(o), exit, "{}", stderr(o));
    assert!(o.stdout.is_empty());
    let last = stderr(o).lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("oci-token: ") && last.contains(needle),
        "{}",
        stderr(o)
    );
}

/// An unverified JWT with only an `exp`, as an ID token.
fn id_token(exp: i64) -> String {
    use base64::Engine as _;
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2ln",
        e(r#"{"alg":"RS256"}"#),
        e(&format!(r#"{{"iss":"op","sub":"alice","exp":{exp}}}"#))
    )
}

/// A refresh reply without an ID token (allowed by OpenID Connect) while the stored one
/// has expired: never an expired ID token on stdout; the rotated refresh token is kept; the
/// access token is there for clusters that take it.
#[test]
fn an_expired_id_token_is_never_printed() {
    use crate::support::fake_oidc::FakeOidc;
    let op = FakeOidc::start(true);
    let t = TestEnv::new().env("OCI_CLI_CERT_BUNDLE", &op.ca_path);
    let stale = id_token(now() - 30);
    op.then(
        200,
        &format!(
            r#"{{"access_token":"at-1","expires_in":600,"refresh_token":"rt-1","id_token":"{stale}"}}"#
        ),
    );
    assert_eq!(code(&login_at(&t, &op.issuer)), 0);
    op.then(
        200,
        r#"{"access_token":"at-2","expires_in":600,"refresh_token":"rt-2"}"#,
    );
    let o = t.run(&[
        "oidc",
        "token",
        "--name",
        "f",
        "--output",
        "exec-credential",
    ]);
    assert_fails(&o, 4, "oidc login again");
    assert!(!stdout(&o).contains(&stale));
    let stored = std::fs::read_to_string(t.oidc_path("f.json")).unwrap();
    assert!(stored.contains("rt-2"), "the rotated refresh token is kept");
    assert!(!stored.contains(&stale), "the expired ID token is dropped");
    // JSON never carries it either; the access token serves where configured.
    let o = t.run(&["oidc", "token", "--name", "f"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["id_token"], serde_json::Value::Null);
    let o = t.run(&[
        "oidc",
        "token",
        "--name",
        "f",
        "--output",
        "exec-credential",
        "--exec-token",
        "access",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["status"]["token"], "at-2");
}

/// A state file a hostile issuer grew past what is read, or garbage: `token` says how to
/// recover, `logout` always works; nothing stored is no error.
#[test]
fn logout_always_works() {
    let t = TestEnv::new();
    let o = t.run(&["oidc", "logout", "--name", "f"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let dir = t.oidc_path("");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o700);
    for junk in [vec![b'x'; 2 << 20], b"{not json".to_vec()] {
        std::fs::write(dir.join("f.json"), &junk).unwrap();
        assert_fails(&t.run(&["oidc", "token", "--name", "f"]), 3, "oidc logout");
        let o = t.run(&["oidc", "logout", "--name", "f"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(!dir.join("f.json").exists());
    }
}

/// `slow_down` stretches the interval past the device code's life: the login ends at the
/// deadline, not an interval later.
#[test]
fn the_device_flow_ends_at_its_deadline() {
    use crate::support::fake_oidc::FakeOidc;
    let op = FakeOidc::start(true);
    op.device_expires_in(4);
    op.then(400, r#"{"error":"slow_down"}"#);
    let t = TestEnv::new().env("OCI_CLI_CERT_BUNDLE", &op.ca_path);
    let start = std::time::Instant::now();
    let o = login_at(&t, &op.issuer);
    assert_fails_after_notes(&o, 4, "expired");
    assert!(
        start.elapsed() < std::time::Duration::from_millis(5500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(op.polls().len(), 1);
}

/// A stored login holding large tokens (each under the 64 KiB cap, together over it) is
/// served: the state is read with its own cap, as `logout` reads it.
#[test]
fn a_large_stored_login_is_served() {
    let t = TestEnv::new();
    let dir = t.oidc_path("");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o700);
    let access = "a".repeat(60_000);
    let state = serde_json::json!({
        "version": 1, "issuer": "https://op.example", "client_id": "c",
        "client_secret_file": null, "scope": "openid", "token_endpoint": "https://op.example/token",
        "revocation_endpoint": null, "refresh_token": "r".repeat(50_000),
        "access_token": access, "id_token": null,
        "issued_at": now(), "expires_at": now() + 3600,
    });
    std::fs::write(dir.join("big.json"), state.to_string()).unwrap();
    chmod(&dir.join("big.json"), 0o600);
    let o = t.run(&["oidc", "token", "--name", "big", "--output", "bearer"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), access);
}
