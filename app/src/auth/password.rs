//! Argon2id password hashing, off the async runtime (a hash takes tens of milliseconds of CPU and
//! ≈19 MiB of memory). At most one check per core runs at a time; a few more may wait briefly, the rest
//! are turned away with `Busy` (503), so a login flood costs bounded memory and CPU and a person's own
//! login still gets its turn (docs/CONTRACT.md "Limits and account security").

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::Semaphore;
use tollgate_domain::accounts::credentials::NewPassword;
use tollgate_domain::error::AppError;

/// Checks that may run at once: one per core.
static RUNNING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

/// Requests waiting for a turn; past `WAITING_PER_CORE` per core, new ones are turned away at once.
static WAITING: AtomicUsize = AtomicUsize::new(0);
const WAITING_PER_CORE: usize = 32;

/// How long a request waits for a turn before it is turned away.
const WAIT_FOR_TURN: Duration = Duration::from_secs(3);

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

pub async fn hash(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    run_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|err| AppError::internal("argon2 hashing", err))
    })
    .await
}

/// Checks `password` against `stored`. With no stored hash (unknown email) it still does the same work
/// against a dummy hash, so the answer's timing doesn't tell whether an email has an account.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool, AppError> {
    let password = password.to_owned();
    run_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&phc)
            .map_err(|err| AppError::internal("reading a stored password hash", err))?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await
}

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"tollgate-timing-equaliser", &salt)
        .expect("argon2 with default parameters hashes")
        .to_string()
});

/// Runs `work` on the blocking pool once it has a turn (see the module comment).
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let turn = {
        let _waiting = WaitingSlot::take().ok_or(AppError::Busy)?;
        match tokio::time::timeout(WAIT_FOR_TURN, RUNNING.acquire()).await {
            Ok(Ok(turn)) => turn,
            Ok(Err(err)) => return Err(AppError::internal("waiting for a password check's turn", err)),
            Err(_) => {
                tracing::warn!("password check turned away: every core busy for {WAIT_FOR_TURN:?}");
                return Err(AppError::Busy);
            }
        }
    };
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
    .await
    .map_err(|err| AppError::internal("a password check's task", err))?
}

/// One place in the waiting line, given back when dropped (also when the request is cancelled).
struct WaitingSlot;

impl WaitingSlot {
    fn take() -> Option<WaitingSlot> {
        let limit = WAITING_PER_CORE * cores();
        WAITING
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1))
            .ok()
            .map(|_| WaitingSlot)
    }
}

impl Drop for WaitingSlot {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}
