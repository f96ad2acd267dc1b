//! `tollgate`: serves the dashboard on `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000); `tollgate staff …`
//! manages Tollgate's staff (`server::cli`).

use leptos::config::get_configuration;
use server::cli::Command;
use server::{build_router, connect_database, prepare_payments, serve, session_layer, Config};
use tracing_subscriber::{fmt, EnvFilter};

/// Server rendering allocates and frees many small strings per page; mimalloc spent less time on them than
/// glibc's malloc (≈13% of a wallet page's CPU in a profile).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Command::parse(&args) {
        Ok(None) => {}
        Ok(Some(command)) => match command.run().await {
            Ok(said) => {
                println!("{said}");
                return;
            }
            Err(err) => {
                eprintln!("tollgate: {err}");
                std::process::exit(1);
            }
        },
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
    init_logging();
    if let Err(err) = run().await {
        tracing::error!("{err}");
        eprintln!("tollgate: {err}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let mut leptos_options = get_configuration(None)?.leptos_options;
    // The release build names the wasm bundle, its loader and the stylesheet by their content hash and
    // writes the hashes beside this binary (Cargo.toml `hash-files`); when they are there, pages name the
    // hashed files (docs/ARCHITECTURE.md "Static files and caching"), whatever the environment says.
    leptos_options.hash_files |= app::assets::hash_file(&leptos_options).is_some_and(|file| file.exists());
    let addr = leptos_options.site_addr;
    tracing::info!(database = %config.database_url_for_logs(), "connecting to PostgreSQL");
    let pool = connect_database(&config).await?;
    let processor = prepare_payments(&pool, &config).await?;
    let sessions = session_layer(&pool, &config).await?;
    let app = build_router(leptos_options, pool.clone(), processor, &config, sessions);
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, "Tollgate is serving on http://{addr}");
    serve(listener, app, config.serve, shutdown_signal()).await;
    pool.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// `RUST_LOG` picks what is logged (default `info`); `LOG_FORMAT=json` switches to JSON lines.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx::postgres::notice=warn"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests, close the pool.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
