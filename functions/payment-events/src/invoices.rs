//! A current-version Stripe invoice's two halves of news, put together:
//! `invoice.paid` (who paid) and `invoice_payment.paid` (what paid). Each
//! writes its half; the one that finds both records the sale under the
//! payment's id, exactly as the payment's own event would, so the payment
//! still counts once whichever of its events arrive.

use ledger_core::stripe::InvoiceHalf;
use ledger_http::ApiError;
use ledger_store::stripe_invoices;
use ledger_store::{Key, Store, UniqueValue};

use crate::sales;
use crate::signed::Signed;
use crate::views::Outcome;

/// One attempt at adding `half` to what is known of `invoice` (event
/// `event_id`), and at recording the sale once both halves are known.
pub async fn add(
    store: &Store,
    signed: &Signed<'_>,
    event_id: &str,
    invoice: &str,
    half: &InvoiceHalf,
) -> Result<Outcome, ApiError> {
    let account_id = signed.account_id();
    let [account, event, news] = store
        .get_each(&[
            Key::account(account_id),
            Key::unique(account_id, UniqueValue::Event(event_id)),
            Key::stripe_invoice(account_id, invoice),
        ])
        .await?;
    signed.confirm(account)?;
    if event.is_some() {
        return Ok(Outcome::Replayed);
    }
    let before = news.map(stripe_invoices::from_item).transpose()?;
    let mut after = before.clone().unwrap_or_default();
    after.add(half);
    if before.as_ref() != Some(&after) {
        after.version += 1;
        let write = stripe_invoices::save(store, account_id, invoice, before.as_ref(), &after)?;
        store.transact(vec![write]).await?;
    }
    match after.sale() {
        Some(payment) => Ok(sales::record_stripe(store, signed, event_id, &payment)
            .await?
            .0),
        None => Ok(Outcome::Linked),
    }
}
