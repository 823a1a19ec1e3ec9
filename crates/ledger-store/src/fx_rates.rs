//! Reference exchange rates: one item per publication day
//! (`REF#FX_RATES` / `DATE#<day>`), shared by every account. The rates in
//! force on a day are found with one BatchGetItem of that day and the
//! [`MAX_RATE_AGE_DAYS`](ledger_core::model::fx_rate::MAX_RATE_AGE_DAYS) before it.

use chrono::NaiveDate;

use super::{Entity, Item, Key, Ref, Store, StoreError, decode, encode};
use ledger_core::model::FxRates;
use ledger_core::model::fx_rate::candidate_days;

const ENTITY: &str = "fx_rates";

pub fn from_item(item: Item) -> Result<FxRates, StoreError> {
    decode(item)
}

impl Entity for FxRates {
    /// The rates in force on a day, as a 404 names them.
    const NAME: &'static str = "fx_rates";

    fn from_item(item: Item) -> Result<Self, StoreError> {
        from_item(item)
    }
}

/// The publication of `day`.
pub fn at(day: NaiveDate) -> Ref<FxRates> {
    Ref::new(Key::fx_rates(day))
}

/// Stores `rates`, replacing any publication of the same day (a correction).
pub async fn save(store: &Store, rates: &FxRates) -> Result<(), StoreError> {
    let item = encode(&Key::fx_rates(rates.date), ENTITY, rates)?;
    store
        .client()
        .put_item()
        .table_name(store.table())
        .set_item(Some(item))
        .send()
        .await
        .map_err(StoreError::dynamo)?;
    Ok(())
}

/// The latest publication in force on `day`: dated `day` or at most seven
/// days before. `None` when there is none.
pub async fn in_force(store: &Store, day: NaiveDate) -> Result<Option<FxRates>, StoreError> {
    let keys: Vec<Key> = candidate_days(day).map(Key::fx_rates).collect();
    let found = store.get_many(&keys.iter().collect::<Vec<_>>()).await?;
    found
        .into_iter()
        .flatten()
        .next()
        .map(from_item)
        .transpose()
}
