//! `~/.oci/config` and `oci_cli_rc`, resolved as the oci CLI resolves them.

pub mod edit;
pub mod ini;
pub(crate) mod path;
pub(crate) mod profile;
pub(crate) mod rc;

pub(crate) use path::expand_user;
pub(crate) use profile::{Options, Profile, resolve};
