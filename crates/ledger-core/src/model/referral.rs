//! Referrals: a customer a partner brought in, who the partner is, and what
//! is known about the customer's subscription. Attribution happens once, at
//! creation, by exactly one of partner id, link code or promo code, or by a
//! click (`click_id`) alone; a click given with one of the others must name
//! the same partner.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::change::replace_optional;
use super::click::Click;
use super::id::Id;
use super::partner::{self, Partner};
use crate::validation::{self, FieldError};

const MAX_CUSTOMER_ID: usize = 255;

/// A referred customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    pub id: Id,
    pub email: String,
    pub partner_id: Id,
    /// The campaign the referral came through, whose commission settings
    /// (if it sets any) price its commissions.
    pub campaign_id: Option<Id>,
    /// How the partner was found: the link code or promo code used, if any.
    pub code: Option<String>,
    pub promo_code: Option<String>,
    /// Unique per account: one referral per Stripe customer.
    pub stripe_customer_id: Option<String>,
    pub signup_date: DateTime<Utc>,
    pub subscription_status: Option<SubscriptionStatus>,
    /// The customer's first paid charge; set by the first commission.
    pub acquired_at: Option<DateTime<Utc>>,
    /// The customer's paid charges so far; each sale commission adds one.
    #[serde(default)]
    pub paid_charges: u64,
    /// The partner's group as last seen (at creation, or by the last sale): a
    /// hint that lets a sale read the group's rules together with the
    /// partner. Checked against the partner before it prices anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_group_id: Option<Id>,
    pub ip: Option<String>,
    pub is_self_referral: bool,
    pub fraud_check: FraudCheck,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-locking counter, bumped by every update.
    pub version: u64,
}

/// Stripe's subscription statuses, which the referral mirrors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Canceled,
    Unpaid,
    Paused,
}

impl SubscriptionStatus {
    /// The name on the wire and in keys, e.g. `past_due`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::IncompleteExpired => "incomplete_expired",
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Unpaid => "unpaid",
            SubscriptionStatus::Paused => "paused",
        }
    }
}

/// What the fraud checks found; anything but `no_suspicion` keeps the
/// referral's commissions from being approved automatically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FraudCheck {
    #[default]
    NoSuspicion,
    SamePromoterEmail,
    SameIpSuspicion,
}

/// The body of a create: `referral` in `{"referral": {...}}`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralDraft {
    /// The customer's email.
    pub email: String,
    /// Attribute to this partner. Give exactly one of `partner_id`, `code` and `promo_code`.
    pub partner_id: Option<Id>,
    /// Attribute to the partner owning this link code.
    pub code: Option<String>,
    /// Attribute to the partner owning this promo code.
    pub promo_code: Option<String>,
    /// Attribute to the partner of this click (the `pl_ref` cookie or the
    /// `pl_click` parameter), while the click's window covers `signup_date`.
    /// Given with `partner_id`, `code` or `promo_code`, it must name the same
    /// partner (422 naming `click_id` otherwise).
    pub click_id: Option<Id>,
    /// Defaults to the partner's campaign.
    pub campaign_id: Option<Id>,
    /// The Stripe customer (`cus_...`); at most one referral per customer.
    pub stripe_customer_id: Option<String>,
    /// Defaults to now.
    pub signup_date: Option<DateTime<Utc>>,
    pub subscription_status: Option<SubscriptionStatus>,
    /// The customer's IP address at signup.
    pub ip: Option<String>,
}

/// The body of an update: every field optional; given fields replace.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralChanges {
    pub email: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub subscription_status: Option<SubscriptionStatus>,
    pub ip: Option<String>,
}

/// Which partner a draft names, and the field that named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attribution {
    Partner(Id),
    LinkCode(String),
    PromoCode(String),
    /// The click's partner: a draft naming a click and nothing else.
    Click(Id),
}

impl Attribution {
    /// The request field that carried the attribution, for error messages.
    pub fn field(&self) -> &'static str {
        match self {
            Attribution::Partner(_) => "partner_id",
            Attribution::LinkCode(_) => "code",
            Attribution::PromoCode(_) => "promo_code",
            Attribution::Click(_) => "click_id",
        }
    }
}

/// A draft that passed validation, waiting for its partner to be resolved.
#[derive(Clone, Debug)]
pub struct CheckedDraft {
    pub attribution: Attribution,
    draft: ReferralDraft,
    email: String,
}

impl ReferralDraft {
    /// Validates everything that needs no stored data. Field paths are
    /// relative to the draft.
    pub fn check(self) -> Result<CheckedDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = validation::email("email", &self.email, &mut errors);
        check_customer(self.stripe_customer_id.as_deref(), &mut errors);
        check_ip(self.ip.as_deref(), &mut errors);
        if let Some(code) = &self.code {
            partner::check_code("code", code, &mut errors);
        }
        if let Some(code) = &self.promo_code {
            partner::check_code("promo_code", code, &mut errors);
        }
        let given: Vec<Attribution> = [
            self.partner_id.clone().map(Attribution::Partner),
            self.code.clone().map(Attribution::LinkCode),
            self.promo_code.clone().map(Attribution::PromoCode),
        ]
        .into_iter()
        .flatten()
        .collect();
        let by_click = given.is_empty().then(|| self.click_id.clone()).flatten();
        if given.len() > 1 || (given.is_empty() && by_click.is_none()) {
            let found = if given.is_empty() { "none" } else { "several" };
            errors.push(FieldError::new(
                "partner_id",
                format!(
                    "give exactly one of partner_id, code and promo_code, or a click_id ({found} given)"
                ),
            ));
        }
        match given
            .into_iter()
            .next()
            .or(by_click.map(Attribution::Click))
        {
            Some(attribution) if errors.is_empty() => Ok(CheckedDraft {
                attribution,
                draft: self,
                email,
            }),
            _ => Err(errors),
        }
    }
}

impl CheckedDraft {
    /// The click the draft names, if any.
    pub fn click_id(&self) -> Option<&Id> {
        self.draft.click_id.as_ref()
    }

    /// When the customer signed up: as the draft says, else `now`.
    pub fn signup_date(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.draft.signup_date.unwrap_or(now)
    }

    /// The referral credited to `partner`, flagged if the customer is the
    /// partner; through `click` (whose partner `partner` is) when the draft
    /// named one, which gives the referral its campaign and link code unless
    /// the draft names them.
    pub fn into_referral(
        self,
        partner: &Partner,
        click: Option<&Click>,
        now: DateTime<Utc>,
    ) -> Referral {
        let is_self_referral = self.email.eq_ignore_ascii_case(partner.email.trim());
        let draft = self.draft;
        Referral {
            id: Id::generate(now),
            email: self.email,
            partner_id: partner.id.clone(),
            campaign_id: draft.campaign_id.or_else(|| match click {
                Some(click) => click.campaign_id.clone(),
                None => partner.campaign_id.clone(),
            }),
            code: draft.code.or_else(|| click.map(|click| click.code.clone())),
            promo_code: draft.promo_code,
            stripe_customer_id: draft.stripe_customer_id,
            signup_date: draft.signup_date.unwrap_or(now),
            subscription_status: draft.subscription_status,
            acquired_at: None,
            paid_charges: 0,
            partner_group_id: Some(partner.group_id.clone()),
            ip: draft.ip,
            is_self_referral,
            fraud_check: fraud_check(is_self_referral),
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }
}

impl Referral {
    /// Applies a partial update. `partner` is the referral's partner, to
    /// re-run the self-referral check when the email changes.
    pub fn apply(
        &mut self,
        changes: ReferralChanges,
        partner: Option<&Partner>,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = changes
            .email
            .as_deref()
            .map(|e| validation::email("email", e, &mut errors));
        check_customer(changes.stripe_customer_id.as_deref(), &mut errors);
        check_ip(changes.ip.as_deref(), &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Some(email) = email {
            self.email = email;
            if let Some(partner) = partner {
                self.is_self_referral = self.email.eq_ignore_ascii_case(partner.email.trim());
                self.fraud_check = fraud_check(self.is_self_referral);
            }
        }
        replace_optional(&mut self.stripe_customer_id, changes.stripe_customer_id);
        replace_optional(&mut self.subscription_status, changes.subscription_status);
        replace_optional(&mut self.ip, changes.ip);
        self.updated_at = now;
        self.version += 1;
        Ok(())
    }

    /// The customer's subscription ended (Stripe deleted it): `false` when
    /// it already had.
    pub fn end_subscription(&mut self, now: DateTime<Utc>) -> bool {
        if self.subscription_status == Some(SubscriptionStatus::Canceled) {
            return false;
        }
        self.subscription_status = Some(SubscriptionStatus::Canceled);
        self.updated_at = now;
        self.version += 1;
        true
    }
}

fn fraud_check(is_self_referral: bool) -> FraudCheck {
    if is_self_referral {
        FraudCheck::SamePromoterEmail
    } else {
        FraudCheck::NoSuspicion
    }
}

fn check_customer(customer: Option<&str>, errors: &mut Vec<FieldError>) {
    let Some(customer) = customer else { return };
    let well_formed = !customer.is_empty()
        && customer.len() <= MAX_CUSTOMER_ID
        && customer
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !well_formed {
        errors.push(FieldError::new(
            "stripe_customer_id",
            format!("must be 1 to {MAX_CUSTOMER_ID} letters, digits, `_` or `-` (e.g. cus_NffrFeUfNV2Hib)"),
        ));
    }
}

fn check_ip(ip: Option<&str>, errors: &mut Vec<FieldError>) {
    if ip.is_some_and(|ip| ip.parse::<IpAddr>().is_err()) {
        errors.push(FieldError::new("ip", "must be an IPv4 or IPv6 address"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PartnerStats;

    fn partner(email: &str) -> Partner {
        let now = Utc::now();
        Partner {
            id: Id::generate(now),
            email: email.into(),
            first_name: None,
            last_name: None,
            payout_email: None,
            group_id: Id::generate(now),
            campaign_id: Some(Id::generate(now)),
            parent_partner_id: None,
            links: vec![],
            promo_codes: vec![],
            approved: true,
            banned: false,
            details: None,
            stats: PartnerStats::default(),
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    fn draft(body: serde_json::Value) -> ReferralDraft {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn exactly_one_attribution_is_required() {
        for body in [
            serde_json::json!({"email": "c@example.com"}),
            serde_json::json!({"email": "c@example.com", "code": "ann", "promo_code": "ANN10"}),
        ] {
            let errors = draft(body).check().unwrap_err();
            assert_eq!(errors[0].field, "partner_id");
        }
        let checked = draft(serde_json::json!({"email": "c@example.com", "promo_code": "ANN10"}))
            .check()
            .unwrap();
        assert_eq!(checked.attribution, Attribution::PromoCode("ANN10".into()));
    }

    #[test]
    fn the_partners_own_email_is_a_self_referral() {
        let ann = partner("Ann@Example.com");
        let checked = draft(serde_json::json!({"email": " ann@example.COM ", "code": "ann"}))
            .check()
            .unwrap();
        let referral = checked.into_referral(&ann, None, Utc::now());
        assert!(referral.is_self_referral);
        assert_eq!(referral.fraud_check, FraudCheck::SamePromoterEmail);
        assert_eq!(referral.campaign_id, ann.campaign_id);
        assert_eq!(referral.acquired_at, None);
    }

    #[test]
    fn changing_the_email_reruns_the_self_referral_check() {
        let ann = partner("ann@example.com");
        let checked = draft(serde_json::json!({"email": "ann@example.com", "code": "ann"}))
            .check()
            .unwrap();
        let mut referral = checked.into_referral(&ann, None, Utc::now());
        let changes = ReferralChanges {
            email: Some("bob@example.com".into()),
            ..Default::default()
        };
        referral.apply(changes, Some(&ann), Utc::now()).unwrap();
        assert!(!referral.is_self_referral);
        assert_eq!(referral.fraud_check, FraudCheck::NoSuspicion);
        assert_eq!(referral.version, 1);
    }

    #[test]
    fn bad_fields_are_named() {
        let errors = draft(serde_json::json!({
            "email": "not-an-email", "partner_id": "68f76721000000000000000a",
            "stripe_customer_id": "cus 1", "ip": "300.1.1.1"
        }))
        .check()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "stripe_customer_id", "ip"]);
    }
}
