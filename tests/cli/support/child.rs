//! Children of the tests that start many processes at once. Emulators add failures of their
//! own to process creation, and a test must neither hang on them nor hide ours:
//!
//! - Wine's `CreateProcess` sometimes fails with `ERROR_INTERNAL_ERROR` (1359) when many
//!   processes start together (CI saw it once in twenty parallel `docker install`s). That
//!   error, and only that one, is retried.
//! - qemu-user turns the `vfork` of `posix_spawn` into a real `fork` of a multi-threaded
//!   emulator, and a child can then deadlock inside qemu before it reaches `exec` (a CI run of
//!   the arm64 suite hung in a test starting fifty processes; sporadic hangs when starting
//!   processes under qemu are reported by others too). Every wait here is bounded. A child
//!   still running at the bound is examined: if `/proc` shows it never became the program it
//!   was to run, it is killed and started again (at most [`RESTARTS`] times, each reported on
//!   stderr); otherwise it is killed and the test fails with what `/proc` showed. Nothing the
//!   binary under test does is ever retried.

use std::ffi::OsString;
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
        match wait_bounded(&mut self, None, HANG) {
            Ok(o) => o,
            Err(hang) => panic!("{hang}"),
        }
    }
}

/// A started child that can be started again from the same recipe.
pub struct Running<'a> {
    make: Box<dyn Fn() -> Command + 'a>,
    program: OsString,
    child: Child,
    input: Option<Vec<u8>>,
}

/// Starts the command `make` builds (its stdio as `make` sets it).
pub fn start<'a>(make: impl Fn() -> Command + 'a) -> Running<'a> {
    let mut cmd = make();
    let program = cmd.get_program().to_owned();
    let child = cmd.spawn_retrying();
    Running {
        make: Box::new(make),
        program,
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
            match wait_bounded(&mut self.child, Some(&self.program), HANG) {
                Ok(o) => return o,
                Err(hang) if hang.before_exec && restarts < RESTARTS => {
                    restarts += 1;
                    eprintln!("{hang}; starting it again ({restarts} of {RESTARTS})");
                    self.child = (self.make)().spawn_retrying();
                    if let Some(input) = &self.input {
                        write_input(&mut self.child, input);
                    }
                }
                Err(hang) => panic!("{hang}"),
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
    before_exec: bool,
    seen: String,
}

impl std::fmt::Display for Hang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.before_exec {
            "never reached exec (still a copy of the test process: the emulator's fork hung)"
        } else {
            "hung"
        };
        write!(
            f,
            "child {} ran past {}s and was killed: it {what}; {}",
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
fn wait_bounded(
    child: &mut Child,
    program: Option<&OsString>,
    limit: Duration,
) -> Result<Output, Hang> {
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
            let hang = examine(child.id(), program, limit);
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

/// What `/proc` shows of a running child: its command line, its state and where each of its
/// threads sleeps. It has reached exec if its command line names `program` (under qemu's
/// binfmt_misc the command line is the emulator's, with the guest program's path in it).
fn examine(pid: u32, program: Option<&OsString>, limit: Duration) -> Hang {
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
            before_exec: false,
            seen: "no /proc to look at".into(),
        };
    };
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let before_exec = program.is_some_and(|p| !cmdline.contains(&*p.to_string_lossy()));
    let mut threads = vec![];
    if let Ok(tasks) = std::fs::read_dir(proc.join("task")) {
        for t in tasks.flatten() {
            let wchan = std::fs::read_to_string(t.path().join("wchan")).unwrap_or_default();
            let state = std::fs::read_to_string(t.path().join("stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_owned))
                })
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
        before_exec,
        seen: format!(
            "command line `{}`, threads (tid:state:wchan) {}",
            cmdline.trim_end(),
            threads.join(" ")
        ),
    }
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
        let o = wait_bounded(&mut c, None, Duration::from_secs(30)).unwrap();
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
        let hang = wait_bounded(&mut c, None, Duration::from_secs(1)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(hang.to_string().contains("ran past 1s"), "{hang}");
        assert!(c.try_wait().unwrap().is_some(), "killed and reaped");
        assert!(!hang.before_exec, "{hang}");
        if cfg!(target_os = "linux") {
            assert!(hang.seen.contains("sleep 30"), "{hang}");
        }
        // A child whose command line does not name the program never reached its exec.
        let mut c = sh("sleep 30");
        let other = OsString::from("/nonexistent/oci-token");
        let hang = wait_bounded(&mut c, Some(&other), Duration::from_secs(1)).unwrap_err();
        assert_eq!(hang.before_exec, cfg!(target_os = "linux"), "{hang}");
        let named = OsString::from("sleep");
        let mut c = sh("sleep 30");
        let hang = wait_bounded(&mut c, Some(&named), Duration::from_secs(1)).unwrap_err();
        assert!(!hang.before_exec, "{hang}");
    }
}
