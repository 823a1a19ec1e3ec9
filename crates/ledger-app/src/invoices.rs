//! A current-version Stripe invoice's two halves of news, put together:
//! `invoice.paid` (who paid) and `invoice_payment.paid` (what paid). Each
//! writes its half; the one that finds both records the sale under the
//! payment's id, exactly as the payment's own event would, so the payment
//! still counts once whichever of its events arrive.

use ledger_core::stripe::InvoiceHalf;
use ledger_store::{Store, UniqueValue, stripe_invoices, unique};

use crate::sales::{self, Recorded};
use crate::{Error, Session, contended};

/// What adding an invoice's half did.
pub enum Added {
    /// The event was added before: nothing changed.
    Replayed,
    /// The half was noted; the sale is recorded when the other half comes,
    /// unless the payment's own event records it first.
    Linked,
    /// Both halves are in: what recording their sale did.
    Sale(Recorded),
}

/// Adds `half` to what is known of `invoice` (event `event_id`), and
/// records the sale once both halves are known.
pub async fn add(
    session: &impl Session,
    store: &Store,
    event_id: &str,
    invoice: &str,
    half: &InvoiceHalf,
) -> Result<Added, Error> {
    contended(|| async {
        let account_id = session.account_id();
        let (account, (event, before)) = session
            .read(
                store,
                (
                    unique::at(account_id, UniqueValue::Event(event_id)),
                    stripe_invoices::at(account_id, invoice),
                ),
            )
            .await?;
        if event.is_some() {
            return Ok(Added::Replayed);
        }
        let mut after = before.clone().unwrap_or_default();
        after.add(half);
        if before.as_ref() != Some(&after) {
            after.version += 1;
            let write =
                stripe_invoices::save(store, &account.id, invoice, before.as_ref(), &after)?;
            store.transact(vec![write]).await?;
        }
        match after.sale() {
            Some(payment) => Ok(Added::Sale(
                sales::record_stripe_once(session, store, event_id, &payment).await?,
            )),
            None => Ok(Added::Linked),
        }
    })
    .await
}
