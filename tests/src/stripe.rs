//! Stripe webhook events as Stripe sends them, for the payment-event tests.
//!
//! Every object starts from its entry in Stripe's published fixtures
//! (`tests/fixtures/stripe/fixtures3.json`, the current API version's field
//! set), gets realistic values in the fields that matter, and is then shaped
//! for one of the API versions in [`Version`]: the two old ones link a charge
//! and its payment intent to their invoice directly (`invoice`, `charge`,
//! `payment_intent`, `subscription`), the two current ones (2025-03-31.basil
//! and later) only through the invoice's `parent` and the `invoice_payment`
//! object of `invoice_payment.paid` events.
//!
//! Ids are derived from a seed, so a test that builds the same payment twice
//! delivers the same Stripe objects.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

/// Stripe's object fixtures, `{"resources": {"charge": {…}, …}}`.
static FIXTURES: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../fixtures/stripe/fixtures3.json"))
        .expect("tests/fixtures/stripe/fixtures3.json is JSON")
});

/// Seconds between a payment and its refunds.
const REFUNDED_AFTER: i64 = 86_400;
/// Seconds between a payment and the dispute opened against it.
const DISPUTED_AFTER: i64 = 7 * 86_400;
/// Seconds between a dispute's funds being withdrawn and reinstated.
const DISPUTE_WON_AFTER: i64 = 30 * 86_400;

/// Invoice fields the old versions send and basil removed.
const INVOICE_OLD_ONLY: [&str; 4] = ["charge", "payment_intent", "subscription", "paid"];

/// A Stripe API version whose shapes the tests deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `2024-06-20`: invoices name their charge, payment intent and subscription.
    V2024_06_20,
    /// `2025-02-24.acacia`: the last version that links charges to invoices.
    Acacia,
    /// `2025-03-31.basil`: invoices and payments are linked by `invoice_payment`.
    Basil,
    /// `2025-10-29.clover`: the current version, shaped like basil here.
    Clover,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 4] = [
        Version::V2024_06_20,
        Version::Acacia,
        Version::Basil,
        Version::Clover,
    ];

    /// The version as events name it in `api_version`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2024_06_20 => "2024-06-20",
            Version::Acacia => "2025-02-24.acacia",
            Version::Basil => "2025-03-31.basil",
            Version::Clover => "2025-10-29.clover",
        }
    }

    /// Whether charges and payment intents name their invoice (and invoices
    /// their charge, payment intent and subscription): true before basil.
    pub fn links_charge_to_invoice(self) -> bool {
        matches!(self, Version::V2024_06_20 | Version::Acacia)
    }
}

/// One customer payment as Stripe records it: its invoice (None for a one-off
/// charge), payment intent, charge and (basil+) invoice payment.
#[derive(Clone, Debug)]
pub struct StripePayment {
    /// The invoice paid (`in_…`), None for a one-off payment.
    pub invoice: Option<String>,
    /// The `invoice_payment` linking invoice and payment intent (`inpay_…`);
    /// only delivered for invoices, on basil and later.
    pub invoice_payment: String,
    /// The payment intent (`pi_…`).
    pub payment_intent: String,
    /// The payment intent's charge (`ch_…`).
    pub charge: String,
    /// The paying customer (`cus_…`), as given.
    pub customer: String,
    /// The amount paid in minor units, as Stripe sends it.
    pub amount: i64,
    /// The lowercase currency code, e.g. `eur`.
    pub currency: String,
    /// When the payment succeeded (unix seconds).
    pub paid_at: i64,
}

impl StripePayment {
    /// A subscription payment: its invoice, invoice payment, payment intent
    /// and charge ids are derived from `seed` (distinct seeds, distinct ids).
    pub fn subscription(
        seed: &str,
        customer: &str,
        amount: i64,
        currency: &str,
        paid_at: i64,
    ) -> Self {
        Self {
            invoice: Some(derived_id("in_1Q", &["subscription", seed])),
            ..Self::derived("subscription", seed, customer, amount, currency, paid_at)
        }
    }

    /// A one-off payment (no invoice), e.g. Checkout in payment mode; its ids
    /// are derived from `seed` and differ from a subscription payment's.
    pub fn one_off(seed: &str, customer: &str, amount: i64, currency: &str, paid_at: i64) -> Self {
        Self::derived("one_off", seed, customer, amount, currency, paid_at)
    }

    /// A payment without invoice whose ids are derived from `kind` and `seed`.
    fn derived(
        kind: &str,
        seed: &str,
        customer: &str,
        amount: i64,
        currency: &str,
        paid_at: i64,
    ) -> Self {
        Self {
            invoice: None,
            invoice_payment: derived_id("inpay_1Q", &[kind, seed]),
            payment_intent: derived_id("pi_3Q", &[kind, seed]),
            charge: derived_id("ch_3Q", &[kind, seed]),
            customer: customer.to_owned(),
            amount,
            currency: currency.to_owned(),
            paid_at,
        }
    }

    /// The subscription the invoice bills (`sub_…`), None for a one-off payment.
    pub fn subscription_id(&self) -> Option<String> {
        self.invoice
            .as_deref()
            .map(|invoice| derived_id("sub_1Q", &[invoice]))
    }

    /// A refund id (`re_…`) derived from the payment and `n`.
    pub fn refund_id(&self, n: u32) -> String {
        derived_id("re_3Q", &[&self.charge, &n.to_string()])
    }

    /// The id (`dp_…`) of the dispute against this payment.
    pub fn dispute_id(&self) -> String {
        derived_id("dp_1Q", &[&self.charge])
    }

    /// `invoice.paid` for the payment's invoice.
    ///
    /// # Panics
    /// If the payment is a one-off one, without invoice.
    pub fn invoice_paid(&self, version: Version, event_id: &str) -> Value {
        event(
            version,
            event_id,
            "invoice.paid",
            self.paid_at + 4,
            self.invoice_object(version),
        )
    }

    /// `invoice_payment.paid` linking the invoice to the payment intent; None
    /// before basil (the event did not exist) or for a one-off payment.
    pub fn invoice_payment_paid(&self, version: Version, event_id: &str) -> Option<Value> {
        let invoice = self.invoice.as_deref()?;
        if version.links_charge_to_invoice() {
            return None;
        }
        let object = fixture_with(
            "invoice_payment",
            json!({
                "id": self.invoice_payment,
                "invoice": invoice,
                "amount_paid": self.amount,
                "amount_requested": self.amount,
                "currency": self.currency,
                "is_default": true,
                "payment": {"type": "payment_intent", "payment_intent": self.payment_intent},
                "status": "paid",
                "status_transitions": {"paid_at": self.paid_at, "canceled_at": null},
                "created": self.paid_at - 5,
                "livemode": false,
            }),
        );
        Some(event(
            version,
            event_id,
            "invoice_payment.paid",
            self.paid_at + 3,
            object,
        ))
    }

    /// `charge.succeeded` for the payment's charge.
    pub fn charge_succeeded(&self, version: Version, event_id: &str) -> Value {
        event(
            version,
            event_id,
            "charge.succeeded",
            self.paid_at + 1,
            self.charge_object(version),
        )
    }

    /// `payment_intent.succeeded` for the payment's payment intent.
    pub fn payment_intent_succeeded(&self, version: Version, event_id: &str) -> Value {
        let object = self.payment_intent_object(version);
        event(
            version,
            event_id,
            "payment_intent.succeeded",
            self.paid_at + 2,
            object,
        )
    }

    /// `charge.refunded`: the charge with `amount_refunded` = sum of `refunds`
    /// (each a refund id `re_…` and its minor amount, all succeeded),
    /// `refunded` = (sum == amount), and those refunds in its `refunds` list.
    pub fn charge_refunded(
        &self,
        version: Version,
        event_id: &str,
        refunds: &[(&str, i64)],
    ) -> Value {
        let refunded: i64 = refunds.iter().map(|(_, amount)| amount).sum();
        let data: Vec<Map<String, Value>> = refunds
            .iter()
            .map(|(id, amount)| self.refund_object(id, *amount, "succeeded"))
            .collect();
        let mut charge = self.charge_object(version);
        overwrite(
            &mut charge,
            json!({
                "amount_refunded": refunded,
                "refunded": refunded == self.amount,
                "refunds": self.refund_list(data),
            }),
        );
        event(
            version,
            event_id,
            "charge.refunded",
            self.paid_at + REFUNDED_AFTER + 2,
            charge,
        )
    }

    /// `refund.created`, `refund.updated` or `refund.failed` (`kind`) carrying
    /// one refund of this payment's charge with the given id, minor amount and
    /// status (`succeeded`, `pending`, `failed`…).
    ///
    /// # Panics
    /// On any other `kind`.
    pub fn refund_event(
        &self,
        version: Version,
        kind: &str,
        event_id: &str,
        refund_id: &str,
        amount: i64,
        status: &str,
    ) -> Value {
        let after = match kind {
            "refund.created" => 1,
            "refund.updated" | "refund.failed" => 600,
            _ => panic!("not a refund event type: {kind}"),
        };
        let refund = self.refund_object(refund_id, amount, status);
        event(
            version,
            event_id,
            kind,
            self.paid_at + REFUNDED_AFTER + after,
            refund,
        )
    }

    /// `charge.dispute.funds_withdrawn` or `charge.dispute.funds_reinstated`
    /// (`kind`) carrying the dispute of `amount` against this payment's charge:
    /// `needs_response` when withdrawn, `won` when reinstated.
    ///
    /// # Panics
    /// On any other `kind`.
    pub fn dispute_event(
        &self,
        version: Version,
        kind: &str,
        event_id: &str,
        dispute_id: &str,
        amount: i64,
    ) -> Value {
        let (status, after) = match kind {
            "charge.dispute.funds_withdrawn" => ("needs_response", 1),
            "charge.dispute.funds_reinstated" => ("won", DISPUTE_WON_AFTER),
            _ => panic!("not a dispute funds event type: {kind}"),
        };
        let opened = self.paid_at + DISPUTED_AFTER;
        let mut dispute = fixture_with(
            "dispute",
            json!({
                "id": dispute_id,
                "amount": amount,
                "charge": self.charge,
                "payment_intent": self.payment_intent,
                "currency": self.currency,
                "status": status,
                "reason": "fraudulent",
                "created": opened,
                "is_charge_refundable": false,
                "livemode": false,
            }),
        );
        dispute["evidence_details"]["due_by"] = json!(opened + 14 * 86_400);
        dispute["payment_method_details"]["card"]["case_type"] = json!("chargeback");
        event(version, event_id, kind, opened + after, dispute)
    }

    /// The paid invoice as `version` shapes it.
    fn invoice_object(&self, version: Version) -> Map<String, Value> {
        let invoice = self
            .invoice
            .as_deref()
            .expect("a one-off payment has no invoice");
        let subscription = self.subscription_id();
        let created = self.paid_at - 60;
        let mut object = fixture_with(
            "invoice",
            json!({
                "id": invoice,
                "customer": self.customer,
                "currency": self.currency,
                "amount_due": self.amount,
                "amount_paid": self.amount,
                "amount_remaining": 0,
                "amount_overpaid": 0,
                "subtotal": self.amount,
                "subtotal_excluding_tax": self.amount,
                "total": self.amount,
                "total_excluding_tax": self.amount,
                "shipping_cost": null,
                "attempt_count": 1,
                "attempted": true,
                "status": "paid",
                "created": created,
                "effective_at": created,
                "period_start": created - 30 * 86_400,
                "period_end": created,
                "due_date": null,
                "next_payment_attempt": null,
                "from_invoice": null,
                "last_finalization_error": null,
                "ending_balance": 0,
                "status_transitions": {
                    "finalized_at": created,
                    "marked_uncollectible_at": null,
                    "paid_at": self.paid_at,
                    "voided_at": null,
                },
                "billing_reason": "subscription_cycle",
                "collection_method": "charge_automatically",
                "livemode": false,
            }),
        );
        object["lines"]["url"] = json!(format!("/v1/invoices/{invoice}/lines"));
        if let Some(lines) = object["lines"]["data"].as_array_mut() {
            for line in lines {
                line["amount"] = json!(self.amount);
                line["subtotal"] = json!(self.amount);
                line["currency"] = json!(self.currency);
                line["invoice"] = json!(invoice);
                line["period"] = json!({"start": created, "end": created + 30 * 86_400});
            }
        }
        if version.links_charge_to_invoice() {
            object.remove("parent");
            overwrite(
                &mut object,
                json!({
                    "charge": self.charge,
                    "payment_intent": self.payment_intent,
                    "subscription": subscription,
                    "paid": true,
                }),
            );
        } else {
            for key in INVOICE_OLD_ONLY {
                object.remove(key);
            }
            object.insert(
                "parent".to_owned(),
                json!({
                    "type": "subscription_details",
                    "subscription_details": {"subscription": subscription, "metadata": {}},
                    "quote_details": null,
                }),
            );
        }
        object
    }

    /// The charge's `refunds` list holding `data`.
    fn refund_list(&self, data: Vec<Map<String, Value>>) -> Value {
        json!({
            "object": "list",
            "data": data,
            "has_more": false,
            "url": format!("/v1/charges/{}/refunds", self.charge),
        })
    }

    /// The succeeded charge as `version` shapes it.
    fn charge_object(&self, version: Version) -> Map<String, Value> {
        let mut object = fixture_with(
            "charge",
            json!({
                "id": self.charge,
                "customer": self.customer,
                "amount": self.amount,
                "amount_captured": self.amount,
                "amount_refunded": 0,
                "balance_transaction": derived_id("txn_3Q", &[&self.charge]),
                "captured": true,
                "paid": true,
                "status": "succeeded",
                "currency": self.currency,
                "created": self.paid_at,
                "description": null,
                "payment_intent": self.payment_intent,
                "payment_method": self.payment_method(),
                "disputed": false,
                "refunded": false,
                "refunds": self.refund_list(Vec::new()),
                "source": null,
                "transfer_data": null,
                "livemode": false,
            }),
        );
        object["outcome"]["type"] = json!("authorized");
        object["outcome"]["network_status"] = json!("approved_by_network");
        object["outcome"]["seller_message"] = json!("Payment complete.");
        self.link_invoice(version, &mut object);
        object
    }

    /// The succeeded payment intent as `version` shapes it.
    fn payment_intent_object(&self, version: Version) -> Map<String, Value> {
        let mut object = fixture_with(
            "payment_intent",
            json!({
                "id": self.payment_intent,
                "customer": self.customer,
                "amount": self.amount,
                "amount_capturable": 0,
                "amount_received": self.amount,
                "currency": self.currency,
                "status": "succeeded",
                "latest_charge": self.charge,
                "payment_method": self.payment_method(),
                "client_secret": derived_id(&format!("{}_secret_", self.payment_intent), &[]),
                "created": self.paid_at - 5,
                "canceled_at": null,
                "last_payment_error": null,
                "next_action": null,
                "processing": null,
                "transfer_data": null,
                "livemode": false,
            }),
        );
        self.link_invoice(version, &mut object);
        object
    }

    /// A refund of this payment's charge.
    fn refund_object(&self, refund_id: &str, amount: i64, status: &str) -> Map<String, Value> {
        fixture_with(
            "refund",
            json!({
                "id": refund_id,
                "amount": amount,
                "charge": self.charge,
                "payment_intent": self.payment_intent,
                "currency": self.currency,
                "status": status,
                "reason": "requested_by_customer",
                "created": self.paid_at + REFUNDED_AFTER,
            }),
        )
    }

    /// Adds a charge's or payment intent's `invoice` on the versions that have
    /// it (null for a one-off payment), removes it on the others.
    fn link_invoice(&self, version: Version, object: &mut Map<String, Value>) {
        if version.links_charge_to_invoice() {
            object.insert("invoice".to_owned(), json!(self.invoice));
        } else {
            object.remove("invoice");
        }
    }

    /// The customer's card (`pm_…`).
    fn payment_method(&self) -> String {
        derived_id("pm_1Q", &[&self.customer])
    }
}

/// An event envelope of `version` carrying `object`.
fn event(
    version: Version,
    id: &str,
    kind: &str,
    created: i64,
    object: Map<String, Value>,
) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": version.as_str(),
        "created": created,
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind,
    })
}

/// A deep copy of the fixture object of `resource` with `fields` set.
fn fixture_with(resource: &str, fields: Value) -> Map<String, Value> {
    let Some(fixture) = FIXTURES["resources"][resource].as_object() else {
        panic!("fixtures3.json has no {resource} object");
    };
    let mut object = fixture.clone();
    overwrite(&mut object, fields);
    object
}

/// Sets every field of the object `fields` in `object`.
fn overwrite(object: &mut Map<String, Value>, fields: Value) {
    let Value::Object(fields) = fields else {
        panic!("fields to set must be an object: {fields}");
    };
    object.extend(fields);
}

/// `prefix` and 22 base-62 characters derived from `parts` (and `prefix`), the
/// way Stripe ids look: FNV-1a over the parts, stretched with SplitMix64.
fn derived_id(prefix: &str, parts: &[&str]) -> String {
    const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for part in std::iter::once(prefix).chain(parts.iter().copied()) {
        for byte in part.bytes().chain([0]) {
            state = (state ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut id = String::with_capacity(prefix.len() + 22);
    id.push_str(prefix);
    for _ in 0..22 {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        id.push(char::from(BASE62[(z % 62) as usize]));
    }
    id
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const PAID_AT: i64 = 1_760_000_000;

    fn subscription(seed: &str) -> StripePayment {
        StripePayment::subscription(seed, "cus_Rk3vQ2mT8xLp0a", 29_990, "eur", PAID_AT)
    }

    fn one_off(seed: &str) -> StripePayment {
        StripePayment::one_off(seed, "cus_Rk3vQ2mT8xLp0a", 4_900, "eur", PAID_AT)
    }

    /// The object an event carries, checking the envelope on the way.
    fn carried<'a>(
        event: &'a Value,
        version: Version,
        kind: &str,
        object: &str,
    ) -> &'a Map<String, Value> {
        assert_eq!(event["object"], "event");
        assert_eq!(event["api_version"], version.as_str());
        assert_eq!(event["type"], kind);
        assert_eq!(event["data"]["object"]["object"], object, "{kind}");
        event["data"]["object"]
            .as_object()
            .expect("data.object is an object")
    }

    /// Fails if `object` lacks a field of its fixture other than `removed`.
    fn assert_fixture_fields(
        resource: &str,
        object: &Map<String, Value>,
        removed: &[&str],
        version: Version,
    ) {
        let fixture = FIXTURES["resources"][resource].as_object().unwrap();
        let missing: Vec<&String> = fixture
            .keys()
            .filter(|key| !removed.contains(&key.as_str()) && !object.contains_key(*key))
            .collect();
        assert!(
            missing.is_empty(),
            "{resource} on {version:?} lacks {missing:?}"
        );
    }

    #[test]
    fn objects_keep_every_fixture_field_a_version_does_not_remove() {
        for version in Version::ALL {
            let old = version.links_charge_to_invoice();
            let payment = subscription("fields");
            let (invoice_removed, linked_removed): (&[&str], &[&str]) = if old {
                (&["parent"], &[])
            } else {
                (&["charge", "payment_intent", "subscription"], &["invoice"])
            };
            let invoice = payment.invoice_paid(version, "evt_1");
            let invoice = carried(&invoice, version, "invoice.paid", "invoice");
            assert_fixture_fields("invoice", invoice, invoice_removed, version);
            for payment in [subscription("fields"), one_off("fields")] {
                let charge = payment.charge_succeeded(version, "evt_2");
                let charge = carried(&charge, version, "charge.succeeded", "charge");
                assert_fixture_fields("charge", charge, linked_removed, version);
                let intent = payment.payment_intent_succeeded(version, "evt_3");
                let intent = carried(
                    &intent,
                    version,
                    "payment_intent.succeeded",
                    "payment_intent",
                );
                assert_fixture_fields("payment_intent", intent, linked_removed, version);
            }
            let refund = payment.refund_event(
                version,
                "refund.created",
                "evt_4",
                &payment.refund_id(1),
                100,
                "pending",
            );
            let refund = carried(&refund, version, "refund.created", "refund");
            assert_fixture_fields("refund", refund, &[], version);
            let dispute = payment.dispute_event(
                version,
                "charge.dispute.funds_withdrawn",
                "evt_5",
                &payment.dispute_id(),
                29_990,
            );
            let dispute = carried(
                &dispute,
                version,
                "charge.dispute.funds_withdrawn",
                "dispute",
            );
            assert_fixture_fields("dispute", dispute, &[], version);
            if let Some(paid) = payment.invoice_payment_paid(version, "evt_6") {
                let paid = carried(&paid, version, "invoice_payment.paid", "invoice_payment");
                assert_fixture_fields("invoice_payment", paid, &[], version);
            }
        }
    }

    #[test]
    fn only_versions_before_basil_link_charges_to_invoices() {
        for version in Version::ALL {
            assert_eq!(
                version.links_charge_to_invoice(),
                version.as_str() < "2025-03-31",
                "{version:?}"
            );
        }
        assert!(
            Version::ALL
                .windows(2)
                .all(|pair| pair[0].as_str() < pair[1].as_str())
        );
    }

    #[test]
    fn charges_and_payment_intents_name_their_invoice_only_before_basil() {
        for version in Version::ALL {
            for payment in [subscription("link"), one_off("link")] {
                let charge = payment.charge_succeeded(version, "evt_c");
                let intent = payment.payment_intent_succeeded(version, "evt_p");
                for object in [&charge["data"]["object"], &intent["data"]["object"]] {
                    let object = object.as_object().unwrap();
                    if version.links_charge_to_invoice() {
                        assert_eq!(
                            object.get("invoice"),
                            Some(&json!(payment.invoice)),
                            "{version:?}"
                        );
                    } else {
                        assert!(
                            !object.contains_key("invoice"),
                            "{version:?}: {}",
                            object["object"]
                        );
                    }
                }
                assert_eq!(
                    charge["data"]["object"]["payment_intent"],
                    payment.payment_intent
                );
                assert_eq!(intent["data"]["object"]["latest_charge"], payment.charge);
                assert_eq!(intent["data"]["object"]["amount_received"], payment.amount);
                assert_eq!(charge["data"]["object"]["amount_captured"], payment.amount);
            }
        }
    }

    #[test]
    fn current_invoices_name_their_subscription_only_in_parent() {
        let payment = subscription("invoice");
        let subscription = payment.subscription_id().unwrap();
        for version in Version::ALL {
            let event = payment.invoice_paid(version, "evt_i");
            let invoice = event["data"]["object"].as_object().unwrap();
            assert_eq!(invoice["id"], json!(payment.invoice));
            assert_eq!(invoice["amount_paid"], payment.amount);
            assert_eq!(invoice["currency"], "eur");
            assert_eq!(invoice["status_transitions"]["paid_at"], PAID_AT);
            if version.links_charge_to_invoice() {
                assert_eq!(invoice["charge"], payment.charge);
                assert_eq!(invoice["payment_intent"], payment.payment_intent);
                assert_eq!(invoice["subscription"], subscription);
                assert_eq!(invoice["paid"], true);
                assert!(!invoice.contains_key("parent"), "{version:?}");
            } else {
                for key in ["charge", "payment_intent", "subscription", "paid"] {
                    assert!(!invoice.contains_key(key), "{version:?} invoice has {key}");
                }
                assert_eq!(invoice["parent"]["type"], "subscription_details");
                assert_eq!(
                    invoice["parent"]["subscription_details"]["subscription"],
                    subscription
                );
            }
        }
    }

    #[test]
    fn invoice_payments_exist_from_basil_on_and_for_invoices_only() {
        let payment = subscription("inpay");
        for version in Version::ALL {
            let paid = payment.invoice_payment_paid(version, "evt_ip");
            assert_eq!(
                paid.is_some(),
                !version.links_charge_to_invoice(),
                "{version:?}"
            );
            assert!(
                one_off("inpay")
                    .invoice_payment_paid(version, "evt_ip")
                    .is_none()
            );
            let Some(paid) = paid else { continue };
            let object = &paid["data"]["object"];
            assert_eq!(object["id"], payment.invoice_payment);
            assert_eq!(object["invoice"], json!(payment.invoice));
            assert_eq!(object["payment"]["type"], "payment_intent");
            assert_eq!(object["payment"]["payment_intent"], payment.payment_intent);
            assert_eq!(object["amount_paid"], payment.amount);
            assert_eq!(object["status"], "paid");
            assert_eq!(object["status_transitions"]["paid_at"], PAID_AT);
        }
    }

    #[test]
    #[should_panic(expected = "no invoice")]
    fn a_one_off_payment_has_no_invoice_paid() {
        one_off("no invoice").invoice_paid(Version::Clover, "evt_x");
    }

    #[test]
    fn ids_carry_stripe_prefixes_and_differ_across_seeds() {
        let ids = |payment: &StripePayment| {
            let mut ids = vec![
                payment.invoice.clone().unwrap_or_default(),
                payment.invoice_payment.clone(),
                payment.payment_intent.clone(),
                payment.charge.clone(),
                payment.refund_id(1),
                payment.refund_id(2),
                payment.dispute_id(),
            ];
            ids.extend(payment.subscription_id());
            ids
        };
        let (a, b) = (subscription("seed-a"), subscription("seed-b"));
        let prefixes = ["in_", "inpay_", "pi_", "ch_", "re_", "re_", "dp_", "sub_"];
        for payment in [&a, &b] {
            let ids = ids(payment);
            for (id, prefix) in ids.iter().zip(prefixes) {
                assert!(id.starts_with(prefix), "{id} lacks {prefix}");
                let tail = &id[prefix.len()..];
                assert!(tail.len() >= 20 && id.len() <= 40, "{id}");
                assert!(
                    tail.bytes().all(|byte| byte.is_ascii_alphanumeric()),
                    "{id}"
                );
            }
            let distinct: BTreeSet<&String> = ids.iter().collect();
            assert_eq!(distinct.len(), ids.len(), "{ids:?}");
        }
        assert_eq!(
            ids(&a),
            ids(&subscription("seed-a")),
            "ids are deterministic"
        );
        for (id_a, id_b) in ids(&a).iter().zip(ids(&b)) {
            assert_ne!(*id_a, id_b);
        }
        let once = one_off("seed-a");
        assert!(once.invoice.is_none() && once.subscription_id().is_none());
        assert_ne!(once.charge, a.charge);
        assert_ne!(once.payment_intent, a.payment_intent);
    }

    #[test]
    fn charge_refunded_sums_its_refunds() {
        let payment = subscription("refunds");
        let (first, second) = (payment.refund_id(1), payment.refund_id(2));
        for version in Version::ALL {
            let partial = payment.charge_refunded(version, "evt_r1", &[(&first, 10_000)]);
            let charge = carried(&partial, version, "charge.refunded", "charge");
            assert_eq!(charge["amount_refunded"], 10_000);
            assert_eq!(charge["refunded"], false);
            assert_eq!(charge["refunds"]["data"].as_array().unwrap().len(), 1);

            let full =
                payment.charge_refunded(version, "evt_r2", &[(&first, 10_000), (&second, 19_990)]);
            let charge = carried(&full, version, "charge.refunded", "charge");
            assert_eq!(charge["amount_refunded"], 29_990);
            assert_eq!(charge["refunded"], true);
            assert_eq!(
                charge["refunds"]["url"],
                format!("/v1/charges/{}/refunds", payment.charge)
            );
            let refunds = charge["refunds"]["data"].as_array().unwrap();
            let listed: Vec<(&Value, &Value)> = refunds
                .iter()
                .map(|refund| (&refund["id"], &refund["amount"]))
                .collect();
            assert_eq!(
                listed,
                [
                    (&json!(first), &json!(10_000)),
                    (&json!(second), &json!(19_990))
                ]
            );
            for refund in refunds {
                assert_eq!(refund["object"], "refund");
                assert_eq!(refund["charge"], payment.charge);
                assert_eq!(refund["payment_intent"], payment.payment_intent);
            }
        }
    }

    #[test]
    fn refund_and_dispute_events_carry_their_object() {
        let payment = one_off("after");
        let paid = payment.charge_succeeded(Version::Clover, "evt_paid");
        let refund_id = payment.refund_id(1);
        let refund = payment.refund_event(
            Version::Clover,
            "refund.updated",
            "evt_ru",
            &refund_id,
            900,
            "failed",
        );
        let object = carried(&refund, Version::Clover, "refund.updated", "refund");
        assert_eq!(object["id"], refund_id);
        assert_eq!(object["amount"], 900);
        assert_eq!(object["status"], "failed");
        assert_eq!(object["charge"], payment.charge);
        assert_eq!(object["payment_intent"], payment.payment_intent);
        assert_eq!(object["currency"], "eur");
        assert!(refund["created"].as_i64() > paid["created"].as_i64());

        for (kind, status) in [
            ("charge.dispute.funds_withdrawn", "needs_response"),
            ("charge.dispute.funds_reinstated", "won"),
        ] {
            let dispute =
                payment.dispute_event(Version::Acacia, kind, "evt_d", &payment.dispute_id(), 4_900);
            let object = carried(&dispute, Version::Acacia, kind, "dispute");
            assert_eq!(object["id"], payment.dispute_id());
            assert_eq!(object["status"], status);
            assert_eq!(object["amount"], 4_900);
            assert_eq!(object["charge"], payment.charge);
            assert_eq!(object["payment_intent"], payment.payment_intent);
            assert_eq!(object["is_charge_refundable"], false);
            assert!(dispute["created"].as_i64() > refund["created"].as_i64());
        }
    }
}
