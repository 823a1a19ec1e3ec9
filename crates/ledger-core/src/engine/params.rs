//! One rule's parameters: which ones each rule type takes, their ranges, and
//! the typed `Rule` a valid `RuleSpec` becomes.
//!
//! Errors name the field relative to the rule (`percentage`, or `""` for the
//! rule as a whole); the rule set puts them under the rule's index.

use rust_decimal::Decimal;

use super::rule::{RuleSpec, RuleType};
use crate::money;
use crate::validation::FieldError;

/// How a base rule pays: a share of the charge or a fixed amount.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Commission {
    Percentage(Decimal),
    Amount(Decimal),
}

/// When a commission limit stops commissions for a customer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Limit {
    Months(u32),
    Payments(u32),
}

/// A rule whose parameters have been checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Rule {
    Recurring(Commission),
    FirstPayment(Commission),
    TimeTier {
        max_months: u32,
        percentage: Decimal,
    },
    LtvUpgrade {
        min_ltv_total: Decimal,
        points: Decimal,
    },
    CustomersUpgrade {
        min_customers: u32,
        points: Decimal,
    },
    ChargeBonus {
        min_charge_total: Decimal,
        bonus: Decimal,
    },
    Limit(Limit),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Param {
    Percentage,
    Amount,
    MaxMonths,
    MaxPayments,
    MinLtvTotal,
    UpgradePercentage,
    MinChargeTotal,
    Bonus,
    MinCustomers,
}

impl Param {
    /// In `RuleSpec` field order, so errors come out in a stable order.
    const ALL: [Param; 9] = [
        Param::Percentage,
        Param::Amount,
        Param::MaxMonths,
        Param::MaxPayments,
        Param::MinLtvTotal,
        Param::UpgradePercentage,
        Param::MinChargeTotal,
        Param::Bonus,
        Param::MinCustomers,
    ];

    fn name(self) -> &'static str {
        match self {
            Param::Percentage => "percentage",
            Param::Amount => "amount",
            Param::MaxMonths => "max_months",
            Param::MaxPayments => "max_payments",
            Param::MinLtvTotal => "min_ltv_total",
            Param::UpgradePercentage => "upgrade_percentage",
            Param::MinChargeTotal => "min_charge_total",
            Param::Bonus => "bonus",
            Param::MinCustomers => "min_customers",
        }
    }

    /// The parameters a rule of `kind` may carry.
    fn of(kind: RuleType) -> &'static [Param] {
        match kind {
            RuleType::Recurring | RuleType::FirstPayment => &[Param::Percentage, Param::Amount],
            RuleType::NewCustomerTimeTier => &[Param::MaxMonths, Param::Percentage],
            RuleType::PartnerLtvUpgrade => &[Param::MinLtvTotal, Param::UpgradePercentage],
            RuleType::ChargeThresholdBonus => &[Param::MinChargeTotal, Param::Bonus],
            RuleType::QualifiedCustomersUpgrade => &[Param::MinCustomers, Param::UpgradePercentage],
            RuleType::CommissionLimit => &[Param::MaxMonths, Param::MaxPayments],
        }
    }
}

impl Rule {
    /// Checks every parameter of `spec` and reports all problems at once:
    /// parameters foreign to the type, values out of range, and missing ones.
    pub(super) fn from_spec(spec: &RuleSpec) -> Result<Rule, Vec<FieldError>> {
        let allowed = Param::of(spec.kind);
        let mut errors = Vec::new();
        for param in Param::ALL {
            match range_check(spec, param) {
                None => {}
                Some(_) if !allowed.contains(&param) => errors.push(FieldError::new(
                    param.name(),
                    format!("is not a parameter of a {} rule", spec.kind),
                )),
                Some(Err(message)) => errors.push(FieldError::new(param.name(), message)),
                Some(Ok(())) => {}
            }
        }
        match shape(spec) {
            Ok(rule) if errors.is_empty() => Ok(rule),
            Ok(_) => Err(errors),
            Err(missing) => {
                errors.extend(missing);
                Err(errors)
            }
        }
    }
}

/// The message for an amount over [`money::MAX_AMOUNT`] (1 000 000 000).
const AT_MOST_MAX_AMOUNT: &str = "must be at most 1000000000";

/// `None` if `param` is absent from `spec`, otherwise whether its value is in range.
fn range_check(spec: &RuleSpec, param: Param) -> Option<Result<(), &'static str>> {
    let percentage = |p: Decimal| {
        in_range(
            p >= Decimal::ZERO && p <= Decimal::ONE_HUNDRED,
            "must be between 0 and 100",
        )
    };
    let non_negative = |a: Decimal| {
        in_range(a >= Decimal::ZERO, "must be 0 or more")
            .and_then(|()| in_range(money::in_bounds(a), AT_MOST_MAX_AMOUNT))
    };
    let positive = |a: Decimal| {
        in_range(a > Decimal::ZERO, "must be greater than 0")
            .and_then(|()| in_range(money::in_bounds(a), AT_MOST_MAX_AMOUNT))
    };
    let at_least_one = |n: u32| in_range(n >= 1, "must be at least 1");
    match param {
        Param::Percentage => spec.percentage.map(percentage),
        Param::UpgradePercentage => spec.upgrade_percentage.map(percentage),
        Param::Amount => spec.amount.map(non_negative),
        Param::Bonus => spec.bonus.map(non_negative),
        Param::MinLtvTotal => spec.min_ltv_total.map(positive),
        Param::MinChargeTotal => spec.min_charge_total.map(positive),
        Param::MaxMonths => spec.max_months.map(at_least_one),
        Param::MaxPayments => spec.max_payments.map(at_least_one),
        Param::MinCustomers => spec.min_customers.map(at_least_one),
    }
}

fn in_range(ok: bool, message: &'static str) -> Result<(), &'static str> {
    if ok { Ok(()) } else { Err(message) }
}

/// Builds the typed rule from the parameters its type needs, or names the
/// missing ones. Foreign parameters are ignored here: `from_spec` reports them.
fn shape(spec: &RuleSpec) -> Result<Rule, Vec<FieldError>> {
    let kind = spec.kind;
    match kind {
        RuleType::Recurring => commission(spec).map(Rule::Recurring),
        RuleType::FirstPayment => commission(spec).map(Rule::FirstPayment),
        RuleType::NewCustomerTimeTier => both(
            required(kind, Param::MaxMonths, spec.max_months),
            required(kind, Param::Percentage, spec.percentage),
        )
        .map(|(max_months, percentage)| Rule::TimeTier {
            max_months,
            percentage,
        }),
        RuleType::PartnerLtvUpgrade => both(
            required(kind, Param::MinLtvTotal, spec.min_ltv_total),
            required(kind, Param::UpgradePercentage, spec.upgrade_percentage),
        )
        .map(|(min_ltv_total, points)| Rule::LtvUpgrade {
            min_ltv_total,
            points,
        }),
        RuleType::QualifiedCustomersUpgrade => both(
            required(kind, Param::MinCustomers, spec.min_customers),
            required(kind, Param::UpgradePercentage, spec.upgrade_percentage),
        )
        .map(|(min_customers, points)| Rule::CustomersUpgrade {
            min_customers,
            points,
        }),
        RuleType::ChargeThresholdBonus => both(
            required(kind, Param::MinChargeTotal, spec.min_charge_total),
            required(kind, Param::Bonus, spec.bonus),
        )
        .map(|(min_charge_total, bonus)| Rule::ChargeBonus {
            min_charge_total,
            bonus,
        }),
        RuleType::CommissionLimit => match (spec.max_months, spec.max_payments) {
            (Some(months), None) => Ok(Rule::Limit(Limit::Months(months))),
            (None, Some(payments)) => Ok(Rule::Limit(Limit::Payments(payments))),
            (Some(_), Some(_)) => Err(whole_rule("must set max_months or max_payments, not both")),
            (None, None) => Err(whole_rule("must set max_months or max_payments")),
        },
    }
}

fn commission(spec: &RuleSpec) -> Result<Commission, Vec<FieldError>> {
    match (spec.percentage, spec.amount) {
        (Some(percentage), None) => Ok(Commission::Percentage(percentage)),
        (None, Some(amount)) => Ok(Commission::Amount(amount)),
        (Some(_), Some(_)) => Err(whole_rule("must set percentage or amount, not both")),
        (None, None) => Err(whole_rule("must set percentage or amount")),
    }
}

fn whole_rule(message: &str) -> Vec<FieldError> {
    vec![FieldError::new("", message)]
}

fn required<T>(kind: RuleType, param: Param, value: Option<T>) -> Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(param.name(), format!("is required for a {kind} rule")))
}

fn both<A, B>(
    a: Result<A, FieldError>,
    b: Result<B, FieldError>,
) -> Result<(A, B), Vec<FieldError>> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(a.err().into_iter().chain(b.err()).collect()),
    }
}
