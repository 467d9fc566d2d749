//! The `warden` binary.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use warden::config::LogFormat;
use warden::{Config, RunningServer, ServeArgs};

/// mimalloc: the proxy allocates many small, short-lived buffers per request; the system
/// allocator cost measurably more CPU per request in the proxy benchmark.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Warden: a safety gateway for Llama 3 inference servers.
#[derive(Debug, Parser)]
#[command(name = "warden", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway in front of an inference server.
    Serve(Box<ServeArgs>),
    /// Judge conversations from stdin with a Llama Guard model (in-process or remote).
    Classify(warden_guard_model::cli::ClassifyArgs),
    /// Scan files, stdin or LLM answers for insecure code (exit 0 clean, 1 blocked, 2 error).
    Scan(warden_code_scan::ScanArgs),
    /// Check, explain and test policy files; print their JSON Schema.
    #[command(subcommand)]
    Policy(warden_policies::PolicyCommand),
    /// Replay labelled data or an audit log through policies: confusion, precision/recall,
    /// threshold sweep, PR curves (exit 1 when a line of the data failed).
    Eval(Box<warden::eval::EvalArgs>),
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("WARDEN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::resolve(&args)?;
    init_logging(config.log_format);
    let server = RunningServer::start(config).await?;
    server.run_until(shutdown_signal()).await;
    Ok(ExitCode::SUCCESS)
}

fn load_policy_test_guard(
    path: &std::path::Path,
) -> Result<std::sync::Arc<dyn warden_guard_model::Classifier>, String> {
    warden::guard_loader::load_model(&path.display().to_string(), 1, 0, "cpu")
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(*args).await,
        Command::Classify(args) => {
            let code = warden_guard_model::cli::run_classify(
                args,
                std::io::stdin().lock(),
                std::io::stdout().lock(),
            )
            .await?;
            Ok(code)
        }
        Command::Scan(args) => {
            let code = warden_code_scan::run_scan(
                args,
                std::io::stdin().lock(),
                std::io::stdout().lock(),
            )?;
            Ok(code)
        }
        Command::Policy(cmd) => {
            let mut stdout = std::io::stdout().lock();
            let code =
                warden_policies::run_policy_command(cmd, &mut stdout, &load_policy_test_guard)
                    .await?;
            Ok(code)
        }
        Command::Eval(args) => {
            let code = warden::eval::run(
                *args,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            )
            .await?;
            Ok(code)
        }
    }
}

/// candle (0.11) asks for its thread count on every matmul, and without `RAYON_NUM_THREADS`
/// it recomputes it from the CPU affinity mask or `/proc/cpuinfo`: 18 reads of
/// /proc/cpuinfo per Prompt Guard check and more per Llama Guard classification (strace).
/// Fixing the value once, as candle itself would compute it, turns that into an
/// environment lookup.
#[allow(unsafe_code)]
fn pin_model_threads() {
    if std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return;
    }
    let threads = candle_core::utils::get_num_threads();
    // SAFETY: called first thing in `main`, before the runtime or any other thread exists,
    // so nothing can read the environment concurrently.
    unsafe { std::env::set_var("RAYON_NUM_THREADS", threads.to_string()) };
}

fn main() -> ExitCode {
    pin_model_threads();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime");
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli.command));
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
