//! DynamoDB requests per route: each call goes through the real router
//! in-process, and the harness's SDK interceptor names every request it sent.
//! Bodies are the API seed's examples and the harness's sample bodies; Stripe
//! webhooks are signed here, as Stripe signs them.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use chrono::Utc;
use harness::{Reply, TestEnv, seed};
use ledger_core::model::Id;
use ledger_store::accounts;
use serde_json::Value;
use tower::ServiceExt;

use crate::table::Figure;

const GROUPS: &str = "/2026-02-01/partners/groups.json";
const PARTNERS: &str = "/2026-02-01/partners.json";
const CAMPAIGNS: &str = "/2026-02-01/campaigns.json";
const REFERRALS: &str = "/2026-02-01/referrals.json";
const COMMISSIONS: &str = "/2026-02-01/commissions.json";
const SALE_EVENTS: &str = "/2026-02-01/events/sale.json";
const REFUND_EVENTS: &str = "/2026-02-01/events/refund.json";
const ACCOUNT: &str = "/2026-02-01/account.json";
const API_KEYS: &str = "/2026-02-01/api_keys.json";

/// Account A's Stripe webhook signing secret, and the customer the webhooks pay for.
const WEBHOOK_SECRET: &str = "whsec_bench_secret";
const STRIPE_CUSTOMER: &str = "cus_bench_webhook";

/// DESIGN.md §5's budgets: a get is one request, a list page at most two, a
/// commission create at most two reads and one transaction, a webhook to
/// commission at most three round trips (in a warm container).
const GET: Option<usize> = Some(1);
const LIST: Option<usize> = Some(2);
const CREATE_COMMISSION: Option<usize> = Some(3);
const WEBHOOK_TO_COMMISSION: Option<usize> = Some(3);

/// One route's requests; `budget` is the most DESIGN.md §5 allows, if it says.
struct Counted {
    route: &'static str,
    reply: Reply,
    operations: Vec<String>,
    budget: Option<usize>,
}

/// The routes measured so far, each taking the requests sent since the last.
struct Run<'a> {
    env: &'a TestEnv,
    counted: Vec<Counted>,
}

impl<'a> Run<'a> {
    fn new(env: &'a TestEnv) -> Self {
        env.counter.take();
        Self {
            env,
            counted: Vec::new(),
        }
    }

    /// Records `reply` as `route`'s requests and returns the id it created, if any.
    fn count(&mut self, route: &'static str, reply: Reply, budget: Option<usize>) -> String {
        let id = id_in(&reply);
        self.counted.push(Counted {
            route,
            reply,
            operations: self.env.counter.take(),
            budget,
        });
        id
    }

    /// Sets something up without counting it.
    fn prepare(&self, reply: Reply) -> String {
        self.env.counter.take();
        id_in(&reply)
    }
}

/// The id a create answered with, whatever its wrapper key.
fn id_in(reply: &Reply) -> String {
    [
        "group",
        "partner",
        "campaign",
        "referral",
        "commission",
        "apiKey",
    ]
    .iter()
    .find_map(|wrapper| reply.body[wrapper]["id"].as_str())
    .unwrap_or_default()
    .to_string()
}

pub async fn measure(env: &TestEnv) -> Result<Vec<Figure>, String> {
    let mut run = Run::new(env);

    let group = run.count(
        "create group",
        env.post(GROUPS, seed::group_create()).await,
        None,
    );
    let group_path = format!("/2026-02-01/partners/groups/{group}.json");
    run.count("list groups (one page)", env.get(GROUPS).await, LIST);
    run.count("get group", env.get(&group_path).await, GET);
    let update = env.put(&group_path, seed::group_update()).await;
    run.count("update group", update, None);
    let simulate = env
        .post(
            "/2026-02-01/partners/groups/simulate-rules.json",
            seed::simulation(),
        )
        .await;
    run.count("simulate rules", simulate, None);
    // The account's default group cannot be deleted: delete another.
    let spare = run.prepare(env.post(GROUPS, seed::group_create()).await);
    let delete = env
        .delete(&format!("/2026-02-01/partners/groups/{spare}.json"))
        .await;
    run.count("delete group", delete, None);

    let campaign = env.post(CAMPAIGNS, seed::campaign_create("Launch")).await;
    let campaign = run.count("create campaign", campaign, None);
    let campaign_path = format!("/2026-02-01/campaigns/{campaign}.json");
    run.count("list campaigns (one page)", env.get(CAMPAIGNS).await, LIST);
    run.count("get campaign", env.get(&campaign_path).await, GET);
    let update = env
        .put(
            &campaign_path,
            serde_json::json!({"campaign": {"commission_amount": 22.5}}),
        )
        .await;
    run.count("update campaign", update, None);

    let partner = env.post(PARTNERS, seed::partner_create("ann")).await;
    let partner = run.count("create partner", partner, None);
    let partner_path = format!("/2026-02-01/partners/{partner}");
    run.count("list partners (one page)", env.get(PARTNERS).await, LIST);
    let get = env.get(&format!("{partner_path}.json")).await;
    run.count("get partner", get, GET);
    let update = env
        .put(
            &format!("{partner_path}.json"),
            serde_json::json!({"partner": {"first_name": "Annie"}}),
        )
        .await;
    run.count("update partner", update, None);
    let ban = env
        .post(&format!("{partner_path}/ban.json"), serde_json::json!({}))
        .await;
    run.count("ban partner", ban, None);
    run.prepare(
        env.post(&format!("{partner_path}/unban.json"), serde_json::json!({}))
            .await,
    );

    let by_id = serde_json::json!({"referral": {"email": "c1@example.com", "partner_id": partner}});
    run.count(
        "create referral (by partner id)",
        env.post(REFERRALS, by_id).await,
        None,
    );
    let by_code = env
        .post(REFERRALS, seed::referral_create("c2@example.com", "ann"))
        .await;
    let referral = run.count("create referral (by link code)", by_code, None);
    let referral_path = format!("/2026-02-01/referrals/{referral}.json");
    run.count("list referrals (one page)", env.get(REFERRALS).await, LIST);
    let filtered = env
        .get(&format!("{REFERRALS}?partner_id={partner}&status=active"))
        .await;
    run.count(
        "list referrals by partner and status (one page)",
        filtered,
        LIST,
    );
    run.count("get referral", env.get(&referral_path).await, GET);
    let update = env
        .put(
            &referral_path,
            serde_json::json!({"referral": {"subscription_status": "active"}}),
        )
        .await;
    run.count("update referral", update, None);

    // A sale without an amount, priced by the rules: the referral by link code
    // has no campaign, so ann's group, the default, prices it.
    let sale = |referral: &str, event: &str| {
        let mut body = seed::commission_firstpromoter_sale(referral);
        body["commission"]["event_id"] = event.into();
        body
    };
    let body = sale(&referral, "evt_bench_default");
    let create = env.post(COMMISSIONS, body.clone()).await;
    expect("create commission", &create, 201, Some("default_group"))?;
    let commission = run.count(
        "create commission (priced by the default group)",
        create,
        CREATE_COMMISSION,
    );
    let through_campaign = serde_json::json!({"referral": {
        "email": "c3@example.com", "code": "ann", "campaign_id": campaign
    }});
    let through_campaign = run.prepare(env.post(REFERRALS, through_campaign).await);
    let create = env
        .post(COMMISSIONS, sale(&through_campaign, "evt_bench_campaign"))
        .await;
    expect("create commission", &create, 201, Some("campaign"))?;
    run.count(
        "create commission (priced by the campaign)",
        create,
        CREATE_COMMISSION,
    );
    let replay = env.post(COMMISSIONS, body).await;
    expect("replaying a commission", &replay, 200, None)?;
    run.count("create commission (replay)", replay, None);
    let commission_path = format!("/2026-02-01/commissions/{commission}");
    let get = env.get(&format!("{commission_path}.json")).await;
    run.count("get commission", get, GET);
    run.count(
        "list commissions (one page)",
        env.get(COMMISSIONS).await,
        LIST,
    );
    let by_partner = env
        .get(&format!("{COMMISSIONS}?partner_id={partner}"))
        .await;
    run.count("list commissions by partner (one page)", by_partner, LIST);
    // A status filter is counted by a second query: reported, not budgeted.
    let by_status = env.get(&format!("{COMMISSIONS}?status=pending")).await;
    run.count("list commissions by status (one page)", by_status, None);
    let approve = env
        .post(
            &format!("{commission_path}/approve.json"),
            serde_json::json!({}),
        )
        .await;
    run.count("approve commission", approve, None);
    let mut pending = Vec::new();
    for k in 0..3 {
        let create = env
            .post(COMMISSIONS, sale(&referral, &format!("evt_bench_bulk_{k}")))
            .await;
        pending.push(run.prepare(create));
    }
    let bulk = env
        .post(
            "/2026-02-01/commissions/approve.json",
            serde_json::json!({ "ids": pending }),
        )
        .await;
    run.count("bulk approve commissions (3 ids)", bulk, None);
    let update = env
        .put(
            &format!("{commission_path}.json"),
            serde_json::json!({"commission": {"internal_note": "checked", "external_note": "Thanks!"}}),
        )
        .await;
    run.count("update commission notes", update, None);

    // Stripe's `charge.succeeded` for a customer ann referred (no campaign: the
    // default group, ann's, prices it), twice through one router as through
    // one Lambda container: the first delivery reads the account's endpoint
    // secret, the next verifies with the secret the container remembers.
    let customer = serde_json::json!({"referral": {
        "email": "c4@example.com", "code": "ann", "stripe_customer_id": STRIPE_CUSTOMER
    }});
    let customer = run.prepare(env.post(REFERRALS, customer).await);
    let account = Id::parse(&env.account_a).ok_or("account A has no well-formed id".to_string())?;
    accounts::set_stripe_webhook_secret(&env.store, &account, WEBHOOK_SECRET)
        .await
        .map_err(|e| format!("setting the webhook secret: {e}"))?;
    env.counter.take();
    let container = payment_events::router(env.store.clone());
    let webhook = format!("/2026-02-01/webhooks/stripe/{}.json", env.account_a);
    let first = deliver(&container, &webhook, "evt_bench_charge_1", "pi_bench_1").await?;
    expect_outcome("the first webhook", &first, 200, "recorded")?;
    run.count(
        "webhook to commission, first delivery to a new container",
        first,
        None,
    );
    let warm = deliver(&container, &webhook, "evt_bench_charge_2", "pi_bench_2").await?;
    expect_outcome("the second webhook", &warm, 200, "recorded")?;
    run.count(
        "webhook to commission (warm container)",
        warm,
        WEBHOOK_TO_COMMISSION,
    );
    let earned = env
        .get(&format!("{COMMISSIONS}?referral_id={customer}"))
        .await;
    let sources: Vec<&str> = earned.body["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["rule_source"].as_str())
        .collect();
    if sources != ["default_group", "default_group"] {
        return Err(format!(
            "the webhooks' commissions: expected two priced by the default group, found {}",
            earned.body
        ));
    }
    run.prepare(earned);

    // A billing system's sale naming the referral, then a partial refund of it.
    let sale = serde_json::json!({"event": {
        "event_id": "sale_bench_1", "referral_id": referral, "amount": 299.9
    }});
    let sale = env.post(SALE_EVENTS, sale).await;
    expect_outcome("sale event", &sale, 201, "recorded")?;
    run.count("sale event (events/sale.json)", sale, None);
    let refund = serde_json::json!({"event": {
        "event_id": "refund_bench_1", "sale_event_id": "sale_bench_1", "amount": 100
    }});
    let refund = env.post(REFUND_EVENTS, refund).await;
    expect_outcome("refund event", &refund, 201, "recorded")?;
    run.count("refund event (events/refund.json)", refund, None);

    run.count("get account", env.get(ACCOUNT).await, GET);
    let update = env
        .put(ACCOUNT, serde_json::json!({"account": {"hold_days": 14}}))
        .await;
    run.count("update account", update, None);
    let key = serde_json::json!({"apiKey": {"name": "bench", "scopes": ["partners:read"]}});
    let key = run.count("create API key", env.post(API_KEYS, key).await, None);
    run.count("list API keys", env.get(API_KEYS).await, LIST);
    let delete = env
        .delete(&format!("/2026-02-01/api_keys/{key}.json"))
        .await;
    run.count("delete API key", delete, None);

    run.counted.into_iter().map(Counted::figure).collect()
}

/// Delivers Stripe's `charge.succeeded` on the current API version for
/// [`STRIPE_CUSTOMER`] (event `event_id`, 299.90 EUR paid by the payment
/// intent `payment_intent`), signed now with [`WEBHOOK_SECRET`],
/// to `container`, which stays warm for the next delivery.
async fn deliver(
    container: &Router,
    path: &str,
    event_id: &str,
    payment_intent: &str,
) -> Result<Reply, String> {
    let now = Utc::now();
    let payload = serde_json::json!({
        "id": event_id, "object": "event", "type": "charge.succeeded",
        "api_version": "2025-10-29.clover", "created": now.timestamp(),
        "data": {"object": {
            "id": format!("ch_{payment_intent}"), "object": "charge", "customer": STRIPE_CUSTOMER,
            "amount": 29990, "amount_refunded": 0, "currency": "eur", "created": now.timestamp(),
            "payment_intent": payment_intent, "status": "succeeded"
        }}
    })
    .to_string();
    let signature = ledger_core::stripe::sign(payload.as_bytes(), WEBHOOK_SECRET, now);
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", signature)
        .body(Body::from(payload))
        .map_err(|e| e.to_string())?;
    let Ok(response) = container.clone().oneshot(request).await;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    Ok(Reply { status, body })
}

/// Fails unless a successful payment event `what` answered `status` with
/// `outcome` (a webhook's receipt, or an event's); a failed one is reported
/// by its row.
fn expect_outcome(what: &str, reply: &Reply, status: u16, outcome: &str) -> Result<(), String> {
    if !reply.status.is_success() {
        return Ok(());
    }
    let answered = reply.body["event"]["outcome"]
        .as_str()
        .or_else(|| reply.body["outcome"].as_str());
    if reply.status.as_u16() != status || answered != Some(outcome) {
        return Err(format!(
            "{what}: expected {status} {outcome}, answered {}: {}",
            reply.status, reply.body
        ));
    }
    Ok(())
}

/// Fails unless a successful `what` answered `status` and, for a priced sale,
/// was priced by `source`; a failed one is reported by its row.
fn expect(what: &str, reply: &Reply, status: u16, source: Option<&str>) -> Result<(), String> {
    if !reply.status.is_success() {
        return Ok(());
    }
    let priced_by = reply.body["commission"]["rule_source"].as_str();
    if reply.status.as_u16() != status || source.is_some_and(|s| priced_by != Some(s)) {
        return Err(format!(
            "{what}: expected {status}{}, answered {}: {}",
            source
                .map(|s| format!(" priced by {s}"))
                .unwrap_or_default(),
            reply.status,
            reply.body
        ));
    }
    Ok(())
}

impl Counted {
    fn figure(self) -> Result<Figure, String> {
        if !self.reply.status.is_success() {
            return Err(format!(
                "{} answered {}: {}",
                self.route, self.reply.status, self.reply.body
            ));
        }
        let name = format!("DynamoDB requests: {}", self.route);
        let count = self.operations.len();
        let measured = if count == 0 {
            "0".to_string()
        } else {
            format!("{count} ({})", self.operations.join(", "))
        };
        Ok(match self.budget {
            Some(max) => Figure::budgeted(name, measured, &format!("≤ {max}"), count <= max),
            None => Figure::reported(name, measured),
        })
    }
}
