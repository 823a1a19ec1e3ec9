//! Table-driven evaluation tests: every rule type at and around its boundaries.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;

use super::{context, rule_set};
use crate::engine::{Band, Context, Evaluation, FiguresRead, RuleSet, RuleType};
use crate::money::Currency;

struct Case {
    name: &'static str,
    ctx: Context,
    fee: Decimal,
    rate: Option<Decimal>,
    bonus: Decimal,
    applied: &'static [usize],
}

fn check(rules: &RuleSet, cases: &[Case]) {
    for case in cases {
        let result = rules.evaluate(&case.ctx);
        let applied: Vec<usize> = result.applied_rules.iter().map(|r| r.index).collect();
        assert_eq!(
            (
                result.final_fee,
                result.rate,
                result.bonus,
                applied.as_slice()
            ),
            (case.fee, case.rate, case.bonus, case.applied),
            "{}",
            case.name
        );
        assert!(!result.limit_reached, "{}", case.name);
    }
}

/// Rules listed out of threshold order on purpose: the engine must sort them.
const FULL_SET: &str = r#"[
    {"type": "new_customer_time_tier", "max_months": 12, "percentage": 20},
    {"type": "recurring", "percentage": 10},
    {"type": "new_customer_time_tier", "max_months": 3, "percentage": 25},
    {"type": "partner_ltv_upgrade", "min_ltv_total": 50000, "upgrade_percentage": 8},
    {"type": "partner_ltv_upgrade", "min_ltv_total": 10000, "upgrade_percentage": 5},
    {"type": "qualified_customers_upgrade", "min_customers": 25, "upgrade_percentage": 4},
    {"type": "qualified_customers_upgrade", "min_customers": 10, "upgrade_percentage": 2},
    {"type": "charge_threshold_bonus", "min_charge_total": 1000, "bonus": 50},
    {"type": "charge_threshold_bonus", "min_charge_total": 500, "bonus": 20}
]"#;

#[test]
fn full_rule_set_boundaries() {
    let rules = rule_set(FULL_SET);
    let charge = context(dec!(100));
    let after_tiers = Context {
        customer_months: 12,
        ..charge
    };
    #[rustfmt::skip]
    let cases = [
        Case { name: "month 0: the smallest max_months wins", ctx: Context { customer_months: 0, ..charge }, fee: dec!(25), rate: Some(dec!(25)), bonus: dec!(0), applied: &[2] },
        Case { name: "month 2: still inside the 3-month tier", ctx: Context { customer_months: 2, ..charge }, fee: dec!(25), rate: Some(dec!(25)), bonus: dec!(0), applied: &[2] },
        Case { name: "month 3 == max_months: 3-month tier over", ctx: Context { customer_months: 3, ..charge }, fee: dec!(20), rate: Some(dec!(20)), bonus: dec!(0), applied: &[0] },
        Case { name: "month 11: inside the 12-month tier", ctx: Context { customer_months: 11, ..charge }, fee: dec!(20), rate: Some(dec!(20)), bonus: dec!(0), applied: &[0] },
        Case { name: "month 12 == max_months: recurring", ctx: after_tiers, fee: dec!(10), rate: Some(dec!(10)), bonus: dec!(0), applied: &[1] },
        Case { name: "LTV just under the threshold", ctx: Context { partner_ltv: dec!(9999.99), ..after_tiers }, fee: dec!(10), rate: Some(dec!(10)), bonus: dec!(0), applied: &[1] },
        Case { name: "LTV exactly at the threshold", ctx: Context { partner_ltv: dec!(10000), ..after_tiers }, fee: dec!(15), rate: Some(dec!(15)), bonus: dec!(0), applied: &[1, 4] },
        Case { name: "only the highest LTV step applies", ctx: Context { partner_ltv: dec!(50000), ..after_tiers }, fee: dec!(18), rate: Some(dec!(18)), bonus: dec!(0), applied: &[1, 3] },
        Case { name: "customers just under the threshold", ctx: Context { qualified_customers: 9, ..after_tiers }, fee: dec!(10), rate: Some(dec!(10)), bonus: dec!(0), applied: &[1] },
        Case { name: "customers exactly at the threshold", ctx: Context { qualified_customers: 10, ..after_tiers }, fee: dec!(12), rate: Some(dec!(12)), bonus: dec!(0), applied: &[1, 6] },
        Case { name: "only the highest customers step applies", ctx: Context { qualified_customers: 30, ..after_tiers }, fee: dec!(14), rate: Some(dec!(14)), bonus: dec!(0), applied: &[1, 5] },
        Case { name: "the two upgrade families stack", ctx: Context { partner_ltv: dec!(10000), qualified_customers: 25, ..after_tiers }, fee: dec!(19), rate: Some(dec!(19)), bonus: dec!(0), applied: &[1, 4, 5] },
        Case { name: "upgrades add to a time tier", ctx: Context { customer_months: 0, partner_ltv: dec!(50000), qualified_customers: 10, ..charge }, fee: dec!(35), rate: Some(dec!(35)), bonus: dec!(0), applied: &[2, 3, 6] },
        Case { name: "LTV short by less than the charge, no bootstrap", ctx: Context { partner_ltv: dec!(9950), ..after_tiers }, fee: dec!(10), rate: Some(dec!(10)), bonus: dec!(0), applied: &[1] },
        Case { name: "bootstrap counts the charge into LTV", ctx: Context { partner_ltv: dec!(9950), first_paid_customer_bootstrap: true, ..after_tiers }, fee: dec!(15), rate: Some(dec!(15)), bonus: dec!(0), applied: &[1, 4] },
        Case { name: "bootstrap counts this customer", ctx: Context { qualified_customers: 9, first_paid_customer_bootstrap: true, ..after_tiers }, fee: dec!(12), rate: Some(dec!(12)), bonus: dec!(0), applied: &[1, 6] },
        Case { name: "bootstrap short of a threshold", ctx: Context { partner_ltv: dec!(9899.99), qualified_customers: 8, first_paid_customer_bootstrap: true, ..after_tiers }, fee: dec!(10), rate: Some(dec!(10)), bonus: dec!(0), applied: &[1] },
        Case { name: "charge exactly at the bonus threshold", ctx: Context { charge_amount: dec!(500), ..after_tiers }, fee: dec!(70), rate: Some(dec!(10)), bonus: dec!(20), applied: &[1, 8] },
        Case { name: "charge just under the bonus threshold", ctx: Context { charge_amount: dec!(499.99), ..after_tiers }, fee: dec!(50), rate: Some(dec!(10)), bonus: dec!(0), applied: &[1] },
        Case { name: "only the highest bonus applies", ctx: Context { charge_amount: dec!(1500), ..after_tiers }, fee: dec!(200), rate: Some(dec!(10)), bonus: dec!(50), applied: &[1, 7] },
    ];
    check(&rules, &cases);
}

#[test]
fn seed_simulation_gives_74_98_at_25_percent() {
    let rules = rule_set(
        r#"[{"type": "new_customer_time_tier", "max_months": 3, "percentage": 25},
            {"type": "recurring", "percentage": 10}]"#,
    );
    let ctx = Context {
        charge_amount: dec!(299.9),
        customer_months: 2,
        partner_ltv: dec!(4500),
        qualified_customers: 12,
        first_paid_customer_bootstrap: false,
        payment_number: None,
        currency: Currency::EUR,
    };
    let result = rules.evaluate(&ctx);
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({
            "final_fee": 74.98,
            "rate": 25,
            "bonus": 0,
            "currency": "EUR",
            "applied_rules": [
                {"index": 0, "type": "new_customer_time_tier", "effect": "base rate 25% in the first 3 months"}
            ],
            "limit_reached": false
        })
    );
    let text = serde_json::to_string(&result).unwrap();
    assert!(
        text.starts_with(r#"{"final_fee":74.98,"rate":25,"bonus":0,"#),
        "{text}"
    );
}

#[test]
fn rate_is_capped_at_100() {
    let rules = rule_set(
        r#"[{"type": "recurring", "percentage": 95},
            {"type": "partner_ltv_upgrade", "min_ltv_total": 1, "upgrade_percentage": 8},
            {"type": "qualified_customers_upgrade", "min_customers": 1, "upgrade_percentage": 4}]"#,
    );
    let ctx = Context {
        partner_ltv: dec!(1),
        qualified_customers: 1,
        ..context(dec!(80))
    };
    #[rustfmt::skip]
    check(&rules, &[
        Case { name: "95 + 8 + 4 is capped", ctx, fee: dec!(80), rate: Some(dec!(100)), bonus: dec!(0), applied: &[0, 1, 2] },
        Case { name: "95 + 4 stays under the cap", ctx: Context { partner_ltv: dec!(0), ..ctx }, fee: dec!(79.2), rate: Some(dec!(99)), bonus: dec!(0), applied: &[0, 2] },
    ]);
}

#[test]
fn fixed_amount_base_ignores_upgrades_but_gets_the_bonus() {
    let rules = rule_set(
        r#"[{"type": "recurring", "amount": 7.5},
            {"type": "partner_ltv_upgrade", "min_ltv_total": 1, "upgrade_percentage": 5},
            {"type": "charge_threshold_bonus", "min_charge_total": 100, "bonus": 2.5}]"#,
    );
    let ctx = Context {
        partner_ltv: dec!(10),
        ..context(dec!(200))
    };
    #[rustfmt::skip]
    check(&rules, &[
        Case { name: "amount plus bonus", ctx, fee: dec!(10), rate: None, bonus: dec!(2.5), applied: &[0, 2] },
        Case { name: "amount alone", ctx: Context { charge_amount: dec!(99), ..ctx }, fee: dec!(7.5), rate: None, bonus: dec!(0), applied: &[0] },
    ]);
    let json = serde_json::to_value(rules.evaluate(&ctx)).unwrap();
    assert_eq!(json["rate"], serde_json::Value::Null);
    assert_eq!(json["final_fee"], json!(10));
}

#[test]
fn first_payment_beats_time_tiers() {
    let rules = rule_set(
        r#"[{"type": "first_payment", "percentage": 40},
            {"type": "new_customer_time_tier", "max_months": 3, "percentage": 25},
            {"type": "recurring", "percentage": 10}]"#,
    );
    let charge = context(dec!(100));
    #[rustfmt::skip]
    check(&rules, &[
        Case { name: "month 0 defaults to payment 1", ctx: Context { customer_months: 0, ..charge }, fee: dec!(40), rate: Some(dec!(40)), bonus: dec!(0), applied: &[0] },
        Case { name: "month 0, second payment", ctx: Context { customer_months: 0, payment_number: Some(2), ..charge }, fee: dec!(25), rate: Some(dec!(25)), bonus: dec!(0), applied: &[1] },
        Case { name: "late first payment still counts", ctx: Context { customer_months: 5, payment_number: Some(1), ..charge }, fee: dec!(40), rate: Some(dec!(40)), bonus: dec!(0), applied: &[0] },
        Case { name: "month 1 defaults to payment 2", ctx: Context { customer_months: 1, ..charge }, fee: dec!(25), rate: Some(dec!(25)), bonus: dec!(0), applied: &[1] },
        Case { name: "after the tier, recurring", ctx: Context { customer_months: 4, ..charge }, fee: dec!(10), rate: Some(dec!(10)), bonus: dec!(0), applied: &[2] },
    ]);
}

#[test]
fn first_payment_amount_is_fixed() {
    let rules = rule_set(
        r#"[{"type": "recurring", "percentage": 10},
            {"type": "first_payment", "amount": 30},
            {"type": "partner_ltv_upgrade", "min_ltv_total": 1, "upgrade_percentage": 5}]"#,
    );
    let charge = Context {
        partner_ltv: dec!(5),
        ..context(dec!(100))
    };
    #[rustfmt::skip]
    check(&rules, &[
        Case { name: "first payment: fixed 30, no upgrade", ctx: Context { customer_months: 0, ..charge }, fee: dec!(30), rate: None, bonus: dec!(0), applied: &[1] },
        Case { name: "later: recurring with upgrade", ctx: charge, fee: dec!(15), rate: Some(dec!(15)), bonus: dec!(0), applied: &[0, 2] },
    ]);
}

fn limited(rules: &RuleSet, ctx: &Context) -> Evaluation {
    let result = rules.evaluate(ctx);
    assert!(result.limit_reached, "{ctx:?}");
    assert_eq!(
        (result.final_fee, result.rate, result.bonus),
        (dec!(0), Some(dec!(0)), dec!(0))
    );
    result
}

#[test]
fn commission_limit_by_months() {
    let rules = rule_set(
        r#"[{"type": "recurring", "percentage": 10},
            {"type": "commission_limit", "max_months": 12}]"#,
    );
    #[rustfmt::skip]
    check(&rules, &[
        Case { name: "month 11 is still paid", ctx: Context { customer_months: 11, ..context(dec!(100)) }, fee: dec!(10), rate: Some(dec!(10)), bonus: dec!(0), applied: &[0] },
    ]);
    let result = limited(
        &rules,
        &Context {
            customer_months: 12,
            ..context(dec!(100))
        },
    );
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({
            "final_fee": 0,
            "rate": 0,
            "bonus": 0,
            "currency": "EUR",
            "applied_rules": [
                {"index": 1, "type": "commission_limit", "effect": "commissions end after 12 months"}
            ],
            "limit_reached": true,
            "limit_reason": "commissions end after 12 months and the customer is in month 13"
        })
    );
}

#[test]
fn commission_limit_by_payments() {
    let rules = rule_set(
        r#"[{"type": "recurring", "percentage": 10},
            {"type": "first_payment", "percentage": 50},
            {"type": "commission_limit", "max_payments": 1},
            {"type": "charge_threshold_bonus", "min_charge_total": 1, "bonus": 5}]"#,
    );
    let charge = context(dec!(100));
    #[rustfmt::skip]
    check(&rules, &[
        Case { name: "payment == max_payments is paid", ctx: Context { payment_number: Some(1), ..charge }, fee: dec!(55), rate: Some(dec!(50)), bonus: dec!(5), applied: &[1, 3] },
        Case { name: "month 0 defaults to payment 1", ctx: Context { customer_months: 0, ..charge }, fee: dec!(55), rate: Some(dec!(50)), bonus: dec!(5), applied: &[1, 3] },
    ]);
    let result = limited(
        &rules,
        &Context {
            payment_number: Some(2),
            ..charge
        },
    );
    assert_eq!(
        result.limit_reason.as_deref(),
        Some("commissions end after 1 payment and this is payment 2")
    );
    assert_eq!(result.applied_rules.len(), 1);
    assert_eq!(result.applied_rules[0].kind, RuleType::CommissionLimit);
    // Past month 0 the payment number defaults to 2, which is over the limit.
    limited(&rules, &charge);
}

#[test]
fn rounds_once_to_the_currency_half_away_from_zero() {
    let percent = |rate: &str| {
        rule_set(&format!(
            r#"[{{"type": "recurring", "percentage": {rate}}}]"#
        ))
    };
    let jpy = Currency::parse("JPY").unwrap();
    let kwd = Currency::parse("KWD").unwrap();
    let cases = [
        ("12.5", dec!(1234), jpy, dec!(154)),            // 154.25
        ("12.5", dec!(1236), jpy, dec!(155)),            // 154.5
        ("10", dec!(12.345), kwd, dec!(1.235)),          // 1.2345
        ("10", dec!(12.344), kwd, dec!(1.234)),          // 1.2344
        ("25", dec!(299.9), Currency::EUR, dec!(74.98)), // 74.975
        ("33.333", dec!(0.01), Currency::EUR, dec!(0)),  // 0.0033333
    ];
    for (rate, charge_amount, currency, fee) in cases {
        let ctx = Context {
            currency,
            ..context(charge_amount)
        };
        let result = percent(rate).evaluate(&ctx);
        assert_eq!(
            result.final_fee, fee,
            "{rate}% of {charge_amount} {currency}"
        );
        assert_eq!(result.currency, currency);
    }
}

#[test]
fn results_carry_no_trailing_zeros() {
    let rules = rule_set(
        r#"[{"type": "recurring", "percentage": 10.000},
            {"type": "charge_threshold_bonus", "min_charge_total": 1, "bonus": 2.50}]"#,
    );
    let result = rules.evaluate(&context(dec!(100.00)));
    let text = serde_json::to_string(&result).unwrap();
    assert!(
        text.starts_with(r#"{"final_fee":12.5,"rate":10,"bonus":2.5,"#),
        "{text}"
    );
    assert_eq!(result.applied_rules[0].effect, "base rate 10%");
    assert_eq!(result.applied_rules[1].effect, "bonus 2.5 (charge ≥ 1)");
}

#[test]
fn effects_describe_each_rule() {
    let rules = rule_set(
        r#"[{"type": "recurring", "amount": 5},
            {"type": "first_payment", "percentage": 30},
            {"type": "new_customer_time_tier", "max_months": 1, "percentage": 20},
            {"type": "partner_ltv_upgrade", "min_ltv_total": 10000, "upgrade_percentage": 5},
            {"type": "qualified_customers_upgrade", "min_customers": 3, "upgrade_percentage": 1.5}]"#,
    );
    let effects = |ctx: Context| -> Vec<String> {
        rules
            .evaluate(&ctx)
            .applied_rules
            .into_iter()
            .map(|r| r.effect)
            .collect()
    };
    let veteran = Context {
        partner_ltv: dec!(10000),
        qualified_customers: 3,
        ..context(dec!(50))
    };
    assert_eq!(
        effects(Context {
            customer_months: 0,
            ..veteran
        }),
        [
            "base rate 30% on the first payment",
            "+5 points (LTV ≥ 10000)",
            "+1.5 points (qualified customers ≥ 3)"
        ]
    );
    assert_eq!(
        effects(Context {
            customer_months: 0,
            payment_number: Some(2),
            ..veteran
        }),
        [
            "base rate 20% in the first month",
            "+5 points (LTV ≥ 10000)",
            "+1.5 points (qualified customers ≥ 3)"
        ]
    );
    assert_eq!(effects(veteran), ["base amount 5"]);
}

#[test]
fn the_highest_ltv_step_alone_applies_even_when_it_pays_less() {
    let rules = rule_set(
        r#"[{"type": "recurring", "percentage": 10},
            {"type": "partner_ltv_upgrade", "min_ltv_total": 1000, "upgrade_percentage": 20},
            {"type": "partner_ltv_upgrade", "min_ltv_total": 2000, "upgrade_percentage": 2}]"#,
    );
    let ctx = Context {
        partner_ltv: dec!(1750),
        first_paid_customer_bootstrap: true,
        ..context(dec!(200))
    };
    // With bootstrap a bigger charge crosses into the 2000 step, so it earns less.
    #[rustfmt::skip]
    check(&rules, &[
        Case { name: "1950 reaches the 1000 step", ctx, fee: dec!(60), rate: Some(dec!(30)), bonus: dec!(0), applied: &[0, 1] },
        Case { name: "2010 reaches the 2000 step", ctx: Context { charge_amount: dec!(260), ..ctx }, fee: dec!(31.2), rate: Some(dec!(12)), bonus: dec!(0), applied: &[0, 2] },
    ]);
}

#[test]
fn schema_shows_numbers_and_an_always_present_rate() {
    use utoipa::PartialSchema;
    let schema = serde_json::to_value(Evaluation::schema()).unwrap();
    assert_eq!(schema["properties"]["final_fee"]["type"], "number");
    assert_eq!(
        schema["properties"]["rate"]["type"],
        json!(["number", "null"])
    );
    assert_eq!(
        schema["required"],
        json!([
            "final_fee",
            "rate",
            "bonus",
            "currency",
            "applied_rules",
            "limit_reached"
        ])
    );
}

/// What pricing read of the partner's figures: the band of each figure its
/// upgrade rules would give the same step in, as of before the charge.
#[test]
fn figures_read_are_the_bands_between_upgrade_thresholds() {
    let rules = rule_set(
        r#"[
        {"type": "recurring", "percentage": 10},
        {"type": "partner_ltv_upgrade", "min_ltv_total": 1000, "upgrade_percentage": 5},
        {"type": "partner_ltv_upgrade", "min_ltv_total": 5000, "upgrade_percentage": 8},
        {"type": "qualified_customers_upgrade", "min_customers": 10, "upgrade_percentage": 2}
    ]"#,
    );
    let ctx = Context {
        partner_ltv: dec!(1200),
        qualified_customers: 3,
        ..context(dec!(100))
    };
    let read = rules.figures_read(&ctx);
    assert_eq!(
        (read.partner_ltv, read.qualified_customers),
        (
            Band {
                at_least: Some(dec!(1000)),
                below: Some(dec!(5000))
            },
            Band {
                at_least: None,
                below: Some(10)
            },
        )
    );
    let bootstrapped = rules.figures_read(&Context {
        first_paid_customer_bootstrap: true,
        ..ctx
    });
    assert_eq!(
        (bootstrapped.partner_ltv, bootstrapped.qualified_customers),
        (
            Band {
                at_least: Some(dec!(900)),
                below: Some(dec!(4900))
            },
            Band {
                at_least: None,
                below: Some(9)
            },
        ),
        "with bootstrap the rules see this charge and customer too"
    );
}

#[test]
fn pricing_that_reads_no_figure_bounds_none() {
    let unbounded = FiguresRead::default();
    let flat = rule_set(r#"[{"type": "recurring", "percentage": 10}]"#);
    assert_eq!(flat.figures_read(&context(dec!(100))), unbounded);
    let fixed = rule_set(
        r#"[
        {"type": "recurring", "amount": 5},
        {"type": "partner_ltv_upgrade", "min_ltv_total": 1000, "upgrade_percentage": 5}
    ]"#,
    );
    assert_eq!(
        fixed.figures_read(&context(dec!(100))),
        unbounded,
        "a fixed amount takes no upgrade"
    );
    let limited = rule_set(
        r#"[
        {"type": "recurring", "percentage": 10},
        {"type": "partner_ltv_upgrade", "min_ltv_total": 1000, "upgrade_percentage": 5},
        {"type": "commission_limit", "max_months": 1}
    ]"#,
    );
    assert_eq!(
        limited.figures_read(&context(dec!(100))),
        unbounded,
        "a reached limit prices nothing"
    );
}
