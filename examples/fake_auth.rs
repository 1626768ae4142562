//! The test suite's fake OCI auth service as a standalone process, for benchmarks and manual
//! runs: `cargo run --release --example fake_auth -- [SECONDS]` prints `URL CA_PATH` on one
//! line, then answers (and verifies) refresh requests until SECONDS have passed (default 600).
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../tests/cli/support/fake_auth.rs"]
#[allow(dead_code)]
mod fake_auth;
#[path = "../tests/cli/support/jwt.rs"]
#[allow(dead_code)]
mod jwt;
#[path = "../tests/cli/support/tls.rs"]
mod tls;

#[allow(clippy::cast_possible_wrap)]
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let auth = fake_auth::FakeAuth::start();
    println!("{} {}", auth.url, auth.ca_path.display());
    std::thread::sleep(std::time::Duration::from_secs(secs));
    let bad = auth
        .records()
        .iter()
        .filter(|r| r.verified.is_err())
        .count();
    eprintln!(
        "fake_auth: {} requests, {bad} failed verification",
        auth.count()
    );
}
