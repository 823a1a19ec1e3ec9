//! Rules-engine throughput: one evaluation of a realistic five-rule set.
//! Budget (DESIGN.md §5): at most 200 ns per evaluation.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ledger_core::engine::{Context, RuleSet, RuleSpec};
use ledger_core::money::Currency;
use rust_decimal_macros::dec;

const FIVE_RULES: &str = r#"[
    {"type": "new_customer_time_tier", "max_months": 12, "percentage": 25},
    {"type": "recurring", "percentage": 15},
    {"type": "partner_ltv_upgrade", "min_ltv_total": 10000, "upgrade_percentage": 5},
    {"type": "qualified_customers_upgrade", "min_customers": 10, "upgrade_percentage": 2},
    {"type": "charge_threshold_bonus", "min_charge_total": 250, "bonus": 20}
]"#;

fn evaluate_five_rules(c: &mut Criterion) {
    let specs: Vec<RuleSpec> = serde_json::from_str(FIVE_RULES).expect("benchmark rules are JSON");
    let rules = RuleSet::parse(specs).expect("benchmark rules are valid");
    // Every rule takes part: inside the tier, both upgrades and the bonus apply.
    let ctx = Context {
        charge_amount: dec!(299.9),
        customer_months: 2,
        partner_ltv: dec!(12500),
        qualified_customers: 12,
        first_paid_customer_bootstrap: false,
        payment_number: None,
        currency: Currency::EUR,
    };
    assert_eq!(rules.evaluate(&ctx).final_fee, dec!(115.97));

    c.bench_function("engine/evaluate_5_rules", |b| {
        b.iter(|| black_box(&rules).evaluate(black_box(&ctx)))
    });
}

criterion_group!(benches, evaluate_five_rules);
criterion_main!(benches);
