//! Start-up shared by the commands that use the store: logging, the runtime,
//! opening the databases and the vault, and serving until a signal arrives.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use healthcode_server::AppState;
use healthcode_server::clock::SystemClock;
use healthcode_server::keyring;
use healthcode_server::realname::LocalVerifier;
use healthcode_store::Store;
use healthcode_store::vault::{MasterKey, Vault};
use tokio::net::TcpListener;

use crate::config::{Config, ServeArgs, Source};

/// Runs a future on a multi-threaded runtime with logging set up.
pub fn block_on<F: Future<Output = anyhow::Result<()>>>(future: F) -> anyhow::Result<()> {
    init_logging();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(future)
}

/// Structured logs to stderr; `RUST_LOG` filters, `HEALTHCODE_LOG_FORMAT=json`
/// switches to JSON lines. Handlers never log personal data, only codes and counts.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if std::env::var("HEALTHCODE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Opens (creating on first run) the master key, the vault and the store.
pub async fn open(config: &Config) -> anyhow::Result<(Store, Vault)> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create the data folder {}", config.data.display()))?;
    let master_path = config.master_key_path();
    let first_run = !master_path.exists();
    let master = MasterKey::load_or_create(&master_path)?;
    if first_run {
        tracing::info!(path = %master_path.display(), "generated a new master key");
    }
    let vault = Vault::new(&master)?;
    let store = Store::open(&config.store())
        .await
        .context("cannot open the database")?;
    Ok((store, vault))
}

/// Opens everything, makes sure a signing key exists and builds the service state.
pub async fn app_state(config: &Config) -> anyhow::Result<AppState> {
    let (store, vault) = open(config).await?;
    let now = jiff::Timestamp::now().as_second();
    if let Some(kid) =
        keyring::ensure_signer(&store, &vault, now, config.server.code_lifetime).await?
    {
        tracing::info!(%kid, "generated the first signing key");
    }
    Ok(AppState::new(
        store,
        vault,
        config.server.clone(),
        Arc::new(SystemClock),
        Arc::new(LocalVerifier),
    )
    .await?)
}

/// `healthcode serve`.
pub async fn serve(source: &Source, args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(source, Some(args))?;
    let state = app_state(&config).await?;
    run_server(&config, state).await
}

/// Binds and serves until Ctrl-C or SIGTERM, then shuts down gracefully.
pub async fn run_server(config: &Config, state: AppState) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let backend = format!("{:?}", state.store.backend());
    tracing::info!(listen = %config.server.listen, %backend, "healthcode is serving");
    healthcode_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
