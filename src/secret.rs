//! `Secret<T>`: a value that must never be printed by accident.

use std::fmt;

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
