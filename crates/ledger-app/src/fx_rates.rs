//! The deployment's reference exchange rates: an operator's upload, or
//! correction, of one day's publication. Commissions already converted keep
//! the rate they were converted at.

use chrono::NaiveDate;
use ledger_core::model::{FxRates, FxRatesDraft};
use ledger_store::{Store, fx_rates};

use crate::{Error, Session};

/// Stores `draft` as the rates published on `day`, replacing that day's.
pub async fn publish(
    session: &impl Session,
    store: &Store,
    day: NaiveDate,
    draft: FxRatesDraft,
) -> Result<FxRates, Error> {
    session.read(store, ()).await?;
    let rates = draft.check(day).map_err(Error::Invalid)?;
    fx_rates::save(store, &rates).await?;
    Ok(rates)
}
