//! `~/.oci/config` and `oci_cli_rc`, resolved as the oci CLI resolves them.

pub mod edit;
pub mod ini;
pub mod path;
pub mod profile;
pub mod rc;

pub use path::expand_user;
pub use profile::{Options, Profile, resolve};
