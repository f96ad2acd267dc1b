//! `requests` is partitioned by month (docs/SCALING.md "Step 2"); the coming months' partitions are made
//! ahead of need by pg_partman.

use sqlx::PgPool;
use tollgate_domain::error::AppError;

/// Keeps `requests` partitioned three months ahead: pg_partman's maintenance makes a month's partition
/// when it comes within reach, and runs in one server at a time (it takes an advisory lock; the others
/// return at once). Making a partition briefly locks `requests` against every other use; a lock that isn't
/// granted within a second (a long export reading the table) gives up rather than queue the meter's writes
/// behind it, and the next pass tries again, months before the partition is needed.
pub async fn make_coming_months(pool: &PgPool) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET LOCAL lock_timeout = '1s'").execute(&mut *tx).await?;
    sqlx::query!("SELECT FROM partman.run_maintenance('public.requests', p_jobmon := false)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
