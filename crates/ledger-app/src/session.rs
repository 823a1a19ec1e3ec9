//! Who an operation runs for. An operation reads through its [`Session`],
//! whose first read also proves the caller may act on the account (the HTTP
//! layer's API key check rides along in the same BatchGetItem), and it
//! settles a lost race by running again ([`contended`]).

use std::future::Future;

use ledger_core::model::{Account, Actor, ApiKey, Id};
use ledger_store::{Reads, Store, accounts};

use crate::Error;

/// An authenticated caller of one account.
pub trait Session: Sync {
    /// The account the caller claims; keys built from it are read only
    /// through [`Session::read`], which verifies the claim first.
    fn account_id(&self) -> &Id;

    /// What the caller's changes are recorded as caused by, in their events.
    fn actor(&self) -> Actor;

    /// Reads the caller's account and `reads` in one round trip, verifying
    /// the caller on the way.
    fn read<R: Reads + Send + Sync>(
        &self,
        store: &Store,
        reads: R,
    ) -> impl Future<Output = Result<(Account, R::Output), Error>> + Send;
}

/// A session whose caller holds an API key of its own.
pub trait KeyedSession: Session {
    /// [`Session::read`], also handing out the caller's own verified key:
    /// for operations whose outcome depends on what the key holds (managing
    /// keys, a setting that needs a scope of its own).
    fn read_with_key<R: Reads + Send + Sync>(
        &self,
        store: &Store,
        reads: R,
    ) -> impl Future<Output = Result<(Account, ApiKey, R::Output), Error>> + Send;
}

/// Reads account `id` and `reads` in one round trip, verifying nobody: the
/// first read of a [`Session`] that proves its caller by what the account
/// holds rather than by an API key (a signed Stripe delivery, checked
/// against the account's endpoint secret).
pub async fn read_account<R: Reads>(
    store: &Store,
    id: &Id,
    reads: R,
) -> Result<(Option<Account>, R::Output), Error> {
    Ok(store.read(&(accounts::at(id), reads)).await?)
}

/// Runs a read-decide-write `attempt` again when its transaction lost a race
/// (a condition on state it read no longer held, or another transaction held
/// an item, such as a busy tally). Attempts back off with jitter so racing
/// writers spread out; after the last, the race is a `concurrent_modification`
/// conflict rather than a failure.
pub async fn contended<T, F, Fut>(mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    const ATTEMPTS: u32 = 5;
    for round in 1..ATTEMPTS {
        match attempt().await {
            Err(e) if e.is_contention() => {
                tokio::time::sleep(ledger_store::backoff(round)).await;
            }
            done => return done,
        }
    }
    attempt().await.map_err(|err| {
        if err.is_contention() {
            Error::conflict(
                "concurrent_modification",
                "the object was changed concurrently; retry the request",
            )
        } else {
            err
        }
    })
}
