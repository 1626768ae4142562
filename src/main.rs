use std::process::ExitCode;

use oci_token::sys::os::RealEnv;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Invoked as docker-credential-oci-token: the docker credential-helper protocol.
    if args.first().is_some_and(|a| {
        std::path::Path::new(a).file_name().is_some_and(|n| {
            n == oci_token::commands::docker::HELPER_NAME
                || n == oci_token::commands::docker::helper_file_name().as_str()
        })
    }) {
        return oci_token::commands::docker::helper(&args[1..], &RealEnv);
    }
    let cli = oci_token::cli::parse(&args);
    match oci_token::cli::run(&cli, &RealEnv) {
        Ok(code) => code,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("oci-token: {err}"); // one line, no secrets
            }
            ExitCode::from(err.exit_code())
        }
    }
}
