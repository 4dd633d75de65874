//! `tokentally`: the server and its command line.

use clap::Parser;
use tokentally_server::{cli, startup};

#[tokio::main]
async fn main() {
    let cli = cli::Cli::parse();
    startup::init_tracing();
    if let Err(err) = cli::run(cli).await {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
