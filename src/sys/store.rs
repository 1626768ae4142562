//! Files: bounded reads of regular files only, the sidecar lock with a deadline, and atomic,
//! private writes.
//!
//! Everything here treats the file system as shared with other users: a path may be a FIFO
//! (reading it would block forever), a device (`/dev/zero` never ends), a 1 GiB file, or a
//! symlink planted while we wait for a lock. Reads therefore open without blocking, check
//! the file type and size on the open descriptor, and read at most a cap. Token writes go
//! through a [`Pinned`] file: its directory is opened once, and the lock, the re-read and the
//! rename all happen relative to that descriptor, never through a path resolved later.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::os;
use crate::error::{Error, Result};

/// Size caps of the files `oci-token` reads. A real token is 2-4 KiB, a key 2-3 KiB.
pub(crate) const MAX_TOKEN: u64 = 64 << 10;
pub(crate) const MAX_KEY: u64 = 1 << 20;
/// A config with 10,000 profiles is about 3 MiB.
pub(crate) const MAX_CONFIG: u64 = 16 << 20;
pub(crate) const MAX_SMALL: u64 = 4 << 20;

fn not_regular(m: &std::fs::Metadata) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", os::kind_of(m.file_type())),
    )
}

fn too_large(max: u64) -> std::io::Error {
    let (n, unit) = if max >= 1 << 20 {
        (max >> 20, "MiB")
    } else {
        (max >> 10, "KiB")
    };
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("it is larger than {n} {unit}"),
    )
}

/// Reads an opened file: a regular file of at most `max` bytes, else an error.
fn read_opened(file: File, max: u64) -> std::io::Result<Vec<u8>> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > max {
        return Err(too_large(max));
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(buf)
}

/// Reads `path` (symlinks followed) if it is a regular file of at most `max` bytes. A FIFO,
/// device, socket or directory is refused without blocking; so is a larger file.
pub(crate) fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    read_opened(os::open_read(path)?, max)
}

/// [`read_regular`] as UTF-8 text.
pub(crate) fn read_text(path: &Path, max: u64) -> std::io::Result<String> {
    String::from_utf8(read_regular(path, max)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// A file named once: its directory is opened when this is made, and everything afterwards
/// (read, lock, write) happens relative to that directory, so a symlink or directory swapped
/// in later by someone who can write there is never followed.
#[derive(Debug)]
pub(crate) struct Pinned {
    dir: File,
    dir_path: PathBuf,
    name: OsString,
}

impl Pinned {
    /// Resolves a symlinked `path` to its target once (a rename must replace the file, not
    /// the link) and opens its directory.
    pub(crate) fn new(path: &Path) -> std::io::Result<Self> {
        let target = write_target(path);
        let name = target
            .file_name()
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the path has no file name",
                )
            })?
            .to_os_string();
        let dir_path = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        Ok(Pinned {
            dir: os::open_dir(&dir_path)?,
            dir_path,
            name,
        })
    }

    /// The file's path, for messages.
    #[must_use]
    pub(crate) fn path(&self) -> PathBuf {
        self.dir_path.join(&self.name)
    }

    fn sibling(&self, prefix: &str, suffix: &str) -> OsString {
        let mut s = OsString::from(prefix);
        s.push(&self.name);
        s.push(suffix);
        s
    }

    /// The directory must belong to this user (or root) and not be writable by others, as
    /// ssh demands of `~/.ssh`: otherwise another user could replace the token under us.
    pub(crate) fn check_private(&self) -> std::result::Result<(), String> {
        match os::unsafe_owner(&self.dir).map_err(|e| e.to_string())? {
            Some(why) => Err(format!(
                "the directory {} is unsafe: {why}; run {}",
                self.dir_path.display(),
                os::fix_hint(&self.dir_path, true)
            )),
            None => Ok(()),
        }
    }

    /// Reads the file without following a symlink at its name.
    pub(crate) fn read(&self, max: u64) -> std::io::Result<Vec<u8>> {
        read_opened(
            os::open_read_at(&self.dir, &self.dir_path, &self.name)?,
            max,
        )
    }

    /// Takes the exclusive sidecar lock (`<name>.lock`, mode 0600, never a symlink), waiting
    /// at most `timeout` in a blocking (queued, fair) `flock`; past it, exit 5.
    pub(crate) fn lock(&self, timeout: Duration) -> Result<Lock> {
        let lock_name = self.sibling("", ".lock");
        let path = self.dir_path.join(&lock_name);
        let file = os::open_lock_at(&self.dir, &self.dir_path, &lock_name).map_err(|e| {
            Error::Other(format!("cannot open the lock file {}: {e}", path.display()))
        })?;
        lock_file(file, &path, timeout)
    }

    /// Replaces the file atomically, relative to the pinned directory: a 0600 temp file with
    /// a fixed name (`.<name>.oci-token.tmp`; a stale one left by a killed writer is removed
    /// first), written, synced, renamed over the name, then the directory synced. Call with
    /// the lock held. On any error the file is untouched and no temp file remains.
    pub(crate) fn write_atomic(&self, data: &[u8]) -> std::io::Result<()> {
        let tmp = self.sibling(".", ".oci-token.tmp");
        match os::remove_at(&self.dir, &self.dir_path, &tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut f = os::create_private_at(&self.dir, &self.dir_path, &tmp)?;
        let result = (|| {
            f.write_all(data)?;
            f.sync_all()?;
            // Closed before the rename: Windows cannot rename a file we hold open.
            drop(f);
            os::rename_at(&self.dir, &self.dir_path, &tmp, &self.name)?;
            os::sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = os::remove_at(&self.dir, &self.dir_path, &tmp);
        }
        result
    }
}

/// A directory opened once and checked, through which files are read, locked, written and
/// removed by name (never by a path resolved later). Cache roots and their entries are
/// opened this way, so a symlink or directory planted by someone who can write a parent is
/// refused instead of followed.
#[derive(Debug)]
pub(crate) struct Dir {
    fd: File,
    path: PathBuf,
}

/// Why a directory may not hold credentials: a symlink another user made, another user's,
/// or writable by others.
fn unsafe_dir(path: &Path, dir: &File) -> std::io::Result<Option<String>> {
    Ok(os::unsafe_owner(dir)?.map(|why| {
        format!(
            "the directory {} is unsafe: {why}; remove it or run {}",
            path.display(),
            os::fix_hint(path, true)
        )
    }))
}

impl Dir {
    /// Opens `path` as a private directory, creating it (and its parents, mode 0700) when
    /// `create` and missing; `Ok(None)` when missing and not `create`. A symlink at `path`
    /// is followed only when this user (or root) made it; the directory itself must be this
    /// user's (or root's) and not writable by group or others.
    ///
    /// The path is opened as it is checked ([`os::open_dir_walk`]): one component at a time
    /// without following links, a link followed only when this user or root made it, and
    /// the checks made on the opened descriptor. A check by path followed by an open by path
    /// let another user swap a directory for a symlink in between (in a shared, 1777
    /// `XDG_CACHE_HOME`), and a link higher up the path was followed unchecked.
    pub(crate) fn open_private(path: &Path, create: bool) -> Result<Option<Dir>> {
        let fd = match os::open_dir_walk(path, create) {
            Ok(fd) => fd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Error::Config(format!("refusing {}: {e}", path.display())));
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot open the directory {}: {e}",
                    path.display()
                )));
            }
        };
        Dir::checked(fd, path.to_owned()).map(Some)
    }

    fn checked(fd: File, path: PathBuf) -> Result<Dir> {
        let why = unsafe_dir(&path, &fd)
            .map_err(|e| Error::Config(format!("cannot inspect {}: {e}", path.display())))?;
        if let Some(why) = why {
            return Err(Error::Config(format!("refusing the cache: {why}")));
        }
        Ok(Dir { fd, path })
    }

    /// The directory's path, for messages and output.
    #[must_use]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The sub-directory `name` (one path component), created 0700 when `create` and
    /// missing; `Ok(None)` when missing and not `create`. Never a symlink; checked as
    /// [`Dir::open_private`] checks.
    pub(crate) fn child(&self, name: &str, create: bool) -> Result<Option<Dir>> {
        let path = self.path.join(name);
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(Error::internal(&format!(
                "{name:?} is not a directory name"
            )));
        }
        if create {
            match os::mkdir_private_at(&self.fd, &self.path, OsStr::new(name)) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::Other(format!(
                        "cannot create the directory {}: {e}",
                        path.display()
                    )));
                }
                _ => {}
            }
        }
        match os::open_dir_at(&self.fd, &self.path, OsStr::new(name)) {
            Ok(fd) => Dir::checked(fd, path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(Error::Config(format!(
                "refusing the cache: {} is not a directory (a symlink or a file was put there)",
                path.display()
            ))),
            Err(e) => Err(Error::Config(format!(
                "cannot open the directory {}: {e}",
                path.display()
            ))),
        }
    }

    /// The file `name` in this directory, pinned: reads, the lock and writes go through
    /// this directory's descriptor.
    pub(crate) fn file(&self, name: &str) -> Result<Pinned> {
        let dir = self
            .fd
            .try_clone()
            .map_err(|e| Error::Other(format!("cannot use {}: {e}", self.path.display())))?;
        Ok(Pinned {
            dir,
            dir_path: self.path.clone(),
            name: OsString::from(name),
        })
    }

    /// Removes the file `name` (never following a link: a link is removed, not its
    /// target); a missing file is no error.
    pub(crate) fn remove(&self, name: &str) -> std::io::Result<()> {
        match os::remove_at(&self.fd, &self.path, OsStr::new(name)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

/// The path a write must replace: a symlinked token path resolves to its target, so the
/// rename replaces the file and not the link.
#[must_use]
pub(crate) fn write_target(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
        }
        _ => path.to_owned(),
    }
}

/// An exclusive lock, released when dropped (or by the OS when the process dies).
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
}

/// Takes the lock of an opened lock file within `timeout`. Uncontended, one `flock` call;
/// contended, a blocking `flock` on a helper thread, so waiters queue in the kernel and wake
/// the moment the holder lets go (polling starves waiters: a process that unlocks and locks
/// again wins every race against sleepers). If the deadline passes first, the helper keeps
/// waiting and, when it gets the lock, finds nobody to hand it to and drops it at once.
fn lock_file(file: File, path: &Path, timeout: Duration) -> Result<Lock> {
    match file.try_lock() {
        Ok(()) => return Ok(Lock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) if os::lock_unsupported(&e) => {
            // stderr directly: `sys` is below `output` (tests/cli/layout.rs).
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "oci-token: warning: the file system of {} has no locks ({e}); going on without one (writes are still atomic)",
                    path.display()
                );
            }
            return Ok(Lock { _file: file });
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(Error::Other(format!("cannot lock {}: {e}", path.display())));
        }
    }
    let timed_out = || {
        Error::Service(format!(
            "timed out after {}s waiting for the lock {} (another oci-token is refreshing); try again",
            timeout.as_secs(),
            path.display()
        ))
    };
    if timeout.is_zero() {
        return Err(timed_out());
    }
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("oci-token-lock".into())
        .spawn(move || {
            let r = file.lock().map(|()| file);
            // If the waiter gave up, this send fails and the file (and lock) is dropped.
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(Error::Other(format!(
            "cannot wait for {}: {e}",
            path.display()
        )));
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(file)) => Ok(Lock { _file: file }),
        Ok(Err(e)) => Err(Error::Other(format!("cannot lock {}: {e}", path.display()))),
        Err(_) => Err(timed_out()),
    }
}

/// An `Instant` `d` from now, saturating instead of overflowing.
#[must_use]
pub(crate) fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

/// Undoes a multi-file write that failed part-way: removes the files and directories it was
/// told it created, unless [`Rollback::commit`] was called. A retry then starts clean
/// instead of finding "already exists".
#[derive(Debug, Default)]
pub(crate) struct Rollback {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    done: bool,
}

impl Rollback {
    /// Remembers `path` if it does not exist yet (call before creating it).
    pub(crate) fn will_create_file(&mut self, path: &Path) {
        if std::fs::symlink_metadata(path).is_err() {
            self.files.push(path.to_owned());
        }
    }

    /// Remembers `dir` if it does not exist yet (call before creating it).
    pub(crate) fn will_create_dir(&mut self, dir: &Path) {
        if std::fs::symlink_metadata(dir).is_err() {
            self.dirs.push(dir.to_owned());
        }
    }

    /// Everything was written: keep it.
    pub(crate) fn commit(mut self) {
        self.done = true;
    }
}

impl Drop for Rollback {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            // Only what this run created: a real directory, never a link's target.
            if std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()) {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }
}

/// Creates `dir` (and its parents) if missing; a directory this creates gets mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> crate::error::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    os::create_private_dir_all(dir).map_err(|e| {
        crate::error::Error::Other(format!("cannot create directory {}: {e}", dir.display()))
    })
}

/// Replaces `path` atomically: a 0600 temp file in the same directory, written, synced,
/// renamed over the target, then the directory synced. Readers see the old or the new
/// content, never a part; on any error the target is untouched and the temp file removed.
/// For files written without a lock (config, keys, archives): the temp name is random.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let target = write_target(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = os::private_tempfile(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    os::persist(tmp, &target)?;
    os::sync_dir(&os::open_dir(dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sidecar lock of `token`, as `Pinned` takes it.
    fn lock(token: &Path, timeout: Duration) -> Result<Lock> {
        Pinned::new(token).unwrap().lock(timeout)
    }

    /// Where the sidecar lock of `token` lives: beside the (resolved) token (the symlink
    /// test, Unix only).
    #[cfg(unix)]
    fn lock_path(token: &Path) -> PathBuf {
        let target = write_target(token);
        let mut name = target.file_name().unwrap().to_os_string();
        name.push(".lock");
        target.with_file_name(name)
    }

    #[test]
    fn atomic_write_replaces_and_is_private() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("token");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(os::exposure_at(&p), None);
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

    #[test]
    #[cfg(unix)]
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
        let pinned = Pinned::new(&link).unwrap();
        pinned.write_atomic(b"newer").unwrap();
        assert_eq!(std::fs::read(&real).unwrap(), b"newer");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    #[cfg(unix)]
    fn pinned_write_ignores_a_symlink_swapped_in_later() {
        let d = tempfile::tempdir().unwrap();
        let token = d.path().join("token");
        std::fs::write(&token, "old").unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let pinned = Pinned::new(&token).unwrap();
        // Someone replaces the token with a symlink while we wait for the lock.
        std::fs::remove_file(&token).unwrap();
        std::os::unix::fs::symlink(&victim, &token).unwrap();
        assert!(
            pinned.read(MAX_TOKEN).is_err(),
            "a swapped-in symlink is not read"
        );
        pinned.write_atomic(b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&token).unwrap(), b"new");
        assert!(
            !std::fs::symlink_metadata(&token)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn stale_temp_is_replaced_and_none_remains() {
        let d = tempfile::tempdir().unwrap();
        let token = d.path().join("token");
        std::fs::write(&token, "old").unwrap();
        std::fs::write(d.path().join(".token.oci-token.tmp"), "half").unwrap();
        Pinned::new(&token).unwrap().write_atomic(b"new").unwrap();
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("token")]);
    }

    #[test]
    #[cfg(unix)]
    fn fifo_device_and_large_files_are_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        // mkfifo(1): rustix has no mknodat/mkfifoat on macOS.
        #[allow(clippy::disallowed_methods)]
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let e = read_regular(&fifo, MAX_TOKEN).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), MAX_TOKEN).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        let big = d.path().join("big");
        std::fs::write(&big, vec![b'a'; 70 << 10]).unwrap();
        let e = read_regular(&big, MAX_TOKEN).unwrap_err();
        assert!(e.to_string().contains("larger than 64 KiB"), "{e}");
        assert!(read_regular(d.path(), MAX_TOKEN).is_err());
    }

    #[test]
    fn second_lock_times_out() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("token");
        let _held = lock(&p, Duration::from_secs(1)).unwrap();
        let e = lock(&p, Duration::from_millis(50)).unwrap_err();
        assert_eq!(e.exit_code(), 5);
        let e = lock(&p, Duration::ZERO).unwrap_err();
        assert_eq!(e.exit_code(), 5);
    }

    #[test]
    fn a_waiter_gets_the_lock_as_soon_as_it_is_released() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("token");
        let held = lock(&p, Duration::from_secs(1)).unwrap();
        let p2 = p.clone();
        let waiter = std::thread::spawn(move || {
            let t = Instant::now();
            let _l = lock(&p2, Duration::from_secs(10)).unwrap();
            t.elapsed()
        });
        std::thread::sleep(Duration::from_millis(200));
        drop(held);
        let elapsed = waiter.join().unwrap();
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
        // A waiter that gave up does not keep the lock.
        let held = lock(&p, Duration::from_secs(1)).unwrap();
        assert!(lock(&p, Duration::from_millis(20)).is_err());
        drop(held);
        std::thread::sleep(Duration::from_millis(50));
        assert!(lock(&p, Duration::from_millis(500)).is_ok());
    }

    /// Windows: a reader that holds the file open without `FILE_SHARE_DELETE` (as Python's
    /// `open` does) makes the rename fail with a sharing violation; the write waits for it.
    #[test]
    #[cfg(windows)]
    fn a_replace_waits_for_a_reader_that_holds_the_file() {
        use std::os::windows::fs::OpenOptionsExt as _;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("token");
        std::fs::write(&p, "old").unwrap();
        let reader = std::fs::OpenOptions::new()
            .read(true)
            .share_mode(0x1 | 0x2)
            .open(&p)
            .unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(reader);
        });
        let t = Instant::now();
        write_atomic(&p, b"new").unwrap();
        release.join().unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(100),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        let pinned = Pinned::new(&p).unwrap();
        pinned.write_atomic(b"newer").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"newer");
    }
}
