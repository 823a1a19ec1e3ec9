//! The form a rule set is evaluated in: each family sorted by its threshold
//! once, at parse time, with the human-readable effect of every rule already
//! written out, so an evaluation only searches short sorted slices.

use rust_decimal::Decimal;

use super::evaluate::AppliedRule;
use super::params::{Commission, Limit};
use super::rule::RuleType;

/// A rule that supplies the base commission: recurring, a time tier or the
/// first payment.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Base {
    index: usize,
    kind: RuleType,
    pub commission: Commission,
    effect: String,
}

impl Base {
    pub fn recurring(index: usize, commission: Commission) -> Base {
        Base::new(index, RuleType::Recurring, commission, "")
    }

    pub fn first_payment(index: usize, commission: Commission) -> Base {
        Base::new(
            index,
            RuleType::FirstPayment,
            commission,
            " on the first payment",
        )
    }

    /// `scope` says when the base applies, e.g. " on the first payment".
    fn new(index: usize, kind: RuleType, commission: Commission, scope: &str) -> Base {
        let effect = match commission {
            Commission::Percentage(rate) => format!("base rate {}%{scope}", rate.normalize()),
            Commission::Amount(amount) => format!("base amount {}{scope}", amount.normalize()),
        };
        Base {
            index,
            kind,
            commission,
            effect,
        }
    }

    pub fn applied(&self) -> AppliedRule {
        AppliedRule {
            index: self.index,
            kind: self.kind,
            effect: self.effect.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct TimeTier {
    max_months: u32,
    base: Base,
}

impl TimeTier {
    pub fn new(index: usize, max_months: u32, percentage: Decimal) -> TimeTier {
        let scope = match max_months {
            1 => " in the first month".to_string(),
            n => format!(" in the first {n} months"),
        };
        let commission = Commission::Percentage(percentage);
        TimeTier {
            max_months,
            base: Base::new(index, RuleType::NewCustomerTimeTier, commission, &scope),
        }
    }
}

/// Time tiers in ascending `max_months`: the first one the customer is still
/// inside of is the one with the smallest `max_months`, which wins.
#[derive(Clone, Debug, PartialEq, Default)]
pub(super) struct TimeTiers(Vec<TimeTier>);

impl TimeTiers {
    /// Refuses a tier whose `max_months` is taken, with the other rule's index.
    pub fn insert(&mut self, tier: TimeTier) -> Result<(), usize> {
        let at = self.0.partition_point(|t| t.max_months < tier.max_months);
        match self.0.get(at) {
            Some(existing) if existing.max_months == tier.max_months => Err(existing.base.index),
            _ => {
                self.0.insert(at, tier);
                Ok(())
            }
        }
    }

    pub fn applying(&self, customer_months: u32) -> Option<&Base> {
        let passed = self.0.partition_point(|t| t.max_months <= customer_months);
        self.0.get(passed).map(|tier| &tier.base)
    }
}

/// One step of a threshold family: reaching `threshold` earns `value`
/// (upgrade points or a bonus).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Step<K> {
    index: usize,
    kind: RuleType,
    threshold: K,
    pub value: Decimal,
    effect: String,
}

impl Step<Decimal> {
    pub fn ltv_upgrade(index: usize, min_ltv_total: Decimal, points: Decimal) -> Self {
        let effect = format!(
            "+{} points (LTV ≥ {})",
            points.normalize(),
            min_ltv_total.normalize()
        );
        Step {
            index,
            kind: RuleType::PartnerLtvUpgrade,
            threshold: min_ltv_total,
            value: points,
            effect,
        }
    }

    pub fn charge_bonus(index: usize, min_charge_total: Decimal, bonus: Decimal) -> Self {
        let effect = format!(
            "bonus {} (charge ≥ {})",
            bonus.normalize(),
            min_charge_total.normalize()
        );
        Step {
            index,
            kind: RuleType::ChargeThresholdBonus,
            threshold: min_charge_total,
            value: bonus,
            effect,
        }
    }
}

impl Step<u32> {
    pub fn customers_upgrade(index: usize, min_customers: u32, points: Decimal) -> Self {
        let effect = format!(
            "+{} points (qualified customers ≥ {min_customers})",
            points.normalize()
        );
        Step {
            index,
            kind: RuleType::QualifiedCustomersUpgrade,
            threshold: min_customers,
            value: points,
            effect,
        }
    }
}

impl<K> Step<K> {
    pub fn applied(&self) -> AppliedRule {
        AppliedRule {
            index: self.index,
            kind: self.kind,
            effect: self.effect.clone(),
        }
    }
}

/// A family of threshold rules in ascending threshold order. Only the highest
/// step reached applies; thresholds are inclusive.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Ladder<K>(Vec<Step<K>>);

impl<K> Default for Ladder<K> {
    fn default() -> Self {
        Ladder(Vec::new())
    }
}

impl<K: Ord + Copy> Ladder<K> {
    /// Refuses a step whose threshold is taken, with the other rule's index.
    pub fn insert(&mut self, step: Step<K>) -> Result<(), usize> {
        let at = self.0.partition_point(|s| s.threshold < step.threshold);
        match self.0.get(at) {
            Some(existing) if existing.threshold == step.threshold => Err(existing.index),
            _ => {
                self.0.insert(at, step);
                Ok(())
            }
        }
    }

    pub fn best(&self, reached: K) -> Option<&Step<K>> {
        let climbed = self.0.partition_point(|s| s.threshold <= reached);
        self.0[..climbed].last()
    }

    /// The values that climb to the same step as `reached` (or, below the
    /// first threshold, to none): from its threshold to the next one.
    pub fn band(&self, reached: K) -> Band<K> {
        let climbed = self.0.partition_point(|s| s.threshold <= reached);
        Band {
            at_least: climbed.checked_sub(1).map(|i| self.0[i].threshold),
            below: self.0.get(climbed).map(|s| s.threshold),
        }
    }
}

/// A range of a figure, `at_least <= figure < below`; a missing bound does
/// not bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Band<K> {
    pub at_least: Option<K>,
    pub below: Option<K>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct LimitRule {
    pub index: usize,
    pub limit: Limit,
}

impl LimitRule {
    /// Why commissions have stopped for this charge, or `None` if they have not.
    pub fn reached(&self, customer_months: u32, payment_number: u32) -> Option<String> {
        match self.limit {
            Limit::Months(max) if customer_months >= max => Some(format!(
                "commissions end after {} and the customer is in month {}",
                count(max, "month"),
                u64::from(customer_months) + 1
            )),
            Limit::Payments(max) if payment_number > max => Some(format!(
                "commissions end after {} and this is payment {payment_number}",
                count(max, "payment")
            )),
            Limit::Months(_) | Limit::Payments(_) => None,
        }
    }

    pub fn applied(&self) -> AppliedRule {
        let effect = match self.limit {
            Limit::Months(max) => format!("commissions end after {}", count(max, "month")),
            Limit::Payments(max) => format!("commissions end after {}", count(max, "payment")),
        };
        AppliedRule {
            index: self.index,
            kind: RuleType::CommissionLimit,
            effect,
        }
    }
}

/// "1 month", "3 months".
fn count(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
