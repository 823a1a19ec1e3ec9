//! The account's settings: an update writes the settings it gives and no
//! others. The base currency cannot change under commissions counted in it,
//! and the Stripe webhook secret, which signs sales and refunds, needs the
//! `events:write` scope too.

use ledger_core::model::{Account, AccountChanges};
use ledger_core::money::Currency;
use ledger_store::tallies;
use ledger_store::{Store, Tally, accounts};

use crate::{Denial, Error, KeyedSession, contended};

/// Applies `changes` to the caller's account and answers it as changed.
pub async fn update(
    session: &impl KeyedSession,
    store: &Store,
    changes: AccountChanges,
) -> Result<Account, Error> {
    let commissions = Tally::commissions(None, None);
    contended(|| async {
        let (mut account, key, recorded) = session
            .read_with_key(store, tallies::of(session.account_id(), &commissions))
            .await?;
        if let Some(scope) = changes.also_requires().filter(|s| !key.allows(*s)) {
            return Err(Error::Denied(Denial::MissingScope(scope)));
        }
        let rebased = changes.currency.filter(|c| *c != account.currency);
        if rebased.is_some() && recorded.0 > 0 {
            return Err(currency_locked(account.currency));
        }
        let update = account.apply(changes.clone()).map_err(Error::Invalid)?;
        if let Some(write) = accounts::update_settings(store, &account.id, &update)? {
            let mut writes = vec![write];
            if rebased.is_some() {
                writes.extend(tallies::require_zero(store, &account.id, &commissions)?);
            }
            store.transact(writes).await?;
        }
        Ok(account)
    })
    .await
}

/// The base currency cannot change under commissions counted in it.
fn currency_locked(base: Currency) -> Error {
    Error::conflict(
        "currency_locked",
        format!(
            "the account has commissions in its base currency, {base}, so its currency can no longer change"
        ),
    )
}
