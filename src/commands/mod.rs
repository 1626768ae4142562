//! One module per command (or family of commands). Each takes the [`Context`] and plain
//! values, uses a [`Credential`] for anything it signs or prints, and writes its payload
//! through `output`.
//!
//! [`Context`]: crate::context::Context
//! [`Credential`]: crate::credential::Credential

pub mod archive;
pub(crate) mod auth_token;
pub mod docker;
pub mod exec;
pub(crate) mod get;
pub(crate) mod kube;
pub mod kubeconfig;
pub mod login;
pub(crate) mod oidc;
pub(crate) mod prompt;
pub(crate) mod setup_key;
pub mod terraform;
