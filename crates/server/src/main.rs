//! `tokentally`: the server and its command line.

use clap::Parser;
use tokentally_server::{cli, telemetry};

/// mimalloc instead of glibc's malloc: faster for ingest's many small allocations, and it
/// returns freed memory instead of keeping it per thread (peak RSS, see docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = cli::Cli::parse();
    telemetry::init_tracing();
    if let Err(err) = cli::run(cli).await {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
