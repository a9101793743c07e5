use std::process::ExitCode;

use clap::Parser;
use ocop_gateway::cli::{Cli, run};

// glibc malloc spent a fifth of the server's CPU under load (arena locks,
// consolidation); mimalloc's thread-local heaps avoid both and keep RSS lower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    ocop_gateway::outbound::install_crypto();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ocop-gateway: {err}");
            ExitCode::FAILURE
        }
    }
}
