//! Every failure: the documented exit code and message, and a byte-identical token file.

use std::time::{Duration, Instant};

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::*;

/// A session that must be refreshed (10 s left, below the 60 s minimum).
fn required(auth: &FakeAuth) -> (TestEnv, Vec<u8>) {
    let t = TestEnv::new().use_auth(auth);
    t.session(&SessionSpec::new("p", 10));
    let bytes = std::fs::read(t.token_path("p")).unwrap();
    (t, bytes)
}

fn unchanged(t: &TestEnv, before: &[u8]) {
    assert_eq!(
        std::fs::read(t.token_path("p")).unwrap(),
        before,
        "the token file must be byte-identical"
    );
    let leftovers: Vec<_> = std::fs::read_dir(t.path(".oci/sessions/p"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn unauthorized_needs_a_new_login() {
    let auth = FakeAuth::start();
    auth.always(Reply::Status(
        401,
        r#"{"code":"NotAuthenticated","message":"session expired"}"#.into(),
    ));
    let (t, before) = required(&auth);
    let o = t.run(&["get", "--profile", "p"]);
    assert_fails(&o, 4, "oci session authenticate --profile-name p");
    assert!(
        stderr(&o).contains("NotAuthenticated: session expired"),
        "{}",
        stderr(&o)
    );
    assert_eq!(auth.count(), 1, "no retry on 4xx");
    unchanged(&t, &before);
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    let auth = FakeAuth::start();
    auth.always(Reply::Status(
        500,
        r#"{"code":"InternalError","message":"boom"}"#.into(),
    ));
    let (t, before) = required(&auth);
    let o = t.run(&["get", "--profile", "p"]);
    assert_fails(&o, 5, "500 InternalError: boom");
    assert!(stderr(&o).contains("opc-request-id"), "{}", stderr(&o));
    assert_eq!(auth.count(), 3);
    unchanged(&t, &before);
}

#[test]
fn a_transient_error_then_success() {
    let auth = FakeAuth::start();
    auth.then(Reply::Status(503, String::new()));
    let (t, _) = required(&auth);
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["refreshed"], true);
    assert_eq!(auth.count(), 2);
}

#[test]
fn other_client_errors_are_not_retried() {
    let auth = FakeAuth::start();
    auth.always(Reply::Status(
        400,
        r#"{"code":"InvalidParameter","message":"bad"}"#.into(),
    ));
    let (t, before) = required(&auth);
    assert_fails(&t.run(&["get", "--profile", "p"]), 5, "400");
    assert_eq!(auth.count(), 1);
    unchanged(&t, &before);
}

#[test]
fn garbage_replies_fail_after_retries() {
    let auth = FakeAuth::start();
    auth.always(Reply::Garbage);
    let (t, before) = required(&auth);
    assert_fails(&t.run(&["get", "--profile", "p"]), 5, "no token");
    assert_eq!(auth.count(), 3);
    unchanged(&t, &before);
}

#[test]
fn a_stalled_service_times_out_in_bounded_time() {
    let auth = FakeAuth::start();
    auth.always(Reply::Stall(Duration::from_secs(20)));
    let (t, before) = required(&auth);
    let t = t.env("OCI_TOKEN_HTTP_TIMEOUT", "2s");
    let start = Instant::now();
    let o = t.run(&["get", "--profile", "p"]);
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "took {:?}",
        start.elapsed()
    );
    assert_fails(&o, 5, "timed out");
    unchanged(&t, &before);
}

/// A service that closes the connection without answering is reported as a dropped
/// connection, not as a TLS or CA-bundle problem (the TLS layer is where it shows).
#[test]
fn a_dropped_connection_is_named_as_one() {
    let auth = FakeAuth::start();
    auth.always(Reply::Stall(Duration::from_millis(200)));
    let (t, before) = required(&auth);
    let o = t.run(&["get", "--profile", "p"]);
    assert_fails(&o, 5, "the connection was dropped");
    assert!(
        !stderr(&o).contains("is the CA bundle right"),
        "{}",
        stderr(&o)
    );
    unchanged(&t, &before);
}

/// A reply larger than any OCI answer is refused as too large (it was cut at 1 MiB and then
/// reported as a reply that holds no token).
#[test]
fn a_huge_reply_is_named_too_large() {
    let auth = FakeAuth::start();
    auth.always(Reply::Raw("x".repeat(3 << 20)));
    let (t, before) = required(&auth);
    let o = t.run(&["get", "--profile", "p"]);
    assert_fails(&o, 5, "larger than 1 MiB");
    unchanged(&t, &before);
}

#[test]
fn a_session_that_cannot_be_extended_is_reported_not_looped() {
    let auth = FakeAuth::start();
    auth.always(Reply::NoExtend);
    // Still valid for longer than --min-valid: warn, print the current token, exit 0.
    let t = TestEnv::new().use_auth(&auth);
    let token = t.session(&SessionSpec::new("p", 600));
    let before = std::fs::read(t.token_path("p")).unwrap();
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["token"], token);
    assert_eq!(json(&o)["refreshed"], false);
    assert!(stderr(&o).contains("cannot be extended"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1);
    assert_eq!(auth.count(), 1, "one attempt, no loop");
    unchanged(&t, &before);
    // Below --min-valid it needs a new login.
    let o = t.run(&["get", "--profile", "p", "--min-valid", "20m"]);
    assert_fails(&o, 4, "cannot be extended");
    assert_eq!(auth.count(), 2);
    unchanged(&t, &before);
}

#[test]
fn a_failed_proactive_refresh_warns_and_prints_the_current_token() {
    let auth = FakeAuth::start();
    auth.always(Reply::Status(500, String::new()));
    let t = TestEnv::new().use_auth(&auth);
    let token = t.session(&SessionSpec::new("p", 600));
    let before = std::fs::read(t.token_path("p")).unwrap();
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["token"], token);
    let err = stderr(&o);
    assert!(
        err.starts_with("oci-token: warning: ") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!err.contains("eyJ"));
    unchanged(&t, &before);
}

/// `exec` with the service down: the start-up warning is not repeated by the background
/// refresher's first retry.
#[test]
#[cfg_attr(
    windows,
    ignore = "the child is a POSIX sh script (Windows: windows::exec_passes_the_environment_and_exit_code)"
)]
fn exec_warns_once_about_the_same_failure() {
    let auth = FakeAuth::start();
    auth.always(Reply::Status(500, String::new()));
    let t = TestEnv::new().use_auth(&auth);
    t.session(&SessionSpec::new("p", 600));
    let o = t.run(&["exec", "--profile", "p", "--", "sleep", "3"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("oci-token: warning: ").count(), 1, "{err}");
}

/// A garbled `exchange.json` beside an ended session is said, not silently ignored.
#[test]
fn a_broken_exchange_state_is_reported() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    let mut spec = SessionSpec::new("p", -3600);
    spec.sess_exp_in = Some(-60);
    t.session(&spec);
    std::fs::write(t.path(".oci/sessions/p/exchange.json"), "{garbled").unwrap();
    let o = t.run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("exchange.json cannot be used"),
        "{}",
        stderr(&o)
    );
    assert_eq!(auth.count(), 0);
}

#[test]
fn an_ended_session_sends_nothing() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    let mut spec = SessionSpec::new("p", -3600);
    spec.sess_exp_in = Some(-60);
    t.session(&spec);
    let before = std::fs::read(t.token_path("p")).unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 4, "session ended");
    assert_fails(&t.run(&["refresh", "--profile", "p"]), 4, "log in again");
    assert_eq!(auth.count(), 0);
    unchanged(&t, &before);
}

#[test]
fn key_problems_are_configuration_errors() {
    let auth = FakeAuth::start();
    let (t, before) = required(&auth);
    let key_path = t.path(".oci/sessions/p/oci_api_key.pem");
    let enc = std::fs::read_to_string(data("keys/pkcs8-aes256.pem")).unwrap();
    std::fs::write(&key_path, &enc).unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "OCI_CLI_PASSPHRASE");
    let t = t.env("OCI_CLI_PASSPHRASE", "wrong-pass");
    let o = t.run(&["get", "--profile", "p"]);
    assert_fails(&o, 3, "passphrase does not decrypt");
    assert!(
        !stderr(&o).contains("wrong-pass"),
        "the passphrase must not be echoed"
    );
    std::fs::write(&key_path, other_key_pem()).unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "different key");
    std::fs::write(&key_path, "not a key").unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "not a PEM");
    std::fs::remove_file(&key_path).unwrap();
    // With the next step: a session's key comes from logging in again.
    assert_fails(
        &t.run(&["get", "--profile", "p"]),
        3,
        "does not exist; log in again to make a new session key: `oci-token login --profile-name p`",
    );
    assert_eq!(auth.count(), 0);
    unchanged(&t, &before);
}

#[test]
fn lock_timeout() {
    let auth = FakeAuth::start();
    let (t, before) = required(&auth);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(t.path(".oci/sessions/p/token.lock"))
        .unwrap();
    lock.lock().unwrap();
    let start = Instant::now();
    let o = t.run(&["get", "--profile", "p", "--lock-timeout", "1s"]);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_fails(&o, 5, "waiting for the lock");
    assert_eq!(auth.count(), 0);
    unchanged(&t, &before);
    // Inside the window but still valid: warn and print.
    let t2 = TestEnv::new().use_auth(&auth);
    let token = t2.session(&SessionSpec::new("p", 600));
    let l2 = std::fs::File::create(t2.path(".oci/sessions/p/token.lock")).unwrap();
    l2.lock().unwrap();
    let o = t2.run(&["get", "--profile", "p", "--lock-timeout", "1s"]);
    assert_eq!(code(&o), 0);
    assert_eq!(json(&o)["token"], token);
    assert!(stderr(&o).contains("warning"));
    drop(lock);
}
