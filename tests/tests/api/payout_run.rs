//! The payout run against the emulator: holding period, flagged
//! commissions, `min_payout` and carry-over, clawback netting, several
//! currencies, large partners, and the faults SPEC §4 names: a run killed
//! after each of its writes and run again, a run stopped by its budget and
//! resumed, and two runs at once. After every one of them no commission is
//! in two payouts, every paid commission has its payout (invariant 3), and
//! every pending or paid payout equals the sum of its commissions
//! (invariant 4; a failed payout holds none, its commissions were released).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use harness::budget::Unlimited;
use harness::faults::KillSwitch;
use harness::harsh::Faults;
use harness::iam::acting_as;
use harness::{TestEnv, harsh, seed};
use http::{Method, StatusCode};
use ledger_app::payout_run::{Budget, PayoutRun, RunReport};
use ledger_core::model::{
    Account, Commission, Event, EventType, Id, Payout, PayoutState, PayoutStatus, Settlement,
};
use ledger_core::money::Currency;
use ledger_store::{Item, Key, Store, accounts, commissions, payouts};
use partner_ledger_admin::bootstrap_account;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// A budget spent after `checks` looks at it: stops a run at a chosen point.
struct Checks(AtomicUsize);

impl Budget for Checks {
    fn exhausted(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_err()
    }
}

/// One account's ledger, driven through the API with the account's key.
struct Ledger<'a> {
    env: &'a TestEnv,
    account: Id,
    key: String,
}

impl<'a> Ledger<'a> {
    /// Account A of `env`, with a default group.
    async fn a(env: &'a TestEnv) -> Self {
        let ledger = Self {
            env,
            account: Id::parse(&env.account_a).unwrap(),
            key: env.key_a.clone(),
        };
        ledger.default_group().await;
        ledger
    }

    /// A new account in `env`'s table, with a default group.
    async fn new_account(env: &'a TestEnv, name: &str) -> Self {
        let bootstrap = bootstrap_account(&env.store, name, Currency::EUR, &["*".into()])
            .await
            .expect("bootstrap");
        let ledger = Self {
            env,
            account: bootstrap.account.id.clone(),
            key: bootstrap.api_key,
        };
        ledger.default_group().await;
        ledger
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let reply = self.env.call(method, path, Some(&self.key), body).await;
        assert!(reply.status.is_success(), "{path}: {:?}", reply.body);
        reply.body
    }

    async fn default_group(&self) {
        self.call(
            Method::POST,
            "/2026-02-01/partners/groups.json",
            Some(seed::default_group()),
        )
        .await;
    }

    /// A partner (handle `handle`, email `<handle>@example.com`); its id.
    async fn partner(&self, handle: &str) -> String {
        let body = self
            .call(
                Method::POST,
                "/2026-02-01/partners.json",
                Some(seed::partner_create(handle)),
            )
            .await;
        body["partner"]["id"].as_str().unwrap().to_string()
    }

    /// A pending custom commission of `amount` in `unit` (`cash` is the
    /// account's currency), known by `event`; its id.
    async fn custom(&self, partner: &str, amount: &str, unit: &str, event: &str) -> String {
        let body = self
            .call(
                Method::POST,
                "/2026-02-01/commissions.json",
                Some(json!({"commission": {
                    "commission_type": "custom",
                    "partner_id": partner,
                    "amount": amount.parse::<Value>().unwrap(),
                    "unit": unit,
                    "event_id": event,
                }})),
            )
            .await;
        body["commission"]["id"].as_str().unwrap().to_string()
    }

    /// [`Ledger::custom`], approved by a person (so payable at once).
    async fn approved(&self, partner: &str, amount: &str, unit: &str, event: &str) -> String {
        let id = self.custom(partner, amount, unit, event).await;
        self.call(
            Method::POST,
            &format!("/2026-02-01/commissions/{id}/approve.json"),
            None,
        )
        .await;
        id
    }

    async fn account(&self) -> Account {
        let item = self
            .env
            .store
            .get(&Key::account(&self.account))
            .await
            .unwrap();
        accounts::from_item(item.expect("the account exists")).unwrap()
    }

    /// Runs the payout run in this account at `now` on `store`, as the
    /// scheduled function runs it in each account. A scheduled run comes
    /// long after the writes it reads, so in the harsh world the indexes
    /// catch up first; the run's own writes still lag.
    async fn run_on(&self, store: &Store, run: PayoutRun<'_>) -> Result<RunReport, String> {
        harsh::settle(self.env.store.table()).await;
        let account = self.account().await;
        acting_as("payout-run", run.account(store, &account))
            .await
            .map_err(|e| e.to_string())
    }

    async fn run(&self, now: DateTime<Utc>) -> RunReport {
        self.run_on(&self.env.store, PayoutRun::new(now, &Unlimited))
            .await
            .expect("the run succeeds")
    }

    /// Every item of the account (its partition), read consistently.
    async fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .env
                .store
                .client()
                .query()
                .table_name(self.env.store.table())
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(format!("A#{}", self.account)),
                )
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    async fn commissions(&self) -> Vec<Commission> {
        entities(self.items().await, "commission", commissions::from_item)
    }

    async fn payouts(&self) -> Vec<Payout> {
        entities(self.items().await, "payout", payouts::from_item)
    }

    async fn commission(&self, id: &str) -> Commission {
        let key = Key::commission(&self.account, &Id::parse(id).unwrap());
        commissions::from_item(self.env.store.get(&key).await.unwrap().unwrap()).unwrap()
    }

    /// Settles a payout the way the payouts API does.
    async fn settle(&self, payout: &Payout, outcome: Settlement) {
        let store = &self.env.store;
        let mut after = payout.clone();
        assert!(after.settle(outcome, Utc::now()).unwrap());
        store
            .transact(vec![
                payouts::settle(store, &self.account, payout, &after).unwrap(),
            ])
            .await
            .unwrap();
        if outcome == Settlement::Failed {
            payouts::release(store, &self.account, &after, Utc::now())
                .await
                .unwrap();
        }
    }

    /// Checks SPEC §4 invariants 3 and 4 on the stored ledger.
    /// Every event the account's event items hold.
    async fn events(&self) -> Vec<Event> {
        self.items()
            .await
            .iter()
            .filter(|item| item["sk"].as_s().is_ok_and(|sk| sk.starts_with("EVENT#")))
            .flat_map(|item| ledger_store::events::from_item(item).expect("readable events"))
            .collect()
    }

    /// The outbox is exact: each approval, payout and payment made so far
    /// has exactly one event, and no event names a change that is not in
    /// the ledger (whatever write a run was killed after).
    async fn assert_events_match(
        &self,
        commissions: &[Commission],
        payouts: &[Payout],
        when: &str,
    ) {
        let events = self.events().await;
        let of = |kind: EventType| -> Vec<(String, Value)> {
            events
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| (e.object_id().unwrap().to_string(), e.data.object.clone()))
                .collect()
        };
        let mut ids: Vec<&Id> = events.iter().map(|e| &e.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), events.len(), "{when}: event ids are unique");

        let mut created: Vec<String> = of(EventType::PayoutCreated)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        created.sort();
        let mut made: Vec<String> = payouts.iter().map(|p| p.id.to_string()).collect();
        made.sort();
        assert_eq!(created, made, "{when}: one payout.created per payout");

        let mut paid: Vec<(String, Value)> = of(EventType::CommissionPaid)
            .into_iter()
            .map(|(id, object)| (id, object["payout_id"].clone()))
            .collect();
        paid.sort_by(|a, b| a.0.cmp(&b.0));
        let mut holding: Vec<(String, Value)> = commissions
            .iter()
            .filter(|c| c.payout_status == PayoutStatus::Paid)
            .map(|c| {
                (
                    c.id.to_string(),
                    json!(c.payout_id.as_ref().unwrap().as_str()),
                )
            })
            .collect();
        holding.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(paid, holding, "{when}: one commission.paid per payment");

        let mut approved: Vec<String> = of(EventType::CommissionApproved)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        approved.sort();
        let mut decided: Vec<String> = commissions
            .iter()
            .filter(|c| c.status == ledger_core::model::CommissionStatus::Approved)
            .map(|c| c.id.to_string())
            .collect();
        decided.sort();
        assert_eq!(
            approved, decided,
            "{when}: one commission.approved per approval"
        );
    }

    async fn assert_invariants(&self, when: &str) {
        let commissions = self.commissions().await;
        let payouts = self.payouts().await;
        if payouts.iter().all(|p| p.status == PayoutState::Pending) {
            self.assert_events_match(&commissions, &payouts, when).await;
        }
        for commission in &commissions {
            match (&commission.payout_id, commission.payout_status) {
                (Some(payout), PayoutStatus::Paid) => assert!(
                    payouts.iter().any(|p| &p.id == payout),
                    "{when}: commission {} is paid by a payout that does not exist",
                    commission.id
                ),
                (None, PayoutStatus::NotPaid) => {}
                other => panic!("{when}: commission {} has {other:?}", commission.id),
            }
        }
        for payout in &payouts {
            let held: Vec<&Commission> = commissions
                .iter()
                .filter(|c| c.payout_id.as_ref() == Some(&payout.id))
                .collect();
            if payout.status == PayoutState::Failed {
                // A failed payout keeps the amount it failed to send, as a
                // record; its commissions went back to the payable ones.
                assert!(
                    held.is_empty(),
                    "{when}: failed payout {} still holds commissions",
                    payout.id
                );
                continue;
            }
            let sum: Decimal = held.iter().map(|c| c.amount).sum();
            assert_eq!(payout.amount, sum, "{when}: payout {} amount", payout.id);
            assert_eq!(
                payout.payment_count as usize,
                held.len(),
                "{when}: payout {} count",
                payout.id
            );
            for commission in held {
                assert_eq!(commission.partner_id, payout.partner_id, "{when}");
                assert_eq!(commission.currency, payout.currency, "{when}");
                assert!(commission.unit.is_cash(), "{when}: only cash is paid out");
            }
        }
    }

    /// The ledger in terms that do not depend on the account's ids: per
    /// partner email, currency and attempt, the payout's amount, count,
    /// status and commissions (by event id); and each commission's state.
    async fn outcome(&self) -> Outcome {
        let items = self.items().await;
        let emails: BTreeMap<String, String> = items
            .iter()
            .filter(|i| entity(i) == "partner")
            .map(|i| (text(i, "id"), text(i, "email")))
            .collect();
        let commissions = entities(items.clone(), "commission", commissions::from_item);
        let payouts = entities(items, "payout", payouts::from_item);
        let event = |c: &Commission| c.event_id.clone().unwrap_or_default();
        Outcome {
            payouts: payouts
                .iter()
                .map(|p| {
                    let mut held: Vec<String> = commissions
                        .iter()
                        .filter(|c| c.payout_id.as_ref() == Some(&p.id))
                        .map(event)
                        .collect();
                    held.sort();
                    (
                        (
                            emails[p.partner_id.as_str()].clone(),
                            p.currency.to_string(),
                            p.attempt,
                        ),
                        (
                            p.amount.normalize().to_string(),
                            p.payment_count,
                            p.status,
                            held,
                        ),
                    )
                })
                .collect(),
            commissions: commissions
                .iter()
                .map(|c| {
                    (
                        event(c),
                        (
                            c.status.as_str(),
                            c.payout_status,
                            c.amount.normalize().to_string(),
                        ),
                    )
                })
                .collect(),
        }
    }
}

type PayoutKey = (String, String, u32);

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    payouts: BTreeMap<PayoutKey, (String, u32, PayoutState, Vec<String>)>,
    commissions: BTreeMap<String, (&'static str, PayoutStatus, String)>,
}

fn entity(item: &Item) -> String {
    text(item, "entity")
}

fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn entities<T>(
    items: Vec<Item>,
    kind: &str,
    read: impl Fn(Item) -> Result<T, ledger_store::StoreError>,
) -> Vec<T> {
    items
        .into_iter()
        .filter(|i| entity(i) == kind)
        .map(|i| read(i).unwrap())
        .collect()
}

/// After the 30 days' default hold of anything created now.
fn after_hold() -> DateTime<Utc> {
    Utc::now() + Duration::days(31)
}

fn amount(text: &str) -> Decimal {
    text.parse().unwrap()
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_run_approves_what_is_due_and_pays_each_partner_once_in_cash() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    let ann = ledger.partner("ann").await;
    let bob = ledger.partner("bob").await;
    for n in 0..3 {
        ledger
            .custom(&ann, "20.00", "cash", &format!("ann-eur-{n}"))
            .await;
    }
    ledger.custom(&ann, "75.5", "points", "ann-points").await;
    ledger.custom(&bob, "12.34", "cash", "bob-small").await;

    let report = ledger.run(after_hold()).await;
    assert_eq!(
        (
            report.approved,
            report.payouts,
            report.commissions_paid,
            report.complete
        ),
        (5, 1, 3, true)
    );
    let payouts = ledger.payouts().await;
    assert_eq!(payouts.len(), 1, "one payout per partner: {payouts:?}");
    let eur = &payouts[0];
    assert_eq!(eur.currency, Currency::EUR, "the account's currency");
    assert_eq!((eur.amount, eur.payment_count), (amount("60.00"), 3));
    assert_eq!(eur.partner_id.as_str(), ann);
    assert_eq!(eur.status, PayoutState::Pending);
    assert_eq!(
        eur.period.to_string(),
        after_hold().format("%Y-%m").to_string()
    );
    assert_eq!(eur.payout_email, "ann@example.com");
    assert_eq!(eur.partner_name, "Ann Lee");
    let points = ledger
        .commissions()
        .await
        .into_iter()
        .find(|c| c.event_id.as_deref() == Some("ann-points"))
        .unwrap();
    assert_eq!(
        (points.status.as_str(), points.payout_status),
        ("approved", PayoutStatus::NotPaid),
        "points are approved but never paid out"
    );
    let bobs = ledger
        .commission(
            &ledger
                .commissions()
                .await
                .iter()
                .find(|c| c.event_id.as_deref() == Some("bob-small"))
                .unwrap()
                .id
                .to_string(),
        )
        .await;
    assert_eq!(
        bobs.status.as_str(),
        "approved",
        "approved, but below min_payout"
    );
    assert_eq!(bobs.payout_status, PayoutStatus::NotPaid);
    ledger.assert_invariants("after the run").await;

    let before = ledger.items().await;
    let again = ledger.run(after_hold()).await;
    assert_eq!(
        (again.approved, again.payouts, again.commissions_paid),
        (0, 0, 0)
    );
    assert_eq!(ledger.items().await, before, "a second run changes nothing");
}

#[tokio::test]
async fn the_holding_period_ends_exactly_hold_days_after_creation() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    let ann = ledger.partner("ann").await;
    let id = ledger.custom(&ann, "60", "cash", "held").await;
    let created = ledger.commission(&id).await.created_at;

    let early = ledger
        .run(created + Duration::days(30) - Duration::milliseconds(1))
        .await;
    assert_eq!((early.approved, early.commissions_paid), (0, 0));
    assert_eq!(ledger.commission(&id).await.status.as_str(), "pending");

    let due = ledger.run(created + Duration::days(30)).await;
    assert_eq!((due.approved, due.commissions_paid), (1, 1));
    let commission = ledger.commission(&id).await;
    assert_eq!(commission.status.as_str(), "approved");
    assert_eq!(commission.payout_status, PayoutStatus::Paid);
}

#[tokio::test]
async fn flagged_commissions_wait_for_a_person() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    ledger.partner("ann").await;
    let referral = |email: &str| json!({"referral": {"email": email, "code": "ann"}});
    let mut sales = Vec::new();
    for (email, event) in [("ann@example.com", "self"), ("carol@example.com", "clean")] {
        let body = ledger
            .call(
                Method::POST,
                "/2026-02-01/referrals.json",
                Some(referral(email)),
            )
            .await;
        let created = ledger
            .call(
                Method::POST,
                "/2026-02-01/commissions.json",
                Some(json!({"commission": {
                    "commission_type": "sale",
                    "referral_id": body["referral"]["id"],
                    "sale_amount": 600,
                    "amount": 60,
                    "event_id": event,
                }})),
            )
            .await;
        sales.push(created["commission"]["id"].as_str().unwrap().to_string());
    }
    let report = ledger.run(after_hold()).await;
    assert_eq!((report.approved, report.commissions_paid), (1, 1));
    let flagged = ledger.commission(&sales[0]).await;
    assert!(flagged.is_self_referral);
    assert_eq!(flagged.status.as_str(), "pending");
    assert_eq!(
        ledger.commission(&sales[1]).await.payout_status,
        PayoutStatus::Paid
    );
}

#[tokio::test]
async fn balances_below_min_payout_carry_over_until_they_reach_it() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    let ann = ledger.partner("ann").await;
    ledger.approved(&ann, "49.99", "cash", "first").await;
    let short = ledger.run(Utc::now()).await;
    assert_eq!((short.payouts, short.commissions_paid), (0, 0));
    assert!(ledger.payouts().await.is_empty());

    ledger.approved(&ann, "0.01", "cash", "second").await;
    let reached = ledger.run(Utc::now()).await;
    assert_eq!((reached.payouts, reached.commissions_paid), (1, 2));
    let payouts = ledger.payouts().await;
    assert_eq!(
        (payouts[0].amount, payouts[0].payment_count),
        (amount("50.00"), 2)
    );
    ledger.assert_invariants("after reaching min_payout").await;
}

#[tokio::test]
async fn clawbacks_are_netted_and_a_negative_balance_carries_over() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    let ann = ledger.partner("ann").await;
    let referral = ledger
        .call(
            Method::POST,
            "/2026-02-01/referrals.json",
            Some(json!({"referral": {"email": "dora@example.com", "code": "ann"}})),
        )
        .await;
    let sale = ledger
        .call(
            Method::POST,
            "/2026-02-01/commissions.json",
            Some(json!({"commission": {
                "commission_type": "sale",
                "referral_id": referral["referral"]["id"],
                "sale_amount": 1000,
                "amount": 100,
                "event_id": "sale-1",
            }})),
        )
        .await;
    let sale_id = sale["commission"]["id"].as_str().unwrap().to_string();
    ledger
        .call(
            Method::POST,
            &format!("/2026-02-01/commissions/{sale_id}/approve.json"),
            None,
        )
        .await;
    ledger.run(Utc::now()).await;
    let first = ledger.payouts().await.remove(0);
    assert_eq!((first.amount, first.attempt), (amount("100"), 0));
    ledger.settle(&first, Settlement::Paid).await;

    // 90 % of the sale is refunded after the payout: a clawback of -90.
    ledger
        .call(
            Method::POST,
            "/2026-02-01/events/refund.json",
            Some(json!({"event": {"event_id": "refund-1", "sale_event_id": "sale-1", "amount": 900}})),
        )
        .await;
    ledger.approved(&ann, "30", "cash", "after-refund").await;
    let negative = ledger.run(Utc::now()).await;
    assert_eq!(
        (negative.payouts, negative.commissions_paid),
        (0, 0),
        "-90 + 30 pays nothing"
    );
    ledger.approved(&ann, "100", "cash", "still-short").await;
    let short = ledger.run(Utc::now()).await;
    assert_eq!(short.commissions_paid, 0, "-90 + 30 + 100 = 40 is below 50");

    ledger.approved(&ann, "20", "cash", "enough").await;
    let netted = ledger.run(Utc::now()).await;
    assert_eq!((netted.payouts, netted.commissions_paid), (1, 4));
    let second = ledger
        .payouts()
        .await
        .into_iter()
        .find(|p| p.id != first.id)
        .expect("a second payout");
    assert_eq!(
        second.attempt, 1,
        "the period's first payout was paid already"
    );
    assert_eq!((second.amount, second.payment_count), (amount("60"), 4));
    let clawback = ledger
        .commissions()
        .await
        .into_iter()
        .find(|c| c.clawback_of.as_ref().map(Id::as_str) == Some(sale_id.as_str()))
        .expect("the clawback");
    assert_eq!(clawback.amount, amount("-90"));
    assert_eq!(clawback.payout_id.as_ref(), Some(&second.id));
    ledger.assert_invariants("after netting").await;
}

#[tokio::test]
async fn a_failed_payout_hands_its_commissions_to_the_next_run() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    let ann = ledger.partner("ann").await;
    let ids = [
        ledger.approved(&ann, "40", "cash", "one").await,
        ledger.approved(&ann, "35", "cash", "two").await,
    ];
    ledger.run(Utc::now()).await;
    let failed = ledger.payouts().await.remove(0);
    ledger.settle(&failed, Settlement::Failed).await;
    for id in &ids {
        let commission = ledger.commission(id).await;
        assert_eq!(
            (commission.payout_status, commission.payout_id),
            (PayoutStatus::NotPaid, None)
        );
    }
    ledger.assert_invariants("after failing").await;

    let rerun = ledger.run(Utc::now()).await;
    assert_eq!((rerun.payouts, rerun.commissions_paid), (1, 2));
    let retry = ledger
        .payouts()
        .await
        .into_iter()
        .find(|p| p.id != failed.id)
        .expect("a new payout");
    assert_eq!(
        (retry.attempt, retry.amount, retry.payment_count),
        (1, amount("75"), 2)
    );
    let stored_failed = ledger
        .payouts()
        .await
        .into_iter()
        .find(|p| p.id == failed.id)
        .unwrap();
    assert_eq!(stored_failed.status, PayoutState::Failed);
    ledger.assert_invariants("after the retry").await;
}

#[tokio::test]
async fn a_partner_with_more_commissions_than_a_transaction_holds_gets_one_payout() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    let ann = ledger.partner("ann").await;
    for n in 0..130 {
        ledger.custom(&ann, "1.25", "cash", &format!("c-{n}")).await;
    }
    let report = ledger.run(after_hold()).await;
    assert_eq!(
        (report.approved, report.payouts, report.commissions_paid),
        (130, 1, 130)
    );
    let payouts = ledger.payouts().await;
    assert_eq!(payouts.len(), 1);
    assert_eq!(
        (payouts[0].amount, payouts[0].payment_count),
        (amount("162.50"), 130)
    );
    ledger.assert_invariants("after a large partner").await;
}

// ---------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------

/// Transactions of 5 items: the scenario below then takes over a dozen
/// writes, each one a point to kill the run at.
const SMALL: usize = 5;

/// Four partners: one paid in many transactions, one in cash and points
/// (one balance exactly at min_payout), one below min_payout, one whose
/// commissions are partly approved by a person already.
async fn scenario(ledger: &Ledger<'_>) {
    let ann = ledger.partner("ann").await;
    let bob = ledger.partner("bob").await;
    let cat = ledger.partner("cat").await;
    let dan = ledger.partner("dan").await;
    for n in 0..9 {
        ledger
            .custom(&ann, "10.00", "cash", &format!("ann-{n}"))
            .await;
    }
    for n in 0..4 {
        ledger
            .custom(&bob, "12.50", "cash", &format!("bob-eur-{n}"))
            .await;
    }
    for n in 0..2 {
        ledger
            .custom(&bob, "30", "points", &format!("bob-usd-{n}"))
            .await;
    }
    for n in 0..3 {
        ledger
            .custom(&cat, "16.66", "cash", &format!("cat-{n}"))
            .await;
    }
    for n in 0..2 {
        ledger
            .approved(&dan, "20", "cash", &format!("dan-approved-{n}"))
            .await;
    }
    for n in 0..3 {
        ledger.custom(&dan, "20", "cash", &format!("dan-{n}")).await;
    }
}

/// A run at `now` with [`SMALL`] transactions and no time limit.
fn small_run(now: DateTime<Utc>) -> PayoutRun<'static> {
    PayoutRun::new(now, &Unlimited).transaction_items(SMALL)
}

/// The scenario run once at `now`, uninterrupted, in an account of its
/// own: the outcome every faulted run must end with, and the writes it took.
async fn uninterrupted(env: &TestEnv, now: DateTime<Utc>) -> (Outcome, usize) {
    let reference = Ledger::new_account(env, "Reference").await;
    scenario(&reference).await;
    let (store, counted) = KillSwitch::store(env.store.table(), None);
    reference
        .run_on(&store, small_run(now))
        .await
        .expect("the uninterrupted run");
    reference.assert_invariants("uninterrupted").await;
    (reference.outcome().await, counted.writes())
}

#[tokio::test]
async fn a_run_killed_after_any_write_and_run_again_ends_as_an_uninterrupted_one() {
    let env = TestEnv::new().await;
    let now = after_hold();
    let (expected, writes) = uninterrupted(&env, now).await;
    assert!(
        writes >= 12,
        "the scenario needs many writes to kill at, took {writes}"
    );
    assert_eq!(expected.payouts.len(), 3, "{:?}", expected.payouts);

    for k in 1..=writes {
        let ledger = Ledger::new_account(&env, &format!("Killed after {k}")).await;
        scenario(&ledger).await;
        let (dying, switch) = KillSwitch::store(env.store.table(), Some(k));
        let killed = ledger.run_on(&dying, small_run(now)).await;
        if switch.killed() {
            assert!(killed.is_err(), "k = {k}: a killed run fails");
        } else {
            // Injected faults change how many writes a run takes: this one
            // finished before its k-th. Never so in the plain world.
            assert!(
                Faults::of_this_run().is_some(),
                "k = {k}: the run reached its {k}th write"
            );
            killed.unwrap_or_else(|e| panic!("k = {k}: a run never killed fails: {e}"));
        }
        ledger
            .assert_invariants(&format!("killed after write {k}"))
            .await;
        let (store, _) = KillSwitch::store(env.store.table(), None);
        ledger
            .run_on(&store, small_run(now))
            .await
            .unwrap_or_else(|e| panic!("k = {k}: the rerun fails: {e}"));
        ledger
            .assert_invariants(&format!("rerun after write {k}"))
            .await;
        assert_eq!(ledger.outcome().await, expected, "k = {k}");
    }
}

#[tokio::test]
async fn a_run_stopped_by_its_budget_resumes_where_it_stopped() {
    let env = TestEnv::new().await;
    let now = after_hold();
    let (expected, _) = uninterrupted(&env, now).await;

    for checks in [0, 1, 2, 3, 5, 8, 12] {
        let ledger = Ledger::new_account(&env, &format!("Stopped after {checks}")).await;
        scenario(&ledger).await;
        let budget = Checks(AtomicUsize::new(checks));
        let stopped = ledger
            .run_on(
                &env.store,
                PayoutRun::new(now, &budget).transaction_items(SMALL),
            )
            .await
            .unwrap();
        assert!(
            !stopped.complete,
            "{checks} checks are not enough to finish"
        );
        ledger
            .assert_invariants(&format!("stopped after {checks} checks"))
            .await;
        let resumed = ledger.run_on(&env.store, small_run(now)).await.unwrap();
        assert!(resumed.complete);
        assert_eq!(ledger.outcome().await, expected, "{checks} checks");
        if checks > 2 {
            assert!(
                stopped.approved + resumed.approved == 21 && resumed.approved < 21,
                "{checks} checks: the resumed run continued instead of starting over ({} + {})",
                stopped.approved,
                resumed.approved
            );
        }
        assert!(
            env.store
                .get(&Key::payout_run(&ledger.account))
                .await
                .unwrap()
                .is_none(),
            "a finished run leaves no position"
        );
    }
}

#[tokio::test]
async fn a_run_by_hand_continues_where_the_scheduled_run_stopped() {
    let env = TestEnv::new().await;
    let ledger = Ledger::a(&env).await;
    for handle in ["ann", "bob", "cat"] {
        let partner = ledger.partner(handle).await;
        for n in 0..6 {
            ledger
                .approved(&partner, "10", "cash", &format!("{handle}-{n}"))
                .await;
        }
    }
    let budget = Checks(AtomicUsize::new(5));
    let stopped = ledger
        .run_on(
            &env.store,
            PayoutRun::new(Utc::now(), &budget).transaction_items(SMALL),
        )
        .await
        .unwrap();
    let position = Key::payout_run(&ledger.account);
    assert!(
        !stopped.complete && env.store.get(&position).await.unwrap().is_some(),
        "the scheduled run stopped and left its position: {stopped:?}"
    );
    let by_hand = ledger
        .call(Method::POST, "/2026-02-01/payouts/run.json", None)
        .await;
    assert_eq!(by_hand["payoutRun"]["complete"], json!(true), "{by_hand}");
    assert!(
        env.store.get(&position).await.unwrap().is_none(),
        "the finished run by hand cleared the position"
    );
    assert_eq!(ledger.payouts().await.len(), 3, "each partner paid once");
    ledger.assert_invariants("after the run by hand").await;
}

#[tokio::test]
async fn two_runs_at_once_end_as_one_run() {
    let env = TestEnv::new().await;
    let now = after_hold();
    let (expected, _) = uninterrupted(&env, now).await;

    for round in 0..3 {
        let ledger = Ledger::new_account(&env, &format!("Concurrent {round}")).await;
        scenario(&ledger).await;
        let (first, _) = KillSwitch::store(env.store.table(), None);
        let (second, _) = KillSwitch::store(env.store.table(), None);
        let (a, b) = tokio::join!(
            ledger.run_on(&first, small_run(now)),
            ledger.run_on(&second, small_run(now)),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        // The next run: with lagging indexes, each of two runs at once may
        // see only its own approvals, and leave a balance it saw below the
        // minimum to the next run. Nothing is paid twice either way.
        let next = ledger.run(now).await;
        assert_eq!(
            a.commissions_paid + b.commissions_paid + next.commissions_paid,
            18,
            "round {round}: each cash commission paid once, bob's points never"
        );
        if Faults::of_this_run().is_none() {
            assert_eq!(
                next.commissions_paid, 0,
                "round {round}: the two runs paid all"
            );
        }
        ledger
            .assert_invariants(&format!("concurrent round {round}"))
            .await;
        assert_eq!(ledger.outcome().await, expected, "round {round}");
    }
}

#[tokio::test]
async fn runs_never_touch_another_account() {
    let env = TestEnv::new().await;
    let a = Ledger::a(&env).await;
    let ann = a.partner("ann").await;
    a.approved(&ann, "80", "cash", "a-1").await;
    let b = Ledger {
        env: &env,
        account: Id::parse(&env.account_b).unwrap(),
        key: env.key_b.clone(),
    };
    b.default_group().await;
    let before = a.items().await;
    let report = b.run(after_hold()).await;
    assert_eq!(
        (report.approved, report.payouts, report.commissions_paid),
        (0, 0, 0)
    );
    assert_eq!(a.items().await, before, "B's run leaves A's ledger alone");
    let reply = env
        .call(
            Method::GET,
            &format!(
                "/2026-02-01/commissions/{}.json",
                a.commissions().await[0].id
            ),
            Some(&env.key_b),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
