//! The test suite's instance-principal stand-ins as one process, for benchmarks and manual
//! runs: a metadata service (plain HTTP) serving a test certificate chain, and the auth
//! service federating it at `/v1/x509`. `cargo run --release --example fake_principal --
//! [SECONDS]` prints `METADATA_BASE AUTH_URL CA_PATH` on one line, then serves (and verifies)
//! until SECONDS have passed (default 600).
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../tests/cli/support/fake_auth.rs"]
#[allow(dead_code)]
mod fake_auth;
#[path = "../tests/cli/support/fake_imds.rs"]
#[allow(dead_code)]
mod fake_imds;
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
    let key = include_str!("../tests/data/keys/other.pem");
    let tenancy = "ocid1.tenancy.oc1..aaaaaaaabenchprincipal";
    let leaf = fake_imds::make_leaf(key, tenancy, true);
    let auth = fake_auth::FakeAuth::start();
    auth.ttl(1200);
    auth.register_leaf(&leaf.cert_der, &leaf.key_pem, tenancy);
    let imds = fake_imds::FakeImds::start(leaf, "iad");
    println!("{} {} {}", imds.base, auth.url, auth.ca_path.display());
    std::thread::sleep(std::time::Duration::from_secs(secs));
    let bad = auth
        .records()
        .iter()
        .filter(|r| r.verified.is_err())
        .count();
    eprintln!(
        "fake_principal: {} federation requests, {bad} failed verification, {} metadata requests",
        auth.count(),
        imds.hits()
    );
}
