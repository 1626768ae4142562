#![cfg_attr(test, allow(clippy::unwrap_used, clippy::disallowed_methods))]
//! `oci-token`: a fast, non-interactive credential helper for OCI.
//!
//! The binary is a thin shell over [`cli::run`]. Layers, from the outside in:
//! - [`cli`]: the only clap code; turns the command line into a [`context::Context`] and an
//!   [`app::Command`], plain values;
//! - [`commands`]: one module per command, over a [`credential::Credential`];
//! - [`credential`]: the credential kinds (session, API key), the refresh policy, and the
//!   one place that picks a kind;
//! - protocol and plumbing: [`auth`] (the auth service client), [`config`], [`key`],
//!   [`sign`], [`token`], [`region`], [`oke`], [`http`], [`store`], [`output`].

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod credential;
pub mod der;
pub mod duration;
pub mod encoding;
pub mod env;
pub mod error;
pub mod http;
pub mod imds;
pub mod key;
pub mod keygen;
pub mod ocir;
pub mod oidc;
pub mod oke;
pub mod output;
pub mod region;
pub mod secret;
pub mod sign;
pub mod spawn;
pub mod store;
pub mod token;
pub mod x509;
