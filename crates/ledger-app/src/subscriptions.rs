//! A referred customer's subscription ending (Stripe's
//! `customer.subscription.deleted`): their referral's subscription is
//! marked cancelled, once.

use chrono::Utc;
use ledger_store::referrals::{self, ReferralWriteError};
use ledger_store::{Key, Store, UniqueValue, unique};

use crate::{Error, Session, contended};

/// What a subscription's end did.
pub enum Cancellation {
    /// The referral's subscription is cancelled now.
    Cancelled,
    /// It was cancelled before: nothing changed.
    AlreadyEnded,
    /// No partner referred the customer.
    NotReferred,
}

/// Cancels the subscription of the referral Stripe's `customer` has.
pub async fn cancel(
    session: &impl Session,
    store: &Store,
    customer: &str,
) -> Result<Cancellation, Error> {
    contended(|| async {
        let account_id = session.account_id();
        let (account, claim) = session
            .read(
                store,
                unique::at(account_id, UniqueValue::StripeCustomer(customer)),
            )
            .await?;
        let Some(claim) = claim else {
            return Ok(Cancellation::NotReferred);
        };
        let Some(before) = store
            .get(&Key::referral(&account.id, &claim.holder))
            .await?
            .map(referrals::from_item)
            .transpose()?
        else {
            return Ok(Cancellation::NotReferred);
        };
        let mut after = before.clone();
        if !after.end_subscription(Utc::now()) {
            return Ok(Cancellation::AlreadyEnded);
        }
        referrals::update(store, &account.id, &before, &after)
            .await
            .map_err(|e| match e {
                ReferralWriteError::Store(e) => Error::from(e),
                claim => Error::conflict("concurrent_modification", claim.to_string()),
            })?;
        Ok(Cancellation::Cancelled)
    })
    .await
}
