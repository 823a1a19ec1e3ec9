//! Burst ingest (issue 19): 2,000 sale events (`POST /events/sale.json`)
//! from 64 concurrent senders for the customers of 50 partners, against the
//! DynamoDB model ([`crate::model`]) in virtual time; once for one account,
//! once with the same partners and customers spread over 20 accounts.
//! Reports sustained events per virtual second, p50 and p99 virtual latency
//! per event, and the share answered 409.
//!
//! The accounts, their default group (10 % of each sale), partners and
//! referrals are made through the API straight to the emulator; only the
//! burst goes through the model, each sender with a Store and a
//! payment-events router of its own, as 64 warm Lambda containers would.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use harness::TestEnv;
use harness::app::emulator_endpoint;
use http::{Method, Request, StatusCode};
use ledger_core::money::Currency;
use ledger_store::Store;
use partner_ledger_admin::bootstrap_account;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::model::{Config, Model, Tally};
use crate::table::Figure;

const EVENTS: usize = 2_000;
const SENDERS: usize = 64;
const PARTNERS: usize = 50;
const CUSTOMERS_PER_PARTNER: usize = 4;
const SALE_EVENTS: &str = "/2026-02-01/events/sale.json";

/// A customer a sale can name: its account's key and its referral.
struct Customer {
    key: String,
    referral: String,
}

/// What one burst measured, in virtual time.
struct Burst {
    makespan: Duration,
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
    /// What the model ran and refused, and the senders' retry sleeps.
    tally: Tally,
    hottest: Option<String>,
}

pub async fn measure(env: &TestEnv) -> Result<Vec<Figure>, String> {
    let mut figures = Vec::new();
    for accounts in [1, 20] {
        eprintln!("bench: burst ingest, {accounts} account(s): setting up");
        let customers = set_up(env, accounts).await?;
        eprintln!("bench: burst ingest, {accounts} account(s): {EVENTS} events");
        let started = Instant::now();
        let burst = send(env.store.table(), &customers).await?;
        figures.extend(report(&burst, accounts, started.elapsed()));
    }
    Ok(figures)
}

/// `accounts` accounts, each with a default group, sharing the 50 partners
/// round robin; four customers referred by each partner.
async fn set_up(env: &TestEnv, accounts: usize) -> Result<Vec<Customer>, String> {
    let mut keys = Vec::with_capacity(accounts);
    for n in 0..accounts {
        let name = format!("Burst {accounts}/{n}");
        let bootstrap = bootstrap_account(&env.store, &name, Currency::EUR, &["*".into()]).await?;
        create(
            env,
            &bootstrap.api_key,
            "/2026-02-01/partners/groups.json",
            harness::seed::default_group(),
        )
        .await?;
        keys.push(bootstrap.api_key);
    }
    let mut customers = Vec::with_capacity(PARTNERS * CUSTOMERS_PER_PARTNER);
    for partner in 0..PARTNERS {
        let key = &keys[partner % accounts];
        let code = format!("burst{partner}");
        create(
            env,
            key,
            "/2026-02-01/partners.json",
            harness::seed::partner_create(&code),
        )
        .await?;
        for customer in 0..CUSTOMERS_PER_PARTNER {
            let email = format!("c{partner}x{customer}@example.com");
            let referral = create(
                env,
                key,
                "/2026-02-01/referrals.json",
                harness::seed::referral_create(&email, &code),
            )
            .await?;
            customers.push(Customer {
                key: key.clone(),
                referral: referral["referral"]["id"]
                    .as_str()
                    .ok_or("a referral without an id")?
                    .to_string(),
            });
        }
    }
    Ok(customers)
}

async fn create(env: &TestEnv, key: &str, path: &str, body: Value) -> Result<Value, String> {
    let reply = env.call(Method::POST, path, Some(key), Some(body)).await;
    if reply.status.is_success() {
        Ok(reply.body)
    } else {
        Err(format!("{path}: {} {}", reply.status, reply.body))
    }
}

/// The burst: event `n` names customer `n` mod their number, and goes to
/// sender `n` mod 64, which sends its events one after another.
async fn send(table: &str, customers: &[Customer]) -> Result<Burst, String> {
    let model = Model::start(Config::default(), SENDERS, &emulator_endpoint()).await?;
    let model = &model;
    let senders = (0..SENDERS).map(|sender| async move {
        let router = payment_events::router(Store::new(model.client(sender), table));
        let mut answered = Vec::new();
        for event in (sender..EVENTS).step_by(SENDERS) {
            let customer = &customers[event % customers.len()];
            let body = json!({"event": {
                "event_id": format!("burst_{event}"),
                "referral_id": customer.referral,
                "amount": 100,
            }});
            let request = Request::builder()
                .method(Method::POST)
                .uri(SALE_EVENTS)
                .header("authorization", format!("Bearer {}", customer.key))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .map_err(|e| e.to_string());
            let start = model.now(sender);
            let status = match request {
                Ok(request) => match router.clone().oneshot(request).await {
                    Ok(response) => response.status(),
                    Err(infallible) => match infallible {},
                },
                Err(error) => {
                    model.finish(sender);
                    return Err(error);
                }
            };
            answered.push((model.now(sender) - start, model.now(sender), status));
        }
        model.finish(sender);
        Ok(answered)
    });
    let mut burst = Burst {
        makespan: Duration::ZERO,
        latencies: Vec::with_capacity(EVENTS),
        statuses: BTreeMap::new(),
        tally: Tally::default(),
        hottest: None,
    };
    for answered in futures::future::join_all(senders).await {
        for (latency, end, status) in answered? {
            burst.latencies.push(latency);
            burst.makespan = burst.makespan.max(end);
            *burst.statuses.entry(status.as_u16()).or_default() += 1;
        }
    }
    burst.latencies.sort();
    burst.tally = model.tally();
    burst.hottest = model.rejections().first().map(|(key, rejected)| {
        let kind = key.sk.split('#').next().unwrap_or_default();
        format!(
            "{kind}… item: {} conflicts, {} throttles",
            rejected.conflicts, rejected.throttles
        )
    });
    Ok(burst)
}

fn report(burst: &Burst, accounts: usize, real: Duration) -> Vec<Figure> {
    let scope = match accounts {
        1 => "1 account".to_string(),
        n => format!("{n} accounts"),
    };
    let name = format!(
        "burst ingest ({EVENTS} sale events, {SENDERS} senders, {PARTNERS} partners, {scope}, model)"
    );
    let events = burst.latencies.len();
    let percentile = |p: usize| {
        burst
            .latencies
            .get((events * p).div_ceil(100).saturating_sub(1))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let conflicts = burst
        .statuses
        .get(&StatusCode::CONFLICT.as_u16())
        .copied()
        .unwrap_or(0);
    let statuses = burst
        .statuses
        .iter()
        .map(|(status, n)| format!("{n}× {status}"))
        .collect::<Vec<_>>()
        .join(", ");
    let measured = format!(
        "{:.0} events/s; p50 {:.0} ms, p99 {:.0} ms; 409 {:.1} % ({statuses}); \
         {} DynamoDB requests, {} conflicts, {} throttles{}; {:.1} s virtual, {:.0} s real; \
         {:.1} ms mean retry sleep per request",
        events as f64 / burst.makespan.as_secs_f64(),
        percentile(50),
        percentile(99),
        100.0 * conflicts as f64 / events.max(1) as f64,
        burst.tally.requests,
        burst.tally.conflicts,
        burst.tally.throttles,
        burst
            .hottest
            .as_ref()
            .map_or_else(String::new, |h| format!(" (most: {h})")),
        burst.makespan.as_secs_f64(),
        real.as_secs_f64(),
        burst.tally.backing_off.as_secs_f64() * 1e3 / burst.tally.requests.max(1) as f64,
    );
    vec![Figure::reported(name, measured)]
}
