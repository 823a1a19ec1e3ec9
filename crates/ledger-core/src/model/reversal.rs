//! Reversing a commission when its sale is refunded or disputed (SPEC
//! §3.6), and giving back what a won dispute reinstates.
//!
//! Refunds reach partner-ledger in two ways, each complete on its own and
//! each only ever behind the truth: a cumulative total (Stripe's
//! `amount_refunded`, which only grows) and refunds one by one (Stripe's
//! refund objects, a billing system's refund events; the caller claims each
//! refund's id, so each counts once). The sale's refunded amount is the
//! larger of the two, so whichever arrive, in any order, it reaches the
//! truth and never passes it. A dispute's withdrawn amount adds to it until
//! the dispute is won.
//!
//! The commission's share of what is reversed is rounded once from the
//! totals, never summed from rounded pieces, so reversals add up to exactly
//! the original commission when the whole sale is reversed, and never more.
//!
//! Refunds and disputes are counted in the currency the customer paid, the
//! sale's original currency: a sale converted into the account's base
//! currency is reversed in proportion to what was paid, which is converting
//! at the sale's own rate. A full refund of a converted sale so takes back
//! exactly what it earned.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::commission::{Commission, CommissionStatus, PayoutStatus};
use super::commission_request::CommissionKind;
use super::id::Id;
use crate::money::Currency;

/// What a reversal event reports about a sale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reported {
    /// All of the sale's refunds so far, together.
    RefundedTotal(Decimal),
    /// One more refund (its id claimed by the caller, so it counts once).
    Refund(Decimal),
    /// A dispute took this much of the sale.
    DisputeWithdrawn(Decimal),
    /// The dispute was won: what it took comes back.
    DisputeReinstated,
}

/// A refund or dispute of a sale, as reported.
#[derive(Clone, Debug)]
pub struct ReversalReport {
    pub reported: Reported,
    /// The billing event that reported it.
    pub event_id: String,
    /// Tells a replay of the report from a different one under the same event id.
    pub fingerprint: String,
    pub reported_at: DateTime<Utc>,
}

/// A commission after a reversal, and the clawback (or, for a won dispute,
/// the reinstatement) it created when the commission had been paid.
#[derive(Clone, Debug)]
pub struct Reversed {
    pub commission: Commission,
    pub clawback: Option<Commission>,
}

impl Reversed {
    /// Whether the reversal moved money (not only what is known of refunds).
    pub fn moved_money(&self, before: &Commission) -> bool {
        self.clawback.is_some() || self.commission.amount != before.amount
    }
}

impl Commission {
    /// How much of the sale has been refunded so far.
    pub fn refunded(&self) -> Decimal {
        self.refunded_amount.unwrap_or_default()
    }

    /// The largest cumulative refunded total reported.
    fn refunded_by_total(&self) -> Decimal {
        self.refunded_by_total.unwrap_or_default()
    }

    /// The refunds reported one by one, summed (before both were kept, the
    /// refunded amount, which such refunds alone made).
    fn refunded_by_parts(&self) -> Decimal {
        self.refunded_by_parts
            .or(self
                .refunded_amount
                .filter(|_| self.refunded_by_total.is_none()))
            .unwrap_or_default()
    }

    /// Everything the commission knows of what was taken back from its sale.
    fn reversal_figures(&self) -> [Option<Decimal>; 4] {
        [
            self.refunded_amount,
            self.refunded_by_total,
            self.refunded_by_parts,
            self.disputed_amount,
        ]
    }

    /// What the customer paid, in [`Commission::sale_currency`].
    pub fn original_sale(&self) -> Option<Decimal> {
        self.original_sale_amount.or(self.sale_amount)
    }

    /// The currency the customer paid in, which refunds and disputes count in.
    pub fn sale_currency(&self) -> Currency {
        self.original_sale_currency.unwrap_or(self.currency)
    }

    /// How much of the sale refunds and disputes have taken back, in the sale's currency.
    pub fn reversed_sale(&self) -> Decimal {
        let sale = self.original_sale().unwrap_or_default();
        (self.refunded() + self.disputed_amount.unwrap_or_default()).min(sale)
    }

    /// [`Commission::reversed_sale`] in the base currency: its share of the
    /// converted sale, rounded once, so the whole sale reversed is exactly
    /// `sale_amount`.
    pub fn reversed_sale_in_base(&self) -> Decimal {
        match (self.sale_amount, self.original_sale()) {
            (Some(base), Some(paid)) if base != paid && paid > Decimal::ZERO => {
                self.currency.round(base * self.reversed_sale() / paid)
            }
            _ => self.reversed_sale(),
        }
    }

    /// What `report` does to this commission: `None` when nothing (the
    /// commission is not a sale's, or the report tells nothing new).
    pub fn reverse(&self, report: &ReversalReport, now: DateTime<Utc>) -> Option<Reversed> {
        let sale = self
            .original_sale()
            .filter(|_| self.commission_type == CommissionKind::Sale)?;
        let earned = self.earned_amount.unwrap_or(self.amount);
        let mut after = self.clone();
        let (mut by_total, mut by_parts) = (self.refunded_by_total(), self.refunded_by_parts());
        match report.reported {
            Reported::RefundedTotal(total) => by_total = by_total.max(total),
            Reported::Refund(amount) => by_parts += amount,
            Reported::DisputeWithdrawn(amount) => after.disputed_amount = Some(amount),
            Reported::DisputeReinstated => after.disputed_amount = Some(Decimal::ZERO),
        }
        after.refunded_by_total = Some(by_total);
        after.refunded_by_parts = Some(by_parts);
        after.refunded_amount = Some(by_total.max(by_parts).min(sale));
        if after.reversal_figures() == self.reversal_figures() {
            return None;
        }
        after.earned_amount = Some(earned);
        after.updated_at = now;
        let reversal = reverse(
            earned,
            sale,
            self.reversed_sale(),
            after.reversed_sale(),
            self.payout_status == PayoutStatus::Paid,
            self.currency,
        );
        let mut clawback = None;
        match reversal {
            Reversal::Nothing => {}
            Reversal::Reduce {
                remaining,
                refunded,
            } => {
                after.amount = remaining;
                let status = match (refunded, self.status) {
                    (true, _) => CommissionStatus::Refunded,
                    (false, CommissionStatus::Refunded) => CommissionStatus::Pending,
                    (false, status) => status,
                };
                if status != self.status {
                    after.status = status;
                    after.status_updated_at = now;
                }
            }
            Reversal::ClawBack { amount } => {
                clawback = Some(self.clawback(amount, report, now));
            }
        }
        Some(Reversed {
            commission: after,
            clawback,
        })
    }

    /// The approved commission moving `amount` for this paid one: negative
    /// (a clawback) when a reversal takes money back, positive (a
    /// reinstatement) when a won dispute gives it back. The next payout nets it.
    fn clawback(&self, amount: Decimal, report: &ReversalReport, now: DateTime<Utc>) -> Commission {
        let kind = if amount < Decimal::ZERO {
            CommissionKind::Clawback
        } else {
            CommissionKind::Reinstatement
        };
        Commission {
            id: Id::generate(now),
            commission_type: kind,
            status: CommissionStatus::Approved,
            payout_status: PayoutStatus::NotPaid,
            payout_id: None,
            sale_amount: None,
            original_sale_amount: None,
            original_sale_currency: None,
            fx_rate: None,
            fx_rate_date: None,
            amount,
            earned_amount: None,
            refunded_amount: None,
            refunded_by_total: None,
            refunded_by_parts: None,
            disputed_amount: None,
            clawback_of: Some(self.id.clone()),
            rate: None,
            applied_rules: Vec::new(),
            rule_source: None,
            event_id: Some(report.event_id.clone()),
            stripe_payment_id: None,
            occurred_at: report.reported_at,
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

/// What a reversal does to a commission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reversal {
    /// What is reversed did not change (a replay or an older report).
    Nothing,
    /// An unpaid commission moves to `remaining`; `refunded` when the whole sale is reversed.
    Reduce { remaining: Decimal, refunded: bool },
    /// A paid commission is adjusted by a commission of `amount`: negative
    /// (a clawback) when more is reversed, positive when a dispute is won.
    ClawBack { amount: Decimal },
}

/// The commission `original` earned on `sale`, of which `reversed_before`
/// was reversed already, after the reversed amount becomes `reversed_now`
/// (capped at the sale). `paid` says whether a payout took the commission.
pub fn reverse(
    original: Decimal,
    sale: Decimal,
    reversed_before: Decimal,
    reversed_now: Decimal,
    paid: bool,
    currency: Currency,
) -> Reversal {
    let reversed_now = reversed_now.min(sale);
    if reversed_now == reversed_before || sale <= Decimal::ZERO {
        return Reversal::Nothing;
    }
    let reversed = |amount: Decimal| currency.round(original * amount / sale);
    if paid {
        Reversal::ClawBack {
            amount: reversed(reversed_before) - reversed(reversed_now),
        }
    } else {
        Reversal::Reduce {
            remaining: original - reversed(reversed_now),
            refunded: reversed_now == sale,
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
                let now = refunded.max(total.min(sale));
                match reverse(original, sale, refunded, now, paid, Currency::EUR) {
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
                refunded = now;
                prop_assert!(clawed <= original);
            }
            if paid {
                prop_assert_eq!(clawed, original);
            } else {
                prop_assert_eq!(remaining, Decimal::ZERO);
            }
        }

        /// Reversed amounts that go up and down (a dispute withdrawn, then
        /// won) always leave the commission at its share of what is still
        /// reversed: adjustments net to the same as one reversal would.
        #[test]
        fn reinstatements_give_back_exactly_what_was_taken(
            original_cents in 1i64..1_000_000,
            sale_cents in 1i64..10_000_000,
            steps in proptest::collection::vec(0i64..10_000_000, 1..8),
            paid in any::<bool>(),
        ) {
            let (original, sale) = (Decimal::new(original_cents, 2), Decimal::new(sale_cents, 2));
            let share = |amount: Decimal| Currency::EUR.round(original * amount / sale);
            let (mut reversed, mut net) = (Decimal::ZERO, original);
            for step in steps {
                let now = Decimal::new(step, 2).min(sale);
                match reverse(original, sale, reversed, now, paid, Currency::EUR) {
                    Reversal::Nothing => prop_assert_eq!(now, reversed),
                    Reversal::Reduce { remaining, refunded } => {
                        prop_assert!(!paid);
                        prop_assert_eq!(refunded, now == sale);
                        net = remaining;
                    }
                    Reversal::ClawBack { amount } => {
                        prop_assert!(paid);
                        net += amount;
                    }
                }
                reversed = now;
                prop_assert_eq!(net, original - share(reversed));
            }
        }
    }
}
