//! One error type, one exit code per kind of next action.

use std::process::ExitCode;

/// What went wrong, named by what the caller does next. Messages are one line, name the
/// profile, file or URL involved, and never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Exit 3: fix the config file, the key, the passphrase or the named file.
    #[error("{0}")]
    Config(String),
    /// Exit 4: the session cannot be refreshed; log in again.
    #[error("{0}")]
    NeedsLogin(String),
    /// Exit 5: the service, the network or the lock failed; retry.
    #[error("{0}")]
    Service(String),
    /// Exit 2: the command line is wrong in a way clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// `exec` could not start its command: 127 not found, 126 not runnable (as shells do).
    #[error("{1}")]
    Spawn(u8, String),
    /// Exit 1: anything else (an I/O failure such as a full disk, or a bug).
    #[error("{0}")]
    Other(String),
}

impl Error {
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Other(_) => 1,
            Error::Usage(_) => 2,
            Error::Config(_) => 3,
            Error::NeedsLogin(_) => 4,
            Error::Service(_) => 5,
            Error::Spawn(code, _) => *code,
        }
    }

    /// A `NeedsLogin` error for `profile`, saying how to log in again.
    #[must_use]
    pub fn needs_login(profile: &str, why: &str) -> Self {
        Error::NeedsLogin(format!(
            "profile '{profile}': {why}; log in again with `oci-token login --profile-name {profile}` (or `oci session authenticate --profile-name {profile}`)"
        ))
    }
}

impl From<Error> for ExitCode {
    fn from(e: Error) -> Self {
        ExitCode::from(e.exit_code())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
