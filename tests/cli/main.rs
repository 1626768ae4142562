//! The one integration-test binary: every test runs the built `oci-token` (or, for the
//! byte-exact vectors and corpora, the library) against real files and a real TLS server.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    clippy::missing_panics_doc,
    clippy::print_stderr, // skip reasons are printed
    clippy::cast_possible_wrap,
    clippy::case_sensitive_file_extension_comparisons,
    clippy::doc_markdown,
    clippy::too_many_lines, // a test reads best as one scenario
    clippy::many_single_char_names
)]

mod support;

mod auth_tokens;
mod caches;
mod concurrency;
mod exchange;
mod exit_codes;
mod faults;
mod fuzz;
mod get;
mod hardening;
mod ini_corpus;
mod interop;
mod keys;
mod kill9;
mod kubectl;
mod layout;
mod login;
mod man;
mod newcomer;
mod oidc;
mod principals;
mod refresh;
mod registries;
mod sessions;
mod shells;
mod static_binary;
mod terraform;
mod vectors;
#[cfg(windows)]
mod windows;

/// Under CI every program the tests drive must be installed (`.ci/run` installs them), so
/// no test there is ignored for a missing tool.
#[test]
#[cfg_attr(
    windows,
    ignore = "the tools are Linux programs; a Windows build (tests under Wine) has none"
)]
fn every_test_tool_is_installed_under_ci() {
    if std::env::var_os("CI").is_none() {
        return;
    }
    let missing: Vec<&str> = [
        ("kubectl", cfg!(have_kubectl)),
        ("oci", cfg!(have_oci)),
        ("bash", cfg!(have_bash)),
        ("zsh", cfg!(have_zsh)),
        ("fish", cfg!(have_fish)),
        ("node", cfg!(have_node)),
        ("chromium", cfg!(have_chromium)),
        ("python3", cfg!(have_python3)),
        ("skopeo", cfg!(have_skopeo)),
        (
            "oidc-provider (npm ci in tests/op)",
            cfg!(have_oidc_provider),
        ),
    ]
    .into_iter()
    .filter_map(|(n, have)| (!have).then_some(n))
    .collect();
    assert!(missing.is_empty(), "missing under CI: {missing:?}");
}
