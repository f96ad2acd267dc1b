//! Serving connections (what `axum::serve` does, plus the limits it has no settings for —
//! docs/ARCHITECTURE.md "HTTP hardening"):
//! - a client must send its request headers within `header_read_timeout`, so a slow trickle of bytes
//!   (slowloris) can't hold connections open for ever;
//! - HTTP/1.1 and HTTP/2 (cleartext, as a proxy in front speaks it) on one port;
//! - on shutdown, no new connections; in-flight requests get up to `shutdown_deadline` to finish, then
//!   the process exits anyway (an attempt cut off there is settled by start-up recovery).
//!
//! Every request carries the peer's address (`ConnectInfo<SocketAddr>`), which `client_ip` reads.

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::Service;

/// The serving limits (`TOLLGATE_HEADER_READ_TIMEOUT_SECS`, `TOLLGATE_SHUTDOWN_DEADLINE_SECS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    pub header_read_timeout: Duration,
    pub shutdown_deadline: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains connections (see the module comment).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service =
            TowerToHyperService::new(tower::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().call(req.map(Body::new))
            }));
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("every connection finished"),
        () = tokio::time::sleep(limits.shutdown_deadline) => {
            tracing::warn!(deadline = ?limits.shutdown_deadline, "shutdown deadline passed; closing connections still open");
        }
    }
}
