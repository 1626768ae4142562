//! Unix: `openat`-family calls relative to directory descriptors, modes and uids, termios,
//! signals.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStringExt as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};

use rustix::fs::{AtFlags, Mode, OFlags};

use super::exposure::Exposure;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;

const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

/// What separates entries of a list in an environment variable (`PATH`, `BROWSER`).
pub(crate) const LIST_SEPARATOR: char = ':';

/// The program `exec` starts for `name`: on Unix, `name` itself (`execvp` searches `PATH`).
#[must_use]
pub(crate) fn resolve_program(_env: &dyn crate::sys::env::Env, name: &OsStr) -> std::ffi::OsString {
    name.to_owned()
}

/// The command that opens `url` in the user's browser: `xdg-open`, on macOS `open`
/// (Launch Services). Started without a shell, so `&` in the URL stays in it.
#[must_use]
pub(crate) fn url_opener(url: &str) -> Vec<String> {
    url_opener_for(url, cfg!(target_os = "macos"))
}

/// [`url_opener`] for Linux (`macos` false) or macOS, so both are tested everywhere.
#[must_use]
fn url_opener_for(url: &str, macos: bool) -> Vec<String> {
    let program = if macos { "/usr/bin/open" } else { "xdg-open" };
    vec![program.into(), url.into()]
}

/// Whether `name` cannot be a file name of its own here (never on Unix; see the Windows
/// version).
#[must_use]
pub(crate) fn reserved_file_name(_name: &str) -> bool {
    false
}

/// What a file that is not a regular file is, for messages.
#[must_use]
pub(crate) fn kind_of(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// How to make a file (or directory) private, for messages: `chmod` when it is ours; when
/// another user owns it, a mode change is not ours to make, so `chown` (as root), or a
/// file or directory of our own.
#[must_use]
pub(crate) fn fix_hint(path: &Path, dir: bool) -> String {
    let me = rustix::process::geteuid().as_raw();
    let foreign = std::fs::symlink_metadata(path).is_ok_and(|m| m.uid() != me && m.uid() != 0);
    fix_hint_for(path, dir, foreign)
}

/// [`fix_hint`] for a path whose owner is (`foreign`) or is not another user.
#[must_use]
fn fix_hint_for(path: &Path, dir: bool, foreign: bool) -> String {
    if foreign {
        format!(
            "`sudo chown \"$(id -un)\" {}` (it belongs to another user), or use one of your own{}",
            path.display(),
            if dir {
                " (OCI_TOKEN_CACHE_DIR for a cache root)"
            } else {
                ""
            }
        )
    } else {
        format!(
            "`chmod {} {}`",
            if dir { "700" } else { "600" },
            path.display()
        )
    }
}

/// The home directory: `HOME`, else the passwd entry (`std::env::home_dir`).
#[must_use]
pub(crate) fn home_dir(_env: &dyn crate::sys::env::Env) -> Option<std::path::PathBuf> {
    #[allow(clippy::disallowed_methods)] // the home directory, read once here
    std::env::home_dir()
}

/// Another user's home directory, from the passwd file (for `~name`).
#[must_use]
pub(crate) fn other_user_home(
    _env: &dyn crate::sys::env::Env,
    user: &str,
) -> Option<std::path::PathBuf> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6 && f[0] == user).then(|| std::path::PathBuf::from(f[5]))
    })
}

/// The per-user cache root when `OCI_TOKEN_CACHE_DIR` is not set: `$XDG_CACHE_HOME/oci-token`
/// (an absolute `XDG_CACHE_HOME` only, as the XDG spec says), else the platform's cache
/// directory: `~/.cache/oci-token`, on macOS `~/Library/Caches/oci-token` (see
/// `docs/macos.md`).
#[must_use]
pub(crate) fn default_cache_root(env: &dyn crate::sys::env::Env) -> Option<std::path::PathBuf> {
    cache_root_for(env, cfg!(target_os = "macos"))
}

/// [`default_cache_root`] for Linux (`macos` false) or macOS, so both are tested everywhere.
#[must_use]
fn cache_root_for(env: &dyn crate::sys::env::Env, macos: bool) -> Option<std::path::PathBuf> {
    if let Some(d) = env.var("XDG_CACHE_HOME").filter(|d| d.starts_with('/')) {
        return Some(Path::new(&d).join("oci-token"));
    }
    let rel = if macos {
        "Library/Caches/oci-token"
    } else {
        ".cache/oci-token"
    };
    env.home().map(|h| h.join(rel))
}

/// Where OIDC logins keep their state: `~/.oci/oidc`.
#[must_use]
pub(crate) fn oidc_state_dir(env: &dyn crate::sys::env::Env) -> std::path::PathBuf {
    crate::sys::env::home_path(env, ".oci/oidc")
}

/// The system's trusted roots, when they are used instead of the built-in Mozilla roots:
/// never on Unix (a CA bundle is given with `cert_bundle` / `OCI_CLI_CERT_BUNDLE`).
#[must_use]
pub(crate) fn system_roots() -> Option<Vec<Vec<u8>>> {
    None
}

/// Opens `path` for reading (links followed) without blocking on a FIFO or a device.
pub(crate) fn open_read(path: &Path) -> io::Result<File> {
    Ok(File::from(rustix::fs::open(
        path,
        READ_FLAGS,
        Mode::empty(),
    )?))
}

/// Opens the directory `path` (links followed).
pub(crate) fn open_dir(path: &Path) -> io::Result<File> {
    Ok(File::from(rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?))
}

/// Opens the directory `path` walking it one component at a time from `/` (or the current
/// directory), each with `O_NOFOLLOW`, so that what is checked is what is opened: a
/// symlink anywhere on the way is followed only when this user or root made it (another
/// user's could be swapped in between a check and an open, or point into this user's
/// files), at most 40 of them. A missing component is created (0700) with `mkdirat` when
/// `create`. Errors: `NotFound` (missing, not `create`), `PermissionDenied` naming the
/// foreign link, `NotADirectory`.
pub(crate) fn open_dir_walk(path: &Path, create: bool) -> io::Result<File> {
    use std::collections::VecDeque;
    use std::path::Component;
    let me = rustix::process::geteuid().as_raw();
    let open_root =
        |abs: bool| -> io::Result<File> { open_dir(Path::new(if abs { "/" } else { "." })) };
    let mut dir = open_root(path.is_absolute())?;
    let mut shown = PathBuf::from(if path.is_absolute() { "/" } else { "." });
    let mut todo: VecDeque<std::ffi::OsString> = VecDeque::new();
    let push = |todo: &mut VecDeque<_>, p: &Path, front: bool| {
        let parts: Vec<std::ffi::OsString> = p
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_owned()),
                Component::ParentDir => Some("..".into()),
                _ => None,
            })
            .collect();
        if front {
            for part in parts.into_iter().rev() {
                todo.push_front(part);
            }
        } else {
            todo.extend(parts);
        }
    };
    push(&mut todo, path, false);
    let mut links = 0;
    while let Some(name) = todo.pop_front() {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(&dir, &name, flags, Mode::empty()) {
            Ok(fd) => {
                dir = File::from(fd);
                shown.push(&name);
            }
            Err(rustix::io::Errno::NOENT) if create && name != ".." => {
                match rustix::fs::mkdirat(&dir, &name, Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                todo.push_front(name);
            }
            Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                let st = rustix::fs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW)?;
                if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::Symlink
                {
                    return Err(io::ErrorKind::NotADirectory.into());
                }
                shown.push(&name);
                if st.st_uid != me && st.st_uid != 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!(
                            "{} is a symlink made by another user (uid {}); not followed",
                            shown.display(),
                            st.st_uid
                        ),
                    ));
                }
                links += 1;
                if links > 40 {
                    return Err(io::Error::from_raw_os_error(
                        rustix::io::Errno::LOOP.raw_os_error(),
                    ));
                }
                let target = PathBuf::from(std::ffi::OsString::from_vec(
                    rustix::fs::readlinkat(&dir, &name, Vec::new())?.into_bytes(),
                ));
                if target.is_absolute() {
                    dir = open_root(true)?;
                }
                push(&mut todo, &target, true);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(dir)
}

/// Opens `name` in `dir` for reading, never through a link at `name`.
pub(crate) fn open_read_at(dir: &File, _dir_path: &Path, name: &OsStr) -> io::Result<File> {
    match rustix::fs::openat(dir, name, READ_FLAGS | OFlags::NOFOLLOW, Mode::empty()) {
        Ok(fd) => Ok(File::from(fd)),
        Err(rustix::io::Errno::LOOP) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it was replaced by a symlink",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Opens (creating, 0600) the lock file `name` in `dir`, never through a link.
pub(crate) fn open_lock_at(dir: &File, _dir_path: &Path, name: &OsStr) -> io::Result<File> {
    Ok(File::from(rustix::fs::openat(
        dir,
        name,
        OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::from_raw_mode(0o600),
    )?))
}

/// Creates the new file `name` in `dir` for writing, private (0600), never through a link.
pub(crate) fn create_private_at(dir: &File, _dir_path: &Path, name: &OsStr) -> io::Result<File> {
    let f = File::from(rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?);
    // The umask cannot widen 0600, but a parent's default ACL could.
    rustix::fs::fchmod(&f, Mode::from_raw_mode(0o600))?;
    Ok(f)
}

/// Renames `from` over `to`, both in `dir`.
pub(crate) fn rename_at(dir: &File, _dir_path: &Path, from: &OsStr, to: &OsStr) -> io::Result<()> {
    Ok(rustix::fs::renameat(dir, from, dir, to)?)
}

/// Makes a rename in `dir` durable. On macOS `fsync` only hands the data to the drive,
/// which may keep it in its cache across a power loss; `F_FULLFSYNC` asks the drive to
/// flush (std's `File::sync_all`, used for the file itself, already does). File systems
/// that refuse it (some network mounts) get the plain `fsync`.
pub(crate) fn sync_dir(dir: &File) -> io::Result<()> {
    #[cfg(target_os = "macos")]
    if rustix::fs::fcntl_fullfsync(dir).is_ok() {
        return Ok(());
    }
    Ok(rustix::fs::fsync(dir)?)
}

/// Whether a lock failed because the file system has no locks (`ENOTSUP`, `EOPNOTSUPP`,
/// `ENOLCK`: some NFS and SMB mounts). The caller then goes on without the lock, with a
/// warning: every write is an atomic rename, so two refreshes at once each leave a whole,
/// valid token; failing instead would make a home on such a mount unusable.
#[must_use]
pub(crate) fn lock_unsupported(e: &io::Error) -> bool {
    use rustix::io::Errno;
    e.raw_os_error().is_some_and(|c| {
        [Errno::NOTSUP, Errno::OPNOTSUPP, Errno::NOLCK]
            .iter()
            .any(|n| n.raw_os_error() == c)
    })
}

/// Removes `name` in `dir` (a link itself, never its target).
pub(crate) fn remove_at(dir: &File, _dir_path: &Path, name: &OsStr) -> io::Result<()> {
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?)
}

/// Creates the private (0700) directory `name` in `dir`.
pub(crate) fn mkdir_private_at(dir: &File, _dir_path: &Path, name: &OsStr) -> io::Result<()> {
    Ok(rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o700))?)
}

/// Opens the directory `name` in `dir`; a link or a non-directory there is
/// `ErrorKind::NotADirectory`.
pub(crate) fn open_dir_at(dir: &File, _dir_path: &Path, name: &OsStr) -> io::Result<File> {
    match rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => Ok(File::from(fd)),
        Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
            Err(io::ErrorKind::NotADirectory.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn unsafe_meta(m: &std::fs::Metadata) -> Option<String> {
    let me = rustix::process::geteuid().as_raw();
    if m.uid() != me && m.uid() != 0 {
        return Some(format!("it belongs to another user (uid {})", m.uid()));
    }
    if m.mode() & 0o022 != 0 {
        return Some(format!(
            "group or others can write it (mode {:o})",
            m.mode() & 0o7777
        ));
    }
    None
}

/// Why an open file or directory that holds credentials is unsafe: owned by another user
/// (root excepted) or writable by group or others. `None` when it is fine.
pub(crate) fn unsafe_owner(file: &File) -> io::Result<Option<String>> {
    Ok(unsafe_meta(&file.metadata()?))
}

/// Who besides its owner may get at the file at `path` (links followed), from one `stat`:
/// [`unsafe_owner`]'s verdict first, else group or other read bits on a regular file.
/// `None` when it is private or cannot be inspected.
#[must_use]
pub fn exposure_at(path: &Path) -> Option<Exposure> {
    let m = std::fs::metadata(path).ok()?;
    if let Some(why) = unsafe_meta(&m) {
        return Some(Exposure::Writable(why));
    }
    (m.is_file() && m.mode() & 0o044 != 0)
        .then(|| Exposure::Readable("other users can read it".to_owned()))
}

/// Creates `dir` and its missing parents, each mode 0700.
pub(crate) fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// A new private (0600) temp file in `dir`, with a random name.
pub(crate) fn private_tempfile(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::Builder::new()
        .prefix(".oci-token.")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(tmp)
}

/// Renames the temp file over `target`.
pub(crate) fn persist<F>(tmp: tempfile::NamedTempFile<F>, target: &Path) -> io::Result<()> {
    tmp.persist(target).map(drop).map_err(|e| e.error)
}

/// Creates `path` as a new private (0600) file; an existing path of any kind is an error.
pub(crate) fn create_private_new(path: &Path) -> io::Result<File> {
    let mut b = std::fs::OpenOptions::new();
    b.write(true).create_new(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut b, 0o600);
    b.open(path)
}

/// Reads a line from the terminal on stdin with echo off (echo is restored afterwards).
pub(crate) fn read_hidden_line() -> io::Result<String> {
    let stdin = std::io::stdin();
    let termios = rustix::termios::tcgetattr(&stdin).ok();
    if let Some(t) = &termios {
        let mut quiet = t.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &quiet);
    }
    let mut line = String::new();
    let read = std::io::BufRead::read_line(&mut stdin.lock(), &mut line);
    if let Some(t) = &termios
        && let Err(e) = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, t)
    {
        // The password was read; the terminal may still hide what is typed next.
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "oci-token: warning: could not turn terminal echo back on ({e}); run `stty echo`"
            );
        }
    }
    read.map(|_| line)
}

/// Whether stdout goes anywhere: not closed and not `/dev/null`. (Rust's runtime reopens a
/// closed stdout, `>&-`, onto `/dev/null`, where writes vanish without an error.)
#[must_use]
pub(crate) fn stdout_is_open() -> bool {
    use std::os::fd::AsFd as _;
    #[allow(clippy::disallowed_methods)] // only looked at, never written here
    let out = std::io::stdout();
    let Ok(st) = rustix::fs::fstat(out.as_fd()) else {
        return false;
    };
    let null = rustix::fs::stat("/dev/null").ok();
    !null.is_some_and(|n| n.st_rdev == st.st_rdev && n.st_ino == st.st_ino && n.st_dev == st.st_dev)
}

/// Interrupts while a child runs: SIGINT, SIGTERM, SIGHUP and SIGQUIT no longer end us.
/// A terminal's Ctrl-C / Ctrl-\\ / hang-up already reaches the child (same process group);
/// forwarding those too would deliver them twice (a second Ctrl-C makes Terraform abort),
/// so only signals sent by a process are forwarded to the child.
pub(crate) struct Interrupts {
    signals: SignalsInfo<WithOrigin>,
}

impl Interrupts {
    /// Catches the signals (before the child starts, so none is lost).
    pub(crate) fn catch() -> io::Result<Self> {
        Ok(Interrupts {
            signals: SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])?,
        })
    }

    /// Forwards caught signals to `child` on a thread of `scope` until [`Closer::close`].
    #[must_use]
    pub(crate) fn forward<'scope>(
        mut self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        child: &Child,
    ) -> Closer {
        let pid = rustix::process::Pid::from_child(child);
        let handle = self.signals.handle();
        scope.spawn(move || {
            for info in self.signals.forever() {
                let from_terminal = info.process.is_none() && info.signal != SIGTERM;
                if from_terminal {
                    continue;
                }
                if let Some(sig) = to_rustix(info.signal) {
                    let _ = rustix::process::kill_process(pid, sig);
                }
            }
        });
        Closer(handle)
    }
}

/// Stops forwarding.
pub(crate) struct Closer(signal_hook::iterator::Handle);

impl Closer {
    pub(crate) fn close(self) {
        self.0.close();
    }
}

fn to_rustix(sig: i32) -> Option<rustix::process::Signal> {
    use rustix::process::Signal;
    match sig {
        SIGINT => Some(Signal::INT),
        SIGTERM => Some(Signal::TERM),
        SIGHUP => Some(Signal::HUP),
        SIGQUIT => Some(Signal::QUIT),
        _ => None,
    }
}

/// The child's exit code; 128 + N for a death by signal N, as shells report it.
#[must_use]
pub(crate) fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(c), _) => u8::try_from(c.rem_euclid(256)).unwrap_or(1),
        (None, Some(s)) => u8::try_from(128 + s).unwrap_or(255),
        (None, None) => 1,
    }
}

/// The docker helper: a symlink `link` -> `exe` (kept when it is one already). An existing
/// link elsewhere is replaced; anything else at `link` is `AlreadyExists`.
pub(crate) fn install_helper(exe: &Path, link: &Path) -> io::Result<()> {
    let points_here = || std::fs::read_link(link).ok().as_deref() == Some(exe);
    match std::fs::symlink_metadata(link) {
        Ok(m) if m.file_type().is_symlink() => {
            if !points_here() {
                std::fs::remove_file(link)?;
                std::os::unix::fs::symlink(exe, link)?;
            }
            Ok(())
        }
        Ok(_) => Err(io::ErrorKind::AlreadyExists.into()),
        Err(_) => match std::os::unix::fs::symlink(exe, link) {
            // Another `docker install` made the same link a moment ago.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && points_here() => Ok(()),
            other => other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::env::FakeEnv;

    #[test]
    fn cache_roots_per_platform() {
        let env = FakeEnv::new("/Users/zoe", jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(
            cache_root_for(&env, true).unwrap(),
            Path::new("/Users/zoe/Library/Caches/oci-token")
        );
        assert_eq!(
            cache_root_for(&env, false).unwrap(),
            Path::new("/Users/zoe/.cache/oci-token")
        );
        let env = env.with("XDG_CACHE_HOME", "/x/cache");
        assert_eq!(
            cache_root_for(&env, true).unwrap(),
            Path::new("/x/cache/oci-token")
        );
        let env = FakeEnv::new("/h", jiff::Timestamp::UNIX_EPOCH).with("XDG_CACHE_HOME", "rel");
        assert_eq!(
            cache_root_for(&env, true).unwrap(),
            Path::new("/h/Library/Caches/oci-token")
        );
    }

    #[test]
    fn the_fix_for_another_users_file_is_chown() {
        let p = Path::new("/tmp/x");
        assert_eq!(fix_hint_for(p, true, false), "`chmod 700 /tmp/x`");
        assert_eq!(fix_hint_for(p, false, false), "`chmod 600 /tmp/x`");
        let h = fix_hint_for(p, true, true);
        assert!(
            h.starts_with("`sudo chown") && h.contains("OCI_TOKEN_CACHE_DIR"),
            "{h}"
        );
        assert!(!h.contains("chmod"), "{h}");
    }

    #[test]
    fn browser_openers_per_platform() {
        let url = "https://login.example/?a=1&b=2";
        assert_eq!(url_opener_for(url, true), ["/usr/bin/open", url]);
        assert_eq!(url_opener_for(url, false), ["xdg-open", url]);
    }

    #[test]
    fn lock_support_is_told_by_errno() {
        use rustix::io::Errno;
        for e in [Errno::NOTSUP, Errno::OPNOTSUPP, Errno::NOLCK] {
            assert!(lock_unsupported(&io::Error::from_raw_os_error(
                e.raw_os_error()
            )));
        }
        for e in [Errno::AGAIN, Errno::ACCESS, Errno::BADF, Errno::INTR] {
            assert!(!lock_unsupported(&io::Error::from_raw_os_error(
                e.raw_os_error()
            )));
        }
        assert!(!lock_unsupported(&io::Error::other("x")));
    }
}
