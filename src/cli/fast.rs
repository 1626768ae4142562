//! The prompt's command line, read without clap. A prompt runs `oci-token prompt` before
//! every shell prompt; building the full clap definition (every subcommand and option) is
//! most of its cost. Only plain `--flag value` / `--flag=value` forms of the options
//! `prompt` takes are read here; anything else (`--help`, a typo, another command) goes to
//! clap, so errors and help are unchanged.

use std::ffi::OsString;
use std::path::PathBuf;

use super::args::{Cli, Command, Global, PromptArgs};

/// A `Cli` for `prompt`, or `None` to let clap parse the line.
#[must_use]
pub fn prompt_cli(args: &[OsString]) -> Option<Cli> {
    let mut global = Global {
        config_file: None,
        profile: None,
        region: None,
        cli_rc_file: None,
        cert_bundle: None,
        auth_endpoint: None,
        auth: None,
    };
    let mut format = crate::output::prompt::DEFAULT_FORMAT.to_owned();
    let mut seen_command = false;
    let mut it = args.iter().skip(1).map(|a| a.to_str());
    while let Some(arg) = it.next() {
        let arg = arg?;
        if arg == "prompt" && !seen_command {
            seen_command = true;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_owned())),
            None => (arg, None),
        };
        let mut value = || -> Option<String> {
            match inline.clone() {
                Some(v) => Some(v),
                None => it.next().flatten().map(str::to_owned),
            }
        };
        match flag {
            "--profile" => global.profile = Some(value()?),
            "--config-file" => global.config_file = Some(PathBuf::from(value()?)),
            "--cli-rc-file" => global.cli_rc_file = Some(PathBuf::from(value()?)),
            "--region" => global.region = Some(value()?),
            "--auth" => global.auth = Some(value()?),
            "--format" => format = value()?,
            _ => return None,
        }
    }
    seen_command.then_some(Cli {
        global,
        output: None,
        command: Some(Command::Prompt(PromptArgs { format })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[&str]) -> Option<Cli> {
        let args: Vec<OsString> = std::iter::once("oci-token")
            .chain(line.iter().copied())
            .map(OsString::from)
            .collect();
        prompt_cli(&args)
    }

    #[test]
    fn reads_the_prompt_options_and_defers_everything_else() {
        let c = parse(&[
            "--profile",
            "p",
            "prompt",
            "--format={profile}",
            "--config-file",
            "/c",
        ])
        .unwrap();
        assert_eq!(c.global.profile.as_deref(), Some("p"));
        assert_eq!(
            c.global.config_file.as_deref(),
            Some(std::path::Path::new("/c"))
        );
        let Some(Command::Prompt(a)) = c.command else {
            panic!()
        };
        assert_eq!(a.format, "{profile}");
        assert!(parse(&["prompt"]).is_some());
        for other in [
            &["prompt", "--help"][..],
            &["get"],
            &["prompt", "--profile"],
            &["prompt", "prompt"],
            &["prompt", "-p", "x"],
            &[],
        ] {
            assert!(parse(other).is_none(), "{other:?}");
        }
    }

    #[test]
    fn agrees_with_clap() {
        use clap::Parser as _;
        let line = [
            "oci-token",
            "prompt",
            "--profile",
            "p",
            "--region",
            "r",
            "--format",
            "x {remaining}",
        ];
        let ours = parse(&line[1..]).unwrap();
        let clap = Cli::parse_from(line);
        assert_eq!(format!("{ours:?}"), format!("{clap:?}"));
    }
}
