//! Referrals: creating one, credited to the partner its draft names (by id,
//! link code, promo code or click), who must be in good standing; and
//! changing one. A customer's email and Stripe customer each have one
//! referral. A click must still cover the signup (its window), and must
//! agree with whatever else the draft names: its partner and campaign.

use chrono::Utc;
use ledger_core::model::referral::CheckedDraft;
use ledger_core::model::{
    Attribution, Click, EventType, Id, Partner, Referral, ReferralChanges, ReferralDraft,
};
use ledger_core::validation::FieldError;
use ledger_core::views::referral::ReferralView;
use ledger_store::referrals::ReferralWriteError;
use ledger_store::unique::Claim;
use ledger_store::{Found, Store, UniqueValue, campaigns, clicks, partners, referrals, unique};

use crate::{Error, Session, contended, events};

/// Creates the referral `draft` describes. Its partner, or the claim on the
/// code naming its partner, and its campaign are read with the account.
pub async fn create(
    session: &impl Session,
    store: &Store,
    draft: ReferralDraft,
) -> Result<Referral, Error> {
    let campaign = draft.campaign_id.clone();
    let draft = draft.check().map_err(Error::Invalid)?;
    contended(|| async {
        let account = session.account_id();
        let (by_id, by_code) = match &draft.attribution {
            Attribution::Partner(id) => (Some(partners::at(account, id)), None),
            Attribution::LinkCode(code) => {
                (None, Some(unique::at(account, UniqueValue::LinkCode(code))))
            }
            Attribution::PromoCode(code) => (
                None,
                Some(unique::at(account, UniqueValue::PromoCode(code))),
            ),
            Attribution::Click(_) => (None, None),
        };
        let wanted = campaign.as_ref().map(|c| campaigns::at(account, c));
        let click = draft.click_id().map(|c| clicks::at(account, c));
        let (account, (partner, claim, found_campaign, click)) =
            session.read(store, (by_id, by_code, wanted, click)).await?;
        if campaign.is_some() && found_campaign.flatten().is_none() {
            return Err(Error::invalid("campaign_id", "no campaign with this id"));
        }
        let now = Utc::now();
        let click = clicked(&draft, click, campaign.as_ref(), now)?;
        let partner = match (&draft.attribution, &click) {
            (Attribution::Click(_), Some(click)) => {
                partners::find(store, &account.id, &click.partner_id).await?
            }
            _ => partner.flatten(),
        };
        let partner = attributed_partner(
            store,
            &account.id,
            &draft.attribution,
            partner,
            claim.flatten(),
        )
        .await?;
        if let Some(click) = &click
            && click.partner_id != partner.id
        {
            return Err(Error::invalid(
                "click_id",
                format!(
                    "the click is another partner's than the one {} names",
                    draft.attribution.field()
                ),
            ));
        }
        let referral = draft.clone().into_referral(&partner, click.as_ref(), now);
        let created = events::of_changes(
            EventType::ReferralCreated,
            &account.id,
            &session.actor(),
            referral.created_at,
            &[(None, ReferralView::from(referral.clone()))],
        )?;
        referrals::create(store, &account.id, &referral, &created)
            .await
            .map_err(written)?;
        Ok(referral)
    })
    .await
}

/// The click the draft names, as read (`found`), if it names one: it must
/// exist, cover the signup and, when the draft names a campaign, be of it.
fn clicked(
    draft: &CheckedDraft,
    found: Option<Option<Click>>,
    campaign: Option<&Id>,
    now: chrono::DateTime<Utc>,
) -> Result<Option<Click>, Error> {
    let Some(found) = found else {
        return Ok(None);
    };
    let click = found.ok_or_else(|| Error::invalid("click_id", "no click with this id"))?;
    let signup = draft.signup_date(now);
    if !click.covers(signup) {
        return Err(Error::invalid(
            "click_id",
            format!(
                "the click's window ({} to {}) does not cover the signup: it has expired",
                click.at.to_rfc3339(),
                click.expires_at.to_rfc3339()
            ),
        ));
    }
    if let Some(campaign) = campaign
        && click.campaign_id.as_ref() != Some(campaign)
    {
        return Err(Error::invalid(
            "click_id",
            "the click came through another campaign than campaign_id",
        ));
    }
    Ok(Some(click))
}

/// The partner the attribution names, if it may be credited with a referral:
/// `partner` as read by id, or the holder of the code's `claim`.
async fn attributed_partner(
    store: &Store,
    account: &Id,
    attribution: &Attribution,
    partner: Option<Partner>,
    claim: Option<Claim>,
) -> Result<Partner, Error> {
    let field = attribution.field();
    let missing = |what: &str| Error::invalid(field, format!("no partner {what}"));
    let partner = match (partner, claim) {
        (Some(partner), _) => Some(partner),
        (None, Some(claim)) => partners::find(store, account, &claim.holder).await?,
        (None, None) => None,
    };
    let partner = match (attribution, partner) {
        (Attribution::Partner(_), None) => return Err(missing("with this id")),
        (Attribution::LinkCode(_), None) => return Err(missing("has this link code")),
        (Attribution::PromoCode(_), None) => return Err(missing("has this promo code")),
        (Attribution::Click(_), None) => return Err(missing("made this click")),
        (_, Some(partner)) => partner,
    };
    match partner.refusal() {
        Some(reason) => Err(Error::Invalid(vec![FieldError::new(
            field,
            format!("{reason}, so it cannot be credited with referrals"),
        )])),
        None => Ok(partner),
    }
}

/// Applies `changes` to referral `id`. A new email re-runs the self-referral
/// check against the referral's partner; the email and Stripe customer it
/// replaces are freed for other referrals.
pub async fn update(
    session: &impl Session,
    store: &Store,
    id: &Id,
    changes: ReferralChanges,
) -> Result<Referral, Error> {
    contended(|| async {
        let (account, referral) = session
            .read(store, referrals::at(session.account_id(), id))
            .await?;
        let before = referral.found()?;
        let partner = match &changes.email {
            Some(_) => partners::find(store, &account.id, &before.partner_id).await?,
            None => None,
        };
        let mut after = before.clone();
        after
            .apply(changes.clone(), partner.as_ref(), Utc::now())
            .map_err(Error::Invalid)?;
        referrals::update(store, &account.id, &before, &after)
            .await
            .map_err(written)?;
        Ok(after)
    })
    .await
}

/// A refused referral write: a taken value is a conflict; anything else
/// stays a store error (a lost race is run again).
fn written(error: ReferralWriteError) -> Error {
    match error {
        ReferralWriteError::CustomerTaken => Error::conflict(
            "duplicate_customer",
            "this stripe_customer_id already has a referral",
        ),
        ReferralWriteError::EmailTaken => {
            Error::conflict("duplicate_email", "this email already has a referral")
        }
        ReferralWriteError::Store(e) => e.into(),
    }
}
