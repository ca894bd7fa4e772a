//! The `portall` binary: parse the configuration, then serve until a shutdown signal.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = server::config::Args::parse();
    if let Some(server::config::Command::BenchImport { services }) = &args.command {
        return match server::bench_import::run(services).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("portall bench-import: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(server::config::Command::BenchScan { containers }) = &args.command {
        return match server::bench::run(containers).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("portall bench-scan: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(server::config::Command::BenchLive { runs, burst }) = &args.command {
        return match server::bench_live::run(*runs, *burst).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("portall bench-live: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(server::config::Command::BenchHostscan { concurrency }) = &args.command {
        return match server::bench_hostscan::run(*concurrency).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("portall bench-hostscan: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(server::config::Command::Healthcheck) = &args.command {
        return match server::config::health_url(&args) {
            Ok(url) => server::healthcheck(&url).await,
            Err(e) => {
                eprintln!("portall healthcheck: {e}");
                ExitCode::from(2)
            }
        };
    }
    let reset = matches!(args.command, Some(server::config::Command::ResetAuth));
    let config = match server::config::Config::from_args(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("portall: {e}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init();
    if reset {
        return match server::reset_auth(&config).await {
            Ok(n) => {
                println!(
                    "portall: removed {n} account(s) with their sessions and API tokens; \
                     the next visit shows the setup page"
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("portall reset-auth: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("portall: {e}");
            ExitCode::FAILURE
        }
    }
}
