//! Commissions: what a partner earns for one sale (or is granted by hand),
//! and its lifecycle. A commission is created `pending`, then approved or
//! denied (by a person, or approved by the payout run after the holding
//! period), and refunded when the sale is. Payment is a separate axis:
//! `payout_status` becomes `paid` when a payout takes it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::referral::FraudCheck;

/// Where a commission stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommissionStatus {
    Pending,
    Approved,
    Denied,
    Refunded,
}

impl CommissionStatus {
    /// The name on the wire and in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            CommissionStatus::Pending => "pending",
            CommissionStatus::Approved => "approved",
            CommissionStatus::Denied => "denied",
            CommissionStatus::Refunded => "refunded",
        }
    }
}

/// Whether a payout has taken the commission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    #[default]
    NotPaid,
    Paid,
}

/// A decision a person (or the payout run) takes on a commission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    pub fn target(self) -> CommissionStatus {
        match self {
            Decision::Approve => CommissionStatus::Approved,
            Decision::Deny => CommissionStatus::Denied,
        }
    }
}

/// A decision the commission's status does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {from} commission cannot be {verb}", from = self.from.as_str(), verb = self.verb())]
pub struct IllegalTransition {
    pub from: CommissionStatus,
    pub decision: Decision,
}

impl IllegalTransition {
    fn verb(&self) -> &'static str {
        match self.decision {
            Decision::Approve => "approved",
            Decision::Deny => "denied",
        }
    }
}

/// What a decision does to a commission in `from`: `Ok(true)` changes it,
/// `Ok(false)` finds it already decided that way (a no-op), `Err` refuses.
/// Only pending commissions are decided; a decision is final.
pub fn decide(from: CommissionStatus, decision: Decision) -> Result<bool, IllegalTransition> {
    match from {
        CommissionStatus::Pending => Ok(true),
        status if status == decision.target() => Ok(false),
        _ => Err(IllegalTransition { from, decision }),
    }
}

/// The review facts that keep a commission from being approved automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Review {
    pub is_self_referral: bool,
    pub fraud_check: FraudCheck,
}

impl Review {
    /// Flagged commissions wait for a person: the payout run never approves them.
    pub fn is_flagged(&self) -> bool {
        self.is_self_referral || self.fraud_check != FraudCheck::NoSuspicion
    }

    /// Whether the payout run may approve a pending commission created at
    /// `created_at`, given the account's holding period.
    pub fn auto_approvable(
        &self,
        created_at: DateTime<Utc>,
        hold_days: u32,
        now: DateTime<Utc>,
    ) -> bool {
        !self.is_flagged() && created_at + chrono::Duration::days(i64::from(hold_days)) <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommissionStatus::*;
    use chrono::TimeZone;

    #[test]
    fn only_pending_commissions_are_decided_and_decisions_are_final() {
        for (from, decision, outcome) in [
            (Pending, Decision::Approve, Ok(true)),
            (Pending, Decision::Deny, Ok(true)),
            (Approved, Decision::Approve, Ok(false)),
            (Denied, Decision::Deny, Ok(false)),
            (
                Approved,
                Decision::Deny,
                Err(IllegalTransition {
                    from: Approved,
                    decision: Decision::Deny,
                }),
            ),
            (
                Denied,
                Decision::Approve,
                Err(IllegalTransition {
                    from: Denied,
                    decision: Decision::Approve,
                }),
            ),
            (
                Refunded,
                Decision::Approve,
                Err(IllegalTransition {
                    from: Refunded,
                    decision: Decision::Approve,
                }),
            ),
            (
                Refunded,
                Decision::Deny,
                Err(IllegalTransition {
                    from: Refunded,
                    decision: Decision::Deny,
                }),
            ),
        ] {
            assert_eq!(decide(from, decision), outcome, "{from:?} {decision:?}");
        }
        let refused = decide(Denied, Decision::Approve).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a denied commission cannot be approved"
        );
    }

    #[test]
    fn flagged_commissions_are_never_approved_automatically() {
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clean = Review {
            is_self_referral: false,
            fraud_check: FraudCheck::NoSuspicion,
        };
        assert!(!clean.auto_approvable(created, 30, created + chrono::Duration::days(29)));
        assert!(clean.auto_approvable(created, 30, created + chrono::Duration::days(30)));
        for flagged in [
            Review {
                is_self_referral: true,
                fraud_check: FraudCheck::SamePromoterEmail,
            },
            Review {
                is_self_referral: false,
                fraud_check: FraudCheck::SameIpSuspicion,
            },
        ] {
            assert!(flagged.is_flagged());
            assert!(!flagged.auto_approvable(created, 30, created + chrono::Duration::days(400)));
        }
    }
}
