//! `prompt`, `env` and the snippets in integrations/shell/, run by the real shells.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;

/// 45.5 minutes: the segment reads `45m` for the first 30 seconds of the test.
const EXP_IN: i64 = 45 * 60 + 30;

fn snippet(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("integrations/shell")
        .join(name)
}

fn shell(t: &TestEnv, program: &str) -> Option<Command> {
    let found = ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|d| PathBuf::from(d).join(program))
        .find(|p| p.exists());
    let Some(path) = found else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is missing under CI: .ci/run must install it"
        );
        eprintln!("skipped: {program} is not installed");
        return None;
    };
    let mut c = Command::new(path);
    c.env_clear()
        .env("HOME", t.home.path())
        .env(
            "PATH",
            format!(
                "{}:/usr/bin:/bin",
                crate::support::fake_k8s::path_dir().display()
            ),
        )
        .env("OCI_CLI_PROFILE", "p")
        .env("TERM", "dumb");
    Some(c)
}

fn session_env() -> TestEnv {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", EXP_IN));
    t
}

fn out(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

#[test]
fn prompt_segment_and_placeholders() {
    let t = session_env().env("OCI_CLI_PROFILE", "p");
    let o = t.run(&["prompt"]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "oci:p 45m");
    assert!(o.stderr.is_empty());
    let o = t.run(&[
        "prompt",
        "--format",
        "{profile}@{region} {remaining} {expires_at}",
    ]);
    let exp = jiff::Timestamp::from_second(now() + EXP_IN).unwrap();
    let got = stdout(&o);
    assert!(got.starts_with("p@us-ashburn-1 45m 20"), "{got}");
    let shown: jiff::Timestamp = got.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((shown.as_second() - exp.as_second()).abs() <= 2);
}

#[test]
fn prompt_never_breaks() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("old", -10));
    assert_eq!(
        stdout(&t.run(&["prompt", "--profile", "old"])),
        "oci:old expired"
    );
    for args in [
        &["prompt", "--profile", "missing"][..],
        &["prompt", "--config-file", "/nonexistent"],
    ] {
        let o = t.run(args);
        assert_eq!(code(&o), 0, "{args:?}");
        assert!(
            o.stdout.is_empty() && o.stderr.is_empty(),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
    }
    std::fs::write(t.config_path(), "garbage without a section\n").unwrap();
    let o = t.run(&["prompt"]);
    assert_eq!(code(&o), 0);
    assert!(o.stdout.is_empty());
    // An API-key profile has no session: nothing.
    std::fs::write(
        t.config_path(),
        "[api]\nuser=u\ntenancy=t\nfingerprint=f\nkey_file=/k\nregion=r\n",
    )
    .unwrap();
    assert!(t.run(&["prompt", "--profile", "api"]).stdout.is_empty());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs bash (the Windows build runs under Wine)"
)]
#[cfg_attr(all(unix, not(have_bash)), ignore = "bash is not installed")]
fn bash_ps1() {
    let t = session_env();
    let Some(mut c) = shell(&t, "bash") else {
        return;
    };
    let script = format!(
        "PS1='> '; source {}; eval \"$PROMPT_COMMAND\"; printf '%s' \"${{PS1@P}}\"",
        snippet("oci-token.bash").display()
    );
    assert_eq!(
        out(c.args(["--norc", "--noprofile", "-c", &script])),
        "[oci:p 45m] > "
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs bash (the Windows build runs under Wine)"
)]
#[cfg_attr(all(unix, not(have_bash)), ignore = "bash is not installed")]
fn bash_zero_exec_variant_reads_the_environment() {
    let t = session_env();
    let Some(mut c) = shell(&t, "bash") else {
        return;
    };
    let script = format!(
        "source {}; eval \"$(oci-token env --shell bash)\"; __oci_token_prompt_from_env; printf '%s' \"$OCI_TOKEN_PS1\"",
        snippet("oci-token.bash").display()
    );
    assert_eq!(
        out(c.args(["--norc", "--noprofile", "-c", &script])),
        "oci:p 45m"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs zsh (the Windows build runs under Wine)"
)]
#[cfg_attr(all(unix, not(have_zsh)), ignore = "zsh is not installed")]
fn zsh_rprompt() {
    let t = session_env();
    let Some(mut c) = shell(&t, "zsh") else {
        return;
    };
    let script = format!(
        "source {}; for f in $precmd_functions; do $f; done; print -rnP -- \"$RPROMPT\"",
        snippet("oci-token.zsh").display()
    );
    assert_eq!(out(c.args(["-f", "-c", &script])), "oci:p 45m");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs fish (the Windows build runs under Wine)"
)]
#[cfg_attr(all(unix, not(have_fish)), ignore = "fish is not installed")]
fn fish_right_prompt() {
    let t = session_env();
    let Some(mut c) = shell(&t, "fish") else {
        return;
    };
    let script = format!(
        "source {}; fish_right_prompt",
        snippet("oci-token.fish").display()
    );
    assert_eq!(out(c.args(["--no-config", "-c", &script])), "oci:p 45m");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs zsh (the Windows build runs under Wine)"
)]
#[cfg_attr(all(unix, not(have_zsh)), ignore = "zsh is not installed")]
fn powerlevel10k_segment() {
    let t = session_env();
    let Some(mut c) = shell(&t, "zsh") else {
        return;
    };
    // p10k's own `p10k segment` is replaced by a function that records its arguments.
    let script = format!(
        "function p10k {{ print -r -- \"$*\" }}; source {}; prompt_oci_token; print -r -- $POWERLEVEL9K_OCI_TOKEN_SHOW_ON_COMMAND",
        snippet("p10k-oci-token.zsh").display()
    );
    let got = out(c.args(["-f", "-c", &script]));
    assert_eq!(
        got,
        "segment -f 208 -i ☁ -t p 45m\noci|oci-token|kubectl|k9s|helm|terraform|tofu\n"
    );
}

#[test]
#[cfg_attr(windows, ignore = "starship runs the command with POSIX sh")]
fn starship_custom_module_command() {
    let t = session_env();
    let toml = std::fs::read_to_string(snippet("starship.toml")).unwrap();
    let command = toml
        .lines()
        .find_map(|l| {
            l.strip_prefix("command = \"")
                .and_then(|r| r.strip_suffix('"'))
        })
        .unwrap();
    assert!(toml.contains("shell = [\"sh\"]"));
    // starship pipes the command into the shell's stdin.
    let Some(mut c) = shell(&t, "sh") else { return };
    let mut child = c
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn_retrying();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), command.as_bytes()).unwrap();
    drop(child.stdin.take());
    let o = child.finish();
    assert_eq!(stdout(&o), "p 45m");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs bash, zsh and fish (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(all(have_bash, have_zsh, have_fish))),
    ignore = "bash, zsh or fish is not installed"
)]
fn env_lines_evaluate_in_every_shell() {
    let t = session_env();
    let exp =
        jiff::Timestamp::from_second(jwt::claims(&t.read_token("p"))["exp"].as_i64().unwrap())
            .unwrap();
    let want = format!(
        "p|security_token|{}|{}|{}",
        t.config_path().display(),
        exp,
        exp.as_second()
    );
    let show = "\"$OCI_CLI_PROFILE|$OCI_CLI_AUTH|$OCI_CLI_CONFIG_FILE|$OCI_TOKEN_EXPIRES_AT|$OCI_TOKEN_EXPIRES_EPOCH\"";
    for (sh, args, script) in [
        (
            "bash",
            vec!["--norc", "--noprofile", "-c"],
            format!("eval \"$(oci-token env --shell bash)\"; printf '%s' {show}"),
        ),
        (
            "zsh",
            vec!["-f", "-c"],
            format!("eval \"$(oci-token env --shell zsh)\"; printf '%s' {show}"),
        ),
        (
            "sh",
            vec!["-c"],
            format!("eval \"$(oci-token env --shell sh)\"; printf '%s' {show}"),
        ),
        (
            "fish",
            vec!["--no-config", "-c"],
            format!("oci-token env --shell fish | source; printf '%s' {show}"),
        ),
    ] {
        let Some(mut c) = shell(&t, sh) else { continue };
        c.env_remove("OCI_CLI_PROFILE").env("OCI_CLI_PROFILE", "p");
        assert_eq!(out(c.args(&args).arg(&script)), want, "{sh}");
    }
    let o = t.run(&["env", "--profile", "p", "--shell", "pwsh"]);
    assert!(
        stdout(&o)
            .starts_with("$Env:OCI_CLI_PROFILE = 'p'\n$Env:OCI_CLI_AUTH = 'security_token'\n"),
        "{}",
        stdout(&o)
    );
}

/// Profile names that try to end the quoting or run something, read back by each real
/// shell exactly (PowerShell's reading is modelled in `output::env`'s unit tests; cmd's
/// runs under Wine in `windows.rs`).
#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs bash, zsh and fish (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(all(have_bash, have_zsh, have_fish))),
    ignore = "bash, zsh or fish is not installed"
)]
fn hostile_profile_names_stay_values_in_every_shell() {
    let names = [
        "q'$(touch pwned)'",
        "a;touch pwned",
        "`touch pwned`",
        "back\\'slash\\",
        "O\u{2019}Brien \u{2018};touch pwned;\u{2019}",
        "$HOME ${HOME} %PATH% !x",
        "Zo\u{eb} \u{1F600}",
    ];
    let t = TestEnv::new();
    for n in names {
        t.session(&SessionSpec::new(n, EXP_IN));
    }
    let work = tempfile::TempDir::new().unwrap();
    for n in names {
        for (sh, args, script) in [
            (
                "bash",
                vec!["--norc", "--noprofile", "-c"],
                "eval \"$(oci-token env --shell bash)\"; printf '%s' \"$OCI_CLI_PROFILE\"",
            ),
            (
                "zsh",
                vec!["-f", "-c"],
                "eval \"$(oci-token env --shell zsh)\"; printf '%s' \"$OCI_CLI_PROFILE\"",
            ),
            (
                "sh",
                vec!["-c"],
                "eval \"$(oci-token env --shell sh)\"; printf '%s' \"$OCI_CLI_PROFILE\"",
            ),
            (
                "fish",
                vec!["--no-config", "-c"],
                "oci-token env --shell fish | source; printf '%s' \"$OCI_CLI_PROFILE\"",
            ),
        ] {
            let Some(mut c) = shell(&t, sh) else { continue };
            // fish decodes its input by the locale: a UTF-8 one, as users have.
            c.env("OCI_CLI_PROFILE", n)
                .env("LC_ALL", "C.UTF-8")
                .current_dir(work.path());
            assert_eq!(out(c.args(&args).arg(script)), n, "{sh}");
        }
        let o = t.run(&["env", "--profile", n, "--shell", "pwsh"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(o.stdout.is_ascii(), "{}", stdout(&o));
    }
    assert!(
        !work.path().join("pwned").exists(),
        "a profile name ran a command"
    );
}

/// The nearest check of `oci-token.ps1` possible here (PowerShell does not install on this
/// Debian): its rules read out of the script. .NET's `d2` format specifier is defined for
/// integral types only (a `[double]` throws a FormatException), so every argument given to
/// a `{N:dM}` item must be an `[int64]`; the wrapper's first statement takes `$?` and it
/// hands `$?` back before the wrapped prompt runs; the oh-my-posh segment starts no shell.
#[test]
fn powershell_script_keeps_dotnet_format_rules_and_the_last_status() {
    let ps1 = std::fs::read_to_string(snippet("oci-token.ps1")).unwrap();
    let code_lines: Vec<&str> = ps1
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    // Variables assigned an [int64].
    let ints: Vec<&str> = code_lines
        .iter()
        .filter_map(|l| l.split_once(" = [int64]").map(|(v, _)| v.trim()))
        .collect();
    let mut checked = 0;
    for l in &code_lines {
        let mut rest = *l;
        while let Some(i) = rest.find("(\"") {
            let s = &rest[i + 2..];
            let Some(end) = s.find('"') else { break };
            let (fmt, after) = (&s[..end], &s[end + 1..]);
            rest = after;
            let Some(args) = after.trim_start().strip_prefix("-f ") else {
                continue;
            };
            // The arguments, up to the `)` that closes the format expression.
            let mut depth = 0;
            let mut args_end = args.len();
            for (j, c) in args.char_indices() {
                match c {
                    '(' | '[' => depth += 1,
                    ')' if depth == 0 => {
                        args_end = j;
                        break;
                    }
                    ')' | ']' => depth -= 1,
                    _ => {}
                }
            }
            let mut parts = Vec::new();
            let (mut depth, mut start) = (0, 0);
            let a = &args[..args_end];
            for (j, c) in a.char_indices() {
                match c {
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(a[start..j].trim());
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            parts.push(a[start..].trim());
            for item in fmt.split('{').skip(1) {
                let item = item.split('}').next().unwrap();
                if let Some((n, spec)) = item.split_once(':')
                    && spec.starts_with(['d', 'D'])
                {
                    let arg = parts[n.parse::<usize>().unwrap()];
                    assert!(
                        arg.starts_with("[int64]") || ints.contains(&arg),
                        "{{{item}}} formats {arg}, not an [int64]: {l}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 1, "no d-format item found");

    let body: Vec<&str> = code_lines
        .iter()
        .skip_while(|l| !l.starts_with("function global:prompt"))
        .skip(1)
        .copied()
        .collect();
    assert_eq!(
        body[0], "$lastOk = $?",
        "the prompt's first statement must take $?"
    );
    let restore = body
        .iter()
        .position(|l| l.contains("if (-not $lastOk) { Write-Error '' -ErrorAction Ignore }"))
        .expect("$? is handed back");
    let wrapped = body
        .iter()
        .position(|l| l.contains("__OciTokenOriginalPrompt"))
        .unwrap();
    assert_eq!(
        wrapped,
        restore + 1,
        "the wrapped prompt must run right after $? is set"
    );
    assert!(
        body.iter()
            .any(|l| l.contains("$global:LASTEXITCODE = $saved"))
    );

    let omp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(snippet("oh-my-posh-oci-token.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(omp["type"], "text", "a command segment would start a shell");
    assert!(
        omp.get("properties")
            .is_none_or(|p| p.get("shell").is_none())
    );
    assert!(
        omp["template"]
            .as_str()
            .unwrap()
            .contains(".Env.OCI_TOKEN_SEGMENT")
    );
    assert!(
        ps1.contains(
            "$env:OCI_TOKEN_SEGMENT = & oci-token prompt --format '{profile} {remaining}'"
        )
    );
    assert!(ps1.contains("New-Alias -Name 'Set-PoshContext'"));
    // What that format prints.
    let t = session_env();
    let o = t.run(&[
        "prompt",
        "--profile",
        "p",
        "--format",
        "{profile} {remaining}",
    ]);
    assert_eq!(stdout(&o).trim(), "p 45m");
}
