//! Turns SIGINT / SIGTERM into a cancellation every task listens to.

use tokio_util::sync::CancellationToken;

pub fn listen_for_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut sig) => {
                    sig.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = terminate => {},
            _ = token.cancelled() => return,
        }
        tracing::info!("shutdown signal received; finishing in-flight requests");
        token.cancel();
    });
}
