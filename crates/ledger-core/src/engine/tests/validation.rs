//! Rule-set validation: every problem is reported, with the path a client
//! needs to find it.

use super::specs;
use crate::engine::RuleSet;
use crate::validation::{self, FieldError};

fn errors(json: &str) -> Vec<(String, String)> {
    match RuleSet::parse(specs(json)) {
        Ok(_) => panic!("expected {json} to be rejected"),
        Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
    }
}

fn pairs(expected: Expected) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, m)| (f.to_string(), m.to_string()))
        .collect()
}

/// (field, message) pairs in the order they are reported.
type Expected<'a> = &'a [(&'a str, &'a str)];

const ONE_RECURRING: &str = "must include exactly one recurring rule";

#[test]
fn rejects_invalid_sets_with_exact_paths() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, Expected)] = &[
        ("no rules", r#"[]"#, &[("", ONE_RECURRING)]),
        ("missing recurring", r#"[{"type": "new_customer_time_tier", "max_months": 3, "percentage": 25}]"#, &[("", ONE_RECURRING)]),
        ("two recurring", r#"[{"type": "recurring", "percentage": 10}, {"type": "recurring", "amount": 5}]"#, &[("", ONE_RECURRING)]),
        ("negative percentage", r#"[{"type": "recurring", "percentage": -1}]"#, &[("[0].percentage", "must be between 0 and 100")]),
        ("percentage over 100", r#"[{"type": "recurring", "percentage": 10}, {"type": "new_customer_time_tier", "max_months": 3, "percentage": 100.01}]"#, &[("[1].percentage", "must be between 0 and 100")]),
        ("upgrade over 100", r#"[{"type": "recurring", "percentage": 10}, {"type": "partner_ltv_upgrade", "min_ltv_total": 1, "upgrade_percentage": 101}]"#, &[("[1].upgrade_percentage", "must be between 0 and 100")]),
        ("duplicate tier max_months", r#"[{"type": "new_customer_time_tier", "max_months": 6, "percentage": 30}, {"type": "recurring", "percentage": 10}, {"type": "new_customer_time_tier", "max_months": 6, "percentage": 20}]"#, &[("[2].max_months", "is already used by the new_customer_time_tier rule at [0]")]),
        ("missing parameter", r#"[{"type": "recurring", "percentage": 10}, {"type": "partner_ltv_upgrade", "min_ltv_total": 100}]"#, &[("[1].upgrade_percentage", "is required for a partner_ltv_upgrade rule")]),
        ("both parameters missing", r#"[{"type": "recurring", "percentage": 10}, {"type": "charge_threshold_bonus"}]"#, &[("[1].min_charge_total", "is required for a charge_threshold_bonus rule"), ("[1].bonus", "is required for a charge_threshold_bonus rule")]),
        ("foreign parameter", r#"[{"type": "recurring", "percentage": 10, "max_months": 3}]"#, &[("[0].max_months", "is not a parameter of a recurring rule")]),
        ("recurring with percentage and amount", r#"[{"type": "recurring", "percentage": 10, "amount": 5}]"#, &[("[0]", "must set percentage or amount, not both")]),
        ("recurring with neither", r#"[{"type": "recurring", "description": "empty"}]"#, &[("[0]", "must set percentage or amount")]),
        ("negative amount", r#"[{"type": "recurring", "amount": -0.01}]"#, &[("[0].amount", "must be 0 or more")]),
        ("negative bonus", r#"[{"type": "recurring", "amount": 1}, {"type": "charge_threshold_bonus", "min_charge_total": 10, "bonus": -5}]"#, &[("[1].bonus", "must be 0 or more")]),
        ("zero LTV threshold", r#"[{"type": "recurring", "amount": 1}, {"type": "partner_ltv_upgrade", "min_ltv_total": 0, "upgrade_percentage": 5}]"#, &[("[1].min_ltv_total", "must be greater than 0")]),
        ("zero charge threshold", r#"[{"type": "recurring", "amount": 1}, {"type": "charge_threshold_bonus", "min_charge_total": 0, "bonus": 5}]"#, &[("[1].min_charge_total", "must be greater than 0")]),
        ("zero tier months", r#"[{"type": "recurring", "amount": 1}, {"type": "new_customer_time_tier", "max_months": 0, "percentage": 5}]"#, &[("[1].max_months", "must be at least 1")]),
        ("zero customers", r#"[{"type": "recurring", "amount": 1}, {"type": "qualified_customers_upgrade", "min_customers": 0, "upgrade_percentage": 5}]"#, &[("[1].min_customers", "must be at least 1")]),
        ("zero payments", r#"[{"type": "recurring", "amount": 1}, {"type": "commission_limit", "max_payments": 0}]"#, &[("[1].max_payments", "must be at least 1")]),
        ("limit with both", r#"[{"type": "recurring", "amount": 1}, {"type": "commission_limit", "max_months": 1, "max_payments": 1}]"#, &[("[1]", "must set max_months or max_payments, not both")]),
        ("limit with neither", r#"[{"type": "recurring", "amount": 1}, {"type": "commission_limit"}]"#, &[("[1]", "must set max_months or max_payments")]),
        ("two first_payment rules", r#"[{"type": "first_payment", "amount": 1}, {"type": "recurring", "amount": 1}, {"type": "first_payment", "percentage": 5}]"#, &[("[2]", "a rule set may have only one first_payment rule")]),
        ("two limits", r#"[{"type": "recurring", "amount": 1}, {"type": "commission_limit", "max_months": 12}, {"type": "commission_limit", "max_payments": 3}]"#, &[("[2]", "a rule set may have only one commission_limit rule")]),
        ("same LTV threshold, different scale", r#"[{"type": "recurring", "amount": 1}, {"type": "partner_ltv_upgrade", "min_ltv_total": 10000, "upgrade_percentage": 5}, {"type": "partner_ltv_upgrade", "min_ltv_total": 10000.00, "upgrade_percentage": 7}]"#, &[("[2].min_ltv_total", "is already used by the partner_ltv_upgrade rule at [1]")]),
        ("same customers threshold", r#"[{"type": "recurring", "amount": 1}, {"type": "qualified_customers_upgrade", "min_customers": 5, "upgrade_percentage": 5}, {"type": "qualified_customers_upgrade", "min_customers": 5, "upgrade_percentage": 7}]"#, &[("[2].min_customers", "is already used by the qualified_customers_upgrade rule at [1]")]),
        ("same charge threshold", r#"[{"type": "charge_threshold_bonus", "min_charge_total": 100, "bonus": 5}, {"type": "recurring", "amount": 1}, {"type": "charge_threshold_bonus", "min_charge_total": 100, "bonus": 7}]"#, &[("[2].min_charge_total", "is already used by the charge_threshold_bonus rule at [0]")]),
    ];
    for (name, json, expected) in cases {
        assert_eq!(errors(json), pairs(expected), "{name}");
    }
}

#[test]
fn reports_every_problem_at_once() {
    let json = r#"[
        {"type": "new_customer_time_tier", "max_months": 0, "percentage": 120, "bonus": 5},
        {"type": "partner_ltv_upgrade", "upgrade_percentage": -2},
        {"type": "first_payment", "percentage": 10, "amount": 5},
        {"type": "recurring", "percentage": 10},
        {"type": "recurring", "percentage": 12}
    ]"#;
    assert_eq!(
        errors(json),
        pairs(&[
            ("", ONE_RECURRING),
            ("[0].percentage", "must be between 0 and 100"),
            ("[0].max_months", "must be at least 1"),
            (
                "[0].bonus",
                "is not a parameter of a new_customer_time_tier rule"
            ),
            ("[1].upgrade_percentage", "must be between 0 and 100"),
            (
                "[1].min_ltv_total",
                "is required for a partner_ltv_upgrade rule"
            ),
            ("[2]", "must set percentage or amount, not both"),
        ])
    );
}

#[test]
fn paths_reroot_under_the_callers_wrapper() {
    let Err(errs) = RuleSet::parse(specs(
        r#"[{"type": "new_customer_time_tier", "max_months": 3, "percentage": 101}]"#,
    )) else {
        panic!("expected rejection");
    };
    assert_eq!(
        validation::under(errs, "partnerGroup.rules"),
        [
            FieldError::new("partnerGroup.rules", ONE_RECURRING),
            FieldError::new(
                "partnerGroup.rules[0].percentage",
                "must be between 0 and 100"
            ),
        ]
    );
}

#[test]
fn accepts_boundary_values_and_keeps_specs_as_given() {
    let json = r#"[
        {"type": "new_customer_time_tier", "max_months": 1, "percentage": 100, "description": "launch"},
        {"type": "recurring", "percentage": 0},
        {"type": "first_payment", "amount": 0},
        {"type": "partner_ltv_upgrade", "min_ltv_total": 0.01, "upgrade_percentage": 0},
        {"type": "qualified_customers_upgrade", "min_customers": 1, "upgrade_percentage": 100},
        {"type": "charge_threshold_bonus", "min_charge_total": 0.01, "bonus": 0},
        {"type": "commission_limit", "max_payments": 1}
    ]"#;
    let given = specs(json);
    let rules = RuleSet::parse(given.clone()).expect("boundary values are valid");
    assert_eq!(rules.specs(), given.as_slice());
    assert_eq!(
        serde_json::to_value(rules.specs()).unwrap(),
        serde_json::from_str::<serde_json::Value>(json).unwrap()
    );
}
