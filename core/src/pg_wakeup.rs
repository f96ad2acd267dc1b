//! Background work that PostgreSQL notifications wake (the auto top-up worker, the webhook sender): a pass
//! runs at start, whenever a notification arrives on the work's channel — sent at the commit that queued
//! the work, to every server — and every `every` in case one was missed (a connection lost, work left by a
//! server that stopped). The listener holds one pooled connection; the loop ends when the pool closes.

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::future::Future;
use std::time::Duration;

/// Runs `pass` as the module docs say, until the pool closes. `what` names the work in the log.
pub async fn run_when_notified<Pass, Done>(
    pool: PgPool,
    channel: &'static str,
    every: Duration,
    what: &'static str,
    mut pass: Pass,
) where
    Pass: FnMut() -> Done,
    Done: Future<Output = ()>,
{
    let mut listener = match listen(&pool, channel).await {
        Ok(listener) => Some(listener),
        Err(err) => {
            tracing::error!(error = %err, what, "can't listen for notifications; running on the timer only");
            None
        }
    };
    loop {
        if pool.is_closed() {
            return;
        }
        pass().await;
        let woken = async {
            match listener.as_mut() {
                Some(listener) => listener.recv().await.map(|_| ()),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            woken = woken => match woken {
                Ok(()) => {}
                Err(sqlx::Error::PoolClosed) => return,
                Err(err) => {
                    // The listener reconnects on its next `recv`; a pause keeps a dead database from
                    // making this loop spin.
                    tracing::warn!(error = %err, what, "notification listener lost its connection");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
            () = tokio::time::sleep(every) => {}
        }
    }
}

async fn listen(pool: &PgPool, channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}
