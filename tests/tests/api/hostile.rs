//! Hostile callers against the emulator: amounts past `money::MAX_AMOUNT`
//! and numbers no decimal holds, the bug report's overflow and refund panic,
//! table-key values too long in UTF-8 bytes, codes that are no codes,
//! cursors forged or steered outside their range, unknown keys and missing
//! scopes with bad requests (authentication first), the webhook secret's
//! extra scope, every unverifiable Stripe delivery answered alike, oversized
//! deliveries, and a payout run that goes on past an unreadable item or
//! account. Every refusal is a 4xx naming what was wrong and writes nothing;
//! no case may answer 5xx.

use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use chrono::{Duration, Utc};
use harness::budget::Unlimited;
use harness::iam::acting_as;
use harness::json::exact;
use harness::objects::created;
use harness::paths::{
    ACCOUNT, CAMPAIGNS, COMMISSIONS, GROUPS, KEYS, PARTNERS, PAYOUT_RUN, REFERRALS, REFUNDS, SALES,
    SIMULATE, webhook_path,
};
use harness::{Reply, TestEnv, seed};
use http::{Method, Request, StatusCode};
use ledger_app::payout_run::PayoutRun;
use ledger_core::model::Id;
use ledger_core::stripe::sign;
use ledger_store::{IndexEntry, Key, accounts};
use serde_json::{Value, json};

const SECRET: &str = "whsec_hostile_secret";
const OVER_MAX: &str = "1000000001";
const AT_MOST_MAX: &str = "must be at most 1000000000";
/// `rust_decimal::Decimal::MAX`: the amount of the bug report.
const DECIMAL_MAX: &str = "79228162514264337593543950335";
/// A character of four UTF-8 bytes.
const CLEF: &str = "𝄞";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The message given for `field`, if the reply names it.
fn field_message<'a>(reply: &'a Reply, field: &str) -> Option<&'a str> {
    reply.body["error"]["fields"]
        .as_array()?
        .iter()
        .find(|e| e["field"] == json!(field))?["message"]
        .as_str()
}

/// Sends one request with A's `*` key.
async fn send_a(env: &TestEnv, method: Method, path: &str, body: Value) -> Reply {
    env.call(method, path, Some(&env.key_a), Some(body)).await
}

/// Sends one request with `authorization` as given and a raw body.
async fn send_raw(
    env: &TestEnv,
    method: Method,
    path: &str,
    authorization: &str,
    body: &str,
) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", authorization)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("valid request");
    env.send(request).await
}

/// What account A's ledger holds for the money cases: a default group
/// paying 10 %, a partner, a referral and one recorded sale event.
struct Program {
    partner: String,
    referral: String,
    sale_event: &'static str,
}

async fn default_group(env: &TestEnv, key: &str) {
    created(env, key, GROUPS, seed::default_group()).await;
}

async fn partner(env: &TestEnv, key: &str, handle: &str) -> String {
    let body = created(env, key, PARTNERS, seed::partner_create(handle)).await;
    body["partner"]["id"].as_str().unwrap().to_string()
}

async fn referral(env: &TestEnv, code: &str, email: &str) -> String {
    let body = created(
        env,
        &env.key_a,
        REFERRALS,
        seed::referral_create(email, code),
    )
    .await;
    body["referral"]["id"].as_str().unwrap().to_string()
}

async fn program(env: &TestEnv) -> Program {
    default_group(env, &env.key_a).await;
    let partner = partner(env, &env.key_a, "ann").await;
    let referral = referral(env, "ann", "customer@example.org").await;
    let sale_event = "sale_base";
    created(
        env,
        &env.key_a,
        SALES,
        sale(&referral, sale_event, exact("200")),
    )
    .await;
    Program {
        partner,
        referral,
        sale_event,
    }
}

fn sale(referral: &str, event: &str, amount: Value) -> Value {
    json!({"event": {"event_id": event, "referral_id": referral, "amount": amount}})
}

fn refund(event: &str, sale_event: &str, amount: Value) -> Value {
    json!({"event": {"event_id": event, "sale_event_id": sale_event, "amount": amount}})
}

fn custom(partner: &str, amount: Value, event: &str) -> Value {
    json!({"commission": {"commission_type": "custom", "partner_id": partner, "amount": amount, "event_id": event}})
}

fn group_with(rule: Value) -> Value {
    json!({"partnerGroup": {"name": "Hostile", "rules": [{"type": "recurring", "percentage": 10}, rule]}})
}

/// One place a caller sends an amount of money.
struct AmountCase {
    label: &'static str,
    method: Method,
    path: &'static str,
    body: Value,
    field: &'static str,
    /// Money in the account's currency (EUR): finer than a cent is refused.
    /// Rule, campaign and simulation parameters are currency-free.
    in_currency: bool,
}

/// Every amount field of the API, each carrying `amount`.
fn amount_cases(p: &Program, amount: &Value) -> Vec<AmountCase> {
    let a = || amount.clone();
    let case = |label, method, path, body, field, in_currency| AmountCase {
        label,
        method,
        path,
        body,
        field,
        in_currency,
    };
    let mut sale_commission = seed::commission_firstpromoter_sale(&p.referral);
    sale_commission["commission"]["sale_amount"] = a();
    sale_commission["commission"]["event_id"] = json!("evt_hostile_sale");
    let mut revenue = seed::commission_promotekit(&p.referral);
    revenue["commission"]["revenue_amount"] = a();
    let mut commission_amount = seed::commission_promotekit(&p.referral);
    commission_amount["commission"]["commission_amount"] = a();
    let mut campaign = seed::campaign_create("Hostile");
    campaign["campaign"]["commission_type"] = json!("fixed");
    campaign["campaign"]["commission_amount"] = a();
    let mut charge = seed::simulation();
    charge["partnerGroupSimulation"]["simulation"]["charge_amount"] = a();
    vec![
        case(
            "commission sale_amount",
            Method::POST,
            COMMISSIONS,
            sale_commission,
            "commission.sale_amount",
            true,
        ),
        case(
            "commission revenue_amount",
            Method::POST,
            COMMISSIONS,
            revenue,
            "commission.revenue_amount",
            true,
        ),
        case(
            "commission commission_amount",
            Method::POST,
            COMMISSIONS,
            commission_amount,
            "commission.commission_amount",
            true,
        ),
        case(
            "custom commission amount",
            Method::POST,
            COMMISSIONS,
            custom(&p.partner, a(), "evt_hostile_custom"),
            "commission.amount",
            true,
        ),
        case(
            "sale event amount",
            Method::POST,
            SALES,
            sale(&p.referral, "sale_hostile", a()),
            "event.amount",
            true,
        ),
        case(
            "refund event amount",
            Method::POST,
            REFUNDS,
            refund("refund_hostile", p.sale_event, a()),
            "event.amount",
            true,
        ),
        case(
            "account min_payout",
            Method::PUT,
            ACCOUNT,
            json!({"account": {"min_payout": a()}}),
            "account.min_payout",
            true,
        ),
        case(
            "recurring rule amount",
            Method::POST,
            GROUPS,
            json!({"partnerGroup": {"name": "Hostile", "rules": [{"type": "recurring", "amount": a()}]}}),
            "partnerGroup.rules[0].amount",
            false,
        ),
        case(
            "first payment rule amount",
            Method::POST,
            GROUPS,
            group_with(json!({"type": "first_payment", "amount": a()})),
            "partnerGroup.rules[1].amount",
            false,
        ),
        case(
            "charge threshold bonus",
            Method::POST,
            GROUPS,
            group_with(
                json!({"type": "charge_threshold_bonus", "min_charge_total": 100, "bonus": a()}),
            ),
            "partnerGroup.rules[1].bonus",
            false,
        ),
        case(
            "charge threshold min_charge_total",
            Method::POST,
            GROUPS,
            group_with(
                json!({"type": "charge_threshold_bonus", "min_charge_total": a(), "bonus": 5}),
            ),
            "partnerGroup.rules[1].min_charge_total",
            false,
        ),
        case(
            "ltv upgrade min_ltv_total",
            Method::POST,
            GROUPS,
            group_with(
                json!({"type": "partner_ltv_upgrade", "min_ltv_total": a(), "upgrade_percentage": 5}),
            ),
            "partnerGroup.rules[1].min_ltv_total",
            false,
        ),
        case(
            "campaign fixed commission_amount",
            Method::POST,
            CAMPAIGNS,
            campaign,
            "campaign.commission_amount",
            false,
        ),
        case(
            "simulation charge_amount",
            Method::POST,
            SIMULATE,
            charge,
            "partnerGroupSimulation.simulation.charge_amount",
            false,
        ),
    ]
}

// ---------------------------------------------------------------------------
// Money bounds
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_amount_over_the_bound_is_a_422_naming_its_field_and_writes_nothing() {
    let env = TestEnv::new().await;
    let p = program(&env).await;
    let before = env.item_count().await;
    for case in amount_cases(&p, &exact(OVER_MAX)) {
        let reply = send_a(&env, case.method, case.path, case.body).await;
        reply.assert_names(case.field, case.label);
        assert_eq!(
            field_message(&reply, case.field),
            Some(AT_MOST_MAX),
            "{}: {:?}",
            case.label,
            reply.body
        );
        assert_eq!(env.item_count().await, before, "{}: wrote", case.label);
    }
    let account = env.get(ACCOUNT).await;
    assert_eq!(account.body["account"]["min_payout"], json!(50));
}

#[tokio::test]
async fn numbers_no_amount_can_hold_are_4xx_and_never_5xx() {
    let env = TestEnv::new().await;
    let p = program(&env).await;
    for text in [DECIMAL_MAX, "1e400", "-1", "0.001", "1e-30"] {
        // Finer than a cent is only wrong where the money is in a currency:
        // rule, campaign and simulation parameters are currency-free (a
        // 0.001 fixed rule pays KWD 0.001), so there they need only not 5xx.
        let always_refused = !matches!(text, "0.001" | "1e-30");
        for case in amount_cases(&p, &exact(text)) {
            let before = env.item_count().await;
            let label = format!("{} = {text}", case.label);
            let reply = send_a(&env, case.method, case.path, case.body).await;
            assert!(
                !reply.status.is_server_error(),
                "{label}: {} {:?}",
                reply.status,
                reply.body
            );
            if always_refused || case.in_currency {
                reply.assert_names(case.field, &label);
                assert_eq!(env.item_count().await, before, "{label}: wrote");
            }
        }
    }
}

#[tokio::test]
async fn the_reported_overflowing_commission_is_refused_and_reads_and_runs_still_answer() {
    let env = TestEnv::new().await;
    let p = program(&env).await;
    let before = env.item_count().await;
    let reply = env
        .post(
            COMMISSIONS,
            custom(&p.partner, exact(DECIMAL_MAX), "evt_overflow"),
        )
        .await;
    reply.assert_names("commission.amount", "Decimal::MAX");
    assert_eq!(
        field_message(&reply, "commission.amount"),
        Some(AT_MOST_MAX)
    );
    assert_eq!(env.item_count().await, before);

    let partner = env
        .get(&format!("/2026-02-01/partners/{}.json", p.partner))
        .await;
    assert_eq!(partner.status, StatusCode::OK, "{:?}", partner.body);
    let next = env
        .post(COMMISSIONS, custom(&p.partner, exact("25"), "evt_next"))
        .await;
    assert_eq!(next.status, StatusCode::CREATED, "{:?}", next.body);
    let run = env.post(PAYOUT_RUN, json!({})).await;
    assert!(run.status.is_success(), "{} {:?}", run.status, run.body);
}

#[tokio::test]
async fn a_sale_at_the_bound_refunds_exactly_and_one_past_it_is_refused() {
    let env = TestEnv::new().await;
    default_group(&env, &env.key_a).await;
    let max = partner(&env, &env.key_a, "max").await;
    let customer = referral(&env, "max", "big@example.org").await;

    let before = env.item_count().await;
    let huge = env
        .post(
            SALES,
            sale(&customer, "sale_huge", exact("300000000000000")),
        )
        .await;
    huge.assert_names("event.amount", "sale of 300000000000000");
    assert_eq!(field_message(&huge, "event.amount"), Some(AT_MOST_MAX));
    let its_refund = env
        .post(
            REFUNDS,
            refund("refund_huge", "sale_huge", exact("300000000000000")),
        )
        .await;
    assert!(
        its_refund.status.is_client_error(),
        "{} {:?}",
        its_refund.status,
        its_refund.body
    );
    assert_eq!(env.item_count().await, before);

    let at_max = env
        .post(SALES, sale(&customer, "sale_max", exact("1000000000")))
        .await;
    assert_eq!(at_max.status, StatusCode::CREATED, "{:?}", at_max.body);
    let commission = at_max.body["event"]["commission"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        at_max.body["event"]["commission"]["amount"],
        json!(100000000)
    );
    let full = env
        .post(
            REFUNDS,
            refund("refund_max", "sale_max", exact("1000000000")),
        )
        .await;
    assert_eq!(full.status, StatusCode::CREATED, "{:?}", full.body);
    let after = env
        .get(&format!("/2026-02-01/commissions/{commission}.json"))
        .await;
    assert_eq!(after.status, StatusCode::OK, "{:?}", after.body);
    assert_eq!(after.body["commission"]["status"], json!("refunded"));
    assert_eq!(after.body["commission"]["amount"], json!(0));
    assert_eq!(
        after.body["commission"]["refunded_amount"],
        json!(1000000000)
    );
    let stats = env.get(&format!("/2026-02-01/partners/{max}.json")).await;
    assert_eq!(
        (
            &stats.body["partner"]["ltv_total"],
            &stats.body["partner"]["commissions_total"]
        ),
        (&json!(0), &json!(0)),
        "a full refund at the bound nets to zero exactly: {:?}",
        stats.body
    );
}

// ---------------------------------------------------------------------------
// Values that become table keys
// ---------------------------------------------------------------------------

#[tokio::test]
async fn key_values_are_limited_in_utf8_bytes_not_characters() {
    let env = TestEnv::new().await;
    let p = program(&env).await;
    let too_long = CLEF.repeat(255); // 255 characters, 1020 bytes
    // 63 four-byte characters (252 bytes), told apart by the last one:
    // commissions and sale events share the event ids.
    let fits = |last: char| format!("{}{last}", CLEF.repeat(62));
    let fp_sale = |event: &str| {
        let mut body = seed::commission_firstpromoter_sale(&p.referral);
        body["commission"]["event_id"] = json!(event);
        body
    };
    let promotekit = |field: &str, value: &str| {
        let mut body = seed::commission_promotekit(&p.referral);
        body["commission"][field] = json!(value);
        body
    };
    let before = env.item_count().await;
    let cases = [
        (
            "FirstPromoter event_id",
            COMMISSIONS,
            fp_sale(&too_long),
            "commission.event_id",
        ),
        (
            "256 ASCII bytes",
            COMMISSIONS,
            fp_sale(&"e".repeat(256)),
            "commission.event_id",
        ),
        (
            "PromoteKit stripe_payment_id",
            COMMISSIONS,
            promotekit("stripe_payment_id", &too_long),
            "commission.stripe_payment_id",
        ),
        (
            "plan_id",
            COMMISSIONS,
            promotekit("plan_id", &too_long),
            "commission.plan_id",
        ),
        (
            "sale event_id",
            SALES,
            sale(&p.referral, &too_long, exact("10")),
            "event.event_id",
        ),
        (
            "refund event_id",
            REFUNDS,
            refund(&too_long, p.sale_event, exact("1")),
            "event.event_id",
        ),
        (
            "refund sale_event_id",
            REFUNDS,
            refund("refund_k", &too_long, exact("1")),
            "event.sale_event_id",
        ),
    ];
    for (case, path, body, field) in cases {
        let reply = env.post(path, body).await;
        reply.assert_names(field, case);
        assert_eq!(env.item_count().await, before, "{case}: wrote");
    }

    for (case, path, body) in [
        ("63 clefs as event_id", COMMISSIONS, fp_sale(&fits('𝄢'))),
        ("255 ASCII bytes", COMMISSIONS, fp_sale(&"e".repeat(255))),
        (
            "63 clefs as stripe_payment_id",
            COMMISSIONS,
            promotekit("stripe_payment_id", &fits('𝄢')),
        ),
        (
            "63 clefs as sale event_id",
            SALES,
            sale(&p.referral, &fits('🦀'), exact("10")),
        ),
        (
            "63 clefs as refund event_id",
            REFUNDS,
            refund(&fits('🎉'), p.sale_event, exact("1")),
        ),
    ] {
        let reply = env.post(path, body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{case}: {:?}",
            reply.body
        );
    }
    let replay = env
        .post(SALES, sale(&p.referral, &fits('🦀'), exact("10")))
        .await;
    assert_eq!(
        replay.status,
        StatusCode::OK,
        "a 252-byte key finds its event again: {:?}",
        replay.body
    );
}

#[tokio::test]
async fn codes_that_are_no_codes_are_422_and_write_nothing() {
    let env = TestEnv::new().await;
    program(&env).await;
    let before = env.item_count().await;
    let email = "coded@example.org";
    let long = "a".repeat(2000);
    let mut partner_link = seed::partner_create("longlink");
    partner_link["partner"]["links"][0]["code"] = json!(long);
    let mut partner_promo = seed::partner_create("longpromo");
    partner_promo["partner"]["promo_codes"][0]["code"] = json!(CLEF.repeat(600));
    let cases = [
        (
            "2000-char link code",
            REFERRALS,
            json!({"referral": {"email": email, "code": long}}),
            "referral.code",
        ),
        (
            "2000-char promo code",
            REFERRALS,
            json!({"referral": {"email": email, "promo_code": long}}),
            "referral.promo_code",
        ),
        (
            "65-char link code",
            REFERRALS,
            json!({"referral": {"email": email, "code": "a".repeat(65)}}),
            "referral.code",
        ),
        (
            "non-ASCII link code",
            REFERRALS,
            json!({"referral": {"email": email, "code": CLEF.repeat(16)}}),
            "referral.code",
        ),
        (
            "empty promo code",
            REFERRALS,
            json!({"referral": {"email": email, "promo_code": ""}}),
            "referral.promo_code",
        ),
        (
            "partner link code",
            PARTNERS,
            partner_link,
            "partner.links[0].code",
        ),
        (
            "partner promo code",
            PARTNERS,
            partner_promo,
            "partner.promo_codes[0].code",
        ),
    ];
    for (case, path, body, field) in cases {
        let reply = env.post(path, body).await;
        reply.assert_names(field, case);
        assert_eq!(env.item_count().await, before, "{case}: wrote");
    }
}

// ---------------------------------------------------------------------------
// Cursors
// ---------------------------------------------------------------------------

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding, as the API writes cursors.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Vec<u8> {
    let sextets: Vec<u32> = text
        .bytes()
        .map(|c| BASE64URL.iter().position(|b| *b == c).expect("base64url") as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in sextets.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, s)| n | (s << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// `cursor` with the id it continues after replaced by `id`, its list kept:
/// what a caller who read the (unsigned) token can forge.
fn steered(cursor: &str, id: &str) -> String {
    let text = String::from_utf8(unbase64url(cursor)).expect("a text cursor");
    let parts: Vec<&str> = text.split(':').collect();
    assert_eq!(parts.len(), 3, "cursor is page:id:list, got {text}");
    base64url(format!("{}:{id}:{}", parts[0], parts[2]).as_bytes())
}

fn next_cursor(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["pages"]["next_cursor"]
        .as_str()
        .expect("more pages follow")
        .to_string()
}

/// Never a 5xx: either the 422 naming `cursor` or a well-formed page.
fn assert_cursor_refused_or_page(reply: &Reply, case: &str) {
    match reply.status {
        StatusCode::OK => assert!(
            reply.body["elements"].is_array(),
            "{case}: {:?}",
            reply.body
        ),
        _ => reply.assert_names("cursor", case),
    }
}

#[tokio::test]
async fn cursors_outside_their_range_never_500_and_forged_ones_are_422() {
    let env = TestEnv::new().await;
    let p = program(&env).await;
    partner(&env, &env.key_a, "bob").await;
    for n in 0..3 {
        let reply = env
            .post(
                COMMISSIONS,
                custom(&p.partner, exact("5"), &format!("evt_page_{n}")),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let unfiltered = next_cursor(&env.get(&format!("{COMMISSIONS}?size=1")).await);
    let range = "from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z";
    let in_range = next_cursor(&env.get(&format!("{COMMISSIONS}?{range}&size=1")).await);
    let partners = next_cursor(&env.get(&format!("{PARTNERS}?size=1")).await);

    let outside = [
        (
            "unfiltered cursor, every id after `to`",
            format!("{COMMISSIONS}?to=2020-01-01T00:00:00Z&cursor={unfiltered}"),
        ),
        (
            "unfiltered cursor, every id before `from`",
            format!("{COMMISSIONS}?from=2090-01-01T00:00:00Z&cursor={unfiltered}"),
        ),
        (
            "unfiltered cursor in a range",
            format!("{COMMISSIONS}?{range}&cursor={unfiltered}"),
        ),
        (
            "its own list, steered before the range",
            format!(
                "{COMMISSIONS}?{range}&cursor={}",
                steered(&in_range, "000000000000000000000000")
            ),
        ),
        (
            "its own list, steered past the range",
            format!(
                "{COMMISSIONS}?{range}&cursor={}",
                steered(&in_range, "ffffffffffffffffffffffff")
            ),
        ),
    ];
    for (case, path) in outside {
        let reply = env.get(&path).await;
        assert_cursor_refused_or_page(&reply, case);
    }
    let own = env
        .get(&format!("{COMMISSIONS}?{range}&size=1&cursor={in_range}"))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);

    let forged = [
        ("random base64", "bm9wZQ".to_string()),
        (
            "random bytes",
            base64url(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]),
        ),
        ("not base64", "%25%25%25".to_string()),
        (
            "well-formed, unknown list",
            base64url(b"2:68f76721a1b2c3d4e5f60718:00000000"),
        ),
        ("page 0", base64url(b"0:68f76721a1b2c3d4e5f60718:00000000")),
        ("the partners list's", partners.clone()),
        ("a ranged list's", in_range.clone()),
    ];
    for (case, cursor) in &forged {
        let reply = env.get(&format!("{COMMISSIONS}?cursor={cursor}")).await;
        reply.assert_names("cursor", case);
    }
    // A cursor of its own list steered past the end is a position like any
    // other: a page (empty), or a 422, never a 5xx.
    let steered_unfiltered = steered(&unfiltered, "ffffffffffffffffffffffff");
    let reply = env
        .get(&format!("{COMMISSIONS}?cursor={steered_unfiltered}"))
        .await;
    assert_cursor_refused_or_page(&reply, "the unfiltered list's, steered");
    let other_filter = env
        .get(&format!(
            "{COMMISSIONS}?partner_id={}&cursor={unfiltered}",
            p.partner
        ))
        .await;
    other_filter.assert_names("cursor", "another filter's cursor");
}

/// The activity log's filters and cursor at their extremes: each a page or
/// a 422 naming the field, never a 5xx.
#[tokio::test]
async fn activity_log_filters_and_cursors_at_their_extremes_never_500() {
    const EVENTS: &str = "/2026-02-01/events.json";
    let env = TestEnv::new().await;
    let p = program(&env).await;
    for n in 0..3 {
        let reply = env
            .post(
                COMMISSIONS,
                custom(&p.partner, exact("5"), &format!("evt_log_{n}")),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let cursor = next_cursor(&env.get(&format!("{EVENTS}?size=1")).await);
    let typed = next_cursor(
        &env.get(&format!("{EVENTS}?type=commission.created&size=1"))
            .await,
    );
    let long_id = "a".repeat(5_000);
    // (the field a 422 names, or None for a page; the case; the query)
    let cases: Vec<(Option<&str>, &str, String)> = vec![
        (None, "from at year 1", "from=0001-01-01T00:00:00Z".into()),
        (None, "to at year 9999", "to=9999-12-31T23:59:59Z".into()),
        (
            Some("from"),
            "from past year 9999",
            "from=+275760-09-13T00:00:00Z".into(),
        ),
        (
            Some("from"),
            "from without a zone",
            "from=2026-02-01T00:00:00".into(),
        ),
        (
            Some("to"),
            "to before from",
            "from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z".into(),
        ),
        (
            Some("type"),
            "an unknown type",
            "type=commission.exploded".into(),
        ),
        (Some("type"), "a wildcard type", "type=commission.*".into()),
        (
            Some("object_id"),
            "a 5,000-byte object id",
            format!("object_id={long_id}"),
        ),
        (
            Some("object_id"),
            "a control character",
            "object_id=%00".into(),
        ),
        (Some("size"), "size 0", "size=0".into()),
        (Some("size"), "size 1000", "size=1000".into()),
        (Some("cursor"), "random base64", "cursor=bm9wZQ".into()),
        (Some("cursor"), "not base64", "cursor=%25%25%25".into()),
        (
            Some("cursor"),
            "random bytes",
            format!("cursor={}", base64url(&[0xde, 0xad, 0xbe, 0xef])),
        ),
        (
            Some("cursor"),
            "another filter's cursor",
            format!("cursor={typed}"),
        ),
        // A cursor of its own list steered is a position like any other.
        (
            None,
            "steered to the lowest id",
            format!("cursor={}", steered(&cursor, "000000000000000000000000")),
        ),
        (
            None,
            "steered to the highest id",
            format!("cursor={}", steered(&cursor, "ffffffffffffffffffffffff")),
        ),
        (
            Some("cursor"),
            "a cursor in a time range before every event",
            format!("from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&cursor={cursor}"),
        ),
        (
            Some("cursor"),
            "a cursor in a range at the end of time",
            format!("from=9999-01-01T00:00:00Z&cursor={cursor}"),
        ),
    ];
    for (refused, case, query) in &cases {
        let reply = env.get(&format!("{EVENTS}?{query}")).await;
        match refused {
            None => {
                assert_eq!(reply.status, StatusCode::OK, "{case}: {:?}", reply.body);
                assert!(
                    reply.body["elements"].is_array(),
                    "{case}: {:?}",
                    reply.body
                );
            }
            Some(field) => reply.assert_names(field, case),
        }
    }
    let own = env.get(&format!("{EVENTS}?size=1&cursor={cursor}")).await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    assert_eq!(own.body["elements"].as_array().map(Vec::len), Some(1));
}

// ---------------------------------------------------------------------------
// Authentication first
// ---------------------------------------------------------------------------

/// Requests wrong in body, path or query, as `(case, method, path, body)`.
fn bad_requests() -> Vec<(&'static str, Method, &'static str, &'static str)> {
    vec![
        ("empty body", Method::POST, GROUPS, "{}"),
        (
            "malformed JSON",
            Method::POST,
            GROUPS,
            r#"{"partnerGroup": ["#,
        ),
        (
            "bad commission",
            Method::POST,
            COMMISSIONS,
            r#"{"commission": {"amount": "lots"}}"#,
        ),
        ("bad sale event", Method::POST, SALES, r#"{"event": {}}"#),
        (
            "bad account settings",
            Method::PUT,
            ACCOUNT,
            r#"{"account": {"colour": 1}}"#,
        ),
        ("bad key create", Method::POST, KEYS, r#"{"apiKey": {}}"#),
        (
            "bad path id",
            Method::GET,
            "/2026-02-01/partners/groups/nope.json",
            "",
        ),
        (
            "bad partner id",
            Method::GET,
            "/2026-02-01/partners/nope.json",
            "",
        ),
        (
            "unknown commission",
            Method::GET,
            "/2026-02-01/commissions/68f76721a1b2c3d4e5f60718.json",
            "",
        ),
        (
            "bad approve id",
            Method::POST,
            "/2026-02-01/commissions/nope/approve.json",
            "",
        ),
        (
            "bad key id",
            Method::DELETE,
            "/2026-02-01/api_keys/nope.json",
            "",
        ),
        (
            "size=0",
            Method::GET,
            "/2026-02-01/partners/groups.json?size=0",
            "",
        ),
        (
            "forged cursor",
            Method::GET,
            "/2026-02-01/commissions.json?cursor=bm9wZQ",
            "",
        ),
        (
            "bad payout status",
            Method::GET,
            "/2026-02-01/payouts.json?status=nope",
            "",
        ),
    ]
}

/// A's key with one character of its secret part changed.
fn with_wrong_secret(key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    let last = chars.last_mut().expect("a key");
    *last = if *last == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn an_unknown_or_deleted_key_is_401_whatever_else_is_wrong() {
    let env = TestEnv::new().await;
    let made = env
        .post(KEYS, json!({"apiKey": {"name": "gone", "scopes": ["*"]}}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let deleted = made.body["apiKey"]["key"].as_str().unwrap().to_string();
    let id = made.body["apiKey"]["id"].as_str().unwrap();
    let gone = env.delete(&format!("/2026-02-01/api_keys/{id}.json")).await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    let forged = with_wrong_secret(&env.key_a);
    assert_ne!(forged, env.key_a);

    let before = env.item_count().await;
    for (who, key) in [("wrong secret", &forged), ("deleted key", &deleted)] {
        for (case, method, path, body) in bad_requests() {
            let reply = send_raw(&env, method, path, &format!("Bearer {key}"), body).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{who}, {case}: {:?}",
                reply.body
            );
            assert_eq!(reply.error_code(), "unauthorized", "{who}, {case}");
        }
    }
    assert_eq!(env.item_count().await, before, "no refused request wrote");
}

#[tokio::test]
async fn a_key_without_the_routes_scope_is_403_whatever_else_is_wrong() {
    let env = TestEnv::new().await;
    let narrow = env.key_with_scopes(&["referrals:read"]).await;
    let before = env.item_count().await;
    for (case, method, path, body) in bad_requests() {
        let scope = match path {
            GROUPS => "partner_groups:write",
            COMMISSIONS => "commissions:write",
            SALES => "events:write",
            ACCOUNT => "account:write",
            KEYS => "api_keys:write",
            p if p.starts_with("/2026-02-01/partners/groups") => "partner_groups:read",
            p if p.starts_with("/2026-02-01/partners/") => "partners:read",
            p if p.contains("approve") => "commissions:write",
            p if p.starts_with("/2026-02-01/commissions") => "commissions:read",
            p if p.starts_with("/2026-02-01/api_keys/") => "api_keys:write",
            p if p.starts_with("/2026-02-01/payouts") => "payouts:read",
            other => panic!("no scope known for {other}"),
        };
        let reply = send_raw(&env, method, path, &format!("Bearer {narrow}"), body).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{case}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "forbidden", "{case}");
        assert!(
            reply.message().contains(scope),
            "{case}: expected {scope} in {:?}",
            reply.message()
        );
    }
    assert_eq!(env.item_count().await, before, "no refused request wrote");
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case() {
    let env = TestEnv::new().await;
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let reply = send_raw(
            &env,
            Method::GET,
            ACCOUNT,
            &format!("{scheme} {}", env.key_a),
            "",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{scheme}: {:?}", reply.body);
        assert_eq!(reply.body["account"]["id"], json!(env.account_a));
    }
    for header in [
        format!("Basic {}", env.key_a),
        format!("Bearer{}", env.key_a),
        env.key_a.clone(),
    ] {
        let reply = send_raw(&env, Method::GET, ACCOUNT, &header, "").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header}");
    }
}

// ---------------------------------------------------------------------------
// The webhook secret's scope
// ---------------------------------------------------------------------------

async fn secret_is_set(env: &TestEnv) -> bool {
    let reply = env.get(ACCOUNT).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["account"]["stripe_webhook_secret_set"] == json!(true)
}

async fn put_account_with(env: &TestEnv, key: &str, settings: Value) -> Reply {
    env.call(
        Method::PUT,
        ACCOUNT,
        Some(key),
        Some(json!({"account": settings})),
    )
    .await
}

#[tokio::test]
async fn the_webhook_secret_needs_events_write_and_other_settings_do_not() {
    let env = TestEnv::new().await;
    let account_all = env.key_with_scopes(&["account:*"]).await;
    let account_write = env.key_with_scopes(&["account:write"]).await;
    let with_events = env.key_with_scopes(&["account:*", "events:write"]).await;
    let set = json!({"stripe_webhook_secret": "whsec_x"});
    let remove = json!({"stripe_webhook_secret": null});

    let stored_before = env.item_count().await;
    for (who, key) in [
        ("account:*", &account_all),
        ("account:write", &account_write),
    ] {
        for settings in [
            set.clone(),
            json!({"name": "Renamed", "stripe_webhook_secret": "whsec_y"}),
        ] {
            let reply = put_account_with(&env, key, settings.clone()).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{who} {settings}: {:?}",
                reply.body
            );
            assert_eq!(reply.error_code(), "forbidden");
            assert!(reply.message().contains("events:write"), "{:?}", reply.body);
        }
    }
    assert!(!secret_is_set(&env).await, "no secret was written");
    assert_eq!(
        env.get(ACCOUNT).await.body["account"]["name"],
        json!("Account A"),
        "the refused update changed nothing"
    );
    assert_eq!(env.item_count().await, stored_before);

    let granted = put_account_with(&env, &with_events, set).await;
    assert_eq!(granted.status, StatusCode::OK, "{:?}", granted.body);
    assert!(secret_is_set(&env).await);

    for (who, key) in [
        ("account:*", &account_all),
        ("account:write", &account_write),
    ] {
        let reply = put_account_with(&env, key, remove.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{who}: {:?}",
            reply.body
        );
        assert!(reply.message().contains("events:write"), "{:?}", reply.body);
    }
    assert!(secret_is_set(&env).await, "the secret was not removed");
    let removed = put_account_with(&env, &with_events, remove).await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert!(!secret_is_set(&env).await);

    let renamed = put_account_with(&env, &account_write, json!({"name": "Acme"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["account"]["name"], json!("Acme"));
}

// ---------------------------------------------------------------------------
// Stripe deliveries
// ---------------------------------------------------------------------------

fn invoice_paid(customer: &str, padding: usize) -> String {
    json!({
        "id": "evt_hostile", "object": "event", "type": "invoice.paid",
        "api_version": "2025-02-24.acacia", "created": Utc::now().timestamp(),
        "data": {"object": {
            "id": "in_hostile", "object": "invoice", "customer": customer,
            "payment_intent": "pi_hostile",
            "amount_paid": 10_000, "amount_due": 10_000, "currency": "eur",
            "created": Utc::now().timestamp(), "status": "paid",
            "metadata": {"padding": "x".repeat(padding)}
        }}
    })
    .to_string()
}

async fn deliver(env: &TestEnv, path: &str, signature: Option<String>, payload: &str) -> Reply {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    env.send(request.body(Body::from(payload.to_string())).unwrap())
        .await
}

/// Account A with the endpoint secret and a referred Stripe customer.
async fn stripe_program(env: &TestEnv) {
    let account = Id::parse(&env.account_a).unwrap();
    accounts::set_stripe_webhook_secret(&env.store, &account, SECRET)
        .await
        .unwrap();
    default_group(env, &env.key_a).await;
    partner(env, &env.key_a, "ann").await;
    let mut body = seed::referral_create("stripe@example.org", "ann");
    body["referral"]["stripe_customer_id"] = json!("cus_hostile");
    created(env, &env.key_a, REFERRALS, body).await;
}

#[tokio::test]
async fn every_unverifiable_stripe_delivery_gets_the_same_400_and_writes_nothing() {
    let env = TestEnv::new().await;
    stripe_program(&env).await;
    let payload = invoice_paid("cus_hostile", 0);
    let now = Utc::now();
    let good = sign(payload.as_bytes(), SECRET, now);
    let a = webhook_path(&env.account_a);
    let cases: Vec<(&str, String, Option<String>)> = vec![
        (
            "unknown account",
            webhook_path(Id::generate(now).as_str()),
            Some(good.clone()),
        ),
        (
            "malformed account id",
            webhook_path("nope"),
            Some(good.clone()),
        ),
        (
            "upper-case account id",
            webhook_path(&env.account_a.to_uppercase()),
            Some(good.clone()),
        ),
        (
            "account id without .json",
            format!("/2026-02-01/webhooks/stripe/{}", env.account_a),
            Some(good.clone()),
        ),
        (
            "very long account id",
            webhook_path(&"a".repeat(4000)),
            Some(good.clone()),
        ),
        (
            "account without a secret",
            webhook_path(&env.account_b),
            Some(good.clone()),
        ),
        (
            "bad signature",
            a.clone(),
            Some(sign(payload.as_bytes(), "whsec_other", now)),
        ),
        (
            "stale timestamp",
            a.clone(),
            Some(sign(
                payload.as_bytes(),
                SECRET,
                now - Duration::seconds(301),
            )),
        ),
        (
            "far future timestamp",
            a.clone(),
            Some(sign(payload.as_bytes(), SECRET, now + Duration::days(3650))),
        ),
        (
            "t = i64::MIN",
            a.clone(),
            Some(format!("t={},v1=00", i64::MIN)),
        ),
        (
            "t = i64::MAX",
            a.clone(),
            Some(format!("t={},v1=00", i64::MAX)),
        ),
        (
            "t past i64",
            a.clone(),
            Some("t=99999999999999999999999,v1=00".into()),
        ),
        ("garbage header", a.clone(), Some(",,=,t=,v1=".into())),
        ("no header", a.clone(), None),
    ];
    let before = env.item_count().await;
    let mut first: Option<Value> = None;
    for (case, path, signature) in cases {
        let reply = deliver(&env, &path, signature, &payload).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "bad_request", "{case}");
        match &first {
            None => first = Some(reply.body),
            Some(first) => assert_eq!(&reply.body, first, "{case}: answers differ"),
        }
        assert_eq!(env.item_count().await, before, "{case}: wrote");
    }
    let genuine = deliver(&env, &a, Some(good), &payload).await;
    assert_eq!(genuine.status, StatusCode::OK, "{:?}", genuine.body);
    assert_eq!(genuine.body["outcome"], json!("recorded"));
}

#[tokio::test]
async fn a_stripe_delivery_over_256_kib_is_413_even_when_signed() {
    let env = TestEnv::new().await;
    stripe_program(&env).await;
    let payload = invoice_paid("cus_hostile", 300 * 1024);
    let before = env.item_count().await;
    let a = webhook_path(&env.account_a);
    for (case, signature) in [
        ("signed", Some(sign(payload.as_bytes(), SECRET, Utc::now()))),
        ("unsigned", None),
    ] {
        let reply = deliver(&env, &a, signature, &payload).await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{case}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "payload_too_large", "{case}");
    }
    assert_eq!(env.item_count().await, before);
}

// ---------------------------------------------------------------------------
// The payout run and broken accounts
// ---------------------------------------------------------------------------

/// Account B paying at once (`hold_days` 0): a partner with a pending
/// custom commission of 75. Returns the commission's id.
async fn account_b_due_now(env: &TestEnv) -> String {
    let settings = put_account_with(env, &env.key_b, json!({"hold_days": 0})).await;
    assert_eq!(settings.status, StatusCode::OK, "{:?}", settings.body);
    default_group(env, &env.key_b).await;
    let partner = partner(env, &env.key_b, "bea").await;
    let body = created(
        env,
        &env.key_b,
        COMMISSIONS,
        custom(&partner, exact("75"), "evt_b"),
    )
    .await;
    body["commission"]["id"].as_str().unwrap().to_string()
}

async fn commission_of(env: &TestEnv, key: &str, id: &str) -> Value {
    let reply = env
        .call(
            Method::GET,
            &format!("/2026-02-01/commissions/{id}.json"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["commission"].clone()
}

/// An approved custom commission of `amount` in account A; its id.
async fn approved_in_a(env: &TestEnv, partner: &str, amount: &str, event: &str) -> String {
    let body = created(
        env,
        &env.key_a,
        COMMISSIONS,
        custom(partner, exact(amount), event),
    )
    .await;
    let id = body["commission"]["id"].as_str().unwrap().to_string();
    let approve = env
        .post(
            &format!("/2026-02-01/commissions/{id}/approve.json"),
            json!({}),
        )
        .await;
    assert_eq!(approve.status, StatusCode::OK, "{:?}", approve.body);
    id
}

/// Overwrites one attribute of an item of account A, as a bad migration or
/// a hand edit would.
async fn corrupt(env: &TestEnv, key: Key, attribute: &str, value: &str) {
    env.store
        .client()
        .update_item()
        .table_name(env.store.table())
        .set_key(Some(key.item_key()))
        .update_expression("SET #a = :bad")
        .expression_attribute_names("#a", attribute)
        .expression_attribute_values(":bad", AttributeValue::S(value.into()))
        .condition_expression("attribute_exists(pk)")
        .send()
        .await
        .expect("the item exists");
}

/// The `amount`s the payable index shows for `account`: what the run reads.
async fn payable_amounts(env: &TestEnv, account: &Id) -> Vec<String> {
    let page = env
        .store
        .client()
        .query()
        .table_name(env.store.table())
        .index_name("gsi4")
        .key_condition_expression("gsi4pk = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(IndexEntry::payable_partition(account)),
        )
        .send()
        .await
        .expect("query");
    page.items()
        .iter()
        .filter_map(|item| item.get("amount")?.as_s().ok().cloned())
        .collect()
}

#[tokio::test]
async fn the_payout_run_passes_over_an_unreadable_commission_and_pays_the_rest() {
    let env = TestEnv::new().await;
    default_group(&env, &env.key_a).await;
    let ann = partner(&env, &env.key_a, "ann").await;
    let bob = partner(&env, &env.key_a, "bob").await;
    let readable = approved_in_a(&env, &ann, "60", "evt_ann").await;
    let broken = approved_in_a(&env, &bob, "70", "evt_bob").await;
    let b_commission = account_b_due_now(&env).await;
    let account_a = Id::parse(&env.account_a).unwrap();
    let broken_key = Key::commission(&account_a, &Id::parse(&broken).unwrap());
    corrupt(&env, broken_key.clone(), "amount", "lots").await;
    assert!(
        payable_amounts(&env, &account_a)
            .await
            .contains(&"lots".to_string()),
        "the run's index shows the unreadable amount"
    );

    let now = Utc::now() + Duration::minutes(1);
    let sweep = acting_as(
        "payout-run",
        PayoutRun::new(now, &Unlimited).all(&env.store),
    )
    .await
    .expect("the sweep runs");
    assert!(sweep.failures.is_empty(), "{:?}", sweep.failures);
    assert_eq!(sweep.runs.len(), 2, "{:?}", sweep.runs);

    let paid = commission_of(&env, &env.key_a, &readable).await;
    assert_eq!(
        paid["payout_status"],
        json!("paid"),
        "A's readable commission is paid: {paid}"
    );
    let b = commission_of(&env, &env.key_b, &b_commission).await;
    assert_eq!(
        (&b["status"], &b["payout_status"]),
        (&json!("approved"), &json!("paid")),
        "B is paid: {b}"
    );
    let item = env
        .store
        .get(&broken_key)
        .await
        .unwrap()
        .expect("the unreadable item is still there");
    assert_eq!(
        item.get("payout_status"),
        Some(&AttributeValue::S("not_paid".into())),
        "the unreadable commission was passed over, not paid"
    );
}

#[tokio::test]
async fn the_payout_run_lists_an_unreadable_account_and_pays_the_others() {
    let env = TestEnv::new().await;
    default_group(&env, &env.key_a).await;
    let ann = partner(&env, &env.key_a, "ann").await;
    approved_in_a(&env, &ann, "60", "evt_ann").await;
    let b_commission = account_b_due_now(&env).await;
    let account_a = Id::parse(&env.account_a).unwrap();
    corrupt(&env, Key::account(&account_a), "currency", "EURO!").await;

    let now = Utc::now() + Duration::minutes(1);
    let sweep = acting_as(
        "payout-run",
        PayoutRun::new(now, &Unlimited).all(&env.store),
    )
    .await
    .expect("one unreadable account does not stop the sweep");
    assert_eq!(sweep.failures.len(), 1, "{:?}", sweep.failures);
    assert!(
        sweep.failures[0].account.contains(&env.account_a),
        "the failure names A: {:?}",
        sweep.failures
    );
    assert!(!sweep.failures[0].error.is_empty());
    let ran: Vec<String> = sweep
        .runs
        .iter()
        .map(|r| r.account_id.to_string())
        .collect();
    assert_eq!(ran, vec![env.account_b.clone()]);
    assert_eq!(sweep.runs[0].commissions_paid, 1, "{:?}", sweep.runs);
    let b = commission_of(&env, &env.key_b, &b_commission).await;
    assert_eq!(b["payout_status"], json!("paid"), "B is paid: {b}");
}
