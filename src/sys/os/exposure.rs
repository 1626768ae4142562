//! What the platforms report about a credential file's access.

/// Who besides the user may get at a file that holds a credential.
#[derive(Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Unsafe: another user owns it, or others may write it (why).
    Writable(String),
    /// Others may read it (who).
    Readable(String),
    /// Who may get at it could not be read (why): the file opens, but its owner or access
    /// list does not (a network share without `READ_CONTROL`, say). Reported, not ignored.
    #[cfg_attr(not(windows), allow(dead_code))] // only a DACL can be unreadable
    Unknown(String),
}
