//! Creating a commission through the API: a sale on a referral's payment
//! (priced by `ledger_app::earning`) or a custom grant to a partner.
//!
//! The first BatchGetItem takes the key, the account, the referral (or the
//! custom commission's partner) and the idempotency keys; a sale then costs
//! the earning flow's one read and its transaction.

use chrono::Utc;
use ledger_app::earning::{self, Customer, Earned};
use ledger_core::model::{Commission, CommissionDraft, Earner, Earning};
use ledger_core::validation::{FieldError, under};
use ledger_core::views::CampaignView;
use ledger_core::views::commission::snapshot;
use ledger_http::scopes::CommissionsWrite;
use ledger_http::{ApiError, Caller};
use ledger_store::{Key, Store, campaigns, commissions, partners, referrals};

const WRAPPER: &str = "commission";

/// What a create did.
pub enum Created {
    New(Commission),
    /// The idempotency key was used before by this same request.
    Replayed(Commission),
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(under(vec![FieldError::new(field, message)], WRAPPER))
}

/// Field errors of the earning flow, named under the wrapper.
fn wrapped(error: ledger_app::Error) -> ApiError {
    match error {
        ledger_app::Error::Invalid(errors) => ApiError::Validation(under(errors, WRAPPER)),
        other => other.into(),
    }
}

/// One attempt at creating the commission `draft` asks for; run it under
/// `retry_contended`, since a lost race is settled by reading again.
pub async fn create(
    store: &Store,
    caller: &Caller<CommissionsWrite>,
    draft: &CommissionDraft,
) -> Result<Created, ApiError> {
    let account_id = caller.account_id();
    let earner_key = match (&draft.referral_id, &draft.partner_id) {
        (Some(referral), _) => Some(Key::referral(account_id, referral)),
        (None, Some(partner)) => Some(Key::partner(account_id, partner)),
        (None, None) => None,
    };
    let (event, payment) = draft.idempotency_keys();
    let claim_keys: Vec<Key> = commissions::idempotency_keys(event, payment)
        .into_iter()
        .map(|value| Key::unique(account_id, value))
        .collect();
    let mut wanted: Vec<&Key> = claim_keys.iter().collect();
    wanted.extend(earner_key.as_ref());
    let (account, mut found) = caller.read_all_items(store, &wanted).await?;
    let earner = earner_key.and_then(|_| found.pop().flatten());
    let request = draft
        .clone()
        .check(account.currency, Utc::now())
        .map_err(|errors| ApiError::Validation(under(errors, WRAPPER)))?;
    if let Some(claim) = found.into_iter().flatten().next() {
        let original = earning::replay(store, &account.id, claim, &request.fingerprint).await?;
        return Ok(Created::Replayed(original));
    }
    let commission = match &request.earning {
        Earning::Sale { .. } => {
            let referral = earner
                .map(referrals::from_item)
                .transpose()?
                .ok_or_else(|| invalid("referral_id", "no referral with this id"))?;
            match earning::earn_sale(store, &account, Customer::Read(referral), &request)
                .await
                .map_err(wrapped)?
            {
                Earned::Commission(commission) => *commission,
                Earned::Refused(reason) => return Err(invalid("referral_id", reason)),
            }
        }
        Earning::Custom {
            campaign: named, ..
        } => {
            let partner = earner
                .map(partners::from_item)
                .transpose()?
                .ok_or_else(|| invalid("partner_id", "no partner with this id"))?;
            if let Some(reason) = earning::refusal(&partner) {
                return Err(invalid("partner_id", reason));
            }
            let campaign_id = named.as_ref().or(partner.campaign_id.as_ref());
            let campaign = match campaign_id {
                Some(id) => campaigns::find(store, &account.id, id).await?,
                None => None,
            };
            if named.is_some() && campaign.is_none() {
                return Err(invalid("campaign_id", "no campaign with this id"));
            }
            let view = campaign.map(|c| CampaignView::in_account(c, &account));
            let commission = Commission::earn(
                &request,
                Earner {
                    partner_id: &partner.id,
                    campaign_id,
                    referral: None,
                },
                None,
                snapshot(&partner, view, None),
                Utc::now(),
            );
            commissions::create(store, &account.id, &commission, &partner, None).await?;
            commission
        }
    };
    Ok(Created::New(commission))
}
