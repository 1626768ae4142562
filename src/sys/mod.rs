//! The operating system: the environment, home and clock behind one injected interface
//! ([`env`]), files, locks and atomic private writes ([`store`]), and processes
//! ([`spawn`]). Nothing outside this module touches them directly.

pub mod env;
pub mod spawn;
pub mod store;
