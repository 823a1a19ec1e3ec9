//! Recording a customer's payment as a sale commission, once, whether Stripe
//! or another billing system reports it.
//!
//! The first BatchGetItem takes the account, the event's idempotency keys
//! and what finds the customer (the referral, or the claim of its Stripe
//! customer id or email, which carries the referral's route); the earning
//! flow then reads once more and writes one transaction.

use chrono::Utc;
use ledger_app::earning::{self, Customer, Earned};
use ledger_core::model::{Account, Commission, CommissionDraft, CommissionRequest, EventDate, Id};
use ledger_core::stripe::Payment;
use ledger_core::validation::{FieldError, under};
use ledger_http::scopes::EventsWrite;
use ledger_http::{ApiError, Caller};
use ledger_store::{Item, Key, Store, UniqueValue, referrals, unique};
use ledger_telemetry::metrics::{self, CommissionSource};

use crate::signed::Signed;
use crate::views::{CustomerRef, Outcome, SaleEvent, renamed};

const WRAPPER: &str = "event";

/// What recording a payment did, with the commission it created or found.
pub type Recorded = (Outcome, Option<Commission>);

/// The customer a claim (their Stripe customer id or email) names.
async fn routed(store: &Store, account: &Id, key: Key, item: Item) -> Result<Customer, ApiError> {
    let claim = unique::read(item)?;
    match claim.sale_route {
        Some(route) => Ok(Customer::Routed {
            referral: claim.holder,
            route,
            claim: key,
        }),
        None => {
            let referral = store
                .get(&Key::referral(account, &claim.holder))
                .await?
                .map(referrals::from_item)
                .transpose()?
                .ok_or(ApiError::NotFound("referral"))?;
            Ok(Customer::Read(referral))
        }
    }
}

/// Earns the sale for `customer`, reported by `source`; a partner who may
/// not earn is an outcome, not an error, so the billing system does not
/// send it again.
async fn earn(
    store: &Store,
    account: &Account,
    customer: Customer,
    request: &CommissionRequest,
    source: CommissionSource,
) -> Result<Recorded, ApiError> {
    match earning::earn_sale(store, account, customer, request).await {
        Ok(Earned::Commission(commission)) => {
            metrics::commission_created(source, &account.id, &commission);
            Ok((Outcome::Recorded, Some(*commission)))
        }
        Ok(Earned::Refused(_)) => Ok((Outcome::PartnerRefused, None)),
        Err(ledger_app::Error::NotFound("referral")) => Ok((Outcome::NotReferred, None)),
        Err(other) => Err(other.into()),
    }
}

/// One attempt at recording Stripe's `payment` (event `event_id`): a replay
/// of the event, or another event of the same payment under any of its
/// ids, changes nothing.
pub async fn record_stripe(
    store: &Store,
    signed: &Signed<'_>,
    event_id: &str,
    payment: &Payment,
) -> Result<Recorded, ApiError> {
    let account_id = signed.account_id();
    let customer_key = Key::unique(account_id, UniqueValue::StripeCustomer(&payment.customer));
    let mut keys = vec![
        Key::account(account_id),
        Key::unique(account_id, UniqueValue::Event(event_id)),
        customer_key.clone(),
    ];
    keys.extend(
        payment
            .ids()
            .map(|id| Key::unique(account_id, UniqueValue::StripePayment(id))),
    );
    let mut found = store
        .get_many(&keys.iter().collect::<Vec<_>>())
        .await?
        .into_iter();
    let (account, event, customer) = (
        found.next().flatten(),
        found.next().flatten(),
        found.next().flatten(),
    );
    let account = signed.confirm(account)?;
    if event.is_some() || found.any(|paid| paid.is_some()) {
        return Ok((Outcome::Replayed, None));
    }
    let Some(claim) = customer else {
        return Ok((Outcome::NotReferred, None));
    };
    let customer = routed(store, account_id, customer_key, claim).await?;
    let request = CommissionDraft {
        referral_id: Some(customer.referral_id().clone()),
        sale_amount: Some(payment.amount),
        currency: Some(payment.currency),
        event_id: Some(event_id.to_string()),
        stripe_payment_id: Some(payment.payment_id.clone()),
        event_date: Some(EventDate::Time(payment.paid_at)),
        ..CommissionDraft::default()
    }
    .check(account.currency, Utc::now())
    .map_err(|errors| ApiError::Validation(under(errors, WRAPPER)))?;
    earn(
        store,
        &account,
        customer,
        &request,
        CommissionSource::Stripe,
    )
    .await
}

/// One attempt at recording a billing system's `sale`: the same event sent
/// again answers the commission it created (409 if the body differs).
pub async fn record_event(
    store: &Store,
    caller: &Caller<EventsWrite>,
    sale: &SaleEvent,
) -> Result<Recorded, ApiError> {
    let account_id = caller.account_id();
    let invalid = |error: FieldError| ApiError::Validation(vec![error.under(WRAPPER)]);
    let named = sale.customer().map_err(invalid)?;
    let lookup = match named {
        CustomerRef::Referral(id) => Key::referral(account_id, id),
        CustomerRef::StripeCustomer(customer) => {
            Key::unique(account_id, UniqueValue::StripeCustomer(customer))
        }
        CustomerRef::Email(email) => {
            Key::unique(account_id, UniqueValue::CustomerEmail(email.trim()))
        }
    };
    let event_key = Key::unique(account_id, UniqueValue::Event(&sale.event_id));
    let (account, [event, found]) = caller.read_items(store, [&event_key, &lookup]).await?;
    let customer = match (named, found) {
        (CustomerRef::Referral(_), Some(item)) => Some(Customer::Read(referrals::from_item(item)?)),
        (CustomerRef::Referral(_), None) => {
            return Err(invalid(FieldError::new(
                "referral_id",
                "no referral with this id",
            )));
        }
        (_, Some(item)) => Some(routed(store, &account.id, lookup, item).await?),
        (_, None) => None,
    };
    let now = Utc::now();
    let referral = customer
        .as_ref()
        .map_or_else(|| Id::generate(now), |c| c.referral_id().clone());
    let request = sale
        .draft(referral)
        .check(account.currency, now)
        .map_err(|errors| {
            ApiError::Validation(under(errors.into_iter().map(renamed).collect(), WRAPPER))
        })?;
    if let Some(claim) = event {
        let original = earning::replay(store, &account.id, claim, &request.fingerprint).await?;
        return Ok((Outcome::Replayed, Some(original)));
    }
    match customer {
        Some(customer) => {
            earn(
                store,
                &account,
                customer,
                &request,
                CommissionSource::SaleEvent,
            )
            .await
        }
        None => Ok((Outcome::NotReferred, None)),
    }
}
