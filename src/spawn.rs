//! The only place that starts processes: the `exec` child.

use std::ffi::OsString;
use std::process::{Child, Command};

/// Starts `program` with `args`, the inherited environment plus `env`, and inherited stdio.
pub fn child(
    program: &OsString,
    args: &[OsString],
    env: &[(&str, String)],
) -> std::io::Result<Child> {
    #[allow(clippy::disallowed_methods)] // the one place that starts processes
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn()
}
