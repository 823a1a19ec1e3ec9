//! Recording a customer's payment as a sale commission, once, whether Stripe
//! or another billing system reports it.
//!
//! The first BatchGetItem takes the account, the event's idempotency claims
//! and what finds the customer (the referral, or the claim of its Stripe
//! customer id or email, which carries the referral's route); the earning
//! flow then reads once more and writes one transaction.

use chrono::Utc;
use ledger_core::model::{
    Account, Actor, Commission, CommissionDraft, CommissionRequest, EventDate, Id,
};
use ledger_core::stripe::Payment;
use ledger_store::unique::Claim;
use ledger_store::{Key, Ref, Store, UniqueValue, referrals, unique};

use crate::earning::{self, Customer, Earned};
use crate::{Error, Session, contended};

/// What recording a payment did.
pub enum Recorded {
    /// The sale earned this commission.
    Earned(Box<Commission>),
    /// The event, or another event of the same payment, was recorded
    /// before: nothing changed. A billing system's event is answered with
    /// the commission it created.
    Replayed(Option<Box<Commission>>),
    /// No partner referred the customer: there is nothing to earn on.
    NotReferred,
    /// The referral's partner may not earn (banned, not approved).
    PartnerRefused,
}

/// How a billing system names the paying customer.
#[derive(Clone, Copy)]
pub enum NamedCustomer<'a> {
    Referral(&'a Id),
    StripeCustomer(&'a str),
    Email(&'a str),
}

/// A customer's payment as a billing system other than Stripe reports it.
pub struct ReportedSale<'a> {
    /// The billing system's id for the payment: reporting it again is a replay.
    pub event_id: &'a str,
    pub customer: NamedCustomer<'a>,
    /// The commission create the payment stands for; its `referral_id` is
    /// the customer's, once found.
    pub draft: CommissionDraft,
}

/// The customer `claim` (read at `at`: their Stripe customer id or email)
/// names; `NotFound` when a claim without a route names a referral gone.
async fn routed(
    store: &Store,
    account: &Id,
    at: Ref<Claim>,
    claim: Claim,
) -> Result<Customer, Error> {
    match claim.sale_route {
        Some(route) => Ok(Customer::Routed {
            referral: claim.holder,
            route,
            claim: at,
        }),
        None => {
            let referral = store
                .get(&Key::referral(account, &claim.holder))
                .await?
                .map(referrals::from_item)
                .transpose()?
                .ok_or(Error::NotFound("referral"))?;
            Ok(Customer::Read(referral))
        }
    }
}

/// Earns the sale for `customer`; a partner who may not earn is an outcome,
/// not an error, so the billing system does not send it again.
async fn earn(
    store: &Store,
    account: &Account,
    actor: &Actor,
    customer: Customer,
    request: &CommissionRequest,
) -> Result<Recorded, Error> {
    match earning::earn_sale(store, account, actor, customer, request).await {
        Ok(Earned::Commission(commission)) => Ok(Recorded::Earned(commission)),
        Ok(Earned::Refused(_)) => Ok(Recorded::PartnerRefused),
        Err(Error::NotFound("referral")) => Ok(Recorded::NotReferred),
        Err(other) => Err(other),
    }
}

/// Records Stripe's `payment` (event `event_id`): a replay of the event, or
/// another event of the same payment under any of its ids, changes nothing.
pub async fn record_stripe(
    session: &impl Session,
    store: &Store,
    event_id: &str,
    payment: &Payment,
) -> Result<Recorded, Error> {
    contended(|| record_stripe_once(session, store, event_id, payment)).await
}

/// One attempt at [`record_stripe`], for a caller that settles lost races itself.
pub(crate) async fn record_stripe_once(
    session: &impl Session,
    store: &Store,
    event_id: &str,
    payment: &Payment,
) -> Result<Recorded, Error> {
    let account_id = session.account_id();
    let customer = unique::at(account_id, UniqueValue::StripeCustomer(&payment.customer));
    let paid: Vec<_> = payment
        .ids()
        .map(|id| unique::at(account_id, UniqueValue::StripePayment(id)))
        .collect();
    let (account, (event, claim, paid)) = session
        .read(
            store,
            (
                unique::at(account_id, UniqueValue::Event(event_id)),
                customer.clone(),
                paid,
            ),
        )
        .await?;
    if event.is_some() || paid.iter().any(Option::is_some) {
        return Ok(Recorded::Replayed(None));
    }
    let Some(claim) = claim else {
        return Ok(Recorded::NotReferred);
    };
    let customer = routed(store, &account.id, customer, claim).await?;
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
    .map_err(Error::Invalid)?;
    earn(store, &account, &session.actor(), customer, &request).await
}

/// Records a billing system's `sale`: the same event reported again answers
/// the commission it created (a conflict if the report differs). A customer
/// named by a referral id that names none is a field error; one named
/// otherwise whom no partner referred is [`Recorded::NotReferred`].
pub async fn record_event(
    session: &impl Session,
    store: &Store,
    sale: &ReportedSale<'_>,
) -> Result<Recorded, Error> {
    contended(|| async {
        let account_id = session.account_id();
        let (by_id, by_claim) = match sale.customer {
            NamedCustomer::Referral(id) => (Some(Key::referral(account_id, id)), None),
            NamedCustomer::StripeCustomer(customer) => (
                None,
                Some(unique::at(
                    account_id,
                    UniqueValue::StripeCustomer(customer),
                )),
            ),
            NamedCustomer::Email(email) => (
                None,
                Some(unique::at(
                    account_id,
                    UniqueValue::CustomerEmail(email.trim()),
                )),
            ),
        };
        let event = unique::at(account_id, UniqueValue::Event(sale.event_id));
        let (account, (event, referral, claim)) = session
            .read(store, (event, by_id, by_claim.clone()))
            .await?;
        let customer = match (referral, by_claim.zip(claim.flatten())) {
            (Some(Some(referral)), _) => Some(Customer::Read(referrals::from_item(referral)?)),
            (Some(None), _) => {
                return Err(Error::invalid("referral_id", "no referral with this id"));
            }
            (None, Some((at, claim))) => Some(routed(store, &account.id, at, claim).await?),
            (None, None) => None,
        };
        let now = Utc::now();
        let referral = customer
            .as_ref()
            .map_or_else(|| Id::generate(now), |c| c.referral_id().clone());
        let request = CommissionDraft {
            referral_id: Some(referral),
            ..sale.draft.clone()
        }
        .check(account.currency, now)
        .map_err(Error::Invalid)?;
        if let Some(claim) = event {
            let original =
                earning::replay(store, &account.id, &claim, &request.fingerprint).await?;
            return Ok(Recorded::Replayed(Some(Box::new(original))));
        }
        match customer {
            Some(customer) => earn(store, &account, &session.actor(), customer, &request).await,
            None => Ok(Recorded::NotReferred),
        }
    })
    .await
}
