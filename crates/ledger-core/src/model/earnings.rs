//! A partner's earnings per month and currency, as their portal charts them:
//! the cash commissions created in each month of a range, summed by where
//! they stand. Pending ones wait for approval, approved ones for a payout,
//! paid ones were paid; denied and refunded ones earned nothing. Rewards in
//! other units (credits, free months, ...) are no currency's earnings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::commission::{Commission, CommissionStatus, PayoutStatus};
use super::commission_request::RewardUnit;
use super::payout::Period;
use crate::money::Currency;
use crate::validation::FieldError;

/// The most months one earnings read covers.
pub const MAX_MONTHS: u32 = 24;

/// Consecutive months, oldest first, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthRange {
    pub first: Period,
    pub last: Period,
}

impl MonthRange {
    /// The `months` months (1 to [`MAX_MONTHS`]) that end with `last`.
    pub fn ending(last: Period, months: u32) -> Result<Self, FieldError> {
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(FieldError::new(
                "months",
                format!("must be between 1 and {MAX_MONTHS}"),
            ));
        }
        Ok(Self {
            first: last.months_before(months - 1),
            last,
        })
    }

    /// Every month of the range, in order.
    pub fn months(self) -> impl Iterator<Item = Period> {
        std::iter::successors(Some(self.first), move |month| {
            (*month < self.last).then(|| month.next())
        })
    }
}

/// What of a commission its month's earnings count.
#[derive(Clone, Debug)]
pub struct Earned {
    pub created_at: DateTime<Utc>,
    pub currency: Currency,
    pub unit: RewardUnit,
    pub amount: Decimal,
    pub status: CommissionStatus,
    pub payout_status: PayoutStatus,
}

impl From<&Commission> for Earned {
    fn from(commission: &Commission) -> Self {
        Self {
            created_at: commission.created_at,
            currency: commission.currency,
            unit: commission.unit,
            amount: commission.amount,
            status: commission.status,
            payout_status: commission.payout_status,
        }
    }
}

/// One currency's earnings in one month, in major units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Earnings {
    pub currency: Currency,
    /// Commissions waiting for approval.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub pending: Decimal,
    /// Approved commissions no payout has paid yet.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub approved: Decimal,
    /// Commissions a payout paid (clawbacks netted).
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub paid: Decimal,
    /// `pending + approved + paid`.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64)]
    pub total: Decimal,
}

impl Earnings {
    fn zero(currency: Currency) -> Self {
        Self {
            currency,
            pending: Decimal::ZERO,
            approved: Decimal::ZERO,
            paid: Decimal::ZERO,
            total: Decimal::ZERO,
        }
    }

    fn add(&mut self, commission: &Earned) {
        let amount = commission.amount;
        let bucket = match (commission.status, commission.payout_status) {
            (CommissionStatus::Denied | CommissionStatus::Refunded, _) => return,
            (_, PayoutStatus::Paid | PayoutStatus::Fulfilled) => &mut self.paid,
            (CommissionStatus::Pending, _) => &mut self.pending,
            (CommissionStatus::Approved, _) => &mut self.approved,
        };
        *bucket += amount;
        self.total += amount;
    }
}

/// One month's earnings, a line per currency earned in (none: an empty list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthEarnings {
    #[schema(value_type = String, example = "2026-02")]
    pub month: Period,
    pub currencies: Vec<Earnings>,
}

/// The earnings of each month of `range` from `commissions` (any order; those
/// created outside the range, or not in cash, are passed over).
pub fn by_month(range: MonthRange, commissions: &[Earned]) -> Vec<MonthEarnings> {
    let mut sums: BTreeMap<Period, BTreeMap<Currency, Earnings>> = BTreeMap::new();
    for commission in commissions {
        let month = Period::of(commission.created_at);
        if commission.unit != RewardUnit::Cash || month < range.first || month > range.last {
            continue;
        }
        sums.entry(month)
            .or_default()
            .entry(commission.currency)
            .or_insert_with(|| Earnings::zero(commission.currency))
            .add(commission);
    }
    range
        .months()
        .map(|month| MonthEarnings {
            month,
            currencies: sums
                .remove(&month)
                .map(|currencies| currencies.into_values().collect())
                .unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;

    fn month(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn made(at: &str, amount: Decimal, status: CommissionStatus, paid: PayoutStatus) -> Earned {
        Earned {
            created_at: at.parse().unwrap(),
            currency: Currency::EUR,
            unit: RewardUnit::Cash,
            amount,
            status,
            payout_status: paid,
        }
    }

    #[test]
    fn a_range_lists_every_month_and_refuses_sizes_out_of_bounds() {
        let range = MonthRange::ending(month("2026-02"), 3).unwrap();
        let months: Vec<String> = range.months().map(|m| m.to_string()).collect();
        assert_eq!(months, ["2025-12", "2026-01", "2026-02"]);
        for months in [0, MAX_MONTHS + 1] {
            let refused = MonthRange::ending(month("2026-02"), months).unwrap_err();
            assert_eq!(refused.field, "months");
        }
    }

    #[test]
    fn commissions_are_summed_by_month_currency_and_standing() {
        use CommissionStatus::*;
        use PayoutStatus::*;
        let mut usd = made("2026-02-03T00:00:00Z", dec!(7.5), Pending, NotPaid);
        usd.currency = Currency::USD;
        let mut credits = made("2026-02-03T00:00:00Z", dec!(100), Approved, NotPaid);
        credits.unit = RewardUnit::Credits;
        let commissions = [
            made("2026-01-31T23:59:59Z", dec!(1.25), Pending, NotPaid),
            made("2026-02-01T00:00:00Z", dec!(2.10), Pending, NotPaid),
            made("2026-02-10T00:00:00Z", dec!(3), Approved, NotPaid),
            made("2026-02-11T00:00:00Z", dec!(4.05), Approved, Paid),
            made("2026-02-12T00:00:00Z", dec!(-1.05), Approved, Paid),
            made("2026-02-13T00:00:00Z", dec!(50), Denied, NotPaid),
            made("2026-02-14T00:00:00Z", dec!(60), Refunded, NotPaid),
            made("2025-12-31T23:59:59Z", dec!(70), Pending, NotPaid),
            usd,
            credits,
        ];
        let range = MonthRange::ending(month("2026-02"), 2).unwrap();
        let earned = by_month(range, &commissions);
        let eur = |pending, approved, paid, total| Earnings {
            currency: Currency::EUR,
            pending,
            approved,
            paid,
            total,
        };
        assert_eq!(
            earned,
            [
                MonthEarnings {
                    month: month("2026-01"),
                    currencies: vec![eur(dec!(1.25), dec!(0), dec!(0), dec!(1.25))],
                },
                MonthEarnings {
                    month: month("2026-02"),
                    currencies: vec![
                        eur(dec!(2.10), dec!(3), dec!(3.00), dec!(8.10)),
                        Earnings {
                            currency: Currency::USD,
                            pending: dec!(7.5),
                            approved: dec!(0),
                            paid: dec!(0),
                            total: dec!(7.5),
                        },
                    ],
                },
            ]
        );
    }

    proptest! {
        /// Whatever the commissions, each month's total is its three parts, and
        /// every cash commission in the range that earned counts exactly once.
        #[test]
        fn every_earning_commission_counts_once(
            picks in proptest::collection::vec((0u32..40, -10_000i64..10_000, 0usize..4, any::<bool>()), 0..60)
        ) {
            let statuses = [CommissionStatus::Pending, CommissionStatus::Approved, CommissionStatus::Denied, CommissionStatus::Refunded];
            let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
            let commissions: Vec<Earned> = picks.iter().map(|&(m, cents, s, paid)| Earned {
                created_at: start + chrono::Months::new(m),
                currency: Currency::EUR,
                unit: RewardUnit::Cash,
                amount: Decimal::new(cents, 2),
                status: statuses[s],
                payout_status: if paid { PayoutStatus::Paid } else { PayoutStatus::NotPaid },
            }).collect();
            let range = MonthRange::ending(month("2025-12"), 24).unwrap();
            let earned = by_month(range, &commissions);
            prop_assert_eq!(earned.len(), 24);
            let mut sum = Decimal::ZERO;
            for line in earned.iter().flat_map(|m| &m.currencies) {
                prop_assert_eq!(line.total, line.pending + line.approved + line.paid);
                sum += line.total;
            }
            let expected: Decimal = commissions.iter()
                .filter(|c| c.created_at < start + chrono::Months::new(24))
                .filter(|c| matches!(c.status, CommissionStatus::Pending | CommissionStatus::Approved))
                .map(|c| c.amount)
                .sum();
            prop_assert_eq!(sum, expected);
        }
    }
}
