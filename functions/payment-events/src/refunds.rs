//! Reversing a sale's commission when the sale is refunded or disputed,
//! once per refund or dispute step, and giving back what a won dispute
//! reinstates.
//!
//! An unpaid commission drops to its share of what is left (and becomes
//! `refunded` when nothing is); a paid one keeps its amount and gets a
//! negative clawback commission, which the next payout nets. Refunds are
//! judged by what they bring the sale's reversed amount to (see
//! `model::reversal`), so a replay, a duplicate under another event id, or
//! an older total arriving late reverses nothing. A refund for a sale not
//! recorded yet is refused with a retryable 409, so the billing system
//! sends it again later. A dispute's two steps each count once, in either
//! order: a dispute won before its withdrawal is known reverses nothing.

use chrono::Utc;
use ledger_app::earning;
use ledger_core::model::{Commission, CommissionKind, Id, Reported, ReversalReport};
use ledger_core::stripe::{Reversal, ReversalChange};
use ledger_core::validation::{self, FieldError, under};
use ledger_http::scopes::EventsWrite;
use ledger_http::{ApiError, Caller};
use ledger_store::{Key, Store, UniqueValue, commissions};
use sha2::{Digest, Sha256};

use crate::sales::Recorded;
use crate::signed::Signed;
use crate::views::{Outcome, RefundEvent};

const WRAPPER: &str = "event";

/// How long a reversal that names no customer waits for its sale (Stripe
/// sends an unanswered event again for three days).
const UNNAMED_CUSTOMER_WAIT: chrono::TimeDelta = chrono::TimeDelta::hours(24);

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
    report: &ReversalReport,
    keys: &[UniqueValue<'_>],
) -> Result<Recorded, ApiError> {
    let Some(reversed) = sale.reverse(report, Utc::now()) else {
        return Ok((Outcome::NothingToReverse, Some(sale)));
    };
    commissions::reverse(store, account, &sale, &reversed, keys, &report.fingerprint).await?;
    let outcome = if reversed.moved_money(&sale) {
        Outcome::Recorded
    } else {
        Outcome::NothingToReverse
    };
    Ok((
        outcome,
        Some(reversed.clawback.unwrap_or(reversed.commission)),
    ))
}

/// The idempotency key of one reversal step, and the key of the step that
/// undoes it (a dispute's other step), as `Refund` claims.
fn step_keys(reversal: &Reversal) -> (String, Option<String>) {
    let payment = reversal.payment_ids.first().map_or("", String::as_str);
    match &reversal.change {
        ReversalChange::RefundedTotal(total) => (format!("{payment}:{total}"), None),
        ReversalChange::Refund { id, .. } => (id.clone(), None),
        ReversalChange::DisputeWithdrawn { id, .. } => {
            (format!("{id}:withdrawn"), Some(format!("{id}:reinstated")))
        }
        ReversalChange::DisputeReinstated { id } => {
            (format!("{id}:reinstated"), Some(format!("{id}:withdrawn")))
        }
    }
}

/// One attempt at applying Stripe's `reversal` (event `event_id`) to the
/// sale recorded under any of the payment's ids.
pub async fn reverse_stripe(
    store: &Store,
    signed: &Signed<'_>,
    event_id: &str,
    reversal: &Reversal,
) -> Result<Recorded, ApiError> {
    let account_id = signed.account_id();
    let (step, other_step) = step_keys(reversal);
    let customer = reversal.customer.as_deref().unwrap_or_default();
    let mut keys = vec![
        Key::account(account_id),
        Key::unique(account_id, UniqueValue::Event(event_id)),
        Key::unique(account_id, UniqueValue::Refund(&step)),
        Key::unique(
            account_id,
            UniqueValue::Refund(other_step.as_deref().unwrap_or(&step)),
        ),
        Key::unique(account_id, UniqueValue::StripeCustomer(customer)),
    ];
    keys.extend(
        reversal
            .payment_ids
            .iter()
            .map(|id| Key::unique(account_id, UniqueValue::StripePayment(id))),
    );
    let mut found = store
        .get_many(&keys.iter().collect::<Vec<_>>())
        .await?
        .into_iter();
    let mut next = || found.next().flatten();
    let (account, event, stepped, undone, referred) = (next(), next(), next(), next(), next());
    let sale = found.flatten().next();
    let account = signed.confirm(account)?;
    if event.is_some() || stepped.is_some() {
        return Ok((Outcome::Replayed, None));
    }
    let Some(sale) = sale else {
        // Only a customer the event names can be known to be referred.
        // Refund objects and disputes name none: while young they may have
        // overtaken their sale and are sent again; an older one is taken
        // as not referred.
        let young = Utc::now() - reversal.at < UNNAMED_CUSTOMER_WAIT;
        return match (referred, reversal.customer.is_none() && young) {
            (Some(_), _) | (None, true) => Err(not_recorded(&reversal.payment_ids.join(" / "))),
            (None, false) => Ok((Outcome::NotReferred, None)),
        };
    };
    let (sale, _) = earning::claimed_commission(store, &account.id, sale).await?;
    if sale.sale_currency() != reversal.currency {
        lambda_http::tracing::warn!(event_id, sale = %sale.id, "a Stripe reversal in another currency than its sale");
        return Ok((Outcome::UnsupportedShape, None));
    }
    let reported = match &reversal.change {
        ReversalChange::RefundedTotal(total) => Reported::RefundedTotal(*total),
        ReversalChange::Refund { amount, .. } => Reported::Refund(*amount),
        ReversalChange::DisputeWithdrawn { .. } if undone.is_some() => {
            return Ok((Outcome::NothingToReverse, Some(sale)));
        }
        ReversalChange::DisputeWithdrawn { amount, .. } => Reported::DisputeWithdrawn(*amount),
        ReversalChange::DisputeReinstated { .. } => Reported::DisputeReinstated,
    };
    let report = ReversalReport {
        reported,
        event_id: event_id.to_string(),
        fingerprint: hex::encode(Sha256::digest(format!("{event_id}\n{step}"))),
        reported_at: reversal.at,
    };
    let keys = [UniqueValue::Event(event_id), UniqueValue::Refund(&step)];
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
        .read_items(
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
    let Some(sale_amount) = sale.original_sale().filter(|_| is_sale) else {
        return Err(invalid(
            "sale_event_id",
            "names a refund or a custom commission, not a sale".into(),
        ));
    };
    let currency = sale.sale_currency();
    if refund.currency.is_some_and(|c| c != currency) {
        return Err(invalid(
            "currency",
            format!("must be the currency the sale was paid in, {currency}"),
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
    validation::amount("amount", refund.amount, currency, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(under(errors, WRAPPER)));
    }
    let report = ReversalReport {
        reported: Reported::Refund(refund.amount),
        event_id: refund.event_id.clone(),
        fingerprint,
        reported_at: refund.refunded_at(Utc::now()),
    };
    let keys = [UniqueValue::Event(&refund.event_id)];
    apply(store, &account.id, sale, &report, &keys).await
}
