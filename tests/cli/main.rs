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
mod sessions;
mod shells;
mod terraform;
mod vectors;
