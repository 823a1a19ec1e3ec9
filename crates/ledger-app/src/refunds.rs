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
//! recorded yet is refused with a retryable conflict, so the billing system
//! sends it again later. A dispute's two steps each count once, in either
//! order: a dispute won before its withdrawal is known reverses nothing.

use chrono::{DateTime, Utc};
use ledger_core::model::{
    Actor, Commission, CommissionKind, EventType, Id, Reported, ReversalReport,
};
use ledger_core::money::Currency;
use ledger_core::stripe::{Reversal, ReversalChange};
use ledger_core::validation;
use ledger_store::{Store, UniqueValue, commissions, unique};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::{Error, Session, contended, earning, events};

/// How long a reversal that names no customer waits for its sale (Stripe
/// sends an unanswered event again for three days).
const UNNAMED_CUSTOMER_WAIT: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// What a refund or a dispute's step did.
pub enum Refunded {
    /// It took money back (or gave it back): the commission it changed, or
    /// the clawback it created.
    Reversed(Box<Commission>),
    /// It gives back nothing the commission still had: the commission.
    NothingToReverse(Box<Commission>),
    /// It was applied before: nothing changed. A billing system's refund is
    /// answered with the commission it changed.
    Replayed(Option<Box<Commission>>),
    /// No partner referred the customer: there is no sale to reverse.
    NotReferred,
    /// A Stripe reversal in another currency than its sale: not acted on.
    OtherCurrency,
}

/// Money a billing system reports given back on a sale it reported.
pub struct ReportedRefund<'a> {
    /// The billing system's id for the refund: reporting it again is a replay.
    pub event_id: &'a str,
    /// The `event_id` of the sale refunded.
    pub sale_event_id: &'a str,
    /// How much of the sale it gives back, in the sale's currency.
    pub amount: Decimal,
    /// The currency the report names, which must be the sale's.
    pub currency: Option<Currency>,
    /// When the refund happened; `None` for now.
    pub at: Option<DateTime<Utc>>,
    /// Tells a replay of this refund from a different one under its event id.
    pub fingerprint: String,
}

fn not_recorded(sale: &str) -> Error {
    Error::conflict(
        "sale_not_recorded",
        format!("no sale {sale} is recorded yet; send the refund again once it is"),
    )
}

/// Applies `report` to the `sale` commission, claiming `keys` for it.
async fn apply(
    store: &Store,
    account: &Id,
    actor: &Actor,
    sale: Commission,
    report: &ReversalReport,
    keys: &[UniqueValue<'_>],
) -> Result<Refunded, Error> {
    let Some(reversed) = sale.reverse(report, Utc::now()) else {
        return Ok(Refunded::NothingToReverse(Box::new(sale)));
    };
    let at = reversed.commission.updated_at;
    let mut events = events::of_commissions(
        EventType::CommissionReversed,
        account,
        actor,
        at,
        &[(Some(&sale), &reversed.commission)],
    )?;
    if let Some(clawback) = &reversed.clawback {
        events.extend(events::of_commissions(
            EventType::CommissionCreated,
            account,
            actor,
            at,
            &[(None, clawback)],
        )?);
    }
    commissions::reverse(
        store,
        account,
        &sale,
        &reversed,
        keys,
        &report.fingerprint,
        &events,
    )
    .await?;
    let moved_money = reversed.moved_money(&sale);
    let changed = Box::new(reversed.clawback.unwrap_or(reversed.commission));
    Ok(if moved_money {
        Refunded::Reversed(changed)
    } else {
        Refunded::NothingToReverse(changed)
    })
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

/// Applies Stripe's `reversal` (event `event_id`) to the sale recorded
/// under any of the payment's ids.
pub async fn reverse_stripe(
    session: &impl Session,
    store: &Store,
    event_id: &str,
    reversal: &Reversal,
) -> Result<Refunded, Error> {
    contended(|| async {
        let account_id = session.account_id();
        let (step, other_step) = step_keys(reversal);
        let customer = reversal.customer.as_deref().unwrap_or_default();
        let claim = |value| unique::at(account_id, value);
        let sales: Vec<_> = reversal
            .payment_ids
            .iter()
            .map(|id| claim(UniqueValue::StripePayment(id)))
            .collect();
        let (account, (event, stepped, undone, referred, sales)) = session
            .read(
                store,
                (
                    claim(UniqueValue::Event(event_id)),
                    claim(UniqueValue::Refund(&step)),
                    claim(UniqueValue::Refund(other_step.as_deref().unwrap_or(&step))),
                    claim(UniqueValue::StripeCustomer(customer)),
                    sales,
                ),
            )
            .await?;
        if event.is_some() || stepped.is_some() {
            return Ok(Refunded::Replayed(None));
        }
        let Some(sale) = sales.into_iter().flatten().next() else {
            // Only a customer the event names can be known to be referred.
            // Refund objects and disputes name none: while young they may have
            // overtaken their sale and are sent again; an older one is taken
            // as not referred.
            let young = Utc::now() - reversal.at < UNNAMED_CUSTOMER_WAIT;
            return match (referred, reversal.customer.is_none() && young) {
                (Some(_), _) | (None, true) => Err(not_recorded(&reversal.payment_ids.join(" / "))),
                (None, false) => Ok(Refunded::NotReferred),
            };
        };
        let sale = earning::claimed_commission(store, &account.id, &sale).await?;
        if sale.sale_currency() != reversal.currency {
            tracing::warn!(event_id, sale = %sale.id, "a Stripe reversal in another currency than its sale");
            return Ok(Refunded::OtherCurrency);
        }
        let reported = match &reversal.change {
            ReversalChange::RefundedTotal(total) => Reported::RefundedTotal(*total),
            ReversalChange::Refund { amount, .. } => Reported::Refund(*amount),
            ReversalChange::DisputeWithdrawn { .. } if undone.is_some() => {
                return Ok(Refunded::NothingToReverse(Box::new(sale)));
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
        apply(store, &account.id, &session.actor(), sale, &report, &keys).await
    })
    .await
}

/// Applies a billing system's `refund`: the same refund reported again
/// answers the commission it changed (a conflict if the report differs).
pub async fn reverse_event(
    session: &impl Session,
    store: &Store,
    refund: &ReportedRefund<'_>,
) -> Result<Refunded, Error> {
    contended(|| async {
        let account_id = session.account_id();
        let (account, (event, sale)) = session
            .read(
                store,
                (
                    unique::at(account_id, UniqueValue::Event(refund.event_id)),
                    unique::at(account_id, UniqueValue::Event(refund.sale_event_id)),
                ),
            )
            .await?;
        if let Some(claim) = event {
            let changed = earning::replay(store, &account.id, &claim, &refund.fingerprint).await?;
            return Ok(Refunded::Replayed(Some(Box::new(changed))));
        }
        let sale = sale.ok_or_else(|| not_recorded(refund.sale_event_id))?;
        let sale = earning::claimed_commission(store, &account.id, &sale).await?;
        let is_sale = sale.commission_type == CommissionKind::Sale
            && sale.event_id.as_deref() == Some(refund.sale_event_id);
        let Some(sale_amount) = sale.original_sale().filter(|_| is_sale) else {
            return Err(Error::invalid(
                "sale_event_id",
                "names a refund or a custom commission, not a sale",
            ));
        };
        let currency = sale.sale_currency();
        if refund.currency.is_some_and(|c| c != currency) {
            return Err(Error::invalid(
                "currency",
                format!("must be the currency the sale was paid in, {currency}"),
            ));
        }
        let left = sale_amount - sale.refunded();
        if refund.amount > left {
            return Err(Error::invalid(
                "amount",
                format!("exceeds what is left to refund of the sale ({left})"),
            ));
        }
        let mut errors = Vec::new();
        validation::amount("amount", refund.amount, currency, &mut errors);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let report = ReversalReport {
            reported: Reported::Refund(refund.amount),
            event_id: refund.event_id.to_string(),
            fingerprint: refund.fingerprint.clone(),
            reported_at: refund.at.unwrap_or_else(Utc::now),
        };
        let keys = [UniqueValue::Event(refund.event_id)];
        apply(store, &account.id, &session.actor(), sale, &report, &keys).await
    })
    .await
}
