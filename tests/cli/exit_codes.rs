//! The exit-code matrix for configuration and usage errors (faults.rs covers 4 and 5).

use crate::support::*;

#[test]
fn usage_errors_exit_2() {
    let t = TestEnv::new();
    let o = t.run(&["get", "--no-such-flag"]);
    assert_eq!(code(&o), 2);
    assert!(o.stdout.is_empty());
    assert_eq!(code(&t.run(&["get", "--refresh-window", "soon"])), 2);
    assert_eq!(code(&t.run(&["--output", "yaml"])), 2);
}

#[test]
fn configuration_errors_exit_3_with_one_line() {
    let t = TestEnv::new();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "config file");
    std::fs::write(t.config_path(), "[p]\nuser=a\nuser=b\n").unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "appears twice");
    std::fs::write(t.config_path(), "\u{feff}[p]\n").unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "byte-order mark");
    std::fs::write(t.config_path(), "[p]\nregion=r\n").unwrap();
    assert_fails(
        &t.run(&["get", "--profile", "P"]),
        3,
        "profile 'P' not found in config file",
    );
    let o = t.run(&["get", "--profile", "P"]);
    assert!(stderr(&o).contains("(it has: p)"), "{}", stderr(&o));
    assert_fails(
        &t.run(&["get", "--profile", "p"]),
        3,
        "neither security_token_file nor a complete API key",
    );
    assert_fails(
        &t.run(&["validate", "--profile", "p"]),
        3,
        "no security_token_file",
    );
}

#[test]
fn token_file_errors_exit_3() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    std::fs::write(t.token_path("p"), "not-a-jwt").unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "is not a JWT");
    std::fs::write(t.token_path("p"), b"\x00\x01\xffbinary").unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "binary data");
    std::fs::write(t.token_path("p"), "").unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "empty");
    std::fs::remove_file(t.token_path("p")).unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "not found");
}

#[test]
fn a_refresh_without_region_or_with_a_plain_http_endpoint_exits_3() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 10));
    let text = std::fs::read_to_string(t.config_path())
        .unwrap()
        .replace("region=us-ashburn-1\n", "");
    std::fs::write(t.config_path(), text).unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "has no region");
    let o = t.run(&[
        "get",
        "--profile",
        "p",
        "--auth-endpoint",
        "http://127.0.0.1:9",
    ]);
    assert_fails(&o, 3, "not an https:// URL");
}

#[test]
fn version_and_help() {
    let t = TestEnv::new();
    let o = t.run(&["--version"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).starts_with(&format!("oci-token {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{}",
        stdout(&o)
    );
    let o = t.run(&["--help"]);
    assert!(stdout(&o).contains("Exit codes:"));
}

/// A config saved by Windows PowerShell 5.1's `>` (UTF-16 with a BOM) gets what to do, not
/// only "not UTF-8"; the file is left as it is.
#[test]
fn a_utf16_config_says_how_to_save_it() {
    let t = TestEnv::new();
    let mut bytes = vec![0xFF, 0xFE];
    for u in "[p]\r\nregion=us-ashburn-1\r\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(t.config_path(), &bytes).unwrap();
    let o = t.run(&["get", "--profile", "p"]);
    assert_fails(&o, 3, "UTF-16");
    assert!(stderr(&o).contains("UTF-8 without a BOM"), "{}", stderr(&o));
    assert_eq!(std::fs::read(t.config_path()).unwrap(), bytes);
    // Without the BOM (Out-File -Encoding unicode keeps it; some editors do not).
    std::fs::write(t.config_path(), &bytes[2..]).unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "UTF-16");
    std::fs::write(t.config_path(), b"[p]\nregion=\xff\n").unwrap();
    assert_fails(&t.run(&["get", "--profile", "p"]), 3, "is not UTF-8 text");
}
