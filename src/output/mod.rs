//! Renderers (pure, one per format) and `emit`, the only stdout writer.

pub(crate) mod env;
pub mod exec_credential;
pub(crate) mod json;
pub(crate) mod prompt;
pub(crate) mod setup_key;
pub(crate) mod terraform;
pub(crate) mod text;

use std::io::Write as _;

use jiff::Timestamp;

use crate::secret::Secret;

/// `get`, `refresh` and `validate` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// One JSON object (the stable schema, version 1).
    Json,
    /// `field: value` lines for people (never the token).
    Text,
}

/// Everything a session renderer may show.
#[derive(Debug)]
pub(crate) struct View<'a> {
    pub auth: &'static str,
    /// `None` for principals, which need no profile.
    pub profile: Option<&'a str>,
    pub config_file: Option<String>,
    pub region: Option<&'a str>,
    pub tenancy: Option<&'a str>,
    pub user: Option<&'a str>,
    pub fingerprint: Option<&'a str>,
    pub key_file: Option<String>,
    pub token_file: Option<String>,
    pub token: Option<&'a Secret<String>>,
    pub issued_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub session_expires_at: Option<Timestamp>,
    pub now: Timestamp,
    pub refreshed: bool,
}

impl View<'_> {
    /// Whole seconds left before `expires_at` (negative once past).
    #[must_use]
    pub(crate) fn expires_in_seconds(&self) -> Option<i64> {
        self.expires_at
            .map(|e| e.as_second() - self.now.as_second())
    }
}

/// Writes `payload` to stdout in one write and flushes. A closed pipe (`| head -c1`) is not
/// an error.
pub(crate) fn emit(payload: &str) -> std::io::Result<()> {
    #[allow(clippy::disallowed_methods)] // the one stdout writer
    let mut out = std::io::stdout().lock();
    match out.write_all(payload.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `value` as JSON text and a newline (one line, or indented when `pretty`). Serialising the
/// plain structs and maps of this crate does not fail; if it ever did, that is a bug and is
/// reported as one (exit 1), never printed as an empty payload with exit 0.
pub(crate) fn json_line<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
) -> crate::error::Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    let mut text = text.map_err(|e| {
        crate::error::Error::internal(&format!("the JSON output cannot be written: {e}"))
    })?;
    text.push('\n');
    Ok(text)
}

/// [`emit`] for commands: the payload, with a write failure as an exit-1 error.
pub(crate) fn print(payload: &str) -> crate::error::Result<()> {
    emit(payload).map_err(|e| crate::error::Error::Other(format!("cannot write to stdout: {e}")))
}

/// Whether stdout goes anywhere: not closed and not `/dev/null`. (Rust's runtime reopens a
/// closed stdout, `>&-`, onto `/dev/null`, where writes vanish without an error.) A secret
/// shown only once must not be sent there.
#[must_use]
pub(crate) fn stdout_is_open() -> bool {
    crate::sys::os::stdout_is_open()
}

/// [`print`] for a payload shown once (a new auth token): a closed stdout or a reader that
/// went away (broken pipe) is an error, not a success.
pub(crate) fn print_once(payload: &str) -> crate::error::Result<()> {
    let err = |e: &dyn std::fmt::Display| {
        crate::error::Error::Other(format!("cannot write to stdout: {e}"))
    };
    if !stdout_is_open() {
        return Err(err(&"it is closed or /dev/null"));
    }
    #[allow(clippy::disallowed_methods)] // the one stdout writer
    let mut out = std::io::stdout().lock();
    out.write_all(payload.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| err(&e))
}

/// A one-line warning on stderr (the only stderr writer besides `main`).
pub(crate) fn warn(msg: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("oci-token: warning: {msg}");
    }
}

/// A one-line notice on stderr for people (`validate`, `refresh`).
pub(crate) fn note(msg: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{msg}");
    }
}
