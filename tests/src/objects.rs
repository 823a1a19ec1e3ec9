//! Objects created and read through the API, as a client would, each call
//! asserted (201 created, 200 read) so that a test fails at the step that
//! went wrong: the default group most tests start from, groups, partners
//! and referrals, commissions of a given amount, reads of one object, and
//! lists walked page by page.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::TestEnv;
use crate::json::{exact, id_of};
use crate::paths::{COMMISSIONS, GROUPS, PARTNERS, REFERRALS, commission_path, partner_path};
use crate::seed;

/// POSTs `body` to `path` with `key` and returns the whole body of the 201.
pub async fn created(env: &TestEnv, key: &str, path: &str, body: Value) -> Value {
    let reply = env.call(Method::POST, path, Some(key), Some(body)).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{path}: {:?}",
        reply.body
    );
    reply.body
}

/// POSTs `body` to `path` with account A's key; the object the 201 names
/// `field`.
pub async fn create(env: &TestEnv, path: &str, field: &str, body: Value) -> Value {
    created(env, &env.key_a, path, body).await[field].take()
}

/// Creates a partner group in account A and returns its id; the account's
/// first is its default.
pub async fn create_group(env: &TestEnv, name: &str, rules: Value) -> String {
    let body = json!({"partnerGroup": {"name": name, "rules": rules}});
    let group = create(env, GROUPS, "group", body).await;
    group["id"].as_str().expect("the group's id").to_string()
}

/// Account A's default group, paying a recurring 10 % (`seed::default_group`),
/// so that partners can be created; its id.
pub async fn create_default_group(env: &TestEnv) -> String {
    let group = create(env, GROUPS, "group", seed::default_group()).await;
    group["id"].as_str().expect("the group's id").to_string()
}

/// Creates a partner in account A; the partner object of the 201.
pub async fn create_partner(env: &TestEnv, body: Value) -> Value {
    create(env, PARTNERS, "partner", body).await
}

/// Creates a referral in account A; the referral object of the 201.
pub async fn create_referral(env: &TestEnv, body: Value) -> Value {
    create(env, REFERRALS, "referral", body).await
}

/// A pending commission of exactly `amount` on `referral` (PromoteKit's
/// contract, on a 500 payment), paid by its own Stripe payment `payment`;
/// its id.
pub async fn create_commission(
    env: &TestEnv,
    referral: &str,
    amount: &str,
    payment: &str,
) -> String {
    let body = json!({"commission": {
        "referral_id": referral,
        "revenue_amount": 500,
        "commission_amount": exact(amount),
        "stripe_payment_id": payment
    }});
    id_of(&create(env, COMMISSIONS, "commission", body).await)
}

/// GETs `path` with account A's key; the object the 200 names `field`.
pub async fn read(env: &TestEnv, path: &str, field: &str) -> Value {
    let mut reply = env.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    reply.body[field].take()
}

/// One of account A's partners, as the API shows it (its statistics too).
pub async fn read_partner(env: &TestEnv, id: &str) -> Value {
    read(env, &partner_path(id), "partner").await
}

/// One of account A's commissions, as the API shows it.
pub async fn read_commission(env: &TestEnv, id: &str) -> Value {
    read(env, &commission_path(id), "commission").await
}

/// Every element of the list `collection?query`, following
/// `pages.next_cursor` to the last page; also the first page's envelope.
pub async fn walk(env: &TestEnv, collection: &str, query: &str) -> (Vec<Value>, Value) {
    let mut elements = Vec::new();
    let mut path = format!("{collection}?{query}");
    let mut reply = env.get(&path).await;
    let envelope = reply.body.clone();
    for _ in 0..1000 {
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
        elements.extend(reply.body["elements"].as_array().expect("elements").clone());
        match reply.body["pages"]["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("{collection}?{query}&cursor={cursor}");
                reply = env.get(&path).await;
            }
            None => return (elements, envelope),
        }
    }
    panic!("{collection}?{query}: the cursor never ends");
}
