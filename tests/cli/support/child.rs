//! Children of the tests that start many processes at once. Emulators add failures of their
//! own to process creation, and a test must neither hang on them nor hide ours:
//!
//! - Wine's `CreateProcess` sometimes fails with `ERROR_INTERNAL_ERROR` (1359) when many
//!   processes start together (CI saw it once in twenty parallel `docker install`s). That
//!   error, and only that one, is retried.
//! - qemu-user turns the `vfork` of `posix_spawn` into a real `fork` of a multi-threaded
//!   emulator, and a child can then deadlock inside qemu before it reaches `exec` (seen in two
//!   CI runs of the arm64 suite: the child's two threads waiting on futexes, its command line
//!   still the test binary's; sporadic hangs when starting processes under qemu are reported
//!   by others too). The test thread that started it never gets out of `spawn`, which waits
//!   for the `exec`, so nothing that waits for the child can help: a [`watch`]dog thread looks
//!   at this process's children every few seconds and kills one that is still a copy of the
//!   test process after [`UNEXECED`]. `spawn` then returns; [`Running::finish`] sees the kill
//!   and starts the child again (at most [`RESTARTS`] times, each reported on stderr), and
//!   [`Finish::finish`] fails the test saying so.
//! - Every wait is bounded by [`HANG`]: a child still running then is killed and the test
//!   fails with what `/proc` shows of it. Nothing the binary under test does is ever retried.

use std::io::Write as _;
use std::process::{Child, Command, Output};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long a child may run. No command of these tests takes a tenth of it (the binary's own
/// bounds, the 40 s lock wait included, end well before), so only a hang reaches it; like
/// every bound that only catches a hang, it is not scaled by `time_scale`.
pub const HANG: Duration = Duration::from_secs(150);

/// How often a child that hung before its `exec` is started again.
pub const RESTARTS: u32 = 3;

/// `spawn` that retries Wine's spurious error (the module's docs).
pub trait Spawn {
    fn spawn_retrying(&mut self) -> Child;
}

impl Spawn for Command {
    fn spawn_retrying(&mut self) -> Child {
        const WINE_INTERNAL_ERROR: i32 = 1359;
        let mut tries = 0;
        loop {
            match self.spawn() {
                Ok(child) => return child,
                Err(e)
                    if cfg!(windows)
                        && e.raw_os_error() == Some(WINE_INTERNAL_ERROR)
                        && tries < 5 =>
                {
                    tries += 1;
                    eprintln!("spawn failed with {e} under Wine; try {tries} of 5 again");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("cannot start {}: {e}", self.get_program().to_string_lossy()),
            }
        }
    }
}

/// `wait_with_output` with the bound [`HANG`]: a child still running then is killed and the
/// test fails, saying what the child was doing.
pub trait Finish {
    fn finish(self) -> Output;
}

impl Finish for Child {
    fn finish(mut self) -> Output {
        let o = wait_bounded(&mut self, HANG).unwrap_or_else(|hang| panic!("{hang}"));
        assert!(
            !watchdog::took(self.id()),
            "child {} never reached exec (the emulator's fork hung) and was killed",
            self.id()
        );
        o
    }
}

/// A started child that can be started again from the same recipe.
pub struct Running<'a> {
    make: Box<dyn Fn() -> Command + 'a>,
    child: Child,
    input: Option<Vec<u8>>,
}

/// Starts the command `make` builds (its stdio as `make` sets it).
pub fn start<'a>(make: impl Fn() -> Command + 'a) -> Running<'a> {
    watch();
    let child = make().spawn_retrying();
    Running {
        make: Box::new(make),
        child,
        input: None,
    }
}

impl Running<'_> {
    /// Writes `input` to the child's stdin (piped by the recipe) and closes it. A broken pipe
    /// is the child's choice (it may answer before reading an unwanted input), not a failure.
    pub fn feed(&mut self, input: &[u8]) {
        write_input(&mut self.child, input);
        self.input = Some(input.to_vec());
    }

    /// Waits for the child (the module's docs say how a hang is handled).
    pub fn finish(mut self) -> Output {
        let mut restarts = 0;
        loop {
            let o = wait_bounded(&mut self.child, HANG).unwrap_or_else(|hang| panic!("{hang}"));
            if !watchdog::took(self.child.id()) {
                return o;
            }
            restarts += 1;
            assert!(
                restarts <= RESTARTS,
                "{restarts} children in a row never reached exec"
            );
            eprintln!(
                "child {} never reached exec (the emulator's fork hung) and was killed; starting it again ({restarts} of {RESTARTS})",
                self.child.id()
            );
            self.child = (self.make)().spawn_retrying();
            if let Some(input) = &self.input {
                write_input(&mut self.child, input);
            }
        }
    }
}

fn write_input(child: &mut Child, input: &[u8]) {
    let mut stdin = child.stdin.take().expect("the recipe pipes stdin");
    if let Err(e) = stdin.write_all(input) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
}

/// A child that ran past its bound, as `/proc` showed it before it was killed.
#[derive(Debug)]
struct Hang {
    pid: u32,
    limit: Duration,
    seen: String,
}

impl std::fmt::Display for Hang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "child {} ran past {}s and was killed; {}",
            self.pid,
            self.limit.as_secs(),
            self.seen
        )
    }
}

/// Collects stdout and stderr on threads while waiting for the child, at most `limit`.
///
/// Normally the pipes reach end-of-file when the child exits. Another process can hold
/// their write ends, though: a sibling forked by another test thread at the moment these
/// pipes were open keeps copies until it execs (or forever, if it hangs first). So the end of
/// the child, not of its pipes, decides; what the pipes carried is taken once the child has
/// exited and they have been quiet a moment.
fn wait_bounded(child: &mut Child, limit: Duration) -> Result<Output, Hang> {
    let deadline = Instant::now() + limit;
    let (tx, rx) = mpsc::channel();
    let out = drain(child.stdout.take(), tx.clone());
    let err = drain(child.stderr.take(), tx);
    let mut open = usize::from(out.is_some()) + usize::from(err.is_some());
    let mut nap = Duration::from_millis(1);
    let status = loop {
        // The pipes close when the child exits (the usual case): that wakes this at once.
        if open > 0 {
            if rx.recv_timeout(nap).is_ok() {
                open -= 1;
                continue;
            }
        } else {
            std::thread::sleep(nap);
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let hang = examine(child.id(), limit);
            let _ = child.kill();
            let _ = child.wait();
            return Err(hang);
        }
        nap = (nap * 2).min(Duration::from_millis(200));
    };
    // Exited; pipes still open only if another process holds them. Give the readers a moment
    // to take what is already in them.
    let quiet = Instant::now() + Duration::from_millis(500);
    while open > 0 {
        if rx
            .recv_timeout(quiet.saturating_duration_since(Instant::now()))
            .is_err()
        {
            eprintln!(
                "child {} exited but another process holds its pipes; taking what they carried",
                child.id()
            );
            break;
        }
        open -= 1;
    }
    Ok(Output {
        status,
        stdout: taken(out),
        stderr: taken(err),
    })
}

type Buffer = Option<Arc<Mutex<Vec<u8>>>>;

fn taken(b: Buffer) -> Vec<u8> {
    b.map(|b| std::mem::take(&mut *b.lock().unwrap()))
        .unwrap_or_default()
}

/// Reads `pipe` to its end on a thread, into the returned buffer; says so on `done`.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>, done: mpsc::Sender<()>) -> Buffer {
    let mut pipe = pipe?;
    let buf = Arc::new(Mutex::new(Vec::new()));
    let into = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => into.lock().unwrap().extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
    Some(buf)
}

/// What `/proc` shows of a running child: its command line, and the state and wait channel
/// of each of its threads.
fn examine(pid: u32, limit: Duration) -> Hang {
    let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
    // Elsewhere `/proc/<pid>` is not this child (under Wine it may be a Linux process).
    let cmdline = if cfg!(target_os = "linux") {
        std::fs::read(proc.join("cmdline"))
    } else {
        Err(std::io::ErrorKind::Unsupported.into())
    };
    let Ok(cmdline) = cmdline else {
        return Hang {
            pid,
            limit,
            seen: "no /proc to look at".into(),
        };
    };
    let mut threads = vec![];
    if let Ok(tasks) = std::fs::read_dir(proc.join("task")) {
        for t in tasks.flatten() {
            let wchan = std::fs::read_to_string(t.path().join("wchan")).unwrap_or_default();
            let state = std::fs::read_to_string(t.path().join("stat"))
                .ok()
                .and_then(|s| after_comm(&s).next().map(str::to_owned))
                .unwrap_or_default();
            threads.push(format!(
                "{}:{state}:{wchan}",
                t.file_name().to_string_lossy()
            ));
        }
    }
    Hang {
        pid,
        limit,
        seen: format!(
            "command line `{}`, threads (tid:state:wchan) {}",
            String::from_utf8_lossy(&cmdline)
                .replace('\0', " ")
                .trim_end(),
            threads.join(" ")
        ),
    }
}

/// The fields of a `/proc/<pid>/stat` line after the command name (state, ppid, ...).
fn after_comm(stat: &str) -> std::str::SplitWhitespace<'_> {
    stat.rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
}

/// How long a child may stay a copy of the test process (forked, not yet exec'd) before the
/// watchdog takes it for hung. A fork reaches its exec in milliseconds, under qemu too.
pub const UNEXECED: Duration = Duration::from_secs(20);

/// Starts the watchdog (once; Linux only, where `/proc` tells a fork that has not exec'd).
pub fn watch() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    if cfg!(target_os = "linux") {
        STARTED.call_once(|| {
            std::thread::spawn(|| {
                let argv: Vec<String> = std::env::args().collect();
                let mut seen = std::collections::HashMap::new();
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    watchdog::sweep(&mut seen, UNEXECED, None, &argv);
                }
            });
        });
    }
}

mod watchdog {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// Children the watchdog killed, until their waiter takes note.
    static KILLED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

    /// Whether the watchdog killed `pid` (and forgets it).
    pub fn took(pid: u32) -> bool {
        let mut k = KILLED.lock().unwrap();
        let found = k.iter().position(|p| *p == pid);
        found.map(|i| k.swap_remove(i)).is_some()
    }

    /// A child's command line (NUL-separated, as `/proc` gives it) that is this process's
    /// own, `argv`, belongs to a fork that has not exec'd. Under qemu's binfmt_misc it is the
    /// emulator, the binary's path (`exe`), then `argv`. A child that has exec'd shows its
    /// own program and arguments, even when one of them is the test binary's path.
    pub fn unexeced(cmdline: &[u8], exe: &str, argv: &[String]) -> bool {
        let shown: Vec<&[u8]> = cmdline
            .strip_suffix(b"\0")
            .unwrap_or(cmdline)
            .split(|b| *b == 0)
            .collect();
        let own: Vec<&[u8]> = argv.iter().map(String::as_bytes).collect();
        shown == own
            || (shown.len() == own.len() + 2 && shown[1] == exe.as_bytes() && shown[2..] == own[..])
    }

    /// One look at this process's children (or only `only`): one that has been a copy of
    /// the test process (command line `argv`) for `limit` is killed and remembered for
    /// [`took`].
    pub fn sweep(
        seen: &mut HashMap<u32, Instant>,
        limit: Duration,
        only: Option<u32>,
        argv: &[String],
    ) {
        let me = std::process::id().to_string();
        let Some(exe) = std::env::current_exe()
            .ok()
            .and_then(|p| p.to_str().map(str::to_owned))
        else {
            return;
        };
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        let now = Instant::now();
        let mut alive = vec![];
        for p in procs.flatten() {
            let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if only.is_some_and(|o| o != pid) {
                continue;
            }
            let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
            if super::after_comm(&stat).nth(1) != Some(me.as_str()) {
                continue;
            }
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            if !unexeced(&cmdline, &exe, argv) {
                continue;
            }
            alive.push(pid);
            let since = *seen.entry(pid).or_insert(now);
            if now.duration_since(since) >= limit {
                KILLED.lock().unwrap().push(pid);
                kill(pid);
                seen.remove(&pid);
            }
        }
        seen.retain(|pid, _| alive.contains(pid));
    }

    #[cfg(unix)]
    fn kill(pid: u32) {
        if let Some(raw) = rustix::process::Pid::from_raw(pid.cast_signed()) {
            let _ = rustix::process::kill_process(raw, rustix::process::Signal::KILL);
        }
    }

    #[cfg(not(unix))]
    fn kill(_: u32) {}
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::Stdio;

    fn sh(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    #[test]
    fn a_child_whose_pipes_another_process_holds_is_done_when_it_exits() {
        // The background `sleep` keeps both pipes open after `sh` exits.
        let started = Instant::now();
        let mut c = sh("echo out; echo err >&2; sleep 4 &");
        let o = wait_bounded(&mut c, Duration::from_secs(30)).unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(o.status.success());
        assert_eq!(o.stdout, b"out\n");
        assert_eq!(o.stderr, b"err\n");
    }

    #[test]
    fn a_hung_child_is_killed_at_the_bound_and_described() {
        let started = Instant::now();
        let mut c = sh("sleep 30");
        let hang = wait_bounded(&mut c, Duration::from_secs(1)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(c.try_wait().unwrap().is_some(), "killed and reaped");
        assert!(hang.to_string().contains("ran past 1s"), "{hang}");
        if cfg!(target_os = "linux") {
            assert!(hang.seen.contains("sleep 30"), "{hang}");
        }
    }

    #[test]
    fn the_watchdog_kills_a_child_that_is_still_a_copy_of_the_test_process() {
        let exe = std::env::current_exe().unwrap();
        let exe = exe.to_str().unwrap();
        let argv = [exe.to_owned(), "principals::".to_owned()];
        let own = format!("{exe}\0principals::\0");
        assert!(watchdog::unexeced(own.as_bytes(), exe, &argv));
        let qemu = format!("/usr/libexec/qemu-binfmt/aarch64-binfmt-P\0{exe}\0{own}");
        assert!(watchdog::unexeced(qemu.as_bytes(), exe, &argv));
        // Programs that have exec'd, the test binary's path among their arguments or not.
        for other in [
            "/usr/libexec/qemu-binfmt/aarch64-binfmt-P\0/t/oci-token\0oci-token\0get\0".to_owned(),
            format!("unshare\0--net\0sh\0-c\0exec \"$0\" --exact x\0{exe}\0"),
            format!("{exe}\0--exact\0login::chromium_inside_a_network_namespace\0--ignored\0"),
            format!("{exe}\0"),
            format!("sh\0-c\0echo {exe}\0principals::\0"),
        ] {
            assert!(
                !watchdog::unexeced(other.as_bytes(), exe, &argv),
                "{other:?}"
            );
        }
        if !cfg!(target_os = "linux") {
            return;
        }
        // A child whose command line is a given `argv` (bash's `exec -a` names it so),
        // looked at with a bound of zero: killed, and its waiter told.
        let argv = [exe.to_owned(), "30".to_owned()];
        let mut c = Command::new("bash")
            .args(["-c", "exec -a \"$0\" sleep 30", exe])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = c.id();
        let mut seen = std::collections::HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while c.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "not killed");
            watchdog::sweep(&mut seen, Duration::ZERO, Some(pid), &argv);
            std::thread::sleep(Duration::from_millis(50));
        }
        let o = wait_bounded(&mut c, Duration::from_secs(10)).unwrap();
        assert!(!o.status.success());
        assert!(watchdog::took(pid), "the waiter learns of the kill");
        assert!(!watchdog::took(pid), "once");
        // A child that has exec'd is left alone.
        let mut c = sh("sleep 2");
        let pid = c.id();
        watchdog::sweep(&mut seen, Duration::ZERO, Some(pid), &argv);
        assert!(
            wait_bounded(&mut c, Duration::from_secs(10))
                .unwrap()
                .status
                .success()
        );
        assert!(!watchdog::took(pid));
    }
}
