//! The payment-event handlers: verify or authenticate, hand the event to
//! its use case (`ledger_app::sales`, `refunds`, `invoices`,
//! `subscriptions`), shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ledger_app::invoices::Added;
use ledger_app::refunds::Refunded;
use ledger_app::sales::Recorded;
use ledger_app::subscriptions::Cancellation;
use ledger_app::{Error, Session};
use ledger_core::model::{Commission, Id};
use ledger_core::stripe::events::Envelope;
use ledger_core::stripe::{PaymentEvent, Unsupported};
use ledger_core::validation::under;
use ledger_core::views::commission::CommissionView;
use ledger_http::openapi::{WebhookErrors, WriteErrors};
use ledger_http::scopes::EventsWrite;
use ledger_http::{ApiError, Caller, JsonBody, JsonId, RawBody};
use ledger_telemetry::metrics::{self, CommissionSource};

use crate::App;
use crate::signed::{self, Signed, unverified};
use crate::views::*;

const TAG: &str = "Payment events";
const WRAPPER: &str = "event";

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
    let signed = signed.carrying(id);
    let outcome = match &envelope.payment_event() {
        PaymentEvent::Paid(payment) => {
            let recorded = ledger_app::sales::record_stripe(&signed, store, id, payment)
                .await
                .map_err(signed::answer)?;
            sale(recorded, CommissionSource::Stripe, signed.account_id()).0
        }
        PaymentEvent::Invoice { invoice, half } => {
            match ledger_app::invoices::add(&signed, store, id, invoice, half)
                .await
                .map_err(signed::answer)?
            {
                Added::Replayed => Outcome::Replayed,
                Added::Linked => Outcome::Linked,
                Added::Sale(recorded) => {
                    sale(recorded, CommissionSource::Stripe, signed.account_id()).0
                }
            }
        }
        PaymentEvent::Reversed(reversal) => {
            let refunded = ledger_app::refunds::reverse_stripe(&signed, store, id, reversal)
                .await
                .map_err(signed::answer)?;
            refund(refunded).0
        }
        PaymentEvent::SubscriptionEnded { customer } => {
            match ledger_app::subscriptions::cancel(&signed, store, customer)
                .await
                .map_err(signed::answer)?
            {
                Cancellation::Cancelled => Outcome::Recorded,
                Cancellation::AlreadyEnded => Outcome::Replayed,
                Cancellation::NotReferred => Outcome::NotReferred,
            }
        }
        PaymentEvent::Ignored => {
            signed.read(store, ()).await.map_err(signed::answer)?;
            Outcome::Ignored
        }
        PaymentEvent::Unsupported(unsupported) => {
            signed.read(store, ()).await.map_err(signed::answer)?;
            let (outcome, reason) = match unsupported {
                Unsupported::Version(reason) => (Outcome::UnsupportedVersion, reason),
                Unsupported::Shape(reason) => (Outcome::UnsupportedShape, reason),
            };
            tracing::warn!(
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

/// What recording a sale did, and the commission it names; a commission
/// the sale earned is counted as `source`'s.
fn sale(
    recorded: Recorded,
    source: CommissionSource,
    account: &Id,
) -> (Outcome, Option<Commission>) {
    match recorded {
        Recorded::Earned(commission) => {
            metrics::commission_created(source, account, &commission);
            (Outcome::Recorded, Some(*commission))
        }
        Recorded::Replayed(commission) => (Outcome::Replayed, commission.map(|c| *c)),
        Recorded::NotReferred => (Outcome::NotReferred, None),
        Recorded::PartnerRefused => (Outcome::PartnerRefused, None),
    }
}

/// What applying a refund did, and the commission it names.
fn refund(refunded: Refunded) -> (Outcome, Option<Commission>) {
    match refunded {
        Refunded::Reversed(commission) => (Outcome::Recorded, Some(*commission)),
        Refunded::NothingToReverse(commission) => (Outcome::NothingToReverse, Some(*commission)),
        Refunded::Replayed(commission) => (Outcome::Replayed, commission.map(|c| *c)),
        Refunded::NotReferred => (Outcome::NotReferred, None),
        Refunded::OtherCurrency => (Outcome::UnsupportedShape, None),
    }
}

fn receipt(
    event_id: &str,
    (outcome, commission): (Outcome, Option<Commission>),
) -> Result<(StatusCode, Json<EventReceipt>), ApiError> {
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
    let event = request.event;
    let report = event
        .report()
        .map_err(|error| ApiError::Validation(vec![error.under(WRAPPER)]))?;
    let recorded = ledger_app::sales::record_event(&caller, &app.store, &report)
        .await
        .map_err(|error| match error {
            Error::Invalid(errors) => {
                ApiError::Validation(under(errors.into_iter().map(renamed).collect(), WRAPPER))
            }
            other => other.into(),
        })?;
    let recorded = sale(recorded, CommissionSource::SaleEvent, caller.account_id());
    receipt(&event.event_id, recorded)
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
    let event = request.event;
    let errors = event.check();
    if !errors.is_empty() {
        return Err(ApiError::Validation(under(errors, WRAPPER)));
    }
    let refunded = ledger_app::refunds::reverse_event(&caller, &app.store, &event.report())
        .await
        .map_err(ApiError::under(WRAPPER))?;
    receipt(&event.event_id, refund(refunded))
}
