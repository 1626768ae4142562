//! `get` (the default), `validate`, global options, env overrides: the fast path.

use crate::support::*;

#[test]
fn fresh_token_prints_the_full_schema_without_lock_socket_or_write() {
    let t = TestEnv::new()
        // A refresh would have to go here and fail: the fast path must not try.
        .env("OCI_TOKEN_AUTH_ENDPOINT", "https://127.0.0.1:9");
    let token = t.session(&SessionSpec::new("p", 3600));
    let before = std::fs::metadata(t.token_path("p"))
        .unwrap()
        .modified()
        .unwrap();
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "quiet on success: {}", stderr(&o));
    let v = json(&o);
    let order = [
        "version",
        "auth",
        "profile",
        "config_file",
        "region",
        "tenancy",
        "user",
        "fingerprint",
        "key_file",
        "token_file",
        "token",
        "issued_at",
        "expires_at",
        "session_expires_at",
        "expires_in_seconds",
        "refreshed",
    ];
    assert_eq!(v.as_object().unwrap().len(), order.len(), "{v}");
    let text = stdout(&o);
    let pos: Vec<usize> = order
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "field order: {text}");
    assert!(
        text.ends_with("}\n") && text.lines().count() == 1,
        "one line of JSON"
    );
    assert_eq!(v["version"], 1);
    assert_eq!(v["auth"], "security_token");
    assert_eq!(v["profile"], "p");
    assert_eq!(v["token"], token);
    assert_eq!(v["refreshed"], false);
    assert_eq!(v["region"], "us-ashburn-1");
    assert_eq!(v["tenancy"], jwt::TENANCY);
    assert_eq!(v["user"], jwt::USER);
    assert_eq!(v["config_file"], t.config_path().display().to_string());
    assert_eq!(v["token_file"], t.token_path("p").display().to_string());
    let left = v["expires_in_seconds"].as_i64().unwrap();
    assert!((3590..=3600).contains(&left), "{left}");
    let exp: jiff::Timestamp = v["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        exp.as_second(),
        jwt::claims(&token)["exp"].as_i64().unwrap()
    );
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(v["session_expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        !t.path(".oci/sessions/p/token.lock").exists(),
        "the fast path takes no lock"
    );
    assert_eq!(
        std::fs::metadata(t.token_path("p"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
}

#[test]
fn get_is_the_default_and_globals_go_before_or_after() {
    let t = TestEnv::new();
    let token = t.session(&SessionSpec::new("p", 3600));
    for args in [
        &["--profile", "p"][..],
        &["--profile", "p", "get"],
        &["get", "--profile", "p"],
    ] {
        let o = t.run(args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        assert_eq!(json(&o)["token"], token, "{args:?}");
    }
}

#[test]
fn profile_from_env_and_rc_file() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("a", 3600));
    let tb = t.session(&SessionSpec::new("b", 3000));
    std::fs::write(
        t.path(".oci/oci_cli_rc"),
        "[OCI_CLI_SETTINGS]\ndefault_profile = b\n",
    )
    .unwrap();
    assert_eq!(json(&t.run(&["get"]))["profile"], "b", "rc default_profile");
    let t = t.env("OCI_CLI_PROFILE", "a");
    assert_eq!(
        json(&t.run(&["get"]))["profile"],
        "a",
        "OCI_CLI_PROFILE beats the rc file"
    );
    let o = t.run(&["get", "--profile", "b"]);
    assert_eq!(json(&o)["token"], tb, "--profile beats OCI_CLI_PROFILE");
}

#[test]
fn config_file_from_flag_and_env() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let moved = t.path("elsewhere.ini");
    std::fs::rename(t.config_path(), &moved).unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "not found");
    let o = t.run(&[
        "get",
        "--profile",
        "p",
        "--config-file",
        moved.to_str().unwrap(),
    ]);
    assert_eq!(json(&o)["config_file"], moved.display().to_string());
    let t = t.env("OCI_CLI_CONFIG_FILE", &moved);
    assert_eq!(code(&t.run(&["get", "--profile", "p"])), 0);
}

#[test]
fn env_overrides_token_file_region_and_key() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let other = t.session(&SessionSpec::new("q", 2000));
    let q = t.token_path("q");
    let t = t
        .env("OCI_CLI_SECURITY_TOKEN_FILE", q)
        .env("OCI_CLI_REGION", "eu-frankfurt-1");
    let v = json(&t.run(&["get", "--profile", "p"]));
    assert_eq!(v["token"], other);
    assert_eq!(v["region"], "eu-frankfurt-1");
    let v = json(&t.run(&["get", "--profile", "p", "--region", "ap-tokyo-1"]));
    assert_eq!(v["region"], "ap-tokyo-1", "--region beats OCI_CLI_REGION");
}

#[test]
fn default_section_is_inherited() {
    let t = TestEnv::new();
    t.append_config("[DEFAULT]\nregion=sa-saopaulo-1\n\n");
    let mut spec = SessionSpec::new("p", 3600);
    spec.region = "ignored".into();
    t.session(&spec);
    // Remove the profile's own region line so DEFAULT's shows through.
    let text = std::fs::read_to_string(t.config_path())
        .unwrap()
        .replace("region=ignored\n", "");
    std::fs::write(t.config_path(), text).unwrap();
    assert_eq!(
        json(&t.run(&["get", "--profile", "p"]))["region"],
        "sa-saopaulo-1"
    );
}

#[test]
fn trailing_newline_in_token_file_is_tolerated() {
    let t = TestEnv::new();
    let token = t.session(&SessionSpec::new("p", 3600));
    std::fs::write(t.token_path("p"), format!("{token}\n")).unwrap();
    assert_eq!(json(&t.run(&["get", "--profile", "p"]))["token"], token);
}

#[test]
fn api_key_profile_has_null_token_fields() {
    let t = TestEnv::new();
    let key = t.path(".oci/oci_api_key.pem");
    std::fs::write(&key, key_pem()).unwrap();
    t.append_config(&format!(
        "[api]\nuser={}\nfingerprint=aa:bb\nkey_file={}\ntenancy={}\nregion=us-phoenix-1\n",
        jwt::USER,
        key.display(),
        jwt::TENANCY
    ));
    let o = t.run(&["get", "--profile", "api"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["auth"], "api_key");
    for k in [
        "token",
        "token_file",
        "issued_at",
        "expires_at",
        "session_expires_at",
        "expires_in_seconds",
    ] {
        assert!(v[k].is_null(), "{k} should be null: {v}");
    }
    assert_eq!(v["user"], jwt::USER);
    assert_eq!(v["fingerprint"], "aa:bb");
    assert_fails(
        &t.run(&["refresh", "--profile", "api"]),
        3,
        "no security_token_file",
    );
}

#[test]
fn text_output_is_for_people_and_has_no_token() {
    let t = TestEnv::new();
    let token = t.session(&SessionSpec::new("p", 3600));
    let o = t.run(&["get", "--profile", "p", "--output", "text"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("profile: p\n"), "{out}");
    assert!(out.contains("refreshed: false\n"), "{out}");
    assert!(!out.contains(&token), "text output must not show the token");
}

#[test]
fn validate_says_until_when_without_network_or_writes() {
    let t = TestEnv::new().env("OCI_TOKEN_AUTH_ENDPOINT", "https://127.0.0.1:9");
    let token = t.session(&SessionSpec::new("p", 600));
    let o = t.run(&["validate", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let exp = jiff::Timestamp::from_second(jwt::claims(&token)["exp"].as_i64().unwrap()).unwrap();
    assert_eq!(
        stderr(&o),
        format!(
            "Session is valid until {}\n",
            exp.strftime("%Y-%m-%d %H:%M:%S UTC")
        )
    );
    let o = t.run(&["validate", "--profile", "p", "--output", "json"]);
    let v = json(&o);
    assert_eq!(v["valid"], true);
    assert_eq!(v["token"], token);
    assert_eq!(t.read_token("p"), token, "validate never writes");
    assert!(
        !t.path(".oci/sessions/p/token.lock").exists(),
        "validate takes no lock"
    );
}

#[test]
fn validate_expired_and_ended_sessions_exit_4() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", -60));
    let o = t.run(&["validate", "--profile", "p"]);
    assert_fails(&o, 4, "expired");
    let o = t.run(&["validate", "--profile", "p", "--output", "json"]);
    assert_eq!(code(&o), 4);
    assert_eq!(json(&o)["valid"], false);
    let mut spec = SessionSpec::new("q", 3600);
    spec.sess_exp_in = Some(-1);
    t.session(&spec);
    assert_fails(&t.run(&["validate", "--profile", "q"]), 4, "session ended");
}

#[test]
fn validate_catches_a_token_issued_for_another_key() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    std::fs::write(t.path(".oci/sessions/p/oci_api_key.pem"), other_key_pem()).unwrap();
    assert_fails(&t.run(&["validate", "--profile", "p"]), 3, "different key");
}

#[test]
fn closed_stdout_is_not_an_error() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let mut child = t
        .std_cmd()
        .args(["get", "--profile", "p"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn_retrying();
    drop(child.stdout.take());
    let out = child.finish();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn never_reads_stdin() {
    // With a terminal-less, never-ending stdin the command still finishes.
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let mut child = t
        .std_cmd()
        .args(["get", "--profile", "p"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn_retrying();
    let _stdin = child.stdin.take(); // kept open, never written
    let start = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success());
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "hung waiting for stdin"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Paths and names outside ASCII (`C:\Users\Zoë`) are printed as JSON escapes: the same
/// JSON, in bytes that Windows PowerShell 5.1's console code page cannot garble.
#[test]
fn non_ascii_names_and_paths_print_as_ascii_json() {
    let t = TestEnv::new();
    let name = "zo\u{eb}-\u{1F600}";
    let token = t.session(&SessionSpec::new(name, 3600));
    let o = t.run(&["get", "--profile", name]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stdout.is_ascii(), "{}", stdout(&o));
    let j = json(&o);
    assert_eq!(j["profile"], name);
    assert_eq!(j["token"], token.as_str());
    assert!(j["token_file"].as_str().unwrap().contains(name));
}
