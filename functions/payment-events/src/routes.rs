//! The payment-event handlers: verify or authenticate, hand the event to
//! `sales` or `refunds` (again when a race was lost), shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ledger_core::model::Referral;
use ledger_core::stripe::events::Envelope;
use ledger_core::stripe::{PaymentEvent, Unsupported};
use ledger_core::views::commission::CommissionView;
use ledger_http::openapi::{WebhookErrors, WriteErrors};
use ledger_http::scopes::EventsWrite;
use ledger_http::{ApiError, Caller, JsonBody, JsonId, RawBody, retry_contended};
use ledger_store::referrals::{self, ReferralWriteError};
use ledger_store::{Key, Store, UniqueValue, unique};
use ledger_telemetry::metrics;

use crate::App;
use crate::invoices;
use crate::refunds;
use crate::sales::{self, Recorded};
use crate::signed::{Signed, unverified};
use crate::views::*;

const TAG: &str = "Payment events";

/// Takes a Stripe webhook delivery for the account in the path. The
/// `Stripe-Signature` header is verified against the account's endpoint
/// secret on the raw body before anything is parsed; a delivery that fails
/// is answered 400 and changes nothing. A payment (`charge.succeeded`,
/// `payment_intent.succeeded`, and `invoice.paid` on versions before
/// `2025-03-31.basil`; since, `invoice.paid` and `invoice_payment.paid`
/// together) earns the customer's referral one sale commission, however
/// many of its events arrive; refunds (`charge.refunded`,
/// `refund.*`) and disputes (`charge.dispute.funds_withdrawn`) reverse it,
/// and a won dispute (`charge.dispute.funds_reinstated`) gives it back;
/// `customer.subscription.deleted` cancels the referral's subscription;
/// other events are acknowledged. Events of a version before `2024-06-20`
/// or of a shape not understood are acknowledged (`unsupported_version`,
/// `unsupported_shape`) and logged. A refund for a sale not recorded yet is
/// answered 409 so Stripe sends it again.
#[utoipa::path(post, path = "/webhooks/stripe/{accountId}.json", tag = TAG,
    request_body(content = Object, description = "A Stripe event, exactly as Stripe sends it."),
    params(
        ("accountId" = String, Path, description = "The account whose Stripe endpoint this is."),
        ("Stripe-Signature" = String, Header, description = "`t=<unix time>,v1=<hex HMAC-SHA256 of \"{t}.{body}\">`, as Stripe signs it.")
    ),
    responses(
        (status = 200, description = "Received; `outcome` says what the event did.", body = WebhookReceipt),
        WebhookErrors))]
pub async fn stripe_webhook(
    State(app): State<App>,
    account: Result<JsonId, ApiError>,
    headers: HeaderMap,
    RawBody(payload): RawBody,
) -> Result<Json<WebhookReceipt>, ApiError> {
    // A path naming no account reads as every other unverifiable delivery.
    let JsonId(account) = account.map_err(|_| unverified())?;
    let header = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    let store = &app.store;
    let signed = Signed::verify(store, &app.secrets, &account, header, &payload).await?;
    let envelope: Envelope = serde_json::from_slice(&payload)
        .map_err(|e| ApiError::BadRequest(format!("not a Stripe event: {e}")))?;
    let id = envelope.id.as_str();
    let outcome = match &envelope.payment_event() {
        PaymentEvent::Paid(payment) => {
            retry_contended(|| sales::record_stripe(store, &signed, id, payment))
                .await?
                .0
        }
        PaymentEvent::Invoice { invoice, half } => {
            retry_contended(|| invoices::add(store, &signed, id, invoice, half)).await?
        }
        PaymentEvent::Reversed(reversal) => {
            retry_contended(|| refunds::reverse_stripe(store, &signed, id, reversal))
                .await?
                .0
        }
        PaymentEvent::SubscriptionEnded { customer } => {
            retry_contended(|| end_subscription(store, &signed, customer)).await?
        }
        PaymentEvent::Ignored => {
            signed.confirm(store.get(&Key::account(&account)).await?)?;
            Outcome::Ignored
        }
        PaymentEvent::Unsupported(unsupported) => {
            signed.confirm(store.get(&Key::account(&account)).await?)?;
            let (outcome, reason) = match unsupported {
                Unsupported::Version(reason) => (Outcome::UnsupportedVersion, reason),
                Unsupported::Shape(reason) => (Outcome::UnsupportedShape, reason),
            };
            lambda_http::tracing::warn!(
                event_id = id,
                event_type = envelope.kind,
                api_version = envelope.api_version,
                ?outcome,
                reason,
                "Stripe event acknowledged but not acted on"
            );
            outcome
        }
    };
    metrics::stripe_webhook(&outcome, &envelope.kind, signed.account_id());
    Ok(Json(WebhookReceipt {
        received: true,
        outcome,
    }))
}

/// One attempt at cancelling the subscription of `customer`'s referral.
async fn end_subscription(
    store: &Store,
    signed: &Signed<'_>,
    customer: &str,
) -> Result<Outcome, ApiError> {
    let account_id = signed.account_id();
    let [account, claim] = store
        .get_each(&[
            Key::account(account_id),
            Key::unique(account_id, UniqueValue::StripeCustomer(customer)),
        ])
        .await?;
    signed.confirm(account)?;
    let Some(claim) = claim else {
        return Ok(Outcome::NotReferred);
    };
    let referral = unique::owner(claim)?;
    let Some(before) = store
        .get(&Key::referral(account_id, &referral))
        .await?
        .map(referrals::from_item)
        .transpose()?
    else {
        return Ok(Outcome::NotReferred);
    };
    let mut after: Referral = before.clone();
    if !after.end_subscription(chrono::Utc::now()) {
        return Ok(Outcome::Replayed);
    }
    referrals::update(store, account_id, &before, &after)
        .await
        .map_err(|e| match e {
            ReferralWriteError::Store(e) => ApiError::from(e),
            claim => ApiError::conflict("concurrent_modification", claim.to_string()),
        })?;
    Ok(Outcome::Recorded)
}

fn receipt(
    event_id: &str,
    recorded: Recorded,
) -> Result<(StatusCode, Json<EventReceipt>), ApiError> {
    let (outcome, commission) = recorded;
    let status = if outcome == Outcome::Recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(EventReceipt {
            event: EventResult {
                event_id: event_id.to_string(),
                outcome,
                commission: commission.map(CommissionView::of).transpose()?,
            },
        }),
    ))
}

/// Records a customer's payment reported by a billing system other than
/// Stripe. The customer is named by `referral_id`, `stripe_customer_id` or
/// `email`; a customer no partner referred is acknowledged (`not_referred`).
/// A sale without a commission amount is priced by the rules, exactly as a
/// commission create. The same `event_id` sent again answers the original
/// commission (200) if the body is the same, 409 if not.
#[utoipa::path(post, path = "/events/sale.json", tag = TAG, request_body = SaleEventRequest,
    responses(
        (status = 201, description = "Recorded: the commission the sale earned.", body = EventReceipt),
        (status = 200, description = "A replay, or a sale that earns nothing (`outcome` says why).", body = EventReceipt),
        WriteErrors))]
pub async fn sale_event(
    State(app): State<App>,
    caller: Caller<EventsWrite>,
    JsonBody(request): JsonBody<SaleEventRequest>,
) -> Result<(StatusCode, Json<EventReceipt>), ApiError> {
    let sale = request.event;
    let recorded = retry_contended(|| sales::record_event(&app.store, &caller, &sale)).await?;
    receipt(&sale.event_id, recorded)
}

/// Records a refund of a sale reported by `sale_event_id`: an unpaid
/// commission drops to its share of what is left (`refunded` when nothing
/// is), a paid one gets a negative clawback commission the next payout
/// nets. A refund for a sale not recorded yet is answered 409, to be sent
/// again later. The same `event_id` sent again answers the same commission.
#[utoipa::path(post, path = "/events/refund.json", tag = TAG, request_body = RefundEventRequest,
    responses(
        (status = 201, description = "Recorded: the reduced commission, or the clawback.", body = EventReceipt),
        (status = 200, description = "A replay.", body = EventReceipt),
        WriteErrors))]
pub async fn refund_event(
    State(app): State<App>,
    caller: Caller<EventsWrite>,
    JsonBody(request): JsonBody<RefundEventRequest>,
) -> Result<(StatusCode, Json<EventReceipt>), ApiError> {
    let refund = request.event;
    let recorded = retry_contended(|| refunds::reverse_event(&app.store, &caller, &refund)).await?;
    receipt(&refund.event_id, recorded)
}
