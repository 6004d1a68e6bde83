//! argtrace: a thin main. Parses the command line into a checked Config,
//! runs, and turns any error into one `argtrace: ...` line and its exit code.

use argtrace::{cli, error, trace};

fn main() {
    let cli = match cli::Cli::try_parse_with_command() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                std::process::exit(error::exit::OK);
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let names: Vec<&str> = argtrace::subject::all().iter().map(|s| s.name()).collect();
                argtrace::say!("argtrace: a subcommand is missing: one of {} (see argtrace --help)", names.join(", "));
                std::process::exit(error::exit::USAGE);
            }
            // clap's first line names the problem; the usage lines that follow
            // are what --help is for. A first line ending in ':' lists what it
            // means on the indented lines after it (a missing required option).
            let text = e.render().to_string();
            let mut lines = text.lines();
            let mut first = lines.next().unwrap_or("bad command line").to_string();
            if first.ends_with(':') {
                let items: Vec<&str> =
                    lines.take_while(|l| l.starts_with("  ")).map(str::trim).filter(|l| !l.is_empty()).collect();
                first = format!("{} {}", first, items.join(", "));
            }
            argtrace::say!("argtrace: {}", first.trim_start_matches("error: "));
            std::process::exit(error::exit::USAGE);
        }
    };
    let result = cli::check(cli).and_then(trace::run);
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            argtrace::say!("argtrace: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
