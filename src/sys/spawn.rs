//! The only place that starts processes: the `exec` child and the login browser.

use std::ffi::OsString;
use std::process::{Child, Command};

/// Starts `program` (looked up as the platform's shell would, see
/// [`super::os::resolve_program`]) with `args`, the inherited environment plus `env`, and
/// inherited stdio.
pub(crate) fn child(
    ambient: &dyn super::env::Env,
    program: &OsString,
    args: &[OsString],
    env: &[(&str, String)],
) -> std::io::Result<Child> {
    #[allow(clippy::disallowed_methods)] // the one place that starts processes
    let mut cmd = Command::new(super::os::resolve_program(ambient, program));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn()
}

/// Starts `program` detached from our stdio (a browser); does not wait for it.
pub(crate) fn detached(program: &str, args: &[String]) -> std::io::Result<()> {
    #[allow(clippy::disallowed_methods)] // the one place that starts processes
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd.spawn().map(|_| ())
}
