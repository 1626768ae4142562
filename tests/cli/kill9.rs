//! kill -9 trials: `refresh` killed at random moments (before, during and after the request,
//! between the temp write and the rename). After every kill the token file must be a
//! complete token, the next `get` must succeed at once (the OS released the lock), and at
//! most one temp file may exist, which the next refresh removes. `KILL_TRIALS=N` runs a
//! longer campaign (RELIABILITY.md).

use std::time::{Duration, Instant};

use crate::support::fake_auth::FakeAuth;
use crate::support::*;

#[test]
fn kill_9_never_leaves_a_torn_token_a_held_lock_or_stray_temp_files() {
    let trials: usize = std::env::var("KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let auth = FakeAuth::start();
    auth.delay(Duration::from_millis(5));
    let t = TestEnv::new().use_auth(&auth);
    t.session(&SessionSpec::new("p", 3000));
    let dir = t.path(".oci/sessions/p");
    let temps = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                let n = e.as_ref().unwrap().file_name();
                let n = n.to_string_lossy();
                n.ends_with(".tmp")
            })
            .count()
    };
    let mut seed: u64 = 0x2545_f491;
    let (mut killed_mid_run, mut leftovers_seen, mut max_leftovers) = (0, 0, 0);
    for _ in 0..trials {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let wait = Duration::from_micros((seed >> 33) % 60_000);
        let mut child = t
            .std_cmd()
            .args(["refresh", "--profile", "p"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn_retrying();
        std::thread::sleep(wait);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();

        let text = t.read_token("p");
        assert!(
            oci_token::token::decode(&text).is_ok(),
            "a complete token after the kill"
        );
        let start = Instant::now();
        let o = t.run(&["get", "--profile", "p", "--lock-timeout", "5s"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(start.elapsed() < Duration::from_secs(3), "get at once");
        let n = temps();
        if n > 0 {
            leftovers_seen += 1;
        }
        max_leftovers = max_leftovers.max(n);
        assert!(n <= 1, "at most the one fixed-name temp file: {n}");
    }
    let o = t.run(&["refresh", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(temps(), 0, "the next refresh removes any leftover");
    auth.assert_all_verified();
    eprintln!(
        "kill -9 trials: {trials}, killed mid-run {killed_mid_run}, torn tokens 0, failed gets 0, temp files seen after {leftovers_seen} kills (max {max_leftovers}), left at the end 0"
    );
}
