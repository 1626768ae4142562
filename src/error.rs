//! One error type, one exit code per kind of next action.

use std::fmt::Write as _;
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

    /// A bug: something the code itself guarantees did not hold. Exit 1, and said so.
    #[must_use]
    pub fn internal(what: &str) -> Self {
        Error::Other(format!("internal error (a bug; please report it): {what}"))
    }

    /// Writing `path` failed (a full disk, a read-only file system): exit 1.
    #[must_use]
    pub fn write(path: &std::path::Path, e: &std::io::Error) -> Self {
        Error::Other(format!("cannot write {}: {e}", path.display()))
    }

    /// A service could not be reached, or failed after the bounded retries: exit 5, with
    /// what to check. `what` says which call and why.
    #[must_use]
    pub fn network(what: &str) -> Self {
        Error::Service(format!("{what}; {NETWORK_HINT}"))
    }

    /// A `NeedsLogin` error for `profile`, saying how to log in again.
    #[must_use]
    pub(crate) fn needs_login(profile: &str, why: &str) -> Self {
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

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// The next step of a network failure, in every message that reports one.
pub const NETWORK_HINT: &str = "check the network, proxy and CA bundle, then try again";

/// One exit code, documented once: `--help`, the man page and README's table are rendered
/// from [`EXIT_CODES`] (a test keeps README in step).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExitCodeDoc {
    pub code: u8,
    /// A few words, for `--help`.
    pub short: &'static str,
    /// When it happens.
    pub meaning: &'static str,
    /// What the user does next.
    pub next: &'static str,
}

pub(crate) const EXIT_CODES: [ExitCodeDoc; 6] = [
    ExitCodeDoc {
        code: 0,
        short: "success (the payload is on stdout)",
        meaning: "success; the payload is on stdout (also a failed *proactive* refresh while the token is still valid for `--min-valid`, with a warning)",
        next: "—",
    },
    ExitCodeDoc {
        code: 1,
        short: "other error (an unexpected I/O failure or a bug)",
        meaning: "other error: unexpected I/O failure (disk full), or a bug",
        next: "fix the disk, or report it",
    },
    ExitCodeDoc {
        code: 2,
        short: "usage error",
        meaning: "usage: the command line was rejected, or an option value no token can meet",
        next: "see `--help`",
    },
    ExitCodeDoc {
        code: 3,
        short: "configuration or key error (config file, profile, token file, key, passphrase, CA bundle)",
        meaning: "configuration or key: config file or profile missing or unparsable, no region, token file missing or not a JWT, a file that is not a regular file or too large, key unreadable, unsupported or unsafe, passphrase missing or wrong, token issued for another key, unreadable CA bundle, an unsafe session directory",
        next: "fix the config file, the key, `pass_phrase`/`OCI_CLI_PASSPHRASE` or the file the message names",
    },
    ExitCodeDoc {
        code: 4,
        short: "the session cannot be refreshed: log in again (oci-token login)",
        meaning: "the session cannot be refreshed: past `sess_exp`, a 401 from the service, or a session that cannot be extended no longer valid for `--min-valid`",
        next: "log in again: `oci-token login --profile-name <profile>` (or `oci session authenticate`)",
    },
    ExitCodeDoc {
        code: 5,
        short: "service, network or lock-timeout failure: retry",
        meaning: "service, network or lock timeout: DNS, connect, TLS, proxy, timeout, 5xx, an unusable reply, the lock not taken in time",
        next: "retry; check network, proxy, CA bundle",
    },
];

/// Commands whose exit status differs from the table.
pub(crate) const EXIT_EXCEPTIONS: &str = "exec exits with its command's status (128 + N when signal N ended it; 127 when the command is not found, 126 when it cannot be run); prompt always exits 0 (prompts must not break); validate exits 4 when the session is not valid";

/// The `Exit codes:` block of `--help`.
#[must_use]
pub(crate) fn exit_codes_help() -> String {
    let mut s = String::from("Exit codes:");
    for c in EXIT_CODES {
        let _ = write!(s, "\n  {}  {}", c.code, c.short);
    }
    s
}

/// The `EXIT STATUS` section of the man page (roff).
#[must_use]
pub(crate) fn exit_codes_roff() -> String {
    let esc = |t: &str| t.replace('\\', "\\e").replace('-', "\\-").replace('`', "");
    let mut s = String::from(".SH \"EXIT STATUS\"\n");
    for c in EXIT_CODES {
        let next = if c.next == "—" {
            String::new()
        } else {
            format!(" Next: {}.", esc(c.next))
        };
        let _ = write!(
            s,
            ".TP\n\\fB{}\\fR\n{}.{next}\n",
            c.code,
            esc(&c.meaning.replace('*', "")),
        );
    }
    let _ = write!(
        s,
        ".TP\n\\fBexec\\fR, \\fBprompt\\fR, \\fBvalidate\\fR\n{}.\n",
        esc(EXIT_EXCEPTIONS)
    );
    s
}

/// README's exit-code table (Markdown).
#[must_use]
pub fn exit_codes_markdown() -> String {
    let mut s = String::from("| code | meaning | what to do |\n| --- | --- | --- |\n");
    for c in EXIT_CODES {
        let _ = writeln!(s, "| {} | {} | {} |", c.code, c.meaning, c.next);
    }
    let _ = write!(s, "\nExceptions: {EXIT_EXCEPTIONS}.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_variants() {
        let errors = [
            Error::Other(String::new()),
            Error::Usage(String::new()),
            Error::Config(String::new()),
            Error::NeedsLogin(String::new()),
            Error::Service(String::new()),
        ];
        for e in &errors {
            assert!(EXIT_CODES.iter().any(|c| c.code == e.exit_code()), "{e:?}");
        }
        let codes: Vec<u8> = EXIT_CODES.iter().map(|c| c.code).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
        assert!(exit_codes_help().starts_with("Exit codes:\n  0  success"));
        assert_eq!(exit_codes_markdown().matches("\n| ").count(), 7);
    }
}
