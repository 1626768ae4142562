//! One module per command (or family of commands). Each takes the [`Context`] and plain
//! values, uses a [`Credential`] for anything it signs or prints, and writes its payload
//! through `output`.
//!
//! [`Context`]: crate::context::Context
//! [`Credential`]: crate::credential::Credential

pub mod archive;
pub mod auth_token;
pub mod docker;
pub mod exec;
pub mod get;
pub mod kube;
pub mod kubeconfig;
pub mod login;
pub mod oidc;
pub mod prompt;
pub mod setup_key;
pub mod terraform;
