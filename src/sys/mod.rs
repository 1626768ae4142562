//! The operating system: the environment, home and clock behind one injected interface
//! ([`env`]), files, locks and atomic private writes ([`store`]), and processes
//! ([`spawn`]), with what differs between Unix and Windows in [`os`]. Nothing outside this
//! module touches them directly.

pub(crate) mod env;
pub mod os;
pub(crate) mod spawn;
pub(crate) mod store;
