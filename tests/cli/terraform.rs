//! `oci-token terraform` (the external data source protocol) and `oci-token exec`.

use std::io::Write as _;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_auth::FakeAuth;
use crate::support::*;

fn external(t: &TestEnv, query: &str) -> Output {
    let mut child = t
        .std_cmd()
        .arg("terraform")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_retrying();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(query.as_bytes())
        .unwrap();
    child.finish()
}

fn path_env(t: TestEnv) -> TestEnv {
    let path = format!(
        "{}:/usr/bin:/bin",
        crate::support::fake_k8s::path_dir().display()
    );
    t.env("PATH", path)
}

#[test]
fn external_data_source_prints_a_flat_map_of_strings_without_the_session_token() {
    let t = TestEnv::new();
    let token = t.session(&SessionSpec::new("p", 3600));
    let o = external(
        &t,
        r#"{"profile":"p","cluster_id":"ocid1.cluster.oc1.iad.aaaa"}"#,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let map = v.as_object().unwrap();
    assert!(
        map.values().all(serde_json::Value::is_string),
        "only strings: {v}"
    );
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "auth",
            "config_file",
            "expires_at",
            "fingerprint",
            "key_file",
            "oke_token",
            "oke_token_expires_at",
            "profile",
            "region",
            "tenancy",
            "token_file",
            "user"
        ]
    );
    assert!(
        !stdout(&o).contains(&token),
        "the session token must not reach the Terraform state"
    );
    assert_eq!(v["profile"], "p");
    assert_eq!(v["token_file"], t.token_path("p").display().to_string());
    let exp: jiff::Timestamp = v["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        exp.as_second(),
        jwt::claims(&token)["exp"].as_i64().unwrap()
    );
    crate::support::fake_k8s::verify_token(
        v["oke_token"].as_str().unwrap(),
        "ocid1.cluster.oc1.iad.aaaa",
        "us-ashburn-1",
    )
    .unwrap();
}

#[test]
fn external_min_valid_forces_a_refresh() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    let old = t.session(&SessionSpec::new("p", 20 * 60));
    let o = external(&t, r#"{"profile":"p","min_valid":"30m"}"#);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(auth.count(), 1);
    assert_ne!(t.read_token("p"), old);
    let exp: jiff::Timestamp = json(&o)["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(exp.as_second() - now() > 3000);
}

#[test]
fn external_errors_go_to_stderr_with_a_non_zero_exit() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    assert_fails(
        &external(&t, r#"{"profil":"p"}"#),
        3,
        "unknown query key 'profil'",
    );
    assert_fails(&external(&t, "not json"), 3, "JSON object of strings");
    assert_fails(
        &external(&t, r#"{"profile":"nope"}"#),
        3,
        "profile 'nope' not found",
    );
    let mut spec = SessionSpec::new("ended", -7200);
    spec.sess_exp_in = Some(-1);
    t.session(&spec);
    assert_fails(&external(&t, r#"{"profile":"ended"}"#), 4, "log in again");
    // An empty query uses the default profile resolution.
    let t = t.env("OCI_CLI_PROFILE", "p");
    let o = external(&t, "");
    assert_eq!(json(&o)["profile"], "p");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the child is a POSIX sh script (Windows: windows::exec_passes_the_environment_and_exit_code)"
)]
fn exec_sets_the_environment_and_passes_the_exit_status_through() {
    let t = path_env(TestEnv::new());
    let token = t.session(&SessionSpec::new("p", 3600));
    let o = t.run(&[
        "exec",
        "--profile",
        "p",
        "--",
        "sh",
        "-c",
        "printf '%s|%s|%s|%s' \"$OCI_CLI_PROFILE\" \"$OCI_CLI_AUTH\" \"$OCI_CLI_CONFIG_FILE\" \"$OCI_TOKEN_EXPIRES_AT\"; exit 7",
    ]);
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    let exp = jiff::Timestamp::from_second(jwt::claims(&token)["exp"].as_i64().unwrap()).unwrap();
    assert_eq!(
        stdout(&o),
        format!("p|security_token|{}|{exp}", t.config_path().display())
    );
    assert_eq!(
        code(&t.run(&["exec", "--profile", "p", "--", "sh", "-c", "kill -9 $$"])),
        137
    );
    let o = t.run(&["exec", "--profile", "p", "--", "/nonexistent/tool"]);
    assert_eq!(code(&o), 127);
    assert!(stderr(&o).contains("command not found"));
    assert_eq!(
        code(&t.run(&["exec", "--profile", "p"])),
        2,
        "a command is required"
    );
}

fn spawn_exec(t: &TestEnv, script: &str) -> std::process::Child {
    t.std_cmd()
        .args(["exec", "--profile", "p", "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_retrying()
}

fn send(pid: u32, sig: &str) {
    assert!(
        std::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
#[cfg_attr(windows, ignore = "Unix: sends SIGTERM and SIGINT")]
fn exec_forwards_sigterm_and_sigint_sent_to_it() {
    let t = path_env(TestEnv::new());
    t.session(&SessionSpec::new("p", 3600));
    for (sig, want) in [("-TERM", 42), ("-INT", 43)] {
        let child = spawn_exec(
            &t,
            "trap 'exit 42' TERM; trap 'exit 43' INT; echo ready; while :; do sleep 0.1; done",
        );
        // The child's traps are set once it says ready (oci-token's handlers before it).
        let mut child = child;
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert_eq!(line, "ready\n");
        send(child.id(), sig);
        let start = Instant::now();
        let o = child.finish();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(code(&o), want, "{sig}: {}", stderr(&o));
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the child is a POSIX sh script (Windows: windows::exec_passes_the_environment_and_exit_code)"
)]
fn exec_keeps_the_token_valid_across_several_expiries() {
    let auth = FakeAuth::start();
    auth.ttl(8);
    let t = path_env(TestEnv::new().use_auth(&auth));
    t.session(&SessionSpec::new("p", 8));
    // The child reads the token file 28 times over 14 s (three lifetimes of 8 s tokens);
    // each time it must be valid.
    let script = "i=0; while [ $i -lt 28 ]; do oci-token validate --profile p 2>/dev/null || { echo invalid at $i; exit 99; }; i=$((i+1)); sleep 0.5; done";
    let o = t.run(&[
        "exec",
        "--profile",
        "p",
        "--refresh-window",
        "6s",
        "--min-valid",
        "2s",
        "--",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(auth.count() >= 3, "refreshed {} times", auth.count());
    auth.assert_all_verified();
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the child is a POSIX sh script (Windows: windows::exec_passes_the_environment_and_exit_code)"
)]
fn exec_warns_once_when_the_session_cannot_be_extended() {
    let auth = FakeAuth::start();
    auth.ttl(6);
    let t = path_env(TestEnv::new().use_auth(&auth));
    let mut spec = SessionSpec::new("p", 5);
    spec.sess_exp_in = Some(8);
    t.session(&spec);
    let o = t.run(&[
        "exec",
        "--profile",
        "p",
        "--refresh-window",
        "4s",
        "--min-valid",
        "1s",
        "--",
        "sleep",
        // Past sess_exp (8 s), so the one warning comes however slow the machine is.
        "10",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one warning: {err}");
    assert!(
        err.contains("cannot be extended") || err.contains("session ended"),
        "{err}"
    );
    let n = auth.count();
    assert!(
        (2..=4).contains(&n),
        "stopped refreshing after the limit: {n} requests"
    );
}
