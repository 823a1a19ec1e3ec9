//! Partners (PromoteKit's affiliates, FirstPromoter's promoters): who refers
//! customers, which group prices their commissions, and their statistics.
//!
//! What a partner may look like is decided here, before anything is read or
//! written: drafts and changes are validated whole, and a new parent is
//! checked against the ancestry read for it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::account::Account;
use super::change::{replace, replace_optional};
use super::commission_request::RewardUnit;
use super::id::Id;
use crate::validation::{self, FieldError};

const MAX_NAME: usize = 200;
const MAX_DETAILS: usize = 5000;
const MAX_URL: usize = 2000;
const MAX_CODE: usize = 64;
const MAX_CODES: usize = 20;

/// A partner as the domain sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Partner {
    pub id: Id,
    /// Unique per account, compared case-insensitively.
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub payout_email: Option<String>,
    /// The group whose rules price this partner's commissions.
    pub group_id: Id,
    /// The campaign the partner joined, if any.
    pub campaign_id: Option<Id>,
    /// The partner who recruited this one (multi-tier programs).
    pub parent_partner_id: Option<Id>,
    pub links: Vec<Link>,
    pub promo_codes: Vec<PromoCode>,
    pub approved: bool,
    pub banned: bool,
    pub details: Option<String>,
    pub stats: PartnerStats,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-locking counter, bumped by every profile update.
    pub version: u64,
}

/// A referral link; its `code` is unique per account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Where the link leads: an http or https URL of at most 2000 characters.
    /// Without one, the link leads to its partner's campaign's `website_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "https://example.com/?via=ann")]
    pub url: Option<String>,
    /// 1–64 letters, digits, `_` or `-`; unique per account, ignoring case.
    #[schema(example = "ann")]
    pub code: String,
}

/// A promo (coupon) code; unique per account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoCode {
    /// 1–64 letters, digits, `_` or `-`; unique per account, ignoring case.
    #[schema(example = "ANN10")]
    pub code: String,
    /// The coupon's id in the billing system, if any.
    #[schema(example = "promo_1Abc")]
    pub external_id: Option<String>,
}

/// Read-only figures that commissions keep up to date, in the same
/// transaction as the commission that changes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartnerStats {
    pub clicks: u64,
    pub qualified_customers: u64,
    /// What the partner's customers paid, in the account's base currency.
    pub ltv_total: Decimal,
    /// The partner's cash commissions, in the account's base currency.
    pub commissions_total: Decimal,
    /// The partner's commissions in each other unit (credits, points, ...),
    /// which never count as cash; a unit never earned is absent.
    pub unit_totals: BTreeMap<RewardUnit, Decimal>,
}

/// The body of a create: `partner` in `{"partner": {...}}`. Statistics are
/// read-only and not accepted.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerDraft {
    /// Unique per account, ignoring case.
    #[schema(example = "ann@example.com")]
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Where payouts are sent.
    pub payout_email: Option<String>,
    /// The group pricing the partner's commissions; the account's default group when omitted.
    pub group_id: Option<Id>,
    /// The campaign the partner joins; the account's default campaign, if any, when omitted.
    pub campaign_id: Option<Id>,
    /// The partner who recruited this one.
    pub parent_partner_id: Option<Id>,
    /// At most 20 referral links.
    #[serde(default)]
    pub links: Vec<Link>,
    /// At most 20 promo codes.
    #[serde(default)]
    pub promo_codes: Vec<PromoCode>,
    /// Whether the partner may be credited with referrals; defaults to true,
    /// or to false when the partner's campaign has `approval_needed`.
    pub approved: Option<bool>,
    /// A banned partner is credited with nothing; defaults to false.
    pub banned: Option<bool>,
    /// Free text about the partner, at most 5000 characters.
    pub details: Option<String>,
}

/// The body of an update: every field optional, and each one given replaces
/// the stored value (`links` and `promo_codes` as whole lists). Omitted or
/// null fields are left as they are.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerChanges {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub payout_email: Option<String>,
    /// Moves the partner to this group.
    pub group_id: Option<Id>,
    pub campaign_id: Option<Id>,
    /// A partner of the account that is neither this partner nor one of its descendants.
    pub parent_partner_id: Option<Id>,
    pub links: Option<Vec<Link>>,
    pub promo_codes: Option<Vec<PromoCode>>,
    pub approved: Option<bool>,
    pub banned: Option<bool>,
    pub details: Option<String>,
}

/// The approve, ban and unban actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandingChange {
    Approve,
    Ban,
    Unban,
}

/// An object of the account a partner points at, which must exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    Group,
    Campaign,
    Parent,
}

impl Reference {
    /// The validation failure when the reference names nothing in the account.
    pub fn unknown(self) -> FieldError {
        match self {
            Reference::Group => {
                FieldError::new("group_id", "is not a partner group of this account")
            }
            Reference::Campaign => {
                FieldError::new("campaign_id", "is not a campaign of this account")
            }
            Reference::Parent => {
                FieldError::new("parent_partner_id", "is not a partner of this account")
            }
        }
    }
}

impl Partner {
    /// How many of a new parent's generations (the parent first) are read to
    /// rule out a cycle; a deeper ancestry is refused rather than trusted.
    pub const MAX_LINEAGE: usize = 10;

    /// Validates a draft into a new partner of `account`, which supplies the
    /// default group and campaign. Unless the draft says otherwise, the
    /// partner starts approved when its campaign needs no approval. Statistics
    /// start at zero. Field paths are relative to the draft.
    pub fn create(
        draft: PartnerDraft,
        account: &Account,
        campaign_needs_approval: bool,
        now: DateTime<Utc>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = validation::email("email", &draft.email, &mut errors);
        let payout_email = draft
            .payout_email
            .map(|e| validation::email("payout_email", &e, &mut errors));
        check_texts(
            &draft.first_name,
            &draft.last_name,
            &draft.details,
            &mut errors,
        );
        check_links(&draft.links, &mut errors);
        check_promo_codes(&draft.promo_codes, &mut errors);
        let group_id = draft.group_id.or_else(|| account.default_group_id.clone());
        if group_id.is_none() {
            errors.push(FieldError::new(
                "group_id",
                "the account has no default partner group; create a partner group first",
            ));
        }
        match group_id {
            Some(group_id) if errors.is_empty() => Ok(Self {
                id: Id::generate(now),
                email,
                first_name: draft.first_name,
                last_name: draft.last_name,
                payout_email,
                group_id,
                campaign_id: draft
                    .campaign_id
                    .or_else(|| account.default_campaign_id.clone()),
                parent_partner_id: draft.parent_partner_id,
                links: draft.links,
                promo_codes: draft.promo_codes,
                approved: draft.approved.unwrap_or(!campaign_needs_approval),
                banned: draft.banned.unwrap_or(false),
                details: draft.details,
                stats: PartnerStats::default(),
                created_at: now,
                updated_at: now,
                version: 0,
            }),
            _ => Err(errors),
        }
    }

    /// Applies a partial update. Nothing changes unless every given field is
    /// valid. A new parent still has to pass [`Partner::check_lineage`].
    pub fn apply(
        &mut self,
        changes: PartnerChanges,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = changes
            .email
            .map(|e| validation::email("email", &e, &mut errors));
        let payout_email = changes
            .payout_email
            .map(|e| validation::email("payout_email", &e, &mut errors));
        check_texts(
            &changes.first_name,
            &changes.last_name,
            &changes.details,
            &mut errors,
        );
        if let Some(links) = &changes.links {
            check_links(links, &mut errors);
        }
        if let Some(codes) = &changes.promo_codes {
            check_promo_codes(codes, &mut errors);
        }
        if changes.parent_partner_id.as_ref() == Some(&self.id) {
            errors.push(FieldError::new(
                "parent_partner_id",
                "a partner cannot be its own parent",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        replace(&mut self.email, email);
        replace_optional(&mut self.first_name, changes.first_name);
        replace_optional(&mut self.last_name, changes.last_name);
        replace_optional(&mut self.payout_email, payout_email);
        replace(&mut self.group_id, changes.group_id);
        replace_optional(&mut self.campaign_id, changes.campaign_id);
        replace(
            &mut self.parent_partner_id,
            changes.parent_partner_id.map(Some),
        );
        replace(&mut self.links, changes.links);
        replace(&mut self.promo_codes, changes.promo_codes);
        replace(&mut self.approved, changes.approved);
        replace(&mut self.banned, changes.banned);
        replace_optional(&mut self.details, changes.details);
        self.touch(now);
        Ok(())
    }

    /// Approves, bans or unbans. Returns false, changing nothing, when the
    /// partner already stands so: the actions are idempotent.
    pub fn change_standing(&mut self, change: StandingChange, now: DateTime<Utc>) -> bool {
        let (flag, value) = match change {
            StandingChange::Approve => (&mut self.approved, true),
            StandingChange::Ban => (&mut self.banned, true),
            StandingChange::Unban => (&mut self.banned, false),
        };
        if *flag == value {
            return false;
        }
        *flag = value;
        self.touch(now);
        true
    }

    /// Checks that this partner may take the parent whose lineage was read:
    /// the parent first, then its parent, and so on, stopping at the top, at
    /// this partner, or after [`Partner::MAX_LINEAGE`] generations.
    pub fn check_lineage(&self, lineage: &[Partner]) -> Result<(), FieldError> {
        let Some(last) = lineage.last() else {
            return Err(Reference::Parent.unknown());
        };
        if lineage.iter().any(|ancestor| ancestor.id == self.id) {
            return Err(FieldError::new(
                "parent_partner_id",
                "would make the partner an ancestor of itself",
            ));
        }
        if lineage.len() >= Self::MAX_LINEAGE && last.parent_partner_id.is_some() {
            return Err(FieldError::new(
                "parent_partner_id",
                format!(
                    "the parent has more than {} generations above it",
                    Self::MAX_LINEAGE - 1
                ),
            ));
        }
        Ok(())
    }

    /// Why this partner cannot be credited with a new referral, if it cannot.
    pub fn refusal(&self) -> Option<&'static str> {
        if self.banned {
            Some("the partner is banned")
        } else if !self.approved {
            Some("the partner is not approved yet")
        } else {
            None
        }
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

fn check_texts(
    first_name: &Option<String>,
    last_name: &Option<String>,
    details: &Option<String>,
    errors: &mut Vec<FieldError>,
) {
    validation::max_chars("first_name", first_name.as_deref(), MAX_NAME, errors);
    validation::max_chars("last_name", last_name.as_deref(), MAX_NAME, errors);
    validation::max_chars("details", details.as_deref(), MAX_DETAILS, errors);
}

fn check_links(links: &[Link], errors: &mut Vec<FieldError>) {
    check_count("links", links.len(), errors);
    for (i, link) in links.iter().enumerate() {
        if link.url.as_deref().is_some_and(|url| !is_web_url(url)) {
            errors.push(FieldError::new(
                format!("links[{i}].url"),
                format!("must be an http or https URL of at most {MAX_URL} characters"),
            ));
        }
    }
    check_codes("links", links.iter().map(|l| l.code.as_str()), errors);
}

fn check_promo_codes(codes: &[PromoCode], errors: &mut Vec<FieldError>) {
    check_count("promo_codes", codes.len(), errors);
    for (i, code) in codes.iter().enumerate() {
        validation::max_chars(
            &format!("promo_codes[{i}].external_id"),
            code.external_id.as_deref(),
            MAX_NAME,
            errors,
        );
    }
    check_codes("promo_codes", codes.iter().map(|c| c.code.as_str()), errors);
}

fn check_count(list: &str, len: usize, errors: &mut Vec<FieldError>) {
    if len > MAX_CODES {
        errors.push(FieldError::new(
            list,
            format!("must hold at most {MAX_CODES} entries"),
        ));
    }
}

/// Checks one link or promo code's shape: 1 to [`MAX_CODE`] ASCII letters,
/// digits, `_` or `-`. A code of any other shape names no partner, so a
/// lookup by it can be refused before it reaches the table.
pub fn check_code(field: &str, code: &str, errors: &mut Vec<FieldError>) -> bool {
    let well_formed = (1..=MAX_CODE).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !well_formed {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {MAX_CODE} letters, digits, `_` or `-`"),
        ));
    }
    well_formed
}

/// Each code's shape, and that no two codes of `list` are equal ignoring
/// case: they would claim the same unique value twice.
fn check_codes<'a>(list: &str, codes: impl Iterator<Item = &'a str>, errors: &mut Vec<FieldError>) {
    let mut seen: Vec<String> = Vec::new();
    for (i, code) in codes.enumerate() {
        let field = format!("{list}[{i}].code");
        let folded = code.to_ascii_lowercase();
        if check_code(&field, code, errors)
            && let Some(first) = seen.iter().position(|c| *c == folded)
        {
            errors.push(FieldError::new(
                field,
                format!("repeats {list}[{first}].code (codes ignore case)"),
            ));
        }
        seen.push(folded);
    }
}

/// An http or https URL of at most 2000 characters, without whitespace.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    url.chars().count() <= MAX_URL
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn account() -> Account {
        let mut account = Account::new("A".into(), Currency::EUR, Utc::now());
        account.default_group_id = Some(Id::parse("68f76721000000000000000a").unwrap());
        account
    }

    fn draft(email: &str) -> PartnerDraft {
        PartnerDraft {
            email: email.into(),
            first_name: None,
            last_name: None,
            payout_email: None,
            group_id: None,
            campaign_id: None,
            parent_partner_id: None,
            links: Vec::new(),
            promo_codes: Vec::new(),
            approved: None,
            banned: None,
            details: None,
        }
    }

    fn link(code: &str) -> Link {
        Link {
            url: Some("https://example.com/".into()),
            code: code.into(),
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_draft_takes_the_account_defaults_and_starts_approved_with_zero_stats() {
        let partner =
            Partner::create(draft("  Ann@Example.com "), &account(), false, Utc::now()).unwrap();
        assert_eq!(partner.email, "Ann@Example.com");
        assert_eq!(Some(&partner.group_id), account().default_group_id.as_ref());
        assert_eq!(partner.campaign_id, None);
        assert!(partner.approved && !partner.banned);
        assert_eq!(partner.stats, PartnerStats::default());
        assert_eq!(partner.version, 0);
    }

    #[test]
    fn a_campaign_needing_approval_holds_new_partners_back_unless_told() {
        let waiting = Partner::create(draft("ann@example.com"), &account(), true, Utc::now());
        assert!(!waiting.unwrap().approved);
        let mut approved = draft("ann@example.com");
        approved.approved = Some(true);
        assert!(
            Partner::create(approved, &account(), true, Utc::now())
                .unwrap()
                .approved
        );
    }

    #[test]
    fn without_a_group_there_is_no_partner() {
        let mut account = account();
        account.default_group_id = None;
        let errors =
            Partner::create(draft("ann@example.com"), &account, false, Utc::now()).unwrap_err();
        assert_eq!(fields(errors), vec!["group_id"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = draft("no-at-sign");
        bad.payout_email = Some("a@b@c".into());
        bad.first_name = Some("x".repeat(201));
        bad.details = Some("x".repeat(5001));
        bad.links = vec![
            link("ok"),
            Link {
                url: Some("ftp://example.com".into()),
                code: "bad code".into(),
            },
            link("OK"),
        ];
        bad.promo_codes = vec![PromoCode {
            code: "x".repeat(65),
            external_id: None,
        }];
        let errors = Partner::create(bad, &account(), false, Utc::now()).unwrap_err();
        assert_eq!(
            fields(errors),
            vec![
                "email",
                "payout_email",
                "first_name",
                "details",
                "links[1].url",
                "links[1].code",
                "links[2].code",
                "promo_codes[0].code"
            ]
        );
    }

    #[test]
    fn lists_are_capped_at_twenty() {
        let mut many = draft("ann@example.com");
        many.links = (0..21).map(|i| link(&format!("c{i}"))).collect();
        let errors = Partner::create(many, &account(), false, Utc::now()).unwrap_err();
        assert_eq!(fields(errors), vec!["links"]);
    }

    #[test]
    fn urls_must_be_web_addresses() {
        for good in [
            "https://example.com",
            "http://x.io/a?b=c",
            "HTTPS://EXAMPLE.COM",
        ] {
            assert!(is_web_url(good), "{good}");
        }
        for bad in [
            "",
            "https://",
            "https:///path",
            "example.com",
            "javascript:alert(1)",
            "https://a b",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
        assert!(!is_web_url(&format!(
            "https://e.com/{}",
            "x".repeat(MAX_URL)
        )));
    }

    #[test]
    fn an_email_too_long_for_its_key_is_refused() {
        let email = format!("{}@example.com", "é".repeat(200));
        let errors = Partner::create(draft(&email), &account(), false, Utc::now()).unwrap_err();
        assert_eq!(fields(errors), vec!["email"]);
    }

    #[test]
    fn an_update_replaces_only_what_it_names_and_bumps_the_version() {
        let mut partner =
            Partner::create(draft("ann@example.com"), &account(), false, Utc::now()).unwrap();
        partner.first_name = Some("Ann".into());
        let changes = PartnerChanges {
            last_name: Some("Lee".into()),
            links: Some(vec![link("ann")]),
            ..Default::default()
        };
        partner.apply(changes, Utc::now()).unwrap();
        assert_eq!(partner.first_name.as_deref(), Some("Ann"));
        assert_eq!(partner.last_name.as_deref(), Some("Lee"));
        assert_eq!(partner.links, vec![link("ann")]);
        assert_eq!(partner.version, 1);
    }

    #[test]
    fn an_invalid_update_changes_nothing() {
        let mut partner =
            Partner::create(draft("ann@example.com"), &account(), false, Utc::now()).unwrap();
        let before = partner.clone();
        let changes = PartnerChanges {
            first_name: Some("Annie".into()),
            parent_partner_id: Some(partner.id.clone()),
            ..Default::default()
        };
        let errors = partner.apply(changes, Utc::now()).unwrap_err();
        assert_eq!(fields(errors), vec!["parent_partner_id"]);
        assert_eq!(partner, before);
    }

    #[test]
    fn standing_changes_are_idempotent() {
        let mut partner =
            Partner::create(draft("ann@example.com"), &account(), false, Utc::now()).unwrap();
        assert!(!partner.change_standing(StandingChange::Approve, Utc::now()));
        assert!(partner.change_standing(StandingChange::Ban, Utc::now()));
        assert!(!partner.change_standing(StandingChange::Ban, Utc::now()));
        assert_eq!(partner.refusal(), Some("the partner is banned"));
        assert!(partner.change_standing(StandingChange::Unban, Utc::now()));
        assert_eq!((partner.version, partner.refusal()), (2, None));
    }

    #[test]
    fn a_lineage_must_exist_avoid_the_partner_and_end_within_reach() {
        let make =
            |email: &str| Partner::create(draft(email), &account(), false, Utc::now()).unwrap();
        let child = make("child@example.com");
        let mut parent = make("parent@example.com");
        assert_eq!(child.check_lineage(&[]), Err(Reference::Parent.unknown()));
        assert_eq!(child.check_lineage(std::slice::from_ref(&parent)), Ok(()));
        parent.parent_partner_id = Some(child.id.clone());
        let cycle = [parent.clone(), child.clone()];
        assert_eq!(
            child.check_lineage(&cycle).unwrap_err().field,
            "parent_partner_id"
        );
        let deep: Vec<Partner> = (0..Partner::MAX_LINEAGE).map(|_| parent.clone()).collect();
        let mut grandparent_free = deep.clone();
        grandparent_free.last_mut().unwrap().parent_partner_id = None;
        assert_eq!(child.check_lineage(&grandparent_free), Ok(()));
        let mut unreachable = deep;
        unreachable.last_mut().unwrap().parent_partner_id = Some(parent.id.clone());
        assert!(child.check_lineage(&unreachable).is_err());
    }
}
