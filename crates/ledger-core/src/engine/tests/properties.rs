//! Properties over generated rule sets and contexts. The strongest one checks
//! the compiled engine against a naive reading of SPEC §2 written straight
//! from the rule specs, with no sorting or precompilation.

use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::engine::{Context, RuleSet, RuleSpec, RuleType};
use crate::money::Currency;

/// 0.01 to `max` in cents.
fn money(max: i64) -> impl Strategy<Value = Decimal> {
    (1..=max * 100).prop_map(|cents| Decimal::new(cents, 2))
}

/// 0 to `max` percent with up to three decimals.
fn percent(max: i64) -> impl Strategy<Value = Decimal> {
    (0..=max * 1000).prop_map(|milli| Decimal::new(milli, 3))
}

fn base_rule(kind: RuleType) -> impl Strategy<Value = RuleSpec> {
    prop_oneof![
        3 => percent(100).prop_map(move |p| RuleSpec { percentage: Some(p), ..RuleSpec::of(kind) }),
        1 => (0..=10_000i64).prop_map(move |c| RuleSpec { amount: Some(Decimal::new(c, 2)), ..RuleSpec::of(kind) }),
    ]
}

fn limit_rule() -> impl Strategy<Value = RuleSpec> {
    prop_oneof![
        (1..36u32).prop_map(|m| RuleSpec {
            max_months: Some(m),
            ..RuleSpec::of(RuleType::CommissionLimit)
        }),
        (1..24u32).prop_map(|p| RuleSpec {
            max_payments: Some(p),
            ..RuleSpec::of(RuleType::CommissionLimit)
        }),
    ]
}

/// A valid rule set in random order; charge-threshold bonuses only if asked.
fn rule_specs(with_bonuses: bool) -> impl Strategy<Value = Vec<RuleSpec>> {
    let bonuses = if with_bonuses { 0..4 } else { 0..1 };
    (
        base_rule(RuleType::Recurring),
        proptest::option::of(base_rule(RuleType::FirstPayment)),
        proptest::collection::btree_map(1..24u32, percent(100), 0..4),
        proptest::collection::btree_map(money(20_000), percent(30), 0..4),
        proptest::collection::btree_map(1..60u32, percent(30), 0..4),
        proptest::collection::btree_map(money(2_000), money(500), bonuses),
        proptest::option::of(limit_rule()),
    )
        .prop_map(
            |(recurring, first, tiers, ltv, customers, bonuses, limit)| {
                let mut specs = vec![recurring];
                specs.extend(first);
                specs.extend(limit);
                specs.extend(tiers.into_iter().map(|(m, p)| RuleSpec {
                    max_months: Some(m),
                    percentage: Some(p),
                    ..RuleSpec::of(RuleType::NewCustomerTimeTier)
                }));
                specs.extend(ltv.into_iter().map(|(t, p)| RuleSpec {
                    min_ltv_total: Some(t),
                    upgrade_percentage: Some(p),
                    ..RuleSpec::of(RuleType::PartnerLtvUpgrade)
                }));
                specs.extend(customers.into_iter().map(|(n, p)| RuleSpec {
                    min_customers: Some(n),
                    upgrade_percentage: Some(p),
                    ..RuleSpec::of(RuleType::QualifiedCustomersUpgrade)
                }));
                specs.extend(bonuses.into_iter().map(|(t, b)| RuleSpec {
                    min_charge_total: Some(t),
                    bonus: Some(b),
                    ..RuleSpec::of(RuleType::ChargeThresholdBonus)
                }));
                specs
            },
        )
        .prop_shuffle()
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["EUR", "USD", "JPY", "KWD", "CLF"])
        .prop_map(|code| Currency::parse(code).expect("listed codes are valid"))
}

fn contexts() -> impl Strategy<Value = Context> {
    (
        money(5_000),
        0..48u32,
        (0..=2_000_000i64).prop_map(|cents| Decimal::new(cents, 2)),
        0..80u32,
        any::<bool>(),
        proptest::option::of(1..30u32),
        currency(),
    )
        .prop_map(
            |(
                charge_amount,
                customer_months,
                partner_ltv,
                qualified_customers,
                bootstrap,
                payment_number,
                currency,
            )| {
                Context {
                    charge_amount,
                    customer_months,
                    partner_ltv,
                    qualified_customers,
                    first_paid_customer_bootstrap: bootstrap,
                    payment_number,
                    currency,
                }
            },
        )
}

/// Any Decimal at all, including huge, negative and 28-decimal ones.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        0..=28u32,
    )
        .prop_map(|(lo, mid, hi, negative, scale)| {
            Decimal::from_parts(lo, mid, hi, negative, scale)
        })
}

/// SPEC §2 read literally: (final fee, rate, limit reached).
fn reference(specs: &[RuleSpec], ctx: &Context) -> (Decimal, Option<Decimal>, bool) {
    let payment_number = ctx
        .payment_number
        .unwrap_or(if ctx.customer_months == 0 { 1 } else { 2 });
    let of = |kind: RuleType| specs.iter().filter(move |s| s.kind == kind);
    let limit_reached = of(RuleType::CommissionLimit).any(|s| {
        s.max_months.is_some_and(|m| ctx.customer_months >= m)
            || s.max_payments.is_some_and(|p| payment_number > p)
    });
    if limit_reached {
        return (Decimal::ZERO, Some(Decimal::ZERO), true);
    }
    let first_payment = of(RuleType::FirstPayment).find(|_| payment_number == 1);
    let tier = of(RuleType::NewCustomerTimeTier)
        .filter(|s| s.max_months.is_some_and(|m| ctx.customer_months < m))
        .min_by_key(|s| s.max_months);
    let base = first_payment
        .or(tier)
        .or(of(RuleType::Recurring).next())
        .expect("one recurring rule");

    let ltv = ctx.partner_ltv
        + if ctx.first_paid_customer_bootstrap {
            ctx.charge_amount
        } else {
            Decimal::ZERO
        };
    let customers = ctx.qualified_customers + u32::from(ctx.first_paid_customer_bootstrap);
    let ltv_points = of(RuleType::PartnerLtvUpgrade)
        .filter(|s| s.min_ltv_total.is_some_and(|t| t <= ltv))
        .max_by_key(|s| s.min_ltv_total)
        .and_then(|s| s.upgrade_percentage)
        .unwrap_or_default();
    let customers_points = of(RuleType::QualifiedCustomersUpgrade)
        .filter(|s| s.min_customers.is_some_and(|n| n <= customers))
        .max_by_key(|s| s.min_customers)
        .and_then(|s| s.upgrade_percentage)
        .unwrap_or_default();
    let bonus = of(RuleType::ChargeThresholdBonus)
        .filter(|s| s.min_charge_total.is_some_and(|t| t <= ctx.charge_amount))
        .max_by_key(|s| s.min_charge_total)
        .and_then(|s| s.bonus)
        .unwrap_or_default();

    let (fee, rate) = match (base.percentage, base.amount) {
        (Some(percentage), _) => {
            let rate = (percentage + ltv_points + customers_points).min(Decimal::ONE_HUNDRED);
            (ctx.charge_amount * rate / Decimal::ONE_HUNDRED, Some(rate))
        }
        (None, amount) => (amount.expect("a base has percentage or amount"), None),
    };
    (
        ctx.currency.round(fee + bonus).max(Decimal::ZERO),
        rate,
        false,
    )
}

/// Reorders LTV upgrade points to rise with their thresholds. Without that,
/// bootstrap can make a bigger charge cross into a higher step that pays fewer
/// points ("the highest qualifying threshold alone applies"), and a bigger
/// charge can then earn a smaller fee.
fn with_rising_ltv_points(mut specs: Vec<RuleSpec>) -> Vec<RuleSpec> {
    let mut steps: Vec<&mut RuleSpec> = specs
        .iter_mut()
        .filter(|s| s.kind == RuleType::PartnerLtvUpgrade)
        .collect();
    steps.sort_by_key(|s| s.min_ltv_total);
    let mut points: Vec<Decimal> = steps.iter().filter_map(|s| s.upgrade_percentage).collect();
    points.sort();
    for (step, points) in steps.into_iter().zip(points) {
        step.upgrade_percentage = Some(points);
    }
    specs
}

proptest! {
    #[test]
    fn matches_a_literal_reading_of_the_spec(specs in rule_specs(true), ctx in contexts()) {
        let rules = RuleSet::parse(specs.clone()).expect("generated sets are valid");
        let result = rules.evaluate(&ctx);
        prop_assert_eq!((result.final_fee, result.rate, result.limit_reached), reference(&specs, &ctx));
    }

    #[test]
    fn fee_is_rounded_never_negative_and_rate_at_most_100(specs in rule_specs(true), ctx in contexts()) {
        let result = RuleSet::parse(specs).expect("generated sets are valid").evaluate(&ctx);
        prop_assert!(result.final_fee >= Decimal::ZERO);
        prop_assert!(result.final_fee.scale() <= ctx.currency.minor_units());
        if let Some(rate) = result.rate {
            prop_assert!(rate >= Decimal::ZERO && rate <= Decimal::ONE_HUNDRED, "rate {}", rate);
        }
    }

    /// A sale is recorded provided the partner's figures are still within
    /// what pricing read: inside it, whatever they moved to, the fee is the
    /// one priced.
    #[test]
    fn figures_moved_within_what_was_read_leave_the_fee_unchanged(
        specs in rule_specs(true),
        ctx in contexts(),
        ltv in (0..=2_000_000i64).prop_map(|cents| Decimal::new(cents, 2)),
        customers in 0..80u32,
    ) {
        let rules = RuleSet::parse(specs).expect("generated sets are valid");
        let read = rules.figures_read(&ctx);
        let inside = |at_least: Option<Decimal>, below: Option<Decimal>, x: Decimal| {
            at_least.is_none_or(|a| x >= a) && below.is_none_or(|b| x < b)
        };
        prop_assume!(inside(read.partner_ltv.at_least, read.partner_ltv.below, ltv));
        prop_assume!(inside(
            read.qualified_customers.at_least.map(Decimal::from),
            read.qualified_customers.below.map(Decimal::from),
            Decimal::from(customers),
        ));
        let moved = Context { partner_ltv: ltv, qualified_customers: customers, ..ctx };
        prop_assert_eq!(rules.evaluate(&moved).final_fee, rules.evaluate(&ctx).final_fee);
    }

    #[test]
    fn is_deterministic(specs in rule_specs(true), ctx in contexts()) {
        let rules = RuleSet::parse(specs).expect("generated sets are valid");
        let first = rules.evaluate(&ctx);
        prop_assert_eq!(&first, &rules.evaluate(&ctx));
        prop_assert_eq!(&first, &rules.clone().evaluate(&ctx));
        let stored = serde_json::to_string(rules.specs()).expect("specs serialize");
        let reloaded = RuleSet::parse(serde_json::from_str(&stored).expect("specs deserialize"))
            .expect("stored specs stay valid");
        prop_assert_eq!(&reloaded, &rules);
        prop_assert_eq!(&first, &reloaded.evaluate(&ctx));
    }

    #[test]
    fn fee_grows_with_the_charge_when_there_is_no_bonus(
        specs in rule_specs(false),
        ctx in contexts(),
        more in money(5_000),
    ) {
        let rules = RuleSet::parse(with_rising_ltv_points(specs)).expect("generated sets are valid");
        let smaller = rules.evaluate(&ctx);
        let larger = rules.evaluate(&Context { charge_amount: ctx.charge_amount + more, ..ctx });
        prop_assert!(smaller.final_fee <= larger.final_fee, "{} > {}", smaller.final_fee, larger.final_fee);
        if smaller.rate.is_some() {
            prop_assert!(smaller.final_fee <= ctx.currency.round(ctx.charge_amount));
        }
    }

    #[test]
    fn never_panics_or_goes_negative_on_unchecked_input(
        specs in rule_specs(true),
        ctx in contexts(),
        charge_amount in any_decimal(),
        partner_ltv in any_decimal(),
        qualified_customers in any::<u32>(),
        payment_number in proptest::option::of(any::<u32>()),
    ) {
        let rules = RuleSet::parse(specs).expect("generated sets are valid");
        let ctx = Context { charge_amount, partner_ltv, qualified_customers, payment_number, ..ctx };
        prop_assert!(rules.evaluate(&ctx).final_fee >= Decimal::ZERO);
    }
}
