//! Partners end to end against the emulator: the full object, partial
//! updates and standing actions, group and campaign defaults, uniqueness of
//! emails and codes under concurrency, parents without cycles, cursor paging,
//! access, bad input and request budgets.

use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::join_all;
use harness::access::{
    Route, assert_keys_are_required, assert_other_accounts_get_404, assert_scopes_are_enforced,
};
use harness::json::id_of;
use harness::objects::{create_group, create_partner};
use harness::paths::{GROUPS, PARTNERS, partner_path};
use harness::{Reply, TestEnv};
use http::{Method, StatusCode};
use ledger_core::model::Id;
use ledger_store::Key;
use ledger_store::keys::PARTNER_STATS_SHARDS;
use serde_json::{Value, json};

const ACTIONS: [&str; 3] = ["approve", "ban", "unban"];

fn action_path(id: &str, action: &str) -> String {
    format!("/2026-02-01/partners/{id}/{action}.json")
}

fn with_email(email: &str) -> Value {
    json!({"partner": {"email": email}})
}

/// Creates a partner group and returns its id; the account's first is its default.
async fn group(env: &TestEnv, name: &str) -> String {
    create_group(env, name, json!([{"type": "recurring", "percentage": 10}])).await
}

fn ids(list: &Reply) -> Vec<String> {
    list.body["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .map(id_of)
        .collect()
}

#[tokio::test]
async fn a_created_partner_is_answered_read_and_listed_in_full() {
    let env = TestEnv::new().await;
    let group = group(&env, "Default").await;
    let reply = env
        .post(
            PARTNERS,
            json!({"partner": {
                "email": " Ann@Example.com ",
                "first_name": "Ann",
                "last_name": "Lee",
                "payout_email": "payouts@ann.example.com",
                "links": [{"url": "https://example.com/?via=ann", "code": "ann"}],
                "promo_codes": [{"code": "ANN10", "external_id": "promo_1Abc"}, {"code": "ANN20"}],
                "details": "Newsletter"
            }}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let partner = reply.body["partner"].clone();
    let id = id_of(&partner);
    assert!(Id::parse(&id).is_some(), "{id}");
    let created_at = partner["created_at"].clone();
    assert_eq!(
        partner,
        json!({
            "id": id,
            "email": "Ann@Example.com",
            "first_name": "Ann",
            "last_name": "Lee",
            "payout_email": "payouts@ann.example.com",
            "group_id": group,
            "campaign_id": null,
            "parent_partner_id": null,
            "links": [{"url": "https://example.com/?via=ann", "code": "ann"}],
            "promo_codes": [{"code": "ANN10", "external_id": "promo_1Abc"}, {"code": "ANN20", "external_id": null}],
            "approved": true,
            "banned": false,
            "details": "Newsletter",
            "clicks": 0,
            "qualified_customers": 0,
            "ltv_total": 0,
            "commissions_total": 0,
            "totals_by_unit": {"cash": 0},
            "created_at": created_at,
            "updated_at": created_at
        })
    );

    let read = env.get(&partner_path(&id)).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, json!({"partner": partner}));

    let list = env.get(PARTNERS).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body,
        json!({
            "entities": "Partner",
            "count": 1,
            "per_page": 100,
            "pages": {"current": 1, "max": 1},
            "elements": [partner]
        })
    );
}

#[tokio::test]
async fn an_update_replaces_only_the_fields_it_names() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let partner = create_partner(
        &env,
        json!({"partner": {"email": "ann@example.com", "first_name": "Ann", "details": "Blog",
            "links": [{"url": "https://example.com/a", "code": "ann"}]}}),
    )
    .await;
    let path = partner_path(&id_of(&partner));
    let reply = env
        .put(
            &path,
            json!({"partner": {"last_name": "Lee", "details": "Newsletter",
                "promo_codes": [{"code": "ANN10"}], "approved": false}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let updated = reply.body["partner"].clone();
    assert_eq!(updated["first_name"], json!("Ann"), "not named, kept");
    assert_eq!(updated["last_name"], json!("Lee"));
    assert_eq!(updated["details"], json!("Newsletter"));
    assert_eq!(updated["links"], partner["links"], "not named, kept");
    assert_eq!(
        updated["promo_codes"],
        json!([{"code": "ANN10", "external_id": null}])
    );
    assert_eq!(updated["approved"], json!(false));
    assert_eq!(updated["created_at"], partner["created_at"]);
    assert_ne!(updated["updated_at"], partner["updated_at"]);
    assert_eq!(env.get(&path).await.body["partner"], updated);
}

#[tokio::test]
async fn approve_ban_and_unban_set_the_standing_idempotently() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let partner = create_partner(
        &env,
        json!({"partner": {"email": "ann@example.com", "approved": false}}),
    )
    .await;
    assert_eq!(
        (&partner["approved"], &partner["banned"]),
        (&json!(false), &json!(false))
    );
    let id = id_of(&partner);
    let standing = |reply: &Reply| {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        (
            reply.body["partner"]["approved"].as_bool().unwrap(),
            reply.body["partner"]["banned"].as_bool().unwrap(),
        )
    };
    for (action, expected) in [
        ("approve", (true, false)),
        ("approve", (true, false)),
        ("ban", (true, true)),
        ("ban", (true, true)),
        ("unban", (true, false)),
        ("unban", (true, false)),
    ] {
        let reply = env
            .call(
                Method::POST,
                &action_path(&id, action),
                Some(&env.key_a),
                None,
            )
            .await;
        assert_eq!(standing(&reply), expected, "{action}");
        assert_eq!(standing(&env.get(&partner_path(&id)).await), expected);
    }
    let with_body = env.post(&action_path(&id, "ban"), json!({})).await;
    assert_eq!(standing(&with_body), (true, true));
}

#[tokio::test]
async fn repeating_an_action_writes_nothing() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let id = id_of(&create_partner(&env, with_email("ann@example.com")).await);
    env.counter.take();
    let reply = env
        .call(
            Method::POST,
            &action_path(&id, "approve"),
            Some(&env.key_a),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(env.counter.take(), vec!["BatchGetItem"]);
    env.call(
        Method::POST,
        &action_path(&id, "ban"),
        Some(&env.key_a),
        None,
    )
    .await;
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "TransactWriteItems"]
    );
}

/// Commissions change statistics with ADD in their own transactions; a
/// profile update or an action must not put back the values it read.
#[tokio::test]
async fn profile_writes_leave_statistics_alone() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let id = id_of(&create_partner(&env, with_email("ann@example.com")).await);
    let key = Key::partner(
        &Id::parse(&env.account_a).unwrap(),
        &Id::parse(&id).unwrap(),
    );
    env.store
        .client()
        .update_item()
        .table_name(env.store.table())
        .set_key(Some(key.item_key()))
        .update_expression("ADD ltv_total :ltv, clicks :one, qualified_customers :one")
        .expression_attribute_values(":ltv", AttributeValue::N("9007199254740993.01".into()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("a commission-style ADD");
    let renamed = env
        .put(
            &partner_path(&id),
            json!({"partner": {"first_name": "Ann"}}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    env.post(&action_path(&id, "ban"), json!({})).await;
    let partner = env.get(&partner_path(&id)).await.body["partner"].clone();
    assert_eq!(partner["first_name"], json!("Ann"));
    assert_eq!(partner["banned"], json!(true));
    assert_eq!(partner["ltv_total"].to_string(), "9007199254740993.01");
    assert_eq!(partner["clicks"], json!(1));
    assert_eq!(partner["qualified_customers"], json!(1));
    assert_eq!(partner["commissions_total"], json!(0));
}

#[tokio::test]
async fn partners_join_the_default_group_unless_they_name_another() {
    let env = TestEnv::new().await;
    let default = group(&env, "Default").await;
    let other = group(&env, "Agencies").await;
    let plain = create_partner(&env, with_email("ann@example.com")).await;
    assert_eq!(plain["group_id"], json!(default));
    let named = create_partner(
        &env,
        json!({"partner": {"email": "bob@example.com", "group_id": other}}),
    )
    .await;
    assert_eq!(named["group_id"], json!(other));
}

#[tokio::test]
async fn partners_join_the_default_campaign_and_wait_if_it_needs_approval() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let campaign = |name: &str, default: bool, approval: bool| json!({"campaign": {"name": name, "is_default": default, "approval_needed": approval}});
    let open = env
        .post("/2026-02-01/campaigns.json", campaign("Open", false, false))
        .await;
    let vetted = env
        .post("/2026-02-01/campaigns.json", campaign("Vetted", true, true))
        .await;
    assert_eq!(
        (open.status, vetted.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let (open, vetted) = (&open.body["campaign"]["id"], &vetted.body["campaign"]["id"]);

    let waiting = create_partner(&env, with_email("ann@example.com")).await;
    assert_eq!(
        (&waiting["campaign_id"], &waiting["approved"]),
        (vetted, &json!(false))
    );
    let told = create_partner(
        &env,
        json!({"partner": {"email": "bob@example.com", "approved": true}}),
    )
    .await;
    assert_eq!(
        (&told["campaign_id"], &told["approved"]),
        (vetted, &json!(true))
    );
    let elsewhere = create_partner(
        &env,
        json!({"partner": {"email": "cy@example.com", "campaign_id": open}}),
    )
    .await;
    assert_eq!(
        (&elsewhere["campaign_id"], &elsewhere["approved"]),
        (open, &json!(true))
    );
}

#[tokio::test]
async fn without_any_group_no_partner_can_be_created() {
    let env = TestEnv::new().await;
    let before = env.item_count().await;
    let reply = env.post(PARTNERS, with_email("ann@example.com")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), vec!["partner.group_id"]);
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("create a partner group first"),
        "{message}"
    );
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn unknown_groups_campaigns_and_parents_are_422_and_write_nothing() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let partner = create_partner(&env, with_email("ann@example.com")).await;
    let path = partner_path(&id_of(&partner));
    let foreign_group = {
        let reply = env
            .call(
                Method::POST,
                GROUPS,
                Some(&env.key_b),
                Some(json!({"partnerGroup": {"name": "B's", "rules": [{"type": "recurring", "percentage": 10}]}})),
            )
            .await;
        reply.body["group"]["id"].as_str().unwrap().to_string()
    };
    let nowhere = "68f76721000000000000dead";
    let before = env.item_count().await;
    for (field, value) in [
        ("group_id", nowhere),
        ("group_id", foreign_group.as_str()),
        ("campaign_id", nowhere),
        ("parent_partner_id", nowhere),
        ("group_id", "not-an-id"),
    ] {
        let reply = env
            .post(
                PARTNERS,
                json!({"partner": {"email": "bob@example.com", field: value}}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {:?}",
            reply.body
        );
        assert_eq!(reply.fields(), vec![format!("partner.{field}")]);

        let reply = env.put(&path, json!({"partner": {field: value}})).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "update {field}={value}: {:?}",
            reply.body
        );
        assert_eq!(reply.fields(), vec![format!("partner.{field}")]);
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
    assert_eq!(env.get(&path).await.body["partner"], partner);
}

#[tokio::test]
async fn a_group_with_partners_cannot_be_deleted_until_they_move() {
    let env = TestEnv::new().await;
    let default = group(&env, "Default").await;
    let agencies = group(&env, "Agencies").await;
    let partner = create_partner(
        &env,
        json!({"partner": {"email": "ann@example.com", "group_id": agencies}}),
    )
    .await;
    let agencies_path = format!("/2026-02-01/partners/groups/{agencies}.json");
    let refused = env.delete(&agencies_path).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.error_code(), "group_has_partners");

    let moved = env
        .put(
            &partner_path(&id_of(&partner)),
            json!({"partner": {"group_id": default}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["partner"]["group_id"], json!(default));
    let deleted = env.delete(&agencies_path).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(env.get(PARTNERS).await.body["count"], json!(1));
}

/// Ten concurrent creates each holding `value` in `field`: one wins.
async fn one_of_ten_wins(env: &TestEnv, bodies: Vec<Value>, code: &str) {
    let before = env.get(PARTNERS).await.body["count"].as_u64().unwrap();
    let replies = join_all(bodies.into_iter().map(|body| env.post(PARTNERS, body))).await;
    let created: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{replies:?}");
    let refused: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT && r.error_code() == code)
        .collect();
    assert_eq!(refused.len(), 9, "{replies:?}");
    let list = env.get(PARTNERS).await;
    assert_eq!(list.body["count"].as_u64().unwrap(), before + 1);
    assert!(ids(&list).contains(&id_of(&created[0].body["partner"])));
    assert_eq!(ids(&list).len() as u64, before + 1);
}

#[tokio::test]
async fn concurrent_creates_with_one_email_make_one_partner() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let bodies = (0..10)
        .map(|i| json!({"partner": {"email": "ann@example.com", "first_name": format!("Ann {i}")}}))
        .collect();
    one_of_ten_wins(&env, bodies, "duplicate_email").await;
}

#[tokio::test]
async fn concurrent_creates_with_one_link_code_make_one_partner() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let bodies = (0..10)
        .map(|i| {
            json!({"partner": {"email": format!("p{i}@example.com"),
            "links": [{"url": "https://example.com", "code": "shared"}]}})
        })
        .collect();
    one_of_ten_wins(&env, bodies, "duplicate_link_code").await;
}

#[tokio::test]
async fn concurrent_creates_with_one_promo_code_make_one_partner() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let bodies = (0..10)
        .map(|i| {
            json!({"partner": {"email": format!("p{i}@example.com"),
            "promo_codes": [{"code": "SPRING"}]}})
        })
        .collect();
    one_of_ten_wins(&env, bodies, "duplicate_promo_code").await;
}

#[tokio::test]
async fn unique_values_ignore_case_and_conflicts_name_the_value() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    create_partner(
        &env,
        json!({"partner": {"email": "Ann@Example.com",
            "links": [{"url": "https://example.com", "code": "Ann"}],
            "promo_codes": [{"code": "ANN10"}]}}),
    )
    .await;
    let before = env.item_count().await;
    for (body, code, named) in [
        (
            with_email("ann@EXAMPLE.com"),
            "duplicate_email",
            "ann@EXAMPLE.com",
        ),
        (
            json!({"partner": {"email": "bob@example.com",
                "links": [{"url": "https://example.com", "code": "bob"}, {"url": "https://example.com", "code": "ANN"}]}}),
            "duplicate_link_code",
            "partner.links[1].code",
        ),
        (
            json!({"partner": {"email": "bob@example.com", "promo_codes": [{"code": "ann10"}]}}),
            "duplicate_promo_code",
            "ann10",
        ),
    ] {
        let reply = env.post(PARTNERS, body).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
        assert_eq!(reply.error_code(), code);
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{message} names {named}");
    }
    assert_eq!(env.item_count().await, before, "nothing was written");
    let codes_elsewhere = env
        .post(
            PARTNERS,
            json!({"partner": {"email": "bob@example.com",
                "links": [{"url": "https://example.com", "code": "ANN10"}],
                "promo_codes": [{"code": "ann"}]}}),
        )
        .await;
    assert_eq!(
        codes_elsewhere.status,
        StatusCode::CREATED,
        "link and promo codes are separate namespaces: {:?}",
        codes_elsewhere.body
    );
}

#[tokio::test]
async fn duplicate_codes_within_one_request_are_422() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let before = env.item_count().await;
    let reply = env
        .post(
            PARTNERS,
            json!({"partner": {"email": "ann@example.com",
                "links": [{"url": "https://example.com", "code": "ann"}, {"url": "https://example.com/b", "code": "ANN"}],
                "promo_codes": [{"code": "X1"}, {"code": "x1"}]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.fields(),
        vec!["partner.links[1].code", "partner.promo_codes[1].code"]
    );
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn changing_unique_values_frees_the_old_ones_and_takes_the_new() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let ann = create_partner(
        &env,
        json!({"partner": {"email": "ann@example.com",
            "links": [{"url": "https://example.com", "code": "ann"}]}}),
    )
    .await;
    let reply = env
        .put(
            &partner_path(&id_of(&ann)),
            json!({"partner": {"email": "ann@new.example.com",
                "links": [{"url": "https://example.com", "code": "ann2"}]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let freed = create_partner(
        &env,
        json!({"partner": {"email": "ANN@example.com",
            "links": [{"url": "https://example.com", "code": "ann"}]}}),
    )
    .await;
    for body in [
        with_email("ann@new.example.com"),
        json!({"partner": {"email": "bob@example.com", "links": [{"url": "https://example.com", "code": "ann2"}]}}),
    ] {
        assert_eq!(env.post(PARTNERS, body).await.status, StatusCode::CONFLICT);
    }
    let stolen = env
        .put(
            &partner_path(&id_of(&freed)),
            json!({"partner": {"email": "ann@new.example.com"}}),
        )
        .await;
    assert_eq!(stolen.status, StatusCode::CONFLICT);
    assert_eq!(stolen.error_code(), "duplicate_email");
    let recased = env
        .put(
            &partner_path(&id_of(&ann)),
            json!({"partner": {"email": "Ann@New.Example.com"}}),
        )
        .await;
    assert_eq!(recased.status, StatusCode::OK, "{:?}", recased.body);
    assert_eq!(
        recased.body["partner"]["email"],
        json!("Ann@New.Example.com")
    );
}

#[tokio::test]
async fn parents_must_exist_and_never_form_a_cycle() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let a = id_of(&create_partner(&env, with_email("a@example.com")).await);
    let b = id_of(
        &create_partner(
            &env,
            json!({"partner": {"email": "b@example.com", "parent_partner_id": a}}),
        )
        .await,
    );
    let c = id_of(
        &create_partner(
            &env,
            json!({"partner": {"email": "c@example.com", "parent_partner_id": b}}),
        )
        .await,
    );
    let before = env.item_count().await;
    for (child, parent) in [(&a, &b), (&a, &c), (&a, &a)] {
        let reply = env
            .put(
                &partner_path(child),
                json!({"partner": {"parent_partner_id": parent}}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{child} under {parent}"
        );
        assert_eq!(reply.fields(), vec!["partner.parent_partner_id"]);
    }
    assert_eq!(env.item_count().await, before);
    let d = id_of(&create_partner(&env, with_email("d@example.com")).await);
    let reparented = env
        .put(
            &partner_path(&c),
            json!({"partner": {"parent_partner_id": d}}),
        )
        .await;
    assert_eq!(reparented.status, StatusCode::OK);
    let now_fine = env
        .put(
            &partner_path(&a),
            json!({"partner": {"parent_partner_id": c}}),
        )
        .await;
    assert_eq!(
        now_fine.status,
        StatusCode::OK,
        "c no longer descends from a: {:?}",
        now_fine.body
    );
    assert_eq!(now_fine.body["partner"]["parent_partner_id"], json!(c));
}

#[tokio::test]
async fn concurrent_reparenting_cannot_close_a_cycle() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let a = id_of(&create_partner(&env, with_email("a@example.com")).await);
    let b = id_of(&create_partner(&env, with_email("b@example.com")).await);
    let (under_b, under_a) = (
        json!({"partner": {"parent_partner_id": b}}),
        json!({"partner": {"parent_partner_id": a}}),
    );
    let (path_a, path_b) = (partner_path(&a), partner_path(&b));
    let (one, two) = tokio::join!(env.put(&path_a, under_b), env.put(&path_b, under_a));
    let statuses = [one.status, two.status];
    assert!(
        statuses.contains(&StatusCode::OK) && !statuses.iter().all(|s| *s == StatusCode::OK),
        "exactly one re-parenting wins: {one:?} {two:?}"
    );
    let parents = [
        env.get(&path_a).await.body["partner"]["parent_partner_id"].clone(),
        env.get(&path_b).await.body["partner"]["parent_partner_id"].clone(),
    ];
    assert!(parents.contains(&Value::Null), "{parents:?}");
}

#[tokio::test]
async fn a_parent_deeper_than_ten_generations_is_refused() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let mut chain = vec![id_of(
        &create_partner(&env, with_email("g0@example.com")).await,
    )];
    for n in 1..11 {
        let parent = chain.last().unwrap().clone();
        let body =
            json!({"partner": {"email": format!("g{n}@example.com"), "parent_partner_id": parent}});
        chain.push(id_of(&create_partner(&env, body).await));
    }
    let loner = id_of(&create_partner(&env, with_email("loner@example.com")).await);
    let under = |parent: &str| json!({"partner": {"parent_partner_id": parent}});
    let too_deep = env.put(&partner_path(&loner), under(&chain[10])).await;
    assert_eq!(too_deep.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_deep.fields(), vec!["partner.parent_partner_id"]);
    let deepest_allowed = env.put(&partner_path(&loner), under(&chain[9])).await;
    assert_eq!(
        deepest_allowed.status,
        StatusCode::OK,
        "{:?}",
        deepest_allowed.body
    );
}

/// Every value exchanged, the group moved and ten ancestors checked: the
/// largest update still fits one transaction (DynamoDB allows 100 items).
#[tokio::test]
async fn the_largest_update_fits_one_transaction() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let agencies = group(&env, "Agencies").await;
    let mut chain = vec![id_of(
        &create_partner(&env, with_email("g0@example.com")).await,
    )];
    for n in 1..10 {
        let parent = chain.last().unwrap().clone();
        let body =
            json!({"partner": {"email": format!("g{n}@example.com"), "parent_partner_id": parent}});
        chain.push(id_of(&create_partner(&env, body).await));
    }
    let links = |tag: &str| -> Vec<Value> {
        (0..20)
            .map(|i| json!({"url": "https://example.com", "code": format!("{tag}-link-{i}")}))
            .collect()
    };
    let promo_codes = |tag: &str| -> Vec<Value> {
        (0..20)
            .map(|i| json!({"code": format!("{tag}-promo-{i}")}))
            .collect()
    };
    let partner = create_partner(
        &env,
        json!({"partner": {"email": "old@example.com", "links": links("old"), "promo_codes": promo_codes("old")}}),
    )
    .await;
    env.counter.take();
    let reply = env
        .put(
            &partner_path(&id_of(&partner)),
            json!({"partner": {"email": "new@example.com", "group_id": agencies,
                "parent_partner_id": chain[9], "links": links("new"), "promo_codes": promo_codes("new")}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let requests = env.counter.take();
    assert_eq!(
        requests
            .iter()
            .filter(|r| *r == "TransactWriteItems")
            .count(),
        1
    );
    assert_eq!(reply.body["partner"]["links"], json!(links("new")));
    let reclaimed = create_partner(
        &env,
        json!({"partner": {"email": "old@example.com", "links": links("old"), "promo_codes": promo_codes("old")}}),
    )
    .await;
    assert_eq!(reclaimed["links"], json!(links("old")));
}

#[tokio::test]
async fn cursor_pages_walk_more_than_250_partners() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let mut created = Vec::new();
    for n in 0..260 {
        created.push(id_of(
            &create_partner(&env, with_email(&format!("p{n}@example.com"))).await,
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut pages = Vec::new();
    let mut path = format!("{PARTNERS}?size=100");
    loop {
        let page = env.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        assert_eq!(page.body["count"], json!(260));
        assert_eq!(page.body["pages"]["max"], json!(3));
        assert_eq!(page.body["pages"]["current"], json!(pages.len() + 1));
        seen.extend(ids(&page));
        let next = page.body["pages"]["next_cursor"].as_str().map(String::from);
        pages.push(page);
        match next {
            Some(cursor) => path = format!("{PARTNERS}?size=100&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages.len(), 3);
    let sizes: Vec<usize> = pages.iter().map(|p| ids(p).len()).collect();
    assert_eq!(sizes, vec![100, 100, 60]);
    assert_eq!(seen, created, "every partner once, in creation order");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "ascending and unique");

    let second = env.get(&format!("{PARTNERS}?size=100&page=2")).await;
    assert_eq!(
        second.body, pages[1].body,
        "page=2 is the second cursor page"
    );
    env.counter.take();
    let deep = env
        .get(&format!(
            "{PARTNERS}?size=100&cursor={}",
            pages[1].body["pages"]["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(deep.body, pages[2].body);
    // The page's partners' statistics shards, 100 keys a BatchGetItem.
    let shard_keys = ids(&deep).len() * usize::from(PARTNER_STATS_SHARDS - 1);
    let mut budget = vec!["BatchGetItem", "Query"];
    budget.extend(std::iter::repeat_n(
        "BatchGetItem",
        shard_keys.div_ceil(100),
    ));
    assert_eq!(
        env.counter.take(),
        budget,
        "a deep page costs what the first of its size does"
    );
}

fn routes(partner: &str) -> Vec<Route> {
    let item = partner_path(partner);
    let mut routes = vec![
        Route::collection(Method::GET, PARTNERS, "partners:read"),
        Route::collection(Method::POST, PARTNERS, "partners:write")
            .with_body(with_email("new@example.com")),
        Route::object(Method::GET, &item, "partners:read"),
        Route::object(Method::PUT, item, "partners:write")
            .with_body(json!({"partner": {"first_name": "Mallory"}})),
    ];
    for action in ACTIONS.into_iter().chain(["portal_sessions"]) {
        routes.push(Route::object(
            Method::POST,
            action_path(partner, action),
            "partners:write",
        ));
    }
    routes
}

#[tokio::test]
async fn every_route_needs_a_key_with_its_scope() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let partner = id_of(&create_partner(&env, with_email("ann@example.com")).await);
    let wrong = env
        .key_with_scopes(&["partner_groups:*", "campaigns:read"])
        .await;
    let read_only = env.key_with_scopes(&["partners:read"]).await;
    let routes = routes(&partner);
    assert_keys_are_required(&env, &routes).await;
    assert_scopes_are_enforced(&env, &routes, &wrong, &read_only).await;
}

#[tokio::test]
async fn another_account_cannot_see_or_touch_a_partner() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let partner = create_partner(&env, with_email("ann@example.com")).await;
    let id = id_of(&partner);
    assert_other_accounts_get_404(&env, &routes(&id), "partner not found").await;
    assert_eq!(env.get(&partner_path(&id)).await.body["partner"], partner);
    let b_reuses_the_email = env
        .call(
            Method::POST,
            PARTNERS,
            Some(&env.key_b),
            Some(with_email("ann@example.com")),
        )
        .await;
    assert_eq!(
        b_reuses_the_email.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "B has no group yet, but no email conflict either: {:?}",
        b_reuses_the_email.body
    );
    assert_eq!(b_reuses_the_email.fields(), vec!["partner.group_id"]);
}

#[tokio::test]
async fn ids_that_cannot_exist_are_404() {
    let env = TestEnv::new().await;
    for path in [
        "/2026-02-01/partners/nope.json".to_string(),
        "/2026-02-01/partners/68F76721A1B2C3D4E5F60718.json".to_string(),
        partner_path("68f76721a1b2c3d4e5f60718"),
        action_path("68f76721a1b2c3d4e5f60718", "approve"),
        action_path("nope", "ban"),
    ] {
        let method = if path.ends_with("approve.json") || path.ends_with("ban.json") {
            Method::POST
        } else {
            Method::GET
        };
        let reply = env.call(method, &path, Some(&env.key_a), None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// Sends `body` to the create route; checks the status, the field named and that nothing was written.
async fn rejected(env: &TestEnv, body: Value, field: &str) {
    let before = env.item_count().await;
    let reply = env.post(PARTNERS, body.clone()).await;
    reply.assert_names(field, &body);
    assert_eq!(env.item_count().await, before, "{body} wrote nothing");
}

#[tokio::test]
async fn invalid_bodies_name_the_field_and_write_nothing() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let link = |code: &str| json!({"url": "https://example.com", "code": code});
    let many_links: Vec<Value> = (0..21).map(|i| link(&format!("c{i}"))).collect();
    for (body, field) in [
        (json!({"partner": {}}), "partner.email"),
        (json!({}), "partner"),
        (with_email("not-an-email"), "partner.email"),
        (with_email("a@b@c"), "partner.email"),
        (with_email(" @example.com"), "partner.email"),
        (
            json!({"partner": {"email": "a@example.com", "payout_email": "x"}}),
            "partner.payout_email",
        ),
        (
            json!({"partner": {"email": "a@example.com", "colour": "blue"}}),
            "partner.colour",
        ),
        (
            json!({"partner": {"email": "a@example.com", "clicks": 5}}),
            "partner.clicks",
        ),
        (
            json!({"partner": {"email": "a@example.com", "ltv_total": 100}}),
            "partner.ltv_total",
        ),
        (
            json!({"partner": {"email": "a@example.com", "first_name": "x".repeat(201)}}),
            "partner.first_name",
        ),
        (
            json!({"partner": {"email": "a@example.com", "details": "x".repeat(5001)}}),
            "partner.details",
        ),
        (
            json!({"partner": {"email": "a@example.com", "links": [link("ok"), link("not ok!")]}}),
            "partner.links[1].code",
        ),
        (
            json!({"partner": {"email": "a@example.com", "links": [link("")]}}),
            "partner.links[0].code",
        ),
        (
            json!({"partner": {"email": "a@example.com", "links": [{"url": "ftp://example.com", "code": "ok"}]}}),
            "partner.links[0].url",
        ),
        (
            json!({"partner": {"email": "a@example.com", "links": [{"url": "https://example.com"}]}}),
            "partner.links[0].code",
        ),
        (
            json!({"partner": {"email": "a@example.com", "links": many_links}}),
            "partner.links",
        ),
        (
            json!({"partner": {"email": "a@example.com", "promo_codes": [{"code": "x".repeat(65)}]}}),
            "partner.promo_codes[0].code",
        ),
        (
            json!({"partner": {"email": "a@example.com", "approved": "yes"}}),
            "partner.approved",
        ),
    ] {
        rejected(&env, body, field).await;
    }
    let partner = create_partner(&env, with_email("ann@example.com")).await;
    let path = partner_path(&id_of(&partner));
    for (body, field) in [
        (json!({"partner": {"email": "nope"}}), "partner.email"),
        (
            json!({"partner": {"links": [link("a b")]}}),
            "partner.links[0].code",
        ),
        (
            json!({"partner": {"commissions_total": 1}}),
            "partner.commissions_total",
        ),
    ] {
        let reply = env.put(&path, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.fields(), vec![field], "{body}");
    }
    assert_eq!(env.get(&path).await.body["partner"], partner);
}

#[tokio::test]
async fn malformed_json_and_wrong_content_types_are_400() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    let before = env.item_count().await;
    for (content_type, body) in [
        (
            "application/json",
            r#"{"partner": {"email": "a@example.com""#.to_string(),
        ),
        ("text/plain", with_email("a@example.com").to_string()),
    ] {
        let reply = env.post_raw(PARTNERS, content_type, &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{content_type}");
        assert_eq!(reply.error_code(), "bad_request");
    }
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn routes_stay_within_their_dynamodb_request_budget() {
    let env = TestEnv::new().await;
    group(&env, "Default").await;
    env.counter.take();
    let id = id_of(&create_partner(&env, seed_body()).await);
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "TransactWriteItems"],
        "create: 1 read + 1 transaction"
    );
    env.get(&partner_path(&id)).await;
    assert_eq!(env.counter.take(), vec!["BatchGetItem"], "get: 1 request");
    env.get(PARTNERS).await;
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "Query", "BatchGetItem"],
        "list page: 2 requests, and 1 for the page's statistics shards (per 33 partners)"
    );
    env.put(
        &partner_path(&id),
        json!({"partner": {"first_name": "Annie"}}),
    )
    .await;
    assert_eq!(
        env.counter.take(),
        vec!["BatchGetItem", "TransactWriteItems"],
        "update: 1 read + 1 transaction"
    );
}

fn seed_body() -> Value {
    harness::seed::partner_create("ann")
}

#[tokio::test]
async fn the_openapi_document_describes_every_partner_route() {
    let env = TestEnv::new().await;
    let doc = env
        .call(Method::GET, "/2026-02-01/openapi.json", None, None)
        .await
        .body;
    for (path, method, scope) in [
        ("/2026-02-01/partners.json", "get", "partners:read"),
        ("/2026-02-01/partners.json", "post", "partners:write"),
        (
            "/2026-02-01/partners/{partnerId}.json",
            "get",
            "partners:read",
        ),
        (
            "/2026-02-01/partners/{partnerId}.json",
            "put",
            "partners:write",
        ),
        (
            "/2026-02-01/partners/{partnerId}/approve.json",
            "post",
            "partners:write",
        ),
        (
            "/2026-02-01/partners/{partnerId}/ban.json",
            "post",
            "partners:write",
        ),
        (
            "/2026-02-01/partners/{partnerId}/unban.json",
            "post",
            "partners:write",
        ),
    ] {
        let operation = &doc["paths"][path][method];
        assert_eq!(operation["tags"], json!(["Partners"]), "{method} {path}");
        assert_eq!(
            operation["security"],
            json!([{"api_key": [scope]}]),
            "{method} {path}"
        );
    }
    let detail = &doc["components"]["schemas"]["PartnerDetail"]["properties"];
    assert_eq!(detail["ltv_total"]["type"], json!("number"));
}
