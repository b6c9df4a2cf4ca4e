//! `slotraft [path/to/slotraft.conf] [--name value ...]`

use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOC: slotraft::alloc::Counting = slotraft::alloc::Counting;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!(
            "slotraft {} (valkey {})",
            env!("CARGO_PKG_VERSION"),
            slotraft::server::admin::VALKEY_VERSION
        );
        return;
    }
    let config = match slotraft::config::Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let level = match config.get("loglevel").unwrap_or("notice") {
        "debug" => "debug",
        "verbose" => "info",
        "notice" => "info",
        "warning" => "warn",
        _ => "error",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            // openraft narrates every state change at info; keep its
            // warnings and errors unless RUST_LOG asks for more.
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new(format!("{level},openraft=warn"))),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(slotraft::server::run(config)) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
