//! Campaigns end to end against the emulator: the full object round trip,
//! partial updates, the one-default invariant, cursor paging, access control,
//! bad input and the DynamoDB request budget.

use std::collections::HashSet;

use futures::future::join_all;
use harness::TestEnv;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::json::id_of;
use harness::objects;
use harness::paths::CAMPAIGNS;
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn campaign_path(id: &str) -> String {
    format!("/2026-02-01/campaigns/{id}.json")
}

/// Every field PromoteKit's campaign object has, set to something other than
/// its default. Parsed from text so `25.50` reaches the API with both digits.
fn full_campaign() -> Value {
    serde_json::from_str(
        r#"{"campaign": {
            "name": "Launch partners",
            "website_url": "https://example.com/pricing",
            "commission_type": "fixed",
            "commission_amount": 12.5,
            "is_default": true,
            "limit_type": "payments",
            "limit_amount": 6,
            "code_mode": "both",
            "reference_coupon": "LAUNCH10",
            "cookie_duration": 60,
            "approval_needed": true,
            "welcome_message": "Welcome aboard",
            "dashboard_text": "Share your link",
            "details_text": "Tell us about your audience",
            "hide_emails": true,
            "collect_details": true,
            "first_payment_commission": {"enabled": true, "type": "percentage", "amount": 25.50}
        }}"#,
    )
    .expect("valid JSON")
}

fn named(name: &str, is_default: bool) -> Value {
    json!({"campaign": {"name": name, "is_default": is_default}})
}

/// Creates a campaign and returns the object the create answered with.
async fn create(env: &TestEnv, body: Value) -> Value {
    objects::create(env, CAMPAIGNS, "campaign", body).await
}

fn ids(elements: &Value) -> Vec<String> {
    elements
        .as_array()
        .expect("elements")
        .iter()
        .map(id_of)
        .collect()
}

/// The ids of the campaigns the list reports as default.
async fn defaults(env: &TestEnv) -> Vec<String> {
    let list = env.get(CAMPAIGNS).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    list.body["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .filter(|c| c["is_default"] == json!(true))
        .map(id_of)
        .collect()
}

#[tokio::test]
async fn create_answers_201_with_the_full_object() {
    let env = TestEnv::new().await;
    let campaign = create(&env, full_campaign()).await;
    let id = id_of(&campaign);
    assert_eq!(id.len(), 24);
    let mut expected = full_campaign()["campaign"].clone();
    for field in ["id", "created_at", "updated_at"] {
        expected[field] = campaign[field].clone();
    }
    assert_eq!(campaign, expected);
    assert_eq!(campaign["created_at"], campaign["updated_at"]);
    assert_eq!(campaign["commission_amount"].to_string(), "12.5");
    assert_eq!(
        campaign["first_payment_commission"]["amount"].to_string(),
        "25.50",
        "decimals keep their exact digits"
    );
}

#[tokio::test]
async fn a_minimal_create_takes_the_documented_defaults() {
    let env = TestEnv::new().await;
    let campaign = create(&env, json!({"campaign": {"name": "  Plain  "}})).await;
    let id = id_of(&campaign);
    assert_eq!(
        campaign,
        json!({
            "id": id,
            "name": "Plain",
            "website_url": null,
            "commission_type": null,
            "commission_amount": null,
            "is_default": false,
            "limit_type": "none",
            "limit_amount": null,
            "code_mode": "link",
            "reference_coupon": null,
            "cookie_duration": 30,
            "approval_needed": false,
            "welcome_message": null,
            "dashboard_text": null,
            "details_text": null,
            "hide_emails": false,
            "collect_details": false,
            "first_payment_commission": null,
            "created_at": campaign["created_at"],
            "updated_at": campaign["updated_at"],
        })
    );
}

#[tokio::test]
async fn get_and_list_show_what_create_answered() {
    let env = TestEnv::new().await;
    let created = create(&env, full_campaign()).await;
    let id = id_of(&created);

    let got = env.get(&campaign_path(&id)).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, json!({"campaign": created}));

    let list = env.get(CAMPAIGNS).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body,
        json!({
            "entities": "Campaign",
            "count": 1,
            "per_page": 100,
            "pages": {"current": 1, "max": 1},
            "elements": [created]
        })
    );
}

#[tokio::test]
async fn an_update_changes_only_the_given_fields() {
    let env = TestEnv::new().await;
    let created = create(&env, full_campaign()).await;
    let path = campaign_path(&id_of(&created));
    let reply = env
        .put(
            &path,
            json!({"campaign": {"name": "Renamed", "commission_amount": 7.25, "hide_emails": false}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let updated = reply.body["campaign"].clone();

    let mut expected = created.clone();
    expected["name"] = json!("Renamed");
    expected["commission_amount"] = json!(7.25);
    expected["hide_emails"] = json!(false);
    expected["updated_at"] = updated["updated_at"].clone();
    assert_eq!(updated, expected);
    assert_eq!(updated["commission_amount"].to_string(), "7.25");
    assert_eq!(env.get(&path).await.body, json!({"campaign": updated}));

    let cleared = env
        .put(&path, json!({"campaign": {"limit_type": "none"}}))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(cleared.body["campaign"]["limit_type"], json!("none"));
    assert_eq!(cleared.body["campaign"]["limit_amount"], json!(null));
}

#[tokio::test]
async fn at_most_one_campaign_is_the_default() {
    let env = TestEnv::new().await;
    let plain = create(&env, named("Plain", false)).await;
    assert_eq!(plain["is_default"], json!(false));
    assert!(
        defaults(&env).await.is_empty(),
        "the first campaign does not become the default by itself"
    );

    let first = id_of(&create(&env, named("First", true)).await);
    let second = id_of(&create(&env, named("Second", true)).await);
    assert_eq!(defaults(&env).await, vec![second.clone()]);
    let first_now = env.get(&campaign_path(&first)).await.body;
    assert_eq!(first_now["campaign"]["is_default"], json!(false));

    let taken = env
        .put(
            &campaign_path(&first),
            json!({"campaign": {"is_default": true}}),
        )
        .await;
    assert_eq!(taken.body["campaign"]["is_default"], json!(true));
    assert_eq!(defaults(&env).await, vec![first.clone()]);

    let ignored = env
        .put(
            &campaign_path(&second),
            json!({"campaign": {"is_default": false}}),
        )
        .await;
    assert_eq!(ignored.status, StatusCode::OK);
    assert_eq!(
        defaults(&env).await,
        vec![first.clone()],
        "unsetting a campaign that is not the default leaves the default alone"
    );

    let cleared = env
        .put(
            &campaign_path(&first),
            json!({"campaign": {"is_default": false}}),
        )
        .await;
    assert_eq!(cleared.body["campaign"]["is_default"], json!(false));
    assert!(defaults(&env).await.is_empty());
}

#[tokio::test]
async fn concurrent_default_creates_leave_exactly_one_default() {
    let env = TestEnv::new().await;
    let creates = (0..5).map(|i| env.post(CAMPAIGNS, named(&format!("C{i}"), true)));
    let replies = join_all(creates).await;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let created: HashSet<String> = replies.iter().map(|r| id_of(&r.body["campaign"])).collect();
    let defaults = defaults(&env).await;
    assert_eq!(defaults.len(), 1, "{defaults:?}");
    assert!(created.contains(&defaults[0]));
    let list = env.get(CAMPAIGNS).await;
    assert_eq!(list.body["count"], json!(5), "every create counted once");
    assert_eq!(ids(&list.body["elements"]).len(), 5);
}

#[tokio::test]
async fn cursor_pages_cover_every_campaign_exactly_once() {
    let env = TestEnv::new().await;
    let mut created = Vec::new();
    for i in 0..30 {
        created.push(id_of(
            &create(&env, named(&format!("C{i:02}"), false)).await,
        ));
    }
    created.sort();

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut path = format!("{CAMPAIGNS}?size=7");
    loop {
        let reply = env.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let body = &reply.body;
        assert_eq!(
            (&body["count"], &body["per_page"], &body["pages"]["max"]),
            (&json!(30), &json!(7), &json!(5))
        );
        assert_eq!(body["pages"]["current"], json!(pages.len() + 1));
        let page = ids(&body["elements"]);
        seen.extend(page.clone());
        pages.push(page);
        match body["pages"]["next_cursor"].as_str() {
            Some(cursor) => path = format!("{CAMPAIGNS}?size=7&cursor={cursor}"),
            None => break,
        }
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![7, 7, 7, 7, 2]);
    assert_eq!(seen, created, "every campaign once, oldest first");

    let second = env.get(&format!("{CAMPAIGNS}?size=7&page=2")).await;
    assert_eq!(ids(&second.body["elements"]), pages[1]);
    assert_eq!(second.body["pages"]["current"], json!(2));
}

fn routes(campaign: &str) -> Vec<Route> {
    let item = campaign_path(campaign);
    vec![
        Route::collection(Method::GET, CAMPAIGNS, "campaigns:read"),
        Route::collection(Method::POST, CAMPAIGNS, "campaigns:write").with_body(named("X", false)),
        Route::object(Method::GET, &item, "campaigns:read"),
        Route::object(Method::PUT, item, "campaigns:write")
            .with_body(json!({"campaign": {"name": "Y"}})),
    ]
}

#[tokio::test]
async fn every_route_requires_a_key_and_its_scope() {
    let env = TestEnv::new().await;
    let campaign = id_of(&create(&env, full_campaign()).await);
    let wrong = env.key_with_scopes(&["partners:*"]).await;
    let read_only = env.key_with_scopes(&["campaigns:read"]).await;
    let routes = routes(&campaign);
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
}

#[tokio::test]
async fn another_account_cannot_see_or_touch_a_campaign() {
    let env = TestEnv::new().await;
    let created = create(&env, full_campaign()).await;
    let campaign = id_of(&created);
    assert_other_accounts_get_404(&env, &routes(&campaign), "campaign not found").await;
    assert_eq!(
        env.get(&campaign_path(&campaign)).await.body,
        json!({"campaign": created}),
        "A's campaign is untouched"
    );
}

#[tokio::test]
async fn invalid_creates_name_the_field_and_write_nothing() {
    let env = TestEnv::new().await;
    let with = |fields: Value| {
        let mut body = json!({"campaign": {"name": "Bad"}});
        for (key, value) in fields.as_object().unwrap() {
            body["campaign"][key] = value.clone();
        }
        body
    };
    let cases = [
        (
            with(json!({"commission_type": "percentage", "commission_amount": 101})),
            "campaign.commission_amount",
        ),
        (
            with(json!({"commission_type": "fixed", "commission_amount": -5})),
            "campaign.commission_amount",
        ),
        (
            with(json!({"commission_type": "percentage"})),
            "campaign.commission_amount",
        ),
        (
            with(json!({"commission_amount": 10})),
            "campaign.commission_type",
        ),
        (
            with(json!({"limit_type": "months"})),
            "campaign.limit_amount",
        ),
        (
            with(json!({"limit_type": "none", "limit_amount": 3})),
            "campaign.limit_amount",
        ),
        (with(json!({"colour": "blue"})), "campaign.colour"),
        (
            with(json!({"code_mode": "carrier_pigeon"})),
            "campaign.code_mode",
        ),
        (
            with(json!({"cookie_duration": 0})),
            "campaign.cookie_duration",
        ),
        (
            with(json!({"website_url": "example.com"})),
            "campaign.website_url",
        ),
        (
            with(json!({"first_payment_commission": {"enabled": true, "type": "fixed"}})),
            "campaign.first_payment_commission.amount",
        ),
        (
            with(
                json!({"first_payment_commission": {"enabled": true, "type": "fixed", "amount": 1, "extra": 1}}),
            ),
            "campaign.first_payment_commission.extra",
        ),
        (json!({"campaign": {"name": ""}}), "campaign.name"),
        (json!({"campaign": {"is_default": true}}), "campaign.name"),
        (json!({"name": "Unwrapped"}), "name"),
    ];
    let before = env.item_count().await;
    for (body, field) in cases {
        let reply = env.post(CAMPAIGNS, body.clone()).await;
        reply.assert_names(field, &body);
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
}

#[tokio::test]
async fn malformed_json_and_wrong_content_types_are_400() {
    let env = TestEnv::new().await;
    let before = env.item_count().await;
    for (content_type, body) in [
        ("application/json", r#"{"campaign": {"name": "x""#),
        ("text/plain", r#"{"campaign": {"name": "x"}}"#),
    ] {
        let reply = env.post_raw(CAMPAIGNS, content_type, body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{content_type}");
        assert_eq!(reply.error_code(), "bad_request");
    }
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn invalid_updates_name_the_field_and_change_nothing() {
    let env = TestEnv::new().await;
    let created = create(&env, json!({"campaign": {"name": "Plain"}})).await;
    let path = campaign_path(&id_of(&created));
    for (body, field) in [
        (
            json!({"campaign": {"commission_amount": 10}}),
            "campaign.commission_type",
        ),
        (
            json!({"campaign": {"limit_amount": 3}}),
            "campaign.limit_amount",
        ),
        (json!({"campaign": {"name": " "}}), "campaign.name"),
        (
            json!({"campaign": {"cookie_duration": 3651}}),
            "campaign.cookie_duration",
        ),
        (
            json!({"campaign": {"limit_type": "weeks"}}),
            "campaign.limit_type",
        ),
        (json!({"campaign": {"unknown": 1}}), "campaign.unknown"),
    ] {
        let reply = env.put(&path, body.clone()).await;
        reply.assert_names(field, &body);
    }
    assert_eq!(env.get(&path).await.body, json!({"campaign": created}));
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let env = TestEnv::new().await;
    let before = env.item_count().await;
    let unknown = campaign_path("68f76721a1b2c3d4e5f60718");
    let update = env
        .put(&unknown, json!({"campaign": {"name": "Ghost"}}))
        .await;
    assert_eq!(update.status, StatusCode::NOT_FOUND);
    assert_eq!(update.body["error"]["message"], json!("campaign not found"));
    for path in [
        unknown.as_str(),
        "/2026-02-01/campaigns/nope.json",
        "/2026-02-01/campaigns/68f76721a1b2c3d4e5f60718",
    ] {
        assert_eq!(env.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(env.item_count().await, before, "an update never creates");
}

#[tokio::test]
async fn reads_stay_within_the_request_budget() {
    let env = TestEnv::new().await;
    for i in 0..3 {
        create(&env, named(&format!("C{i}"), i == 0)).await;
    }
    let id = id_of(&create(&env, full_campaign()).await);

    env.counter.take();
    assert_eq!(env.get(&campaign_path(&id)).await.status, StatusCode::OK);
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem"],
        "a get is one request"
    );

    let list = env.get(&format!("{CAMPAIGNS}?size=2&page=2")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["count"], json!(4));
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "Query"],
        "a list page is the auth read (with the tally) plus one query"
    );
}
