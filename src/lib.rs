#![cfg_attr(test, allow(clippy::unwrap_used, clippy::disallowed_methods))]
//! `oci-token`: a fast, non-interactive credential helper for OCI.
//!
//! The binary is a thin shell over [`cli::run`]. Layers, from the outside in:
//! - [`cli`]: the only clap code; turns the command line into a [`context::Context`] and an
//!   [`app::Command`], plain values;
//! - [`commands`]: one module per command, over a [`credential::Credential`];
//! - [`credential`]: the credential kinds (session, API key, instance, resource and OKE
//!   workload principals), each one module behind the one `Kind` trait; the one table and
//!   place that picks a kind; the one token cache and its refresh policy;
//! - [`services`]: the clients of OCI's services and of `OpenID` issuers (auth, signed API
//!   calls, metadata, OKE proxymux, OIDC) over [`services::http`];
//! - [`config`] (the oci CLI's config and rc files) and [`region`];
//! - [`crypto`]: keys, signing, DER and X.509; [`token`]: JWT claims;
//! - [`sys`]: the environment and clock ([`sys::env`]), files, locks and atomic writes
//!   ([`sys::store`]), processes ([`sys::spawn`]): the only code that touches the OS;
//! - [`output`]: one renderer per format and the one stdout writer.

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod credential;
pub mod crypto;
pub mod duration;
pub mod encoding;
pub mod error;
pub mod output;
pub mod region;
pub mod secret;
pub mod services;
pub mod suggest;
pub mod sys;
pub mod token;

/// `0.1.0 (commit 0123456789ab, x86_64-unknown-linux-musl)`: what `--version` prints.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("OCI_TOKEN_COMMIT"),
    ", ",
    env!("OCI_TOKEN_TARGET"),
    ")"
);
