//! The one integration-test binary: every test runs the built `oci-token` (or, for the
//! byte-exact vectors and corpora, the library) against real files and a real TLS server.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    clippy::missing_panics_doc,
    clippy::print_stderr, // skip reasons are printed
    clippy::cast_possible_wrap,
    clippy::case_sensitive_file_extension_comparisons,
    clippy::doc_markdown
)]

mod support;

mod concurrency;
mod exit_codes;
mod faults;
mod get;
mod ini_corpus;
mod interop;
mod keys;
mod kubectl;
mod login;
mod man;
mod refresh;
mod shells;
mod terraform;
mod vectors;
