//! Payouts: what one partner is paid in one currency for one period (a
//! calendar month), and the payout's lifecycle: `pending` until a person
//! marks it `paid`, or `failed` (which hands its commissions back to the
//! next run).
//!
//! A payout's id is derived from (account, partner, currency, period,
//! attempt), never drawn at random, so a run that is killed and run again
//! (or two runs at once) address the same payout instead of making a second.
//! The attempt counts the period's earlier payouts for the partner and
//! currency that were already settled: a failed payout's commissions, or
//! what became payable after a payout was paid, go to the next attempt.

use std::fmt;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::id::Id;
use super::partner::Partner;
use crate::money::Currency;

/// A calendar month, `YYYY-MM`: the period a payout pays for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// The month `at` falls in (UTC).
    pub fn of(at: DateTime<Utc>) -> Self {
        Self {
            year: at.year(),
            month: at.month(),
        }
    }

    /// Reads `YYYY-MM`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.split_once('-')?;
        let well_formed = year.len() == 4
            && month.len() == 2
            && year
                .bytes()
                .chain(month.bytes())
                .all(|b| b.is_ascii_digit());
        let period = Self {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
        };
        (well_formed && (1..=12).contains(&period.month)).then_some(period)
    }

    /// The month after this one.
    pub fn next(self) -> Self {
        self.shifted(1)
    }

    /// The month `months` months before this one.
    pub fn months_before(self, months: u32) -> Self {
        self.shifted(-i64::from(months))
    }

    fn shifted(self, months: i64) -> Self {
        let index = i64::from(self.year) * 12 + i64::from(self.month - 1) + months;
        Self {
            year: i32::try_from(index.div_euclid(12)).expect("a year within i32"),
            month: u32::try_from(index.rem_euclid(12) + 1).expect("a month from 1 to 12"),
        }
    }

    /// The first instant of the month.
    pub fn start(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .expect("the first of a month at midnight UTC exists")
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Period::parse(&text).ok_or_else(|| serde::de::Error::custom("must be a month: YYYY-MM"))
    }
}

/// Where a payout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutState {
    /// Created by a run; the money has not been sent yet.
    Pending,
    /// A person sent the money.
    Paid,
    /// Sending the money failed; the commissions went back to the next run.
    Failed,
}

impl PayoutState {
    /// The name on the wire and in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutState::Pending => "pending",
            PayoutState::Paid => "paid",
            PayoutState::Failed => "failed",
        }
    }
}

/// Which payout of the period a partner's balance in one currency goes to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PayoutSlot {
    pub partner_id: Id,
    pub currency: Currency,
    pub period: Period,
    pub attempt: u32,
}

impl PayoutSlot {
    /// The payout id this slot always has in `account`.
    pub fn payout_id(&self, account: &Id) -> Id {
        let digest = Sha256::digest(
            format!(
                "{account}/{}/{}/{}/{}",
                self.partner_id, self.currency, self.period, self.attempt
            )
            .as_bytes(),
        );
        Id::derived(self.period.start(), &digest)
    }

    /// The slot after this one, for when this one's payout is settled.
    pub fn next(&self) -> Self {
        Self {
            attempt: self.attempt + 1,
            ..self.clone()
        }
    }
}

/// One payout, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payout {
    pub id: Id,
    pub partner_id: Id,
    /// The partner's name when the payout was created.
    pub partner_name: String,
    /// Where the money goes: the partner's payout email, else their email.
    pub payout_email: String,
    pub currency: Currency,
    pub period: Period,
    /// How many payouts of this partner, currency and period came before.
    pub attempt: u32,
    /// The sum of the commissions it holds (clawbacks netted), in major units.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// How many commissions it holds.
    pub payment_count: u32,
    pub status: PayoutState,
    pub created_at: DateTime<Utc>,
    pub status_updated_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Payout {
    /// An empty pending payout for `slot`, paying `partner`.
    pub fn open(account: &Id, slot: &PayoutSlot, partner: &Partner, now: DateTime<Utc>) -> Self {
        let name = [partner.first_name.as_deref(), partner.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            id: slot.payout_id(account),
            partner_id: slot.partner_id.clone(),
            partner_name: if name.is_empty() {
                partner.email.clone()
            } else {
                name
            },
            payout_email: partner
                .payout_email
                .clone()
                .unwrap_or_else(|| partner.email.clone()),
            currency: slot.currency,
            period: slot.period,
            attempt: slot.attempt,
            amount: Decimal::ZERO,
            payment_count: 0,
            status: PayoutState::Pending,
            created_at: now,
            status_updated_at: now,
            updated_at: now,
        }
    }

    /// The slot this payout fills.
    pub fn slot(&self) -> PayoutSlot {
        PayoutSlot {
            partner_id: self.partner_id.clone(),
            currency: self.currency,
            period: self.period,
            attempt: self.attempt,
        }
    }

    /// Settles the payout as `outcome`: `Ok(true)` when the status changed,
    /// `Ok(false)` when it already was `outcome` (a no-op, so a retried
    /// request is harmless). Only pending payouts are settled.
    pub fn settle(
        &mut self,
        outcome: Settlement,
        now: DateTime<Utc>,
    ) -> Result<bool, UnsettledPayout> {
        match self.status {
            PayoutState::Pending => {
                self.status = outcome.state();
                self.status_updated_at = now;
                self.updated_at = now;
                Ok(true)
            }
            state if state == outcome.state() => Ok(false),
            from => Err(UnsettledPayout { from, outcome }),
        }
    }
}

/// How a person settles a payout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settlement {
    Paid,
    Failed,
}

impl Settlement {
    pub fn state(self) -> PayoutState {
        match self {
            Settlement::Paid => PayoutState::Paid,
            Settlement::Failed => PayoutState::Failed,
        }
    }
}

/// A settlement the payout's status does not allow: a settled payout is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {from} payout cannot be marked {to}", from = self.from.as_str(), to = self.outcome.state().as_str())]
pub struct UnsettledPayout {
    pub from: PayoutState,
    pub outcome: Settlement,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(attempt: u32) -> PayoutSlot {
        PayoutSlot {
            partner_id: Id::parse("68f76721000000000000000b").unwrap(),
            currency: Currency::EUR,
            period: Period::parse("2026-11").unwrap(),
            attempt,
        }
    }

    #[test]
    fn periods_step_across_years() {
        let month = |text| Period::parse(text).unwrap();
        assert_eq!(month("2026-12").next(), month("2027-01"));
        assert_eq!(month("2026-11").next(), month("2026-12"));
        assert_eq!(month("2026-01").months_before(1), month("2025-12"));
        assert_eq!(month("2026-11").months_before(23), month("2024-12"));
        assert_eq!(month("2026-11").months_before(0), month("2026-11"));
    }

    #[test]
    fn periods_read_and_print_as_year_and_month() {
        let period = Period::parse("2026-02").unwrap();
        assert_eq!(period.to_string(), "2026-02");
        assert_eq!(
            period.start(),
            Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            Period::of(Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 59).unwrap()),
            period
        );
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026/01",
            "2026-01-01",
            "",
            "abcd-ef",
        ] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_slot_always_derives_the_same_id_and_other_slots_others() {
        let account = Id::parse("68f76721000000000000000a").unwrap();
        let other_account = Id::parse("68f76721000000000000000c").unwrap();
        let id = slot(0).payout_id(&account);
        assert_eq!(id, slot(0).payout_id(&account));
        assert_ne!(id, slot(1).payout_id(&account));
        assert_ne!(id, slot(0).payout_id(&other_account));
        let usd = PayoutSlot {
            currency: Currency::USD,
            ..slot(0)
        };
        assert_ne!(id, usd.payout_id(&account));
        assert!(
            id.as_str()
                .starts_with(&Id::first_at(slot(0).period.start()).as_str()[..12])
        );
    }

    #[test]
    fn only_pending_payouts_are_settled_and_settling_again_is_a_no_op() {
        let now = Utc::now();
        for (from, outcome, expected) in [
            (PayoutState::Pending, Settlement::Paid, Ok(true)),
            (PayoutState::Pending, Settlement::Failed, Ok(true)),
            (PayoutState::Paid, Settlement::Paid, Ok(false)),
            (PayoutState::Failed, Settlement::Failed, Ok(false)),
            (
                PayoutState::Paid,
                Settlement::Failed,
                Err(UnsettledPayout {
                    from: PayoutState::Paid,
                    outcome: Settlement::Failed,
                }),
            ),
            (
                PayoutState::Failed,
                Settlement::Paid,
                Err(UnsettledPayout {
                    from: PayoutState::Failed,
                    outcome: Settlement::Paid,
                }),
            ),
        ] {
            let mut payout = Payout {
                id: Id::generate(now),
                partner_id: Id::generate(now),
                partner_name: "Ada".into(),
                payout_email: "ada@example.com".into(),
                currency: Currency::EUR,
                period: Period::of(now),
                attempt: 0,
                amount: Decimal::ONE,
                payment_count: 1,
                status: from,
                created_at: now,
                status_updated_at: now,
                updated_at: now,
            };
            assert_eq!(
                payout.settle(outcome, now),
                expected,
                "{from:?} {outcome:?}"
            );
            if expected == Ok(true) {
                assert_eq!(payout.status, outcome.state());
            }
        }
        assert_eq!(
            UnsettledPayout {
                from: PayoutState::Paid,
                outcome: Settlement::Failed
            }
            .to_string(),
            "a paid payout cannot be marked failed"
        );
    }
}
