//! The `ceremony` binary: parse arguments, run, map the outcome to an exit
//! status (0 ok, 1 verification failed, 2 unusable input).

use clap::Parser;

fn main() {
    let problems = ceremony::secret::harden_process();
    for p in problems {
        eprintln!("warning: {p}");
    }
    let cli = ceremony::cli::Cli::parse();
    match ceremony::cli::run(cli) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("ceremony: error: {}", e.reason());
            if let Some(h) = e.hint_text() {
                eprintln!("hint: {h}");
            }
            std::process::exit(e.exit_code());
        }
    }
}
