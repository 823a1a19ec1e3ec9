//! The Payouts endpoint group against the emulator: a run started by hand
//! pays approved commissions into one payout per partner and currency (the
//! payout's shape, amounts and the commissions it marks paid), a second run
//! changes nothing, list filters and cursor paging, marking paid (final,
//! idempotent) and failed (the commissions go back and the next run puts
//! them into a new payout, also after an interrupted release), concurrent
//! settlements, access control, bad input and the DynamoDB request budget.

use std::collections::BTreeSet;

use chrono::Utc;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::harsh::{self, Faults};
use harness::json::{id_of, num};
use harness::objects::{
    self, create_commission, create_default_group, create_partner, create_referral, read_commission,
};
use harness::paths::{COMMISSIONS, NOWHERE, PAYOUT_RUN, commission_action_path};
use harness::{Reply, TestEnv, seed, snapshot};
use http::{Method, StatusCode};
use ledger_core::model::{Id, Settlement};
use ledger_store::{Key, payouts};
use serde_json::{Value, json};

const PAYOUTS: &str = "/2026-02-01/payouts.json";

fn payout_path(id: &str) -> String {
    format!("/2026-02-01/payouts/{id}.json")
}

fn settle_path(id: &str, outcome: &str) -> String {
    format!("/2026-02-01/payouts/{id}/{outcome}.json")
}

/// This month, `YYYY-MM`, as the run names its period.
fn this_month() -> String {
    Utc::now().format("%Y-%m").to_string()
}

/// A partner in account A: the seed's Ann Lee with link code `handle`, and
/// `payout_email` when given. Returns the partner object.
async fn partner(env: &TestEnv, handle: &str, payout_email: Option<&str>) -> Value {
    let mut body = seed::partner_create(handle);
    if let Some(email) = payout_email {
        body["partner"]["payout_email"] = json!(email);
    }
    create_partner(env, body).await
}

/// A customer referred by link code `handle`; returns the referral's id.
async fn customer(env: &TestEnv, handle: &str) -> String {
    let body = seed::referral_create(&format!("customer-of-{handle}@example.org"), handle);
    id_of(&create_referral(env, body).await)
}

/// Approves a commission by hand, so it is payable whatever the hold days.
async fn approve(env: &TestEnv, id: &str) {
    let reply = env
        .call(
            Method::POST,
            &commission_action_path(id, "approve"),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

/// Approved commissions of `amounts` on the referral; returns their ids.
async fn approved(env: &TestEnv, referral: &str, amounts: &[&str], prefix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (n, amount) in amounts.iter().enumerate() {
        let id = create_commission(env, referral, amount, &format!("py_{prefix}_{n}")).await;
        approve(env, &id).await;
        ids.push(id);
    }
    ids
}

/// A partner with link code `handle`, one customer and approved commissions
/// of `amounts`; returns (partner id, commission ids).
async fn earner(env: &TestEnv, handle: &str, amounts: &[&str]) -> (String, Vec<String>) {
    let partner = id_of(&partner(env, handle, None).await);
    let referral = customer(env, handle).await;
    (partner, approved(env, &referral, amounts, handle).await)
}

/// Runs payouts by hand with `key` and no body; returns the run's report.
async fn run_with(env: &TestEnv, key: &str) -> Value {
    let reply = env.call(Method::POST, PAYOUT_RUN, Some(key), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["payoutRun"].clone()
}

async fn run(env: &TestEnv) -> Value {
    run_with(env, &env.key_a).await
}

/// A run's report as (approved, payouts, commissions paid, complete).
fn report(run: &Value) -> (Value, Value, Value, Value) {
    (
        run["approved"].clone(),
        run["payouts"].clone(),
        run["commissions_paid"].clone(),
        run["complete"].clone(),
    )
}

fn did(approved: u32, payouts: u32, paid: u32) -> (Value, Value, Value, Value) {
    (json!(approved), json!(payouts), json!(paid), json!(true))
}

/// Every payout of a list, following `pages.next_cursor`; also the first page's envelope.
async fn walk(env: &TestEnv, query: &str) -> (Vec<Value>, Value) {
    objects::walk(env, PAYOUTS, query).await
}

/// The payouts of a list, walked whole.
async fn listed(env: &TestEnv, query: &str) -> Vec<Value> {
    walk(env, query).await.0
}

/// The one payout of `partner`.
async fn payout_of(env: &TestEnv, partner: &str) -> Value {
    let payouts = listed(env, &format!("partner_id={partner}")).await;
    assert_eq!(payouts.len(), 1, "{payouts:?}");
    payouts[0].clone()
}

async fn get_payout(env: &TestEnv, id: &str) -> Value {
    let reply = env.get(&payout_path(id)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["payout"].clone()
}

async fn settle(env: &TestEnv, id: &str, outcome: &str) -> Reply {
    env.call(
        Method::POST,
        &settle_path(id, outcome),
        Some(&env.key_a),
        None,
    )
    .await
}

/// Each commission's (payout status, payout id).
async fn payout_states(env: &TestEnv, ids: &[String]) -> Vec<(Value, Value)> {
    let mut states = Vec::new();
    for id in ids {
        let c = read_commission(env, id).await;
        states.push((c["payout_status"].clone(), c["payout_id"].clone()));
    }
    states
}

fn paid_by(payout: &str, n: usize) -> Vec<(Value, Value)> {
    vec![(json!("paid"), json!(payout)); n]
}

fn unpaid(n: usize) -> Vec<(Value, Value)> {
    vec![(json!("not_paid"), Value::Null); n]
}

/// The stored payout, for what the API does not show (its attempt).
async fn stored(env: &TestEnv, id: &str) -> ledger_core::model::Payout {
    let account = Id::parse(&env.account_a).unwrap();
    let item = env
        .store
        .get(&Key::payout(&account, &Id::parse(id).unwrap()))
        .await
        .expect("read")
        .expect("the payout exists");
    payouts::from_item(item).expect("a payout")
}

// ---------------------------------------------------------------------------
// 1. A run by hand
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_run_pays_each_partners_approved_commissions_into_one_payout() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = id_of(&partner(&env, "ann", None).await);
    let ann_customer = customer(&env, "ann").await;
    let ann_paid = approved(&env, &ann_customer, &["40.5", "19.75", "10"], "ann").await;
    let ann_waiting = create_commission(&env, &ann_customer, "99", "py_ann_pending").await;
    let bob = id_of(&partner(&env, "bob", Some("payments@bob.example")).await);
    let bob_customer = customer(&env, "bob").await;
    let bob_paid = approved(&env, &bob_customer, &["30.10", "25.25"], "bob").await;
    let (cy, cy_small) = earner(&env, "cy", &["49.99"]).await;
    let month = this_month();

    let report_json = run(&env).await;
    assert_eq!(report(&report_json), did(0, 2, 5), "{report_json}");
    assert_eq!(report_json["period"], json!(month));
    // The run's report, exactly these fields.
    insta::assert_snapshot!(
        "run_report",
        snapshot::redacted(&report_json, &[(&month, "[this month]")])
    );

    let ann_payout = payout_of(&env, &ann).await;
    assert_eq!(num(&ann_payout["amount"]), "70.25");
    assert_eq!(
        ann_payout["payout_email"],
        json!("ann@example.com"),
        "without a payout email the money goes to the partner's email"
    );
    assert_eq!(ann_payout["created_at"], ann_payout["status_updated_at"]);
    // Ann's payout, exactly these fields: her three commissions' 70.25 EUR,
    // pending, for this month, to her own email.
    insta::assert_snapshot!(
        "ann_payout",
        snapshot::redacted(
            &ann_payout,
            &[
                (&id_of(&ann_payout), "[ann's payout]"),
                (&ann, "[ann]"),
                (&month, "[this month]"),
            ]
        )
    );

    let bob_payout = payout_of(&env, &bob).await;
    assert_eq!(num(&bob_payout["amount"]), "55.35");
    assert_eq!(
        (&bob_payout["payout_email"], &bob_payout["payment_count"]),
        (&json!("payments@bob.example"), &json!(2))
    );
    assert!(
        listed(&env, &format!("partner_id={cy}")).await.is_empty(),
        "49.99 is below the account's min_payout of 50"
    );

    let ann_id = id_of(&ann_payout);
    let bob_id = id_of(&bob_payout);
    assert_ne!(ann_id, bob_id);
    assert_eq!(payout_states(&env, &ann_paid).await, paid_by(&ann_id, 3));
    assert_eq!(payout_states(&env, &bob_paid).await, paid_by(&bob_id, 2));
    assert_eq!(payout_states(&env, &cy_small).await, unpaid(1));
    let waiting = read_commission(&env, &ann_waiting).await;
    assert_eq!(
        (&waiting["status"], &waiting["payout_status"]),
        (&json!("pending"), &json!("not_paid")),
        "a pending commission within its hold days is not paid"
    );

    // The list shows what a get shows.
    assert_eq!(get_payout(&env, &ann_id).await, ann_payout);
    let (all, envelope) = walk(&env, "").await;
    assert_eq!(
        (&envelope["entities"], &envelope["count"]),
        (&json!("Payout"), &json!(2))
    );
    assert_eq!(
        all.iter().map(id_of).collect::<BTreeSet<_>>(),
        BTreeSet::from([ann_id, bob_id])
    );
}

#[tokio::test]
async fn running_again_changes_nothing() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let (ann, paid) = earner(&env, "ann", &["60", "15.5"]).await;
    assert_eq!(report(&run(&env).await), did(0, 1, 2));
    let payouts = listed(&env, "").await;
    let commissions = env.get(COMMISSIONS).await.body;
    let items = env.item_count().await;

    let again = run(&env).await;
    assert_eq!(report(&again), did(0, 0, 0), "{again}");
    assert_eq!(listed(&env, "").await, payouts, "the payouts are unchanged");
    assert_eq!(env.get(COMMISSIONS).await.body, commissions);
    assert_eq!(env.item_count().await, items, "nothing was written");
    let payout = payout_of(&env, &ann).await;
    assert_eq!(num(&payout["amount"]), "75.5");
    assert_eq!(
        payout_states(&env, &paid).await,
        paid_by(&id_of(&payout), 2)
    );
}

#[tokio::test]
async fn a_run_takes_no_body_or_an_empty_one() {
    let env = TestEnv::new().await;
    let empty = env.post(PAYOUT_RUN, json!({})).await;
    assert_eq!(empty.status, StatusCode::OK, "{:?}", empty.body);
    assert_eq!(report(&empty.body["payoutRun"]), did(0, 0, 0));

    let null = env.post_raw(PAYOUT_RUN, "application/json", "null").await;
    assert_eq!(null.status, StatusCode::OK, "{:?}", null.body);

    let unknown = env.post(PAYOUT_RUN, json!({"period": "2026-01"})).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        unknown.body
    );
    assert_eq!(unknown.fields(), ["period"]);
    let malformed = env.post_raw(PAYOUT_RUN, "application/json", "{").await;
    assert_eq!(
        malformed.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        malformed.body
    );
    let not_json = env.post_raw(PAYOUT_RUN, "text/plain", "run please").await;
    assert_eq!(
        not_json.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        not_json.body
    );
}

// ---------------------------------------------------------------------------
// 2. Settling a payout
// ---------------------------------------------------------------------------

#[tokio::test]
async fn paid_is_final_and_marking_it_again_changes_nothing() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let (ann, commissions) = earner(&env, "ann", &["80"]).await;
    run(&env).await;
    let pending = payout_of(&env, &ann).await;
    let id = id_of(&pending);

    let paid = settle(&env, &id, "paid").await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    let payout = paid.body["payout"].clone();
    assert_eq!(payout["status"], json!("paid"));
    assert_ne!(payout["status_updated_at"], pending["status_updated_at"]);
    assert_eq!(
        (
            &payout["amount"],
            &payout["payment_count"],
            &payout["created_at"]
        ),
        (
            &pending["amount"],
            &pending["payment_count"],
            &pending["created_at"]
        )
    );
    assert_eq!(get_payout(&env, &id).await, payout);

    let again = settle(&env, &id, "paid").await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["payout"], payout, "a no-op: nothing changed");

    let items = env.item_count().await;
    let failed = settle(&env, &id, "failed").await;
    assert_eq!(failed.status, StatusCode::CONFLICT, "{:?}", failed.body);
    assert_eq!(failed.error_code(), "invalid_transition");
    assert_eq!(failed.message(), "a paid payout cannot be marked failed");
    assert_eq!(get_payout(&env, &id).await, payout);
    assert_eq!(payout_states(&env, &commissions).await, paid_by(&id, 1));
    assert_eq!(env.item_count().await, items, "nothing was written");
}

#[tokio::test]
async fn failed_hands_the_commissions_to_a_new_payout_on_the_next_run() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let ann = id_of(&partner(&env, "ann", None).await);
    let referral = customer(&env, "ann").await;
    let first = approved(&env, &referral, &["40", "12.34"], "first").await;
    run(&env).await;
    let pending = payout_of(&env, &ann).await;
    let old = id_of(&pending);
    assert_eq!(stored(&env, &old).await.attempt, 0);

    let failed = settle(&env, &old, "failed").await;
    assert_eq!(failed.status, StatusCode::OK, "{:?}", failed.body);
    let failed_payout = failed.body["payout"].clone();
    assert_eq!(failed_payout["status"], json!("failed"));
    assert_eq!(
        num(&failed_payout["amount"]),
        "52.34",
        "it keeps what it held"
    );
    assert_eq!(payout_states(&env, &first).await, unpaid(2));
    for id in &first {
        assert_eq!(read_commission(&env, id).await["status"], json!("approved"));
    }

    let again = settle(&env, &old, "failed").await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(
        again.body["payout"], failed_payout,
        "a no-op: nothing changed"
    );
    let paid = settle(&env, &old, "paid").await;
    assert_eq!(paid.status, StatusCode::CONFLICT, "{:?}", paid.body);
    assert_eq!(paid.error_code(), "invalid_transition");
    assert_eq!(paid.message(), "a failed payout cannot be marked paid");

    // One more commission meanwhile: the next payout holds all three.
    let later = approved(&env, &referral, &["5.01"], "later").await;
    assert_eq!(report(&run(&env).await), did(0, 1, 3));
    let payouts = listed(&env, &format!("partner_id={ann}")).await;
    assert_eq!(payouts.len(), 2, "{payouts:?}");
    let new = payouts
        .iter()
        .find(|p| p["status"] == json!("pending"))
        .expect("a new pending payout");
    let new_id = id_of(new);
    assert_ne!(new_id, old);
    assert_eq!(stored(&env, &new_id).await.attempt, 1);
    assert_eq!(num(&new["amount"]), "57.35");
    assert_eq!(
        (&new["payment_count"], &new["period"]),
        (&json!(3), &pending["period"])
    );
    assert_eq!(
        get_payout(&env, &old).await,
        failed_payout,
        "the failed one stays as it was"
    );
    let all: Vec<String> = first.iter().chain(&later).cloned().collect();
    assert_eq!(payout_states(&env, &all).await, paid_by(&new_id, 3));
}

#[tokio::test]
async fn failed_again_finishes_a_release_that_was_interrupted() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let (ann, commissions) = earner(&env, "ann", &["25", "25", "25"]).await;
    run(&env).await;
    let id = id_of(&payout_of(&env, &ann).await);

    // Marked failed, and the process died before it released anything.
    let account = Id::parse(&env.account_a).unwrap();
    let before = stored(&env, &id).await;
    let mut payout = before.clone();
    assert_eq!(payout.settle(Settlement::Failed, Utc::now()), Ok(true));
    let write = payouts::settle(&env.store, &account, &before, &payout).expect("a write");
    env.store.transact(vec![write]).await.expect("settled");
    assert_eq!(payout_states(&env, &commissions).await, paid_by(&id, 3));

    let reply = settle(&env, &id, "failed").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["payout"]["status"], json!("failed"));
    assert_eq!(payout_states(&env, &commissions).await, unpaid(3));
    assert_eq!(report(&run(&env).await), did(0, 1, 3));
}

#[tokio::test]
async fn a_failed_payout_releases_commissions_its_lagging_index_still_hides() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let (_, commissions) = earner(&env, "ann", &["25", "25", "25"]).await;
    // From here on, every write stays hidden from the next 4 index queries.
    let lag = Faults {
        transaction_conflict: 0.0,
        throttle: 0.0,
        unprocessed_keys: 0.0,
        index_lag: 4,
    };
    lag.apply(env.store.table()).await;
    assert_eq!(report(&run(&env).await), did(0, 1, 3));
    let id = read_commission(&env, &commissions[0]).await["payout_id"]
        .as_str()
        .expect("paid into a payout")
        .to_string();

    // Marked failed at once, while the payout's index partition still
    // looks empty: the release must not leave its commissions paid.
    let request = http::Request::builder()
        .method(Method::POST)
        .uri(settle_path(&id, "failed"))
        .header("authorization", format!("Bearer {}", env.key_a))
        .body(axum::body::Body::empty())
        .expect("a request");
    let reply = env.send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert!(
        harsh::injected(env.store.table()).await["index_lag"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "the index lagged behind the release"
    );
    assert_eq!(payout_states(&env, &commissions).await, unpaid(3));
}

#[tokio::test]
async fn concurrent_paid_and_failed_settle_once() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let (ann, commissions) = earner(&env, "ann", &["90"]).await;
    run(&env).await;
    let id = id_of(&payout_of(&env, &ann).await);

    let (paid, failed) = tokio::join!(settle(&env, &id, "paid"), settle(&env, &id, "failed"));
    let outcomes = [paid.status, failed.status];
    assert!(
        outcomes == [StatusCode::OK, StatusCode::CONFLICT]
            || outcomes == [StatusCode::CONFLICT, StatusCode::OK],
        "one wins, the other is refused: {:?} {:?}",
        paid.body,
        failed.body
    );
    let payout = get_payout(&env, &id).await;
    if paid.status == StatusCode::OK {
        assert_eq!(payout["status"], json!("paid"));
        assert_eq!(payout_states(&env, &commissions).await, paid_by(&id, 1));
    } else {
        assert_eq!(payout["status"], json!("failed"));
        assert_eq!(payout_states(&env, &commissions).await, unpaid(1));
    }
}

// ---------------------------------------------------------------------------
// 3. Lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn lists_filter_by_partner_status_and_period_and_page_with_a_cursor() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let mut partners = Vec::new();
    for handle in ["p1", "p2", "p3", "p4", "p5"] {
        partners.push(earner(&env, handle, &["50"]).await.0);
    }
    assert_eq!(report(&run(&env).await), did(0, 5, 5));
    let payout = |n: usize| {
        let env = &env;
        let partner = partners[n].clone();
        async move { id_of(&payout_of(env, &partner).await) }
    };
    let (paid, failed) = (payout(0).await, payout(1).await);
    assert_eq!(settle(&env, &paid, "paid").await.status, StatusCode::OK);
    assert_eq!(settle(&env, &failed, "failed").await.status, StatusCode::OK);
    let everyone: BTreeSet<String> = listed(&env, "").await.iter().map(id_of).collect();
    let pending: BTreeSet<String> = everyone
        .iter()
        .filter(|id| ![&paid, &failed].contains(id))
        .cloned()
        .collect();
    let month = this_month();
    let (p1, p3) = (&partners[0], &partners[2]);
    let p3_payout = payout(2).await;
    let none = BTreeSet::new();

    for (query, expected) in [
        (String::new(), &everyone),
        (format!("period={month}"), &everyone),
        ("period=2020-01".to_string(), &none),
        ("status=pending".to_string(), &pending),
        ("status=paid".to_string(), &BTreeSet::from([paid.clone()])),
        (
            "status=failed".to_string(),
            &BTreeSet::from([failed.clone()]),
        ),
        (format!("partner_id={p1}"), &BTreeSet::from([paid.clone()])),
        (
            format!("partner_id={p1}&status=paid"),
            &BTreeSet::from([paid.clone()]),
        ),
        (format!("partner_id={p1}&status=pending"), &none),
        (
            format!("partner_id={p3}&period={month}"),
            &BTreeSet::from([p3_payout.clone()]),
        ),
        (format!("partner_id={p3}&period=2020-01"), &none),
        (
            format!("period={month}&status=failed"),
            &BTreeSet::from([failed.clone()]),
        ),
        (format!("partner_id={NOWHERE}"), &none),
    ] {
        let (payouts, envelope) = walk(&env, &format!("size=2&{query}")).await;
        let ids: Vec<String> = payouts.iter().map(id_of).collect();
        let got: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(&got, expected, "{query}");
        assert_eq!(ids.len(), got.len(), "{query}: no repeats");
        assert_eq!(envelope["count"], json!(expected.len()), "{query}");
        assert_eq!(
            (&envelope["entities"], &envelope["per_page"]),
            (&json!("Payout"), &json!(2)),
            "{query}"
        );
        let max = expected.len().div_ceil(2).max(1);
        assert_eq!(envelope["pages"]["max"], json!(max), "{query}");
    }

    // `page` reaches what the cursor leads to; the last page has no cursor.
    let first = env.get(&format!("{PAYOUTS}?size=2")).await;
    let cursor = first.body["pages"]["next_cursor"]
        .as_str()
        .expect("a cursor");
    let followed = env.get(&format!("{PAYOUTS}?size=2&cursor={cursor}")).await;
    let second = env.get(&format!("{PAYOUTS}?size=2&page=2")).await;
    assert_eq!(followed.body["pages"]["current"], json!(2));
    assert_eq!(followed.body["elements"], second.body["elements"]);
    let last = env.get(&format!("{PAYOUTS}?size=2&page=3")).await;
    assert_eq!(last.body["elements"].as_array().unwrap().len(), 1);
    assert!(
        last.body["pages"].get("next_cursor").is_none(),
        "{:?}",
        last.body
    );
}

#[tokio::test]
async fn bad_filters_name_the_parameter_and_unknown_payouts_are_404() {
    let env = TestEnv::new().await;
    for (query, parameter) in [
        ("status=gone", "status"),
        ("status=PAID", "status"),
        ("period=2026-13", "period"),
        ("period=2026-1", "period"),
        ("period=yesterday", "period"),
        ("partner_id=nope", "partner_id"),
        ("size=0", "size"),
        ("size=101", "size"),
        ("page=0", "page"),
        ("cursor=forged", "cursor"),
    ] {
        let reply = env.get(&format!("{PAYOUTS}?{query}")).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "validation_failed", "{query}");
        assert_eq!(reply.fields(), [parameter], "{query}: {:?}", reply.body);
    }

    let unknown = env.get(&payout_path(NOWHERE)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    assert_eq!(unknown.message(), "payout not found");
    for path in [
        payout_path("nope"),
        settle_path(NOWHERE, "paid"),
        settle_path(NOWHERE, "failed"),
        settle_path("nope", "paid"),
    ] {
        let method = if path.ends_with("/paid.json") || path.ends_with("/failed.json") {
            Method::POST
        } else {
            Method::GET
        };
        let reply = env.call(method, &path, Some(&env.key_a), None).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {:?}",
            reply.body
        );
    }
    let get_run = env.get(PAYOUT_RUN).await;
    assert_eq!(get_run.status, StatusCode::NOT_FOUND, "{:?}", get_run.body);
}

// ---------------------------------------------------------------------------
// 4. Access
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_route_checks_key_scope_and_tenant() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let (ann, ann_commissions) = earner(&env, "ann", &["70"]).await;
    run(&env).await;
    let original = payout_of(&env, &ann).await;
    let id = id_of(&original);
    // Payable but not yet in a payout: no other account's run may pay it.
    let (bob, bob_commissions) = earner(&env, "bob", &["65"]).await;
    let routes = [
        Route::collection(Method::GET, PAYOUTS, "payouts:read"),
        Route::object(Method::GET, payout_path(&id), "payouts:read"),
        Route::object(Method::POST, settle_path(&id, "paid"), "payouts:write"),
        Route::object(Method::POST, settle_path(&id, "failed"), "payouts:write"),
        Route::collection(Method::POST, PAYOUT_RUN, "payouts:write"),
    ];
    let wrong = env.key_with_scopes(&["commissions:*"]).await;
    let read_only = env.key_with_scopes(&["payouts:read"]).await;
    let before = env.item_count().await;
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
    assert_other_accounts_get_404(&env, &routes, "payout not found").await;

    // Account B's run finds nothing of A's to approve or pay.
    assert_eq!(report(&run_with(&env, &env.key_b).await), did(0, 0, 0));
    let b_list = env.call(Method::GET, PAYOUTS, Some(&env.key_b), None).await;
    assert_eq!(
        (&b_list.body["count"], &b_list.body["elements"]),
        (&json!(0), &json!([]))
    );
    assert_eq!(env.item_count().await, before, "nothing was written");
    assert_eq!(
        get_payout(&env, &id).await,
        original,
        "A's payout is untouched"
    );
    assert_eq!(payout_states(&env, &ann_commissions).await, paid_by(&id, 1));
    assert_eq!(payout_states(&env, &bob_commissions).await, unpaid(1));

    // A's own run still pays Bob.
    assert_eq!(report(&run(&env).await), did(0, 1, 1));
    let bob_payout = id_of(&payout_of(&env, &bob).await);
    assert_eq!(
        payout_states(&env, &bob_commissions).await,
        paid_by(&bob_payout, 1)
    );
}

// ---------------------------------------------------------------------------
// 5. Request budget
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_get_is_one_request_a_list_page_two_and_a_settlement_two() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let mut partners = Vec::new();
    for handle in ["b1", "b2", "b3"] {
        partners.push(earner(&env, handle, &["51"]).await.0);
    }
    run(&env).await;
    let id = id_of(&payout_of(&env, &partners[0]).await);
    env.counter.take();

    let read = env.get(&payout_path(&id)).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(env.counter.take(), ["BatchGetItem"]);

    for query in [
        "size=2".to_string(),
        format!("size=2&partner_id={}", partners[1]),
    ] {
        let first = env.get(&format!("{PAYOUTS}?{query}")).await;
        assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
        assert_eq!(env.counter.take(), ["BatchGetItem", "Query"], "{query}");
        if let Some(cursor) = first.body["pages"]["next_cursor"].as_str() {
            let deep = env.get(&format!("{PAYOUTS}?{query}&cursor={cursor}")).await;
            assert_eq!(deep.status, StatusCode::OK, "{:?}", deep.body);
            assert_eq!(
                env.counter.take(),
                ["BatchGetItem", "Query"],
                "{query}, page 2"
            );
        }
    }
    for query in [
        "size=2&status=pending".to_string(),
        format!("period={}", this_month()),
    ] {
        let reply = env.get(&format!("{PAYOUTS}?{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let ops = env.counter.take();
        assert!(ops.len() <= 3, "{query}: page and count: {ops:?}");
    }

    let paid = settle(&env, &id, "paid").await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    assert_eq!(env.counter.take(), ["BatchGetItem", "TransactWriteItems"]);
    let again = settle(&env, &id, "paid").await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(
        env.counter.take(),
        ["BatchGetItem"],
        "a no-op writes nothing"
    );
}
