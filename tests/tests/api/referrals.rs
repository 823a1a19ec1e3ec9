//! Referrals against the emulator: attribution by partner id, link code and
//! promo code; refusals for banned and unapproved partners; self-referrals;
//! one referral per Stripe customer and per customer email (in any case),
//! also under concurrent creates; filters, counts and cursor paging; tenancy,
//! scopes and bad input.

use std::collections::HashSet;

use futures::future::join_all;
use harness::TestEnv;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::json::id_of;
use harness::objects::{self, create_default_group, create_partner, create_referral};
use harness::paths::{REFERRALS, referral_path};
use harness::seed;
use http::{Method, StatusCode};
use ledger_core::model::Id;
use ledger_store::unique::{self, Claim};
use ledger_store::{Key, UniqueValue};
use serde_json::{Value, json};

/// Account A with a default group and an approved partner Ann, who owns link
/// code `ann` and promo code `ANN10`. Returns Ann's id.
async fn with_partner(env: &TestEnv) -> String {
    create_default_group(env).await;
    partner(env, "ann@example.com", "ann", "ANN10").await
}

async fn partner(env: &TestEnv, email: &str, code: &str, promo: &str) -> String {
    let body = json!({"partner": {
        "email": email,
        "links": [{"url": format!("https://example.com/?via={code}"), "code": code}],
        "promo_codes": [{"code": promo}]
    }});
    id_of(&create_partner(env, body).await)
}

async fn create(env: &TestEnv, referral: Value) -> Value {
    create_referral(env, json!({ "referral": referral })).await
}

/// The claim on a customer's `email` in account A, if a referral holds it.
async fn email_claim(env: &TestEnv, email: &str) -> Option<Claim> {
    let account = Id::parse(&env.account_a).unwrap();
    let item = env
        .store
        .get(&Key::unique(&account, UniqueValue::CustomerEmail(email)))
        .await
        .unwrap();
    item.map(|item| unique::read(item).unwrap())
}

/// The email claim `reply` refuses with: a 409 naming the field.
fn assert_email_taken(reply: &harness::Reply) {
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "duplicate_email", "{:?}", reply.body);
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("email"), "{message}");
}

/// Every referral of a list, following `pages.next_cursor`.
async fn walk(env: &TestEnv, query: &str) -> (Vec<String>, Value) {
    let (elements, envelope) = objects::walk(env, REFERRALS, query).await;
    (elements.iter().map(id_of).collect(), envelope)
}

#[tokio::test]
async fn a_referral_is_attributed_by_partner_id_link_code_or_promo_code() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let by_id = create(&env, json!({"email": "c1@example.com", "partner_id": ann})).await;
    let by_link = create(&env, json!({"email": "c2@example.com", "code": "ANN"})).await;
    let by_promo = create(
        &env,
        json!({"email": "c3@example.com", "promo_code": "ann10"}),
    )
    .await;
    for (referral, code, promo) in [
        (&by_id, Value::Null, Value::Null),
        (&by_link, json!("ANN"), Value::Null),
        (&by_promo, Value::Null, json!("ann10")),
    ] {
        assert_eq!(referral["partner_id"], json!(ann));
        assert_eq!(referral["code"], code);
        assert_eq!(referral["promo_code"], promo);
        assert_eq!(referral["is_self_referral"], json!(false));
        assert_eq!(referral["fraud_check"], json!("no_suspicion"));
        assert_eq!(referral["acquired_at"], Value::Null);
    }
    let got = env
        .get(&referral_path(by_link["id"].as_str().unwrap()))
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["referral"], by_link);
}

#[tokio::test]
async fn attribution_must_name_exactly_one_partner_that_exists() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let before = env.item_count().await;
    let cases = [
        (
            json!({"email": "c@example.com"}),
            "referral.partner_id",
            "exactly one",
        ),
        (
            json!({"email": "c@example.com", "partner_id": ann, "code": "ann"}),
            "referral.partner_id",
            "exactly one",
        ),
        (
            json!({"email": "c@example.com", "code": "nobody"}),
            "referral.code",
            "link code",
        ),
        (
            json!({"email": "c@example.com", "promo_code": "NOBODY"}),
            "referral.promo_code",
            "promo code",
        ),
        (
            json!({"email": "c@example.com", "partner_id": "68f76721000000000000abcd"}),
            "referral.partner_id",
            "no partner",
        ),
        (
            json!({"email": "c@example.com", "code": "ann", "campaign_id": "68f76721000000000000abcd"}),
            "referral.campaign_id",
            "no campaign",
        ),
    ];
    for (body, field, message) in cases {
        let reply = env.post(REFERRALS, json!({ "referral": body })).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        let fields = &reply.body["error"]["fields"];
        assert_eq!(fields[0]["field"], json!(field), "{body}: {fields}");
        assert!(
            fields[0]["message"].as_str().unwrap().contains(message),
            "{fields}"
        );
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
}

#[tokio::test]
async fn banned_and_unapproved_partners_cannot_be_credited() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let banned = env
        .post(&format!("/2026-02-01/partners/{ann}/ban.json"), json!({}))
        .await;
    assert_eq!(banned.status, StatusCode::OK, "{:?}", banned.body);
    let pending = env
        .post(
            "/2026-02-01/partners.json",
            json!({"partner": {"email": "new@example.com", "approved": false}}),
        )
        .await;
    assert_eq!(pending.status, StatusCode::CREATED, "{:?}", pending.body);
    let pending = pending.body["partner"]["id"].as_str().unwrap().to_string();
    let before = env.item_count().await;
    for (body, field, reason) in [
        (
            json!({"email": "c@example.com", "code": "ann"}),
            "referral.code",
            "banned",
        ),
        (
            json!({"email": "c@example.com", "partner_id": ann}),
            "referral.partner_id",
            "banned",
        ),
        (
            json!({"email": "c@example.com", "partner_id": pending}),
            "referral.partner_id",
            "not approved",
        ),
    ] {
        let reply = env.post(REFERRALS, json!({ "referral": body })).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            reply.body
        );
        assert_eq!(reply.body["error"]["fields"][0]["field"], json!(field));
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{:?}",
            reply.body
        );
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
    let unbanned = env
        .post(&format!("/2026-02-01/partners/{ann}/unban.json"), json!({}))
        .await;
    assert_eq!(unbanned.status, StatusCode::OK);
    create(&env, json!({"email": "c@example.com", "code": "ann"})).await;
}

#[tokio::test]
async fn the_partners_own_email_is_flagged_as_a_self_referral() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let own = create(&env, json!({"email": "ANN@Example.com", "code": "ann"})).await;
    assert_eq!(own["is_self_referral"], json!(true));
    assert_eq!(own["fraud_check"], json!("same_promoter_email"));
    let fixed = env
        .put(
            &referral_path(own["id"].as_str().unwrap()),
            json!({"referral": {"email": "someone.else@example.com"}}),
        )
        .await;
    assert_eq!(fixed.status, StatusCode::OK, "{:?}", fixed.body);
    assert_eq!(fixed.body["referral"]["is_self_referral"], json!(false));
    assert_eq!(fixed.body["referral"]["fraud_check"], json!("no_suspicion"));
}

#[tokio::test]
async fn signup_date_defaults_to_now_and_acquired_at_stays_empty() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let before = chrono::Utc::now();
    let fresh = create(&env, json!({"email": "c@example.com", "code": "ann"})).await;
    let signup: chrono::DateTime<chrono::Utc> =
        fresh["signup_date"].as_str().unwrap().parse().unwrap();
    assert!(signup >= before - chrono::Duration::seconds(1) && signup <= chrono::Utc::now());
    assert_eq!(fresh["acquired_at"], Value::Null);
    let dated = create(
        &env,
        json!({"email": "d@example.com", "code": "ann", "signup_date": "2026-01-15T10:00:00Z"}),
    )
    .await;
    assert_eq!(dated["signup_date"], json!("2026-01-15T10:00:00Z"));
}

#[tokio::test]
async fn a_stripe_customer_has_one_referral_even_under_concurrent_creates() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let attempts = (0..10).map(|n| {
        env.post(
            REFERRALS,
            json!({"referral": {"email": format!("c{n}@example.com"), "code": "ann", "stripe_customer_id": "cus_Concurrent1"}}),
        )
    });
    let replies = join_all(attempts).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let refused: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!((created, refused.len()), (1, 9), "{replies:?}");
    assert!(
        refused
            .iter()
            .all(|r| r.error_code() == "duplicate_customer")
    );
    let list = env.get(REFERRALS).await;
    assert_eq!(list.body["count"], json!(1));
    assert_eq!(list.body["elements"].as_array().unwrap().len(), 1);

    let again = env
        .post(
            REFERRALS,
            json!({"referral": {"email": "x@example.com", "code": "ann", "stripe_customer_id": "cus_Concurrent1"}}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn changing_the_stripe_customer_frees_the_old_one() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let first = create(
        &env,
        json!({"email": "a@example.com", "code": "ann", "stripe_customer_id": "cus_A"}),
    )
    .await;
    let second = create(&env, json!({"email": "b@example.com", "code": "ann"})).await;
    let (first, second) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );
    let taken = env
        .put(
            &referral_path(second),
            json!({"referral": {"stripe_customer_id": "cus_A"}}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{:?}", taken.body);
    let moved = env
        .put(
            &referral_path(first),
            json!({"referral": {"stripe_customer_id": "cus_B"}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["referral"]["stripe_customer_id"], json!("cus_B"));
    let freed = env
        .put(
            &referral_path(second),
            json!({"referral": {"stripe_customer_id": "cus_A"}}),
        )
        .await;
    assert_eq!(freed.status, StatusCode::OK, "{:?}", freed.body);
}

#[tokio::test]
async fn a_customer_email_has_one_referral_per_account_in_any_case() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let first = create(&env, json!({"email": "Cus@Example.com", "code": "ann"})).await;
    let claim = email_claim(&env, "cus@example.com").await.unwrap();
    assert_eq!(claim.holder.to_string(), first["id"].as_str().unwrap());
    let route = claim
        .sale_route
        .expect("the email claim carries the sale route");
    assert_eq!(route.partner_id.to_string(), ann);
    assert_eq!(route.campaign_id, None);

    let before = env.item_count().await;
    let again = env
        .post(
            REFERRALS,
            json!({"referral": {"email": "cUS@example.COM", "partner_id": ann, "stripe_customer_id": "cus_Fresh"}}),
        )
        .await;
    assert_email_taken(&again);
    assert_eq!(env.item_count().await, before, "nothing was written");

    // Account B has customers of its own: the same email is free there.
    let as_b = |path: &'static str, body: Value| {
        env.call(Method::POST, path, Some(&env.key_b), Some(body))
    };
    let group = as_b("/2026-02-01/partners/groups.json", seed::default_group()).await;
    assert_eq!(group.status, StatusCode::CREATED, "{:?}", group.body);
    let bea = as_b(
        "/2026-02-01/partners.json",
        json!({"partner": {"email": "bea@example.com"}}),
    )
    .await;
    assert_eq!(bea.status, StatusCode::CREATED, "{:?}", bea.body);
    let theirs = as_b(
        REFERRALS,
        json!({"referral": {"email": "cus@example.com", "partner_id": bea.body["partner"]["id"]}}),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{:?}", theirs.body);
}

#[tokio::test]
async fn changing_the_email_frees_the_old_one_and_claims_the_new_one() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let first = create(&env, json!({"email": "a@example.com", "code": "ann"})).await;
    let second = create(&env, json!({"email": "b@example.com", "code": "ann"})).await;
    let (first, second) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );
    let taken = env
        .put(
            &referral_path(second),
            json!({"referral": {"email": "A@example.com"}}),
        )
        .await;
    assert_email_taken(&taken);
    let moved = env
        .put(
            &referral_path(first),
            json!({"referral": {"email": "c@example.com"}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["referral"]["email"], json!("c@example.com"));
    assert!(email_claim(&env, "a@example.com").await.is_none());
    let claim = email_claim(&env, "c@example.com").await.unwrap();
    assert_eq!(claim.holder.to_string(), first);
    assert!(
        claim.sale_route.is_some(),
        "the moved claim carries the sale route"
    );

    let freed = create(&env, json!({"email": "a@example.com", "code": "ann"})).await;
    assert_eq!(freed["email"], json!("a@example.com"));
    let claimed = env
        .post(
            REFERRALS,
            json!({"referral": {"email": "C@example.com", "code": "ann"}}),
        )
        .await;
    assert_email_taken(&claimed);
    let claimed = env
        .put(
            &referral_path(second),
            json!({"referral": {"email": "c@example.com"}}),
        )
        .await;
    assert_email_taken(&claimed);
}

#[tokio::test]
async fn a_change_of_case_keeps_the_email_claim() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let referral = create(&env, json!({"email": "a@example.com", "code": "ann"})).await;
    let id = referral["id"].as_str().unwrap();
    for email in ["A@Example.com", "A@Example.com", "a@example.com"] {
        let changed = env
            .put(&referral_path(id), json!({"referral": {"email": email}}))
            .await;
        assert_eq!(
            changed.status,
            StatusCode::OK,
            "{email}: {:?}",
            changed.body
        );
        assert_eq!(changed.body["referral"]["email"], json!(email));
        let claim = email_claim(&env, email).await.unwrap();
        assert_eq!(claim.holder.to_string(), id, "{email}");
    }
    let other = env
        .post(
            REFERRALS,
            json!({"referral": {"email": "a@EXAMPLE.com", "code": "ann"}}),
        )
        .await;
    assert_email_taken(&other);
}

#[tokio::test]
async fn a_customer_email_has_one_referral_under_concurrent_creates() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let emails = ["same@example.com", "Same@example.com", "SAME@EXAMPLE.COM"];
    let attempts = (0..10).map(|n| {
        env.post(
            REFERRALS,
            json!({"referral": {"email": emails[n % emails.len()], "code": "ann"}}),
        )
    });
    let replies = join_all(attempts).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{replies:?}");
    for refused in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_email_taken(refused);
    }
    let list = env.get(REFERRALS).await;
    assert_eq!(list.body["count"], json!(1));
    assert_eq!(list.body["elements"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn lists_filter_by_partner_and_status_with_exact_counts() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let bob = partner(&env, "bob@example.com", "bob", "BOB10").await;
    for (n, (code, status)) in [
        ("ann", "active"),
        ("ann", "trialing"),
        ("ann", "active"),
        ("bob", "active"),
        ("bob", ""),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({"email": format!("c{n}@example.com"), "code": code});
        if !status.is_empty() {
            body["subscription_status"] = json!(status);
        }
        create(&env, body).await;
    }
    for (query, expected) in [
        (String::new(), 5),
        (format!("partner_id={ann}"), 3),
        (format!("partner_id={bob}"), 2),
        ("status=active".to_string(), 3),
        ("status=trialing".to_string(), 1),
        (format!("partner_id={ann}&status=active"), 2),
        (format!("partner_id={bob}&status=trialing"), 0),
    ] {
        let (ids, envelope) = walk(&env, &format!("size=2&{query}")).await;
        assert_eq!(ids.len(), expected, "{query}");
        assert_eq!(envelope["count"], json!(expected), "{query}");
        assert_eq!(envelope["entities"], json!("Referral"));
    }
    // Moving a referral to another status moves it between the filtered lists and counts.
    let (trialing, _) = walk(&env, "status=trialing").await;
    let moved = env
        .put(
            &referral_path(&trialing[0]),
            json!({"referral": {"subscription_status": "active"}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let (active, envelope) = walk(&env, &format!("partner_id={ann}&status=active")).await;
    assert_eq!((active.len(), envelope["count"].clone()), (3, json!(3)));
    let (_, envelope) = walk(&env, "status=trialing").await;
    assert_eq!(envelope["count"], json!(0));
}

#[tokio::test]
async fn cursor_paging_walks_more_than_250_referrals_without_gaps_or_duplicates() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let mut created = Vec::new();
    for n in 0..260 {
        let status = if n % 2 == 0 { "active" } else { "canceled" };
        let referral = create(
            &env,
            json!({"email": format!("c{n}@example.com"), "code": "ann", "subscription_status": status}),
        )
        .await;
        created.push(referral["id"].as_str().unwrap().to_string());
    }
    for query in ["size=100".to_string(), format!("size=100&partner_id={ann}")] {
        let (ids, envelope) = walk(&env, &query).await;
        assert_eq!(
            ids, created,
            "{query}: every referral once, in creation order"
        );
        assert_eq!(envelope["count"], json!(260));
        assert_eq!(envelope["pages"]["max"], json!(3));
    }
    let evens: Vec<String> = created.iter().step_by(2).cloned().collect();
    for query in [
        "size=30&status=active".to_string(),
        format!("size=30&partner_id={ann}&status=active"),
    ] {
        let (ids, envelope) = walk(&env, &query).await;
        assert_eq!(ids, evens, "{query}");
        assert_eq!(envelope["count"], json!(130));
    }
    let unique: HashSet<&String> = created.iter().collect();
    assert_eq!(unique.len(), 260);

    // `page` without a cursor reaches the same page as following the cursor.
    let second = env.get(&format!("{REFERRALS}?size=100&page=2")).await;
    let first = env.get(&format!("{REFERRALS}?size=100")).await;
    let cursor = first.body["pages"]["next_cursor"].as_str().unwrap();
    let followed = env
        .get(&format!("{REFERRALS}?size=100&cursor={cursor}"))
        .await;
    assert_eq!(second.body["elements"], followed.body["elements"]);
    assert_eq!(followed.body["pages"]["current"], json!(2));
    let last = env.get(&format!("{REFERRALS}?size=100&page=3")).await;
    assert_eq!(last.body["elements"].as_array().unwrap().len(), 60);
    assert!(last.body["pages"].get("next_cursor").is_none());
}

#[tokio::test]
async fn a_get_is_one_request_and_a_list_page_two() {
    let env = TestEnv::new().await;
    with_partner(&env).await;
    let referral = create(&env, json!({"email": "c@example.com", "code": "ann"})).await;
    env.counter.take();
    env.get(&referral_path(referral["id"].as_str().unwrap()))
        .await;
    assert_eq!(env.counter.take(), ["BatchGetItem"]);
    env.get(&format!("{REFERRALS}?size=10")).await;
    assert_eq!(env.counter.take(), ["BatchGetItem", "Query"]);
}

#[tokio::test]
async fn every_route_checks_key_scope_and_tenant() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let referral = create(&env, json!({"email": "c@example.com", "code": "ann"})).await;
    let item = referral_path(referral["id"].as_str().unwrap());
    let create_body = json!({"referral": {"email": "d@example.com", "partner_id": ann}});
    let update_body = json!({"referral": {"subscription_status": "active"}});
    let routes = [
        Route::collection(Method::GET, REFERRALS, "referrals:read"),
        Route::collection(Method::POST, REFERRALS, "referrals:write")
            .with_body(create_body.clone()),
        Route::object(Method::GET, &item, "referrals:read"),
        Route::object(Method::PUT, &item, "referrals:write").with_body(update_body),
    ];
    let wrong = env.key_with_scopes(&["partners:*", "campaigns:*"]).await;
    let read_only = env.key_with_scopes(&["referrals:read"]).await;
    let before = env.item_count().await;
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
    // Account B sees nothing of A's, and cannot credit A's partner.
    assert_other_accounts_get_404(&env, &routes, "referral not found").await;
    let foreign_create = env
        .call(Method::POST, REFERRALS, Some(&env.key_b), Some(create_body))
        .await;
    assert_eq!(foreign_create.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign_code = env
        .call(
            Method::POST,
            REFERRALS,
            Some(&env.key_b),
            Some(json!({"referral": {"email": "e@example.com", "code": "ann"}})),
        )
        .await;
    assert_eq!(foreign_code.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(env.item_count().await, before, "nothing was written");
    let mine = env.get(&item).await;
    assert_eq!(mine.body["referral"]["subscription_status"], Value::Null);
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_written() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let referral = create(&env, json!({"email": "c@example.com", "code": "ann"})).await;
    let item = referral_path(referral["id"].as_str().unwrap());
    let before = env.item_count().await;
    let creates = [
        (
            json!({"referral": {"email": "not-an-email", "partner_id": ann}}),
            "referral.email",
        ),
        (json!({"referral": {"partner_id": ann}}), "referral.email"),
        (
            json!({"referral": {"email": "d@example.com", "partner_id": ann, "acquired_at": "2026-01-01T00:00:00Z"}}),
            "referral.acquired_at",
        ),
        (
            json!({"referral": {"email": "d@example.com", "partner_id": ann, "subscription_status": "gone"}}),
            "referral.subscription_status",
        ),
        (
            json!({"referral": {"email": "d@example.com", "partner_id": ann, "ip": "1.2.3"}}),
            "referral.ip",
        ),
        (
            json!({"referral": {"email": "d@example.com", "partner_id": "ANN"}}),
            "referral.partner_id",
        ),
        (
            json!({"referral": {"email": "d@example.com", "partner_id": ann, "stripe_customer_id": "cus 1"}}),
            "referral.stripe_customer_id",
        ),
        (
            json!({"referral": {"email": "d@example.com", "partner_id": ann, "signup_date": "yesterday"}}),
            "referral.signup_date",
        ),
    ];
    for (body, field) in creates {
        let reply = env.post(REFERRALS, body.clone()).await;
        reply.assert_names_first(field, &body);
    }
    let update = env
        .put(&item, json!({"referral": {"partner_id": ann}}))
        .await;
    assert_eq!(update.status, StatusCode::UNPROCESSABLE_ENTITY);
    let update = env.put(&item, json!({"referral": {"email": "nope"}})).await;
    assert_eq!(
        update.body["error"]["fields"][0]["field"],
        json!("referral.email")
    );
    let malformed = env
        .post_raw(REFERRALS, "application/json", "{\"referral\": ")
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    for query in ["status=gone", "partner_id=nope", "size=0", "cursor=forged"] {
        let reply = env.get(&format!("{REFERRALS}?{query}")).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            reply.body
        );
    }
    let unknown = env.get(&referral_path("68f76721000000000000abcd")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(env.item_count().await, before, "nothing was written");
}

/// Follows Ann's link `ann` in account A as a browser: the click's id.
async fn clicked(env: &TestEnv) -> String {
    let request = http::Request::builder()
        .uri(format!("/r/{}/ann", env.account_a))
        .header(
            "user-agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0",
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let (reply, headers) = env.send_with_headers(request).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{:?}", reply.body);
    let location = headers["location"].to_str().unwrap();
    location.rsplit_once("pl_click=").unwrap().1.to_string()
}

#[tokio::test]
async fn a_referral_with_a_click_id_is_the_clicks_partners_and_campaigns() {
    let env = TestEnv::new().await;
    create_default_group(&env).await;
    let campaign = objects::create(
        &env,
        harness::paths::CAMPAIGNS,
        "campaign",
        json!({"campaign": {"name": "Launch", "cookie_duration": 14, "is_default": true}}),
    )
    .await;
    let ann = partner(&env, "ann@example.com", "ann", "ANN10").await;
    let bob = partner(&env, "bob@example.com", "bob", "BOB10").await;
    let click = clicked(&env).await;
    let referral = create(&env, json!({"email": "c1@example.com", "click_id": click})).await;
    assert_eq!(referral["partner_id"], json!(ann));
    assert_eq!(referral["campaign_id"], campaign["id"]);
    assert_eq!(
        referral["code"],
        json!("ann"),
        "the link the click followed"
    );
    let agreeing = create(
        &env,
        json!({"email": "c2@example.com", "click_id": clicked(&env).await, "partner_id": ann}),
    )
    .await;
    assert_eq!(agreeing["partner_id"], json!(ann));

    let before = env.item_count().await;
    let fresh = clicked(&env).await;
    let after_click = env.item_count().await;
    assert!(after_click > before);
    for (body, why) in [
        (
            json!({"email": "c3@example.com", "click_id": fresh, "partner_id": bob}),
            "another partner's id",
        ),
        (
            json!({"email": "c3@example.com", "click_id": fresh, "code": "bob"}),
            "another partner's code",
        ),
        (
            json!({"email": "c3@example.com", "click_id": fresh, "promo_code": "BOB10"}),
            "another partner's promo code",
        ),
        (
            json!({"email": "c3@example.com", "click_id": Id::generate(chrono::Utc::now()).to_string()}),
            "an unknown click",
        ),
        (
            json!({"email": "c3@example.com", "click_id": fresh, "signup_date": "2020-01-01T00:00:00Z"}),
            "a signup before the click",
        ),
        (
            json!({"email": "c3@example.com", "click_id": fresh, "signup_date": (chrono::Utc::now() + chrono::Duration::days(15)).to_rfc3339()}),
            "a signup after the window",
        ),
    ] {
        let reply = env.post(REFERRALS, json!({ "referral": body })).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {:?}",
            reply.body
        );
        reply.assert_names("referral.click_id", why);
    }
    let malformed = env
        .post(
            REFERRALS,
            json!({"referral": {"email": "c3@example.com", "click_id": "x".repeat(3000)}}),
        )
        .await;
    assert_eq!(
        malformed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        malformed.body
    );
    malformed.assert_names("referral.click_id", "a malformed click id");
    let foreign = env
        .call(
            Method::POST,
            REFERRALS,
            Some(&env.key_b),
            Some(json!({"referral": {"email": "c3@example.com", "click_id": fresh}})),
        )
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        foreign.body
    );
    foreign.assert_names("referral.click_id", "account A's click from account B");
    assert_eq!(
        foreign.body["error"]["fields"][0]["message"],
        json!("no click with this id"),
        "another account's click reads as an unknown one"
    );
    assert_eq!(
        env.item_count().await,
        after_click,
        "nothing refused was written"
    );
}

#[tokio::test]
async fn an_expired_click_attributes_nothing() {
    let env = TestEnv::new().await;
    let ann = with_partner(&env).await;
    let account = Id::parse(&env.account_a).unwrap();
    let partner = env
        .store
        .read(&ledger_store::partners::at(
            &account,
            &Id::parse(&ann).unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    let visit = ledger_core::model::Visit {
        user_agent: Some("Mozilla/5.0"),
        ..Default::default()
    };
    let at = chrono::Utc::now() - chrono::Duration::days(8);
    let click =
        ledger_core::model::Click::new(&account, &partner, &partner.links[0], 7, &visit, None, at);
    env.store
        .transact(ledger_store::clicks::record(&env.store, &account, &click).unwrap())
        .await
        .unwrap();
    let before = env.item_count().await;
    let reply = env
        .post(
            REFERRALS,
            json!({"referral": {"email": "late@example.com", "click_id": click.id.to_string()}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    reply.assert_names("referral.click_id", "expired");
    assert!(
        reply.body.to_string().contains("expired"),
        "{:?}",
        reply.body
    );
    let in_window = env
        .post(
            REFERRALS,
            json!({"referral": {"email": "early@example.com", "click_id": click.id.to_string(),
            "signup_date": (at + chrono::Duration::days(6)).to_rfc3339()}}),
        )
        .await;
    assert_eq!(
        in_window.status,
        StatusCode::CREATED,
        "a signup inside the window: {:?}",
        in_window.body
    );
    assert_eq!(in_window.body["referral"]["partner_id"], json!(ann));
    assert!(env.item_count().await > before);
}
