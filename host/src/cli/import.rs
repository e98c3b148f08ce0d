//! `pump import-tyk-config`: converts a Tyk Pump JSON config to a pump TOML config; the
//! TOML goes to standard output (or `--output`), the notes to standard error.

use crate::tyk_import::{self, ImportError};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// `pump import-tyk-config` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Tyk Pump's JSON config file (`pump.conf`).
    tyk_config: PathBuf,
    /// Write the TOML to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Apply this process's TYK_PMP_… variables, as Tyk Pump does (the default).
    #[arg(long, overrides_with = "no_env")]
    env: bool,
    /// Ignore TYK_PMP_… variables: convert the file alone.
    #[arg(long, overrides_with = "env")]
    no_env: bool,
}

/// Runs `pump import-tyk-config`: 0 when converted, 2 when the Tyk config cannot be, 1 on
/// an I/O error.
pub fn run(args: ImportArgs) -> ExitCode {
    let path = &args.tyk_config;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(1);
        }
    };
    let env: Vec<(String, String)> = if args.no_env {
        Vec::new()
    } else {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    };
    let origin = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let conversion = match tyk_import::convert_named(&text, &origin, &env) {
        Ok(c) => c,
        Err(e) => {
            let code = if matches!(e, ImportError::Invalid(_)) {
                1
            } else {
                2
            };
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(code);
        }
    };
    for note in &conversion.notes {
        eprintln!("note: {note}");
    }
    match &args.output {
        None => print!("{}", conversion.toml),
        Some(out) => {
            if let Err(e) = std::fs::write(out, &conversion.toml) {
                eprintln!("error: cannot write {}: {e}", out.display());
                return ExitCode::from(1);
            }
            eprintln!(
                "wrote {} ({} note{}); check it with: pump validate --config {}",
                out.display(),
                conversion.notes.len(),
                if conversion.notes.len() == 1 { "" } else { "s" },
                out.display()
            );
        }
    }
    ExitCode::SUCCESS
}
