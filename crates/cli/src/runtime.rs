//! Start-up shared by the commands that use the store: logging, the runtime,
//! opening the databases and the master key, and serving until a signal arrives.

use std::future::Future;
use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;

use anyhow::Context;
use healthcode_core::AppState;
use healthcode_core::clock::SystemClock;
use healthcode_core::keyring;
use healthcode_core::realname::LocalVerifier;
use healthcode_core::retention;
use healthcode_core::secrets::{MasterKey, Secrets};
use healthcode_store::Store;
use tokio::net::TcpListener;

use tracing::Instrument as _;

use crate::config::{Config, ServeCommand, Source};

/// The current time in Unix seconds: the one place the command line reads
/// the clock.
pub fn now() -> i64 {
    use healthcode_core::clock::Clock as _;
    SystemClock.now().as_second()
}

/// Runs a future on a multi-threaded runtime with logging set up.
pub fn block_on<F: Future<Output = anyhow::Result<()>>>(
    default_log_filter: &str,
    future: F,
) -> anyhow::Result<()> {
    init_logging(default_log_filter);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(future)
}

/// Structured logs to stderr; `RUST_LOG` filters, `HEALTHCODE_LOG_FORMAT=json`
/// switches to JSON lines. Handlers never log personal data, only codes and counts.
fn init_logging(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
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

/// Opens (creating on first run) the master key and the store.
pub async fn open(config: &Config) -> anyhow::Result<(Store, MasterKey)> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.data)
        .with_context(|| format!("cannot create the data folder {}", config.data.display()))?;
    let master_path = config.master_key_path();
    let first_run = !master_path.exists();
    let master = MasterKey::load_or_create(&master_path)?;
    if first_run {
        tracing::info!(path = %master_path.display(), "generated a new master key");
    }
    let store = Store::open(&config.store())
        .await
        .context("cannot open the database")?;
    Ok((store, master))
}

/// Opens everything, makes sure a signing key exists and builds the service state.
pub async fn app_state(config: &Config) -> anyhow::Result<AppState> {
    let (store, master) = open(config).await?;
    let now = now();
    if let Some(kid) = keyring::ensure_signer(
        &store,
        &Secrets::new(&master)?,
        now,
        config.server.code_lifetime,
    )
    .await?
    {
        tracing::info!(%kid, "generated the first signing key");
    }
    let state = AppState::new(
        store,
        &master,
        config.server.clone(),
        Arc::new(SystemClock),
        Arc::new(LocalVerifier),
    )
    .await?;
    // Check-ins and access records land in today's partition from the start.
    retention::prepare_partitions(&state).await?;
    Ok(state)
}

/// `healthcode serve`: one province, or several from one process (`--province`).
pub async fn serve(source: &Source, command: &ServeCommand) -> anyhow::Result<()> {
    if command.provinces.is_empty() {
        let config = Config::load(source, Some(&command.serve))?;
        let state = app_state(&config).await?;
        return run_server(&config, state).await;
    }
    anyhow::ensure!(
        source.data.is_none() && source.file.is_none(),
        "--data and --config do not apply with --province: each province's own file names its data folder"
    );
    let configs = Config::load_provinces(&command.provinces, &command.serve)?;
    serve_provinces(&configs).await
}

/// Binds and serves until Ctrl-C or SIGTERM, then shuts down gracefully.
pub async fn run_server(config: &Config, state: AppState) -> anyhow::Result<()> {
    let listener = bind(config).await?;
    announce(config);
    healthcode_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves every province from this process, each with its own state, keys,
/// store and listener, until a signal stops them all. Nothing is served unless
/// every province opens and binds; if one server fails, the others stop too and
/// the error names the province.
async fn serve_provinces(configs: &[Config]) -> anyhow::Result<()> {
    let mut provinces = Vec::with_capacity(configs.len());
    for config in configs {
        let span = province_span(config);
        let issuer = &config.server.issuer;
        let state = app_state(config)
            .instrument(span.clone())
            .await
            .with_context(|| format!("province {issuer}"))?;
        let listener = bind(config)
            .await
            .with_context(|| format!("province {issuer}"))?;
        provinces.push((config, state, listener, span));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    let mut issuers = std::collections::HashMap::new();
    for (config, state, listener, span) in provinces {
        span.in_scope(|| announce(config));
        let mut stopped = stopped.clone();
        let until_stopped = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let task = servers
            .spawn(healthcode_server::serve(listener, state, until_stopped).instrument(span));
        issuers.insert(task.id(), config.server.issuer.clone());
    }
    let served = |outcome: Result<
        (tokio::task::Id, std::io::Result<()>),
        tokio::task::JoinError,
    >| {
        let (id, result) = match outcome {
            Ok((id, result)) => (id, result.map_err(anyhow::Error::from)),
            Err(e) => (e.id(), Err(anyhow::Error::from(e).context("crashed"))),
        };
        let issuer = issuers.get(&id).map_or("?", String::as_str);
        result.inspect_err(|e| tracing::error!(issuer, error = %format!("{e:#}"), "a province's server stopped"))
            .with_context(|| format!("province {issuer}"))
    };
    let mut result = Ok(());
    tokio::select! {
        () = shutdown_signal() => {}
        Some(first) = servers.join_next_with_id() => result = served(first),
    }
    let _ = stop.send(true);
    while let Some(next) = servers.join_next_with_id().await {
        result = result.and(served(next));
    }
    tracing::info!("stopped");
    result
}

/// Log lines of one province's server carry its issuer code.
fn province_span(config: &Config) -> tracing::Span {
    tracing::info_span!("province", issuer = %config.server.issuer)
}

/// Binds the configured address.
async fn bind(config: &Config) -> anyhow::Result<TcpListener> {
    TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))
}

/// Says that a server is about to serve, once its listener is bound.
fn announce(config: &Config) {
    let backend = match &config.database_url {
        Some(_) => "PostgreSQL",
        None => "SQLite",
    };
    tracing::info!(listen = %config.server.listen, backend, "healthcode is serving");
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
