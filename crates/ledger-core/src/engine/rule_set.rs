//! A validated rule set: `RuleSet::parse` checks a whole list of `RuleSpec`s,
//! reports every problem with the offending rule's index, and compiles a valid
//! list into the sorted form `evaluate` uses.
//!
//! Where SPEC §2 is silent, a set is rejected rather than guessed at:
//! - at most one `first_payment` and one `commission_limit` rule;
//! - no two rules of one threshold family share a threshold (`max_months` of
//!   time tiers, `min_ltv_total`, `min_customers`, `min_charge_total`), since
//!   "the highest qualifying threshold alone applies" would be ambiguous.

use rust_decimal::Decimal;

use super::compiled::{Base, Ladder, LimitRule, Step, TimeTier, TimeTiers};
use super::params::Rule;
use super::rule::{RuleSpec, RuleType};
use crate::validation::FieldError;

/// A rule set that passed validation, ready to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSet {
    specs: Vec<RuleSpec>,
    pub(super) recurring: Base,
    pub(super) first_payment: Option<Base>,
    pub(super) time_tiers: TimeTiers,
    pub(super) ltv_upgrades: Ladder<Decimal>,
    pub(super) customers_upgrades: Ladder<u32>,
    pub(super) charge_bonuses: Ladder<Decimal>,
    pub(super) limit: Option<LimitRule>,
}

impl RuleSet {
    /// Validates the whole set. Errors name the field relative to the rules
    /// array (`[1].percentage`, or `""` for the set as a whole) so callers can
    /// re-root them with `FieldError::under`.
    pub fn parse(specs: Vec<RuleSpec>) -> Result<RuleSet, Vec<FieldError>> {
        let mut builder = Builder::default();
        for (index, spec) in specs.iter().enumerate() {
            match Rule::from_spec(spec) {
                Ok(rule) => builder.add(index, rule),
                Err(errors) => builder
                    .errors
                    .extend(errors.into_iter().map(|e| e.under(&format!("[{index}]")))),
            }
        }
        let recurring_rules = specs
            .iter()
            .filter(|s| s.kind == RuleType::Recurring)
            .count();
        if recurring_rules != 1 {
            builder.errors.insert(
                0,
                FieldError::new("", "must include exactly one recurring rule"),
            );
        }
        match (builder.recurring, builder.errors.is_empty()) {
            (Some(recurring), true) => Ok(RuleSet {
                specs,
                recurring,
                first_payment: builder.first_payment,
                time_tiers: builder.time_tiers,
                ltv_upgrades: builder.ltv_upgrades,
                customers_upgrades: builder.customers_upgrades,
                charge_bonuses: builder.charge_bonuses,
                limit: builder.limit,
            }),
            _ => Err(builder.errors),
        }
    }

    /// The rules exactly as given, for storing and echoing back.
    pub fn specs(&self) -> &[RuleSpec] {
        &self.specs
    }
}

#[derive(Default)]
struct Builder {
    recurring: Option<Base>,
    first_payment: Option<Base>,
    time_tiers: TimeTiers,
    ltv_upgrades: Ladder<Decimal>,
    customers_upgrades: Ladder<u32>,
    charge_bonuses: Ladder<Decimal>,
    limit: Option<LimitRule>,
    errors: Vec<FieldError>,
}

impl Builder {
    fn add(&mut self, index: usize, rule: Rule) {
        let added = match rule {
            Rule::Recurring(commission) => {
                // A second recurring rule is reported once, for the whole set.
                if self.recurring.is_none() {
                    self.recurring = Some(Base::recurring(index, commission));
                }
                Ok(())
            }
            Rule::FirstPayment(commission) => {
                only_one(RuleType::FirstPayment, &mut self.first_payment, || {
                    Base::first_payment(index, commission)
                })
            }
            Rule::Limit(limit) => only_one(RuleType::CommissionLimit, &mut self.limit, || {
                LimitRule { index, limit }
            }),
            Rule::TimeTier {
                max_months,
                percentage,
            } => self
                .time_tiers
                .insert(TimeTier::new(index, max_months, percentage))
                .map_err(|other| {
                    shared_threshold(RuleType::NewCustomerTimeTier, "max_months", other)
                }),
            Rule::LtvUpgrade {
                min_ltv_total,
                points,
            } => self
                .ltv_upgrades
                .insert(Step::ltv_upgrade(index, min_ltv_total, points))
                .map_err(|other| {
                    shared_threshold(RuleType::PartnerLtvUpgrade, "min_ltv_total", other)
                }),
            Rule::CustomersUpgrade {
                min_customers,
                points,
            } => self
                .customers_upgrades
                .insert(Step::customers_upgrade(index, min_customers, points))
                .map_err(|other| {
                    shared_threshold(RuleType::QualifiedCustomersUpgrade, "min_customers", other)
                }),
            Rule::ChargeBonus {
                min_charge_total,
                bonus,
            } => self
                .charge_bonuses
                .insert(Step::charge_bonus(index, min_charge_total, bonus))
                .map_err(|other| {
                    shared_threshold(RuleType::ChargeThresholdBonus, "min_charge_total", other)
                }),
        };
        if let Err(error) = added {
            self.errors.push(error.under(&format!("[{index}]")));
        }
    }
}

/// Fills an empty slot, or refuses a second rule of the same kind.
fn only_one<T>(
    kind: RuleType,
    slot: &mut Option<T>,
    make: impl FnOnce() -> T,
) -> Result<(), FieldError> {
    match slot {
        Some(_) => Err(FieldError::new(
            "",
            format!("a rule set may have only one {kind} rule"),
        )),
        None => {
            *slot = Some(make());
            Ok(())
        }
    }
}

fn shared_threshold(kind: RuleType, field: &str, other: usize) -> FieldError {
    FieldError::new(
        field,
        format!("is already used by the {kind} rule at [{other}]"),
    )
}
