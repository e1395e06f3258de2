//! The `leadpost` binary: parse the command line, load the settings, run.

use std::process::ExitCode;

use clap::Parser;

use leadpost::cli::{self, Cli};
use leadpost::config::Settings;
use leadpost::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("leadpost: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(settings.log.format, &settings.log.level);
    match cli::run(cli, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "leadpost failed");
            eprintln!("leadpost: {e:#}");
            ExitCode::FAILURE
        }
    }
}
