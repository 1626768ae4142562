//! `Secret<T>`: a value that must never be printed by accident.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

/// Holds a token, key or passphrase. No `Display`, `Clone`, `Serialize` or `PartialEq`:
/// the only way to the value is `expose()`, which review can grep for.
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

/// The secret in the first line of a file (a client secret, a password, a passphrase),
/// without its line end; `what` names it in errors ("client secret"). The file must be a
/// regular file of at most 64 KiB (see [`crate::sys::store::read_text`]) and the line not empty.
pub(crate) fn from_file(path: &Path, what: &str) -> Result<Secret<String>> {
    let text = crate::sys::store::read_text(path, 64 << 10).map_err(|e| {
        Error::Config(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })?;
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(Error::Config(format!(
            "the {what} file {} is empty",
            path.display()
        )));
    }
    Ok(Secret::new(first.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("eyJhbGciOi.secret".to_owned());
        assert_eq!(format!("{s:?}"), "Secret(REDACTED)");
        assert_eq!(s.expose(), "eyJhbGciOi.secret");
    }
}
