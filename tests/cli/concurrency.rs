//! 50 processes inside the refresh window at once: one refresh, one new token, no torn read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::fake_auth::FakeAuth;
use crate::support::*;

#[test]
fn fifty_processes_make_one_refresh() {
    const N: usize = 50;
    let auth = FakeAuth::start();
    auth.delay(Duration::from_millis(300)); // keep the refresher busy while the others queue
    let t = TestEnv::new().use_auth(&auth);
    let old = t.session(&SessionSpec::new("p", 300));

    // A reader polls the token file the whole time: never empty, never unparseable.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let path = t.token_path("p");
    let reader = {
        let (stop, reads) = (stop.clone(), reads.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let text = std::fs::read_to_string(&path).expect("token file vanished");
                assert!(!text.is_empty(), "saw an empty token file");
                assert!(
                    oci_token::token::decode(&text).is_ok(),
                    "saw an unparseable token file"
                );
                reads.fetch_add(1, Ordering::SeqCst);
            }
        })
    };

    let children: Vec<_> = (0..N)
        .map(|_| {
            child::start(|| {
                let mut c = t.std_cmd();
                c.args(["get", "--profile", "p"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                c
            })
        })
        .collect();
    let outputs: Vec<_> = children.into_iter().map(child::Running::finish).collect();
    stop.store(true, Ordering::SeqCst);
    reader.join().expect("the reader saw a torn token file");

    let file = t.read_token("p");
    assert_ne!(file, old);
    let mut refreshed = 0;
    for o in &outputs {
        assert_eq!(code(o), 0, "{}", stderr(o));
        let v = json(o);
        assert_eq!(v["token"], file, "every process prints the one new token");
        if v["refreshed"] == true {
            refreshed += 1;
        }
    }
    assert_eq!(
        auth.count(),
        1,
        "exactly one refresh request reached the service"
    );
    assert_eq!(refreshed, 1);
    auth.assert_all_verified();
    assert!(reads.load(Ordering::SeqCst) > 10, "the reader did poll");
}
