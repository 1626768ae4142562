//! Files: the sidecar lock and the atomic, private write.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The path a write must replace: a symlinked token path resolves to its target, so the
/// rename replaces the file and not the link.
#[must_use]
pub fn write_target(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
        }
        _ => path.to_owned(),
    }
}

/// The sidecar lock of a token file: `<token>.lock` beside the (resolved) token.
#[must_use]
pub fn lock_path(token: &Path) -> PathBuf {
    let target = write_target(token);
    let mut name = target
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(".lock");
    target.with_file_name(name)
}

/// An exclusive lock, released when dropped (or by the OS when the process dies).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Takes the sidecar lock of `token`, polling until `timeout` has passed (exit 5 then).
pub fn lock(token: &Path, timeout: Duration) -> Result<Lock> {
    let path = lock_path(token);
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts
        .open(&path)
        .map_err(|e| Error::Other(format!("cannot open the lock file {}: {e}", path.display())))?;
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::Other(format!("cannot lock {}: {e}", path.display())));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::Service(format!(
                "timed out after {}s waiting for the lock {} (another oci-token is refreshing); try again",
                timeout.as_secs(),
                path.display()
            )));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Creates `dir` (and its parents) if missing; a directory this creates gets mode 0700.
pub fn create_private_dir(dir: &Path) -> crate::error::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| {
        crate::error::Error::Other(format!("cannot create directory {}: {e}", dir.display()))
    })
}

/// Replaces `path` atomically: a 0600 temp file in the same directory, written, synced,
/// renamed over the target, then the directory synced. Readers see the old or the new
/// content, never a part; on any error the target is untouched.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let target = write_target(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".oci-token.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_is_private() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("token");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_target_is_replaced_not_the_link() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        std::fs::write(&real, "old").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        assert_eq!(
            lock_path(&link),
            d.path().canonicalize().unwrap().join("real.lock")
        );
    }

    #[test]
    fn second_lock_times_out() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("token");
        let _held = lock(&p, Duration::from_secs(1)).unwrap();
        let e = lock(&p, Duration::from_millis(50)).unwrap_err();
        assert_eq!(e.exit_code(), 5);
    }
}
