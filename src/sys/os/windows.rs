//! Windows: handles opened without `FILE_SHARE_DELETE` pin directories (a directory that
//! is open, or holds an open file, cannot be renamed or removed), reparse points (symlinks,
//! junctions) are opened as themselves and refused, private files and directories get a
//! protected DACL for the current user only, and ownership and write access are judged
//! from the owner SID and the DACL ([`super::acl`]).

// The same functions as unix.rs, with the same signatures: a result or a `self` that one
// platform does not need is the interface both share.
#![allow(clippy::unnecessary_wraps, clippy::unused_self)]

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::fs::OpenOptionsExt as _;
use std::os::windows::io::AsHandle as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::OnceLock;
use std::time::Duration;

use oci_token_win::Sid;

use super::acl;
use super::exposure::Exposure;

const FILE_SHARE_READ: u32 = 0x1;
const FILE_SHARE_WRITE: u32 = 0x2;
const FILE_SHARE_DELETE: u32 = 0x4;
const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
const GENERIC_READ: u32 = 0x8000_0000;
const GENERIC_WRITE: u32 = 0x4000_0000;
const READ_CONTROL: u32 = 0x0002_0000;
const WRITE_DAC: u32 = 0x0004_0000;
const FILE_LIST_DIRECTORY: u32 = 0x1;
const FILE_TRAVERSE: u32 = 0x20;
const SYNCHRONIZE: u32 = 0x0010_0000;
const ERROR_ACCESS_DENIED: i32 = 5;
const ERROR_SHARING_VIOLATION: i32 = 32;
const ERROR_LOCK_VIOLATION: i32 = 33;
/// `STATUS_CONTROL_C_EXIT`: how a console program ended by Ctrl-C exits.
const STATUS_CONTROL_C_EXIT: i32 = 0xC000_013A_u32.cast_signed();

/// The current user's SID, looked up once.
fn me() -> io::Result<&'static Sid> {
    static ME: OnceLock<Option<Sid>> = OnceLock::new();
    ME.get_or_init(|| oci_token_win::current_user().ok())
        .as_ref()
        .ok_or_else(|| io::Error::other("cannot tell which user this process runs as"))
}

/// What separates entries of a list in an environment variable (`PATH`, `BROWSER`).
pub(crate) const LIST_SEPARATOR: char = ';';

/// The program `exec` starts for `name`: found on `PATH` with `PATHEXT` as cmd finds it
/// ([`super::winpath::find_program`]), so `.cmd` and `.bat` shims run; else `name` itself.
/// Rust's `Command` starts a `.cmd`/`.bat` through `cmd.exe /c` with each argument quoted
/// and escaped for it, and refuses an argument it cannot escape, so a `&`, `|` or `^` in
/// an argument stays an argument.
#[must_use]
pub(crate) fn resolve_program(env: &dyn crate::sys::env::Env, name: &OsStr) -> std::ffi::OsString {
    let Some(n) = name.to_str() else {
        return name.to_owned();
    };
    let is_file = |p: &str| std::fs::metadata(p).is_ok_and(|m| m.is_file());
    super::winpath::find_program(
        n,
        env.var("PATH").as_deref(),
        env.var("PATHEXT").as_deref(),
        &is_file,
    )
    .map_or_else(|| name.to_owned(), Into::into)
}

/// The command that opens `url` in the user's default browser: the URL protocol handler
/// (no shell, so `&` in the URL is not a command separator, as it would be for `cmd /c
/// start`).
#[must_use]
pub(crate) fn url_opener(url: &str) -> Vec<String> {
    vec![
        "rundll32.exe".into(),
        "url.dll,FileProtocolHandler".into(),
        url.into(),
    ]
}

/// Whether `name` cannot be a file name of its own on Windows: a device name (`CON`,
/// `NUL`, `COM1`, ..., with or without an extension) or a name ending in `.` (which Windows
/// strips, so `a.` would be the file `a`). See [`super::winpath::reserved`].
#[must_use]
pub(crate) fn reserved_file_name(name: &str) -> bool {
    super::winpath::reserved(name)
}

/// What a file that is not a regular file is, for messages.
#[must_use]
pub(crate) fn kind_of(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// How to make a file (or directory) private, for messages.
#[must_use]
pub(crate) fn fix_hint(path: &Path, _dir: bool) -> String {
    format!(
        "`icacls \"{p}\" /inheritance:r /grant:r \"%USERNAME%:F\"` (if another account owns it, first `takeown /F \"{p}\"` as an administrator, or use one of your own)",
        p = path.display()
    )
}

fn refused_link() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "it was replaced by a symlink")
}

/// Opens `path` itself (not a reparse point's target) and refuses a link.
fn open_no_link(opts: &mut OpenOptions, path: &Path) -> io::Result<File> {
    let f = opts.open(path)?;
    if f.metadata()?.file_type().is_symlink() {
        return Err(refused_link());
    }
    Ok(f)
}

/// The home directory as the oci CLI (Python's `expanduser`) finds it: see
/// [`super::winpath::home`].
#[must_use]
pub(crate) fn home_dir(env: &dyn crate::sys::env::Env) -> Option<PathBuf> {
    super::winpath::home(
        env.var_os("USERPROFILE"),
        env.var_os("HOME"),
        env.var_os("HOMEDRIVE"),
        env.var_os("HOMEPATH"),
    )
}

/// Another user's home directory (for `~name`): beside ours, as Python's `ntpath` does.
#[must_use]
pub(crate) fn other_user_home(env: &dyn crate::sys::env::Env, user: &str) -> Option<PathBuf> {
    super::winpath::other_user_home(&env.home()?, user)
}

/// The per-user cache root when `OCI_TOKEN_CACHE_DIR` is not set:
/// `%LOCALAPPDATA%\oci-token` (an absolute `LOCALAPPDATA` only), else
/// `<home>\AppData\Local\oci-token`.
#[must_use]
pub(crate) fn default_cache_root(env: &dyn crate::sys::env::Env) -> Option<PathBuf> {
    if let Some(d) = env
        .var("LOCALAPPDATA")
        .filter(|d| Path::new(d).is_absolute())
    {
        return Some(Path::new(&d).join("oci-token"));
    }
    env.home()
        .map(|h| h.join("AppData").join("Local").join("oci-token"))
}

/// Where OIDC logins keep their state (refresh tokens): `%LOCALAPPDATA%\oci-token\oidc`,
/// local to this machine (what is in `%USERPROFILE%` may roam with the profile).
/// `OCI_TOKEN_CACHE_DIR` does not move it: that is for caches, and this is a login.
#[must_use]
pub(crate) fn oidc_state_dir(env: &dyn crate::sys::env::Env) -> PathBuf {
    default_cache_root(env)
        .unwrap_or_else(|| crate::sys::env::home_path(env, ".oci"))
        .join("oidc")
}

/// The trusted roots of the Windows certificate store (what rustls-native-certs reads: the
/// user's and the machine's `ROOT` stores), so a corporate TLS-inspecting proxy's root,
/// deployed by group policy, is trusted as it is by the oci CLI and browsers. `None` (the
/// built-in Mozilla roots) when the store yields nothing.
#[must_use]
pub(crate) fn system_roots() -> Option<Vec<Vec<u8>>> {
    let found = rustls_native_certs::load_native_certs();
    let ders: Vec<Vec<u8>> = found.certs.iter().map(|c| c.as_ref().to_vec()).collect();
    (!ders.is_empty()).then_some(ders)
}

/// Opens `path` for reading (links followed).
pub(crate) fn open_read(path: &Path) -> io::Result<File> {
    File::open(path)
}

fn dir_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.access_mode(FILE_LIST_DIRECTORY | FILE_TRAVERSE | READ_CONTROL | SYNCHRONIZE)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS);
    o
}

/// Opens the directory `path` (links followed), pinned: while open, it cannot be renamed
/// or removed.
pub(crate) fn open_dir(path: &Path) -> io::Result<File> {
    let f = dir_options().open(path)?;
    if !f.metadata()?.is_dir() {
        return Err(io::ErrorKind::NotADirectory.into());
    }
    Ok(f)
}

/// Opens `name` in `dir` for reading, never through a link at `name`.
pub(crate) fn open_read_at(_dir: &File, dir_path: &Path, name: &OsStr) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
    open_no_link(&mut o, &dir_path.join(name))
}

/// Opens (creating, private) the lock file `name` in `dir`, never through a link.
pub(crate) fn open_lock_at(_dir: &File, dir_path: &Path, name: &OsStr) -> io::Result<File> {
    match create_private_new(&dir_path.join(name)) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        other => return other,
    }
    let mut o = OpenOptions::new();
    o.read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
    open_no_link(&mut o, &dir_path.join(name))
}

/// Gives an open file (or directory) the private DACL.
fn make_private(f: &File, directory: bool) -> io::Result<()> {
    oci_token_win::set_private(f.as_handle(), me()?, directory)
}

/// Creates the new file `name` in `dir` for writing, private (DACL: this user only).
pub(crate) fn create_private_at(_dir: &File, dir_path: &Path, name: &OsStr) -> io::Result<File> {
    create_private_new(&dir_path.join(name))
}

/// Windows refuses to replace a file that another program holds open without
/// `FILE_SHARE_DELETE` (an editor, an antivirus scan, a Python reader): such failures are
/// retried for up to about two seconds, waiting 5 ms, then twice as long each time (at most
/// 200 ms).
struct Backoff {
    wait: Duration,
    waited: Duration,
}

impl Backoff {
    fn new() -> Self {
        Backoff {
            wait: Duration::from_millis(5),
            waited: Duration::ZERO,
        }
    }

    /// Whether to try again after `e` (having slept), or give up.
    fn again(&mut self, e: &io::Error) -> bool {
        let transient = matches!(
            e.raw_os_error(),
            Some(ERROR_ACCESS_DENIED | ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION)
        );
        if !transient || self.waited >= Duration::from_secs(2) {
            return false;
        }
        std::thread::sleep(self.wait);
        self.waited += self.wait;
        self.wait = (self.wait * 2).min(Duration::from_millis(200));
        true
    }
}

/// Runs `op`, again while it fails for a sharing violation (see [`Backoff`]).
fn retrying<T>(mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut backoff = Backoff::new();
    loop {
        match op() {
            Err(e) if backoff.again(&e) => {}
            other => return other,
        }
    }
}

/// Renames `from` over `to`, both in `dir` (`MoveFileExW` with replace semantics).
pub(crate) fn rename_at(_dir: &File, dir_path: &Path, from: &OsStr, to: &OsStr) -> io::Result<()> {
    let (from, to) = (dir_path.join(from), dir_path.join(to));
    retrying(|| std::fs::rename(&from, &to))
}

/// Whether a lock failed because the file system has no locks (`ERROR_NOT_SUPPORTED`); see
/// the Unix version.
#[must_use]
pub(crate) fn lock_unsupported(e: &io::Error) -> bool {
    e.raw_os_error() == Some(50)
}

/// Opens the directory `path`, creating it (and its parents, private) when `create`: a link
/// at `path` is followed only when this user made it (see the Unix version, which also
/// walks every component; here the opened directory cannot be renamed or removed while
/// open, and names inside it are opened without following reparse points).
pub(crate) fn open_dir_walk(path: &Path, create: bool) -> io::Result<File> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            if let Some(why) = foreign_link(path, &m) {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
            }
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound && create => create_private_dir_all(path)?,
        Err(e) => return Err(e),
    }
    open_dir(path)
}

/// Windows has no directory fsync; NTFS journals the rename itself.
pub(crate) fn sync_dir(_dir: &File) -> io::Result<()> {
    Ok(())
}

/// Removes `name` in `dir` (a link itself, never its target).
pub(crate) fn remove_at(_dir: &File, dir_path: &Path, name: &OsStr) -> io::Result<()> {
    let path = dir_path.join(name);
    retrying(|| std::fs::remove_file(&path))
}

fn mkdir_private(path: &Path) -> io::Result<()> {
    std::fs::create_dir(path)?;
    let mut o = OpenOptions::new();
    o.access_mode(READ_CONTROL | WRITE_DAC | SYNCHRONIZE)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT);
    let d = o.open(path)?;
    make_private(&d, true)
}

/// Creates the private directory `name` in `dir`.
pub(crate) fn mkdir_private_at(_dir: &File, dir_path: &Path, name: &OsStr) -> io::Result<()> {
    mkdir_private(&dir_path.join(name))
}

/// Opens the directory `name` in `dir`, pinned; a link (symlink or junction) or a
/// non-directory there is `ErrorKind::NotADirectory`.
pub(crate) fn open_dir_at(_dir: &File, dir_path: &Path, name: &OsStr) -> io::Result<File> {
    let mut o = dir_options();
    o.custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT);
    let f = o.open(dir_path.join(name))?;
    let ft = f.metadata()?.file_type();
    if ft.is_symlink() || !ft.is_dir() {
        return Err(io::ErrorKind::NotADirectory.into());
    }
    Ok(f)
}

/// Why an open file or directory that holds credentials is unsafe (see [`acl`]).
pub(crate) fn unsafe_owner(file: &File) -> io::Result<Option<String>> {
    let sec = oci_token_win::security(file.as_handle())?;
    Ok(acl::unsafe_owner_or_writers(&sec, me()?))
}

/// Who besides the user (and SYSTEM, Administrators) may get at the file at `path` (links
/// followed), from one read of its owner and DACL: [`acl::unsafe_owner_or_writers`] first,
/// else [`acl::other_readers`]. `None` when it is private, or cannot be opened (reading it
/// then fails with its own error); [`Exposure::Unknown`] when it opens but its owner and DACL
/// cannot be read: that fails closed into a warning, never into "private".
#[must_use]
pub fn exposure_at(path: &Path) -> Option<Exposure> {
    let f = File::open(path).ok()?;
    let sec = match oci_token_win::security(f.as_handle()) {
        Ok(s) => s,
        Err(e) => {
            return Some(Exposure::Unknown(format!(
                "its owner and DACL cannot be read: {e}"
            )));
        }
    };
    let me = match me() {
        Ok(m) => m,
        Err(e) => {
            return Some(Exposure::Unknown(format!(
                "this user's SID cannot be read: {e}"
            )));
        }
    };
    acl::unsafe_owner_or_writers(&sec, me)
        .map(Exposure::Writable)
        .or_else(|| acl::other_readers(&sec, me).map(Exposure::Readable))
}

/// If the link `path` was made by another user, why. (Making symlinks needs a privilege or
/// developer mode on Windows; junctions do not.)
#[must_use]
fn foreign_link(path: &Path, _m: &std::fs::Metadata) -> Option<String> {
    let mut o = OpenOptions::new();
    o.access_mode(READ_CONTROL)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT);
    let inspected = o
        .open(path)
        .and_then(|f| oci_token_win::security(f.as_handle()))
        .and_then(|sec| Ok(acl::foreign_owner(sec.owner.as_ref(), me()?)));
    match inspected {
        Ok(who) => who.map(|who| format!("it is a link made by {who}")),
        Err(e) => Some(format!("it is a link that cannot be inspected: {e}")),
    }
}

/// Creates `dir` and its missing parents; each one this creates gets the private DACL.
pub(crate) fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        missing.push(p.to_owned());
        cur = p.parent();
    }
    for p in missing.iter().rev() {
        match mkdir_private(p) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && p.is_dir() => {}
            other => other?,
        }
    }
    Ok(())
}

/// A new private temp file in `dir`, with a random name.
pub(crate) fn private_tempfile(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".oci-token.")
        .suffix(".tmp")
        .make_in(dir, create_private_new)
}

/// Renames the temp file over `target`, retrying while a reader holds `target` open.
pub(crate) fn persist<F>(tmp: tempfile::NamedTempFile<F>, target: &Path) -> io::Result<()> {
    let mut tmp = tmp;
    let mut backoff = Backoff::new();
    loop {
        match tmp.persist(target) {
            Ok(_) => return Ok(()),
            Err(e) if backoff.again(&e.error) => tmp = e.file,
            Err(e) => return Err(e.error),
        }
    }
}

/// Creates `path` as a new private file (DACL: this user only); an existing path of any
/// kind, a link included, is an error.
pub(crate) fn create_private_new(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true)
        .create_new(true)
        .access_mode(GENERIC_READ | GENERIC_WRITE | WRITE_DAC)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
    let f = o.open(path)?;
    if let Err(e) = make_private(&f, false) {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(f)
}

/// Reads a line from the console with echo off (restored afterwards). A terminal that is
/// not a Windows console (Git Bash's mintty) cannot hide what is typed: refused.
pub(crate) fn read_hidden_line() -> io::Result<String> {
    let stdin = std::io::stdin();
    let before = oci_token_win::set_echo(stdin.as_handle(), false).map_err(|_| {
        io::Error::other(
            "this terminal cannot hide what is typed (in Git Bash's mintty, run oci-token under `winpty`, or use --password-file)",
        )
    })?;
    let mut line = String::new();
    let read = std::io::BufRead::read_line(&mut stdin.lock(), &mut line);
    if let Err(e) = oci_token_win::set_console_mode(stdin.as_handle(), before) {
        // The password was read; the console may still hide what is typed next.
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "oci-token: warning: could not show typed text again ({e}); close this console window if it stays hidden"
            );
        }
    }
    read.map(|_| line)
}

/// Whether stdout goes anywhere: a handle is there and it is not `NUL`.
#[must_use]
pub(crate) fn stdout_is_open() -> bool {
    use std::os::windows::io::AsRawHandle as _;
    #[allow(clippy::disallowed_methods)] // only looked at, never written here
    let out = std::io::stdout();
    if out.as_raw_handle().is_null() {
        return false;
    }
    !oci_token_win::is_null_device(out.as_handle())
}

/// Interrupts while a child runs. Ctrl-C and Ctrl-Break go to every process of the
/// console, the child included; we ignore them, so we are still there to pass on its exit
/// code. (Windows has no other signals a process sends to another.)
pub(crate) struct Interrupts;

impl Interrupts {
    /// Starts ignoring console interrupts (before the child starts). Without a console
    /// (a service, a GUI parent) there are none to ignore, so a failure here is no error.
    pub(crate) fn catch() -> io::Result<Self> {
        let _ = oci_token_win::swallow_console_interrupts(true);
        Ok(Interrupts)
    }

    /// Nothing to forward: the console delivered them to the child already.
    #[must_use]
    pub(crate) fn forward<'scope>(
        self,
        _scope: &'scope std::thread::Scope<'scope, '_>,
        _child: &Child,
    ) -> Closer {
        Closer
    }
}

/// Stops ignoring console interrupts.
pub(crate) struct Closer;

impl Closer {
    pub(crate) fn close(self) {
        let _ = oci_token_win::swallow_console_interrupts(false);
    }
}

/// The child's exit code. Codes above 255 (NTSTATUS values) do not fit the 0-255 range
/// oci-token exits with: a Ctrl-C (`STATUS_CONTROL_C_EXIT`) becomes 130, as Git Bash
/// reports it; any other becomes 255.
#[must_use]
pub(crate) fn exit_code(status: ExitStatus) -> u8 {
    match status.code() {
        Some(c) => u8::try_from(c).unwrap_or(if c == STATUS_CONTROL_C_EXIT { 130 } else { 255 }),
        None => 1,
    }
}

/// The docker helper: `link` is a hard link to `exe` (a copy when the two are on different
/// volumes); symlinks need a privilege on Windows. A copy of `exe` there is kept, an older
/// oci-token binary replaced; anything else at `link` (a link, a directory, a file more than
/// twice this binary's size, another program) is `AlreadyExists`.
pub(crate) fn install_helper(exe: &Path, link: &Path) -> io::Result<()> {
    /// In every oci-token binary (this very constant), so an older copy is recognised.
    const MARK: &[u8] = b"docker-credential-oci-token: an oci-token binary";
    // An oci-token binary is at most twice this one (a debug build is ~20 times a release):
    // a bigger file at the helper's place is something else, and is not read.
    let max = std::fs::metadata(exe)?.len().saturating_mul(2);
    match std::fs::symlink_metadata(link) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
        Ok(m) if !m.is_file() || m.len() > max => {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        Ok(_) => {
            let mut there = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(File::open(link)?, max),
                &mut there,
            )?;
            if there == std::fs::read(exe)? {
                return Ok(());
            }
            if memchr::memmem::find(&there, MARK).is_none() {
                return Err(io::ErrorKind::AlreadyExists.into());
            }
        }
    }
    let dir = link.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".oci-token.")
        .suffix(".tmp")
        .make_in(dir, |p| match std::fs::hard_link(exe, p) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => std::fs::copy(exe, p).map(drop),
            other => other,
        })?;
    persist(tmp, link)
}
