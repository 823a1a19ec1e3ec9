//! Reversing a commission when its sale is refunded (SPEC §3.6). Refunds
//! are cumulative, as Stripe reports them (`amount_refunded` only grows), so
//! each refund is judged by how far it moves the refunded total. The
//! commission's share of the refunded total is rounded once from the
//! totals, never summed from rounded pieces, so reversals add up to exactly
//! the original commission when the whole sale is refunded, and never more.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::commission::{Commission, CommissionStatus, PayoutStatus};
use super::commission_request::CommissionKind;
use super::id::Id;
use crate::money::Currency;

/// A refund of a sale, as reported: the sale's refunded total it brings.
#[derive(Clone, Debug)]
pub struct RefundReport {
    pub refunded_total: Decimal,
    /// The billing event that reported it.
    pub event_id: String,
    /// Tells a replay of the report from a different one under the same event id.
    pub fingerprint: String,
    pub refunded_at: DateTime<Utc>,
}

/// A commission after a refund, and the clawback the refund created when
/// the commission had been paid.
#[derive(Clone, Debug)]
pub struct Reversed {
    pub commission: Commission,
    pub clawback: Option<Commission>,
}

impl Commission {
    /// How much of the sale has been refunded so far.
    pub fn refunded(&self) -> Decimal {
        self.refunded_amount.unwrap_or_default()
    }

    /// What `report` does to this commission: `None` when nothing (the
    /// commission is not a sale's, or the refunded total did not grow).
    pub fn reverse(&self, report: &RefundReport, now: DateTime<Utc>) -> Option<Reversed> {
        let sale = self
            .sale_amount
            .filter(|_| self.commission_type == CommissionKind::Sale)?;
        let earned = self.earned_amount.unwrap_or(self.amount);
        let refunded_total = report.refunded_total.min(sale);
        let reversal = reverse(
            earned,
            sale,
            self.refunded(),
            refunded_total,
            self.payout_status == PayoutStatus::Paid,
            self.currency,
        );
        let mut after = self.clone();
        after.earned_amount = Some(earned);
        after.refunded_amount = Some(refunded_total);
        after.updated_at = now;
        match reversal {
            Reversal::Nothing => None,
            Reversal::Reduce {
                remaining,
                refunded,
            } => {
                after.amount = remaining;
                if refunded {
                    after.status = CommissionStatus::Refunded;
                    after.status_updated_at = now;
                }
                Some(Reversed {
                    commission: after,
                    clawback: None,
                })
            }
            Reversal::ClawBack { amount } => Some(Reversed {
                clawback: Some(self.clawback(amount, report, now)),
                commission: after,
            }),
        }
    }

    /// The approved negative commission taking `amount` back from this one:
    /// the next payout nets it against what the partner earns.
    fn clawback(&self, amount: Decimal, report: &RefundReport, now: DateTime<Utc>) -> Commission {
        Commission {
            id: Id::generate(now),
            commission_type: CommissionKind::Clawback,
            status: CommissionStatus::Approved,
            payout_status: PayoutStatus::NotPaid,
            payout_id: None,
            sale_amount: None,
            amount,
            earned_amount: None,
            refunded_amount: None,
            clawback_of: Some(self.id.clone()),
            rate: None,
            applied_rules: Vec::new(),
            rule_source: None,
            event_id: Some(report.event_id.clone()),
            stripe_payment_id: None,
            occurred_at: report.refunded_at,
            internal_note: None,
            external_note: None,
            notify_promoter: false,
            fingerprint: report.fingerprint.clone(),
            created_at: now,
            status_updated_at: now,
            updated_at: now,
            ..self.clone()
        }
    }
}

/// What a refund does to a commission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reversal {
    /// The refunded total did not grow (a replay or an older report).
    Nothing,
    /// An unpaid commission drops to `remaining`; `refunded` when the whole sale is refunded.
    Reduce { remaining: Decimal, refunded: bool },
    /// A paid commission is clawed back by a negative commission of `amount` (< 0).
    ClawBack { amount: Decimal },
}

/// The commission `original` earned on `sale`, of which `refunded_before`
/// was refunded already, after the refunded total reaches `refunded_now`
/// (capped at the sale). `paid` says whether a payout took the commission.
pub fn reverse(
    original: Decimal,
    sale: Decimal,
    refunded_before: Decimal,
    refunded_now: Decimal,
    paid: bool,
    currency: Currency,
) -> Reversal {
    let refunded_now = refunded_now.min(sale);
    if refunded_now <= refunded_before || sale <= Decimal::ZERO {
        return Reversal::Nothing;
    }
    let reversed = |refunded: Decimal| currency.round(original * refunded / sale);
    if paid {
        Reversal::ClawBack {
            amount: reversed(refunded_before) - reversed(refunded_now),
        }
    } else {
        Reversal::Reduce {
            remaining: original - reversed(refunded_now),
            refunded: refunded_now == sale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn an_unpaid_commission_drops_to_its_share_of_what_is_left() {
        let eur = Currency::EUR;
        assert_eq!(
            reverse(dec!(29.99), dec!(299.9), dec!(0), dec!(100), false, eur),
            Reversal::Reduce {
                remaining: dec!(19.99),
                refunded: false
            }
        );
        assert_eq!(
            reverse(dec!(29.99), dec!(299.9), dec!(100), dec!(299.9), false, eur),
            Reversal::Reduce {
                remaining: dec!(0),
                refunded: true
            }
        );
        assert_eq!(
            reverse(dec!(29.99), dec!(299.9), dec!(100), dec!(100), false, eur),
            Reversal::Nothing,
            "a replayed refund reverses nothing"
        );
        assert_eq!(
            reverse(dec!(29.99), dec!(299.9), dec!(0), dec!(500), false, eur),
            Reversal::Reduce {
                remaining: dec!(0),
                refunded: true
            },
            "a refund beyond the sale is the whole sale"
        );
    }

    #[test]
    fn a_paid_commission_is_clawed_back_by_the_increase_only() {
        let eur = Currency::EUR;
        assert_eq!(
            reverse(dec!(29.99), dec!(299.9), dec!(0), dec!(100), true, eur),
            Reversal::ClawBack {
                amount: dec!(-10.00)
            }
        );
        assert_eq!(
            reverse(dec!(29.99), dec!(299.9), dec!(100), dec!(299.9), true, eur),
            Reversal::ClawBack {
                amount: dec!(-19.99)
            }
        );
    }

    proptest! {
        /// Any sequence of growing refund totals reverses exactly the
        /// commission once the whole sale is refunded, and never more.
        #[test]
        fn reversals_add_up_to_at_most_the_original(
            original_cents in 1i64..1_000_000,
            sale_cents in 1i64..10_000_000,
            steps in proptest::collection::vec(0i64..10_000_000, 1..8),
            paid in any::<bool>(),
        ) {
            let (original, sale) = (Decimal::new(original_cents, 2), Decimal::new(sale_cents, 2));
            let mut refunded = Decimal::ZERO;
            let mut remaining = original;
            let mut clawed = Decimal::ZERO;
            let mut totals: Vec<Decimal> = steps.into_iter().map(|c| Decimal::new(c, 2)).collect();
            totals.push(sale);
            for total in totals {
                match reverse(original, sale, refunded, total, paid, Currency::EUR) {
                    Reversal::Nothing => {}
                    Reversal::Reduce { remaining: left, .. } => {
                        prop_assert!(left <= remaining && left >= Decimal::ZERO);
                        remaining = left;
                    }
                    Reversal::ClawBack { amount } => {
                        prop_assert!(amount <= Decimal::ZERO);
                        clawed -= amount;
                    }
                }
                refunded = refunded.max(total.min(sale));
                prop_assert!(clawed <= original);
            }
            if paid {
                prop_assert_eq!(clawed, original);
            } else {
                prop_assert_eq!(remaining, Decimal::ZERO);
            }
        }
    }
}
