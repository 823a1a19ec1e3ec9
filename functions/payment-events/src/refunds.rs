//! Reversing a sale's commission when the sale is refunded, once per refund.
//!
//! An unpaid commission drops to its share of what is left (and becomes
//! `refunded` when nothing is); a paid one keeps its amount and gets a
//! negative clawback commission, which the next payout nets. Refunds are
//! judged by the refunded total they bring the sale to, so a replay, a
//! duplicate under another event id, or an older total arriving late
//! reverses nothing. A refund for a sale not recorded yet is refused with a
//! retryable 409, so the billing system sends it again later.

use chrono::Utc;
use partner_ledger::earning;
use partner_ledger::http::scopes::EventsWrite;
use partner_ledger::http::{ApiError, Caller};
use partner_ledger::model::{Commission, CommissionKind, Id, RefundReport};
use partner_ledger::store::{Key, Store, UniqueValue, commissions};
use partner_ledger::stripe::Refund;
use partner_ledger::validation::{self, FieldError, under};
use sha2::{Digest, Sha256};

use crate::sales::Recorded;
use crate::signed::Signed;
use crate::views::{Outcome, RefundEvent};

const WRAPPER: &str = "event";

fn not_recorded(sale: &str) -> ApiError {
    ApiError::conflict(
        "sale_not_recorded",
        format!("no sale {sale} is recorded yet; send the refund again once it is"),
    )
}

/// Applies `report` to the `sale` commission, claiming `keys` for it.
async fn apply(
    store: &Store,
    account: &Id,
    sale: Commission,
    report: &RefundReport,
    keys: &[UniqueValue<'_>],
) -> Result<Recorded, ApiError> {
    let Some(reversed) = sale.reverse(report, Utc::now()) else {
        return Ok((Outcome::NothingToReverse, Some(sale)));
    };
    commissions::reverse(store, account, &sale, &reversed, keys, &report.fingerprint).await?;
    let changed = reversed.clawback.unwrap_or(reversed.commission);
    Ok((Outcome::Recorded, Some(changed)))
}

/// One attempt at applying Stripe's `refund` (event `event_id`). The refund
/// is known by the charge (or invoice) and the refunded total it reports.
pub async fn reverse_stripe(
    store: &Store,
    signed: &Signed<'_>,
    event_id: &str,
    refund: &Refund,
) -> Result<Recorded, ApiError> {
    let account_id = signed.account_id();
    let refund_id = format!("{}:{}", refund.payment_id, refund.refunded_total);
    let customer = refund.customer.as_deref().unwrap_or_default();
    let keys = [
        Key::account(account_id),
        Key::unique(account_id, UniqueValue::Event(event_id)),
        Key::unique(account_id, UniqueValue::Refund(&refund_id)),
        Key::unique(account_id, UniqueValue::StripePayment(&refund.payment_id)),
        Key::unique(account_id, UniqueValue::StripeCustomer(customer)),
    ];
    let [account, event, refunded, sale, referred] = store.get_each(&keys).await?;
    let account = signed.confirm(account)?;
    if event.is_some() || refunded.is_some() {
        return Ok((Outcome::Replayed, None));
    }
    let Some(sale) = sale else {
        return match referred {
            Some(_) => Err(not_recorded(&refund.payment_id)),
            None => Ok((Outcome::NotReferred, None)),
        };
    };
    let (sale, _) = earning::claimed_commission(store, &account.id, sale).await?;
    let report = RefundReport {
        refunded_total: refund.refunded_total,
        event_id: event_id.to_string(),
        fingerprint: hex::encode(Sha256::digest(format!("{event_id}\n{refund_id}"))),
        refunded_at: refund.refunded_at,
    };
    let keys = [
        UniqueValue::Event(event_id),
        UniqueValue::Refund(&refund_id),
    ];
    apply(store, &account.id, sale, &report, &keys).await
}

/// One attempt at applying a billing system's `refund`: the same event sent
/// again answers the commission it changed (409 if the body differs).
pub async fn reverse_event(
    store: &Store,
    caller: &Caller<EventsWrite>,
    refund: &RefundEvent,
) -> Result<Recorded, ApiError> {
    let invalid = |field: &str, message: String| {
        ApiError::Validation(under(vec![FieldError::new(field, message)], WRAPPER))
    };
    let errors = refund.check();
    if !errors.is_empty() {
        return Err(ApiError::Validation(under(errors, WRAPPER)));
    }
    let account_id = caller.account_id();
    let (account, [event, sale]) = caller
        .read(
            store,
            [
                &Key::unique(account_id, UniqueValue::Event(&refund.event_id)),
                &Key::unique(account_id, UniqueValue::Event(&refund.sale_event_id)),
            ],
        )
        .await?;
    let fingerprint = refund.fingerprint();
    if let Some(claim) = event {
        let changed = earning::replay(store, &account.id, claim, &fingerprint).await?;
        return Ok((Outcome::Replayed, Some(changed)));
    }
    let sale = sale.ok_or_else(|| not_recorded(&refund.sale_event_id))?;
    let (sale, _) = earning::claimed_commission(store, &account.id, sale).await?;
    let is_sale = sale.commission_type == CommissionKind::Sale
        && sale.event_id.as_deref() == Some(refund.sale_event_id.as_str());
    let Some(sale_amount) = sale.sale_amount.filter(|_| is_sale) else {
        return Err(invalid(
            "sale_event_id",
            "names a refund or a custom commission, not a sale".into(),
        ));
    };
    if refund.currency.is_some_and(|c| c != sale.currency) {
        return Err(invalid(
            "currency",
            format!("must be the sale's currency, {}", sale.currency),
        ));
    }
    let left = sale_amount - sale.refunded();
    if refund.amount > left {
        return Err(invalid(
            "amount",
            format!("exceeds what is left to refund of the sale ({left})"),
        ));
    }
    let mut errors = Vec::new();
    validation::amount("amount", refund.amount, sale.currency, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(under(errors, WRAPPER)));
    }
    let report = RefundReport {
        refunded_total: sale.refunded() + refund.amount,
        event_id: refund.event_id.clone(),
        fingerprint,
        refunded_at: refund.refunded_at(Utc::now()),
    };
    let keys = [UniqueValue::Event(&refund.event_id)];
    apply(store, &account.id, sale, &report, &keys).await
}
