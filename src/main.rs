use std::process::ExitCode;

use clap::Parser;
use ocop_gateway::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ocop-gateway: {err}");
            ExitCode::FAILURE
        }
    }
}
