//! Commissions: creating one through the API (a sale on a referral's
//! payment, priced by [`earning`](crate::earning), or a custom grant to a
//! partner), approving or denying pending ones, one by one or all at once,
//! marking a non-cash reward given, and the team's and partner's notes.
//!
//! A create's first read takes the key, the account, the idempotency claims
//! and the referral (or the custom commission's partner); a sale then costs
//! the earning flow's one read and its transaction.

use std::collections::HashSet;

use chrono::Utc;
use ledger_core::model::{
    Commission, CommissionDraft, CommissionStatus, Decision, Earner, Earning, EventType, Id, Notes,
};
use ledger_core::views::CampaignView;
use ledger_core::views::commission::snapshot;
use ledger_store::commissions;
use ledger_store::{Found, Key, Store, campaigns, partners, referrals, unique};

use crate::earning::{self, Customer, Earned};
use crate::{Error, Session, contended, events};

/// The most commissions one bulk decision takes: one transaction's worth
/// (DynamoDB's 100 items); the events of a full one are staged on the
/// commissions (`ledger_store::events`).
pub const MAX_BULK: usize = ledger_store::MAX_TRANSACTION_ITEMS;

/// What a create did.
pub enum Created {
    New(Box<Commission>),
    /// The idempotency key was used before by this same request.
    Replayed(Box<Commission>),
}

/// Creates the commission `draft` asks for, or answers the one an earlier
/// create of the same request made under its idempotency keys.
pub async fn create(
    session: &impl Session,
    store: &Store,
    draft: &CommissionDraft,
) -> Result<Created, Error> {
    contended(|| create_once(session, store, draft)).await
}

async fn create_once(
    session: &impl Session,
    store: &Store,
    draft: &CommissionDraft,
) -> Result<Created, Error> {
    let account_id = session.account_id();
    let earner = match (&draft.referral_id, &draft.partner_id) {
        (Some(referral), _) => Some(Key::referral(account_id, referral)),
        (None, Some(partner)) => Some(Key::partner(account_id, partner)),
        (None, None) => None,
    };
    let (event, payment) = draft.idempotency_keys();
    let claims: Vec<_> = commissions::idempotency_keys(event, payment)
        .into_iter()
        .map(|value| unique::at(account_id, value))
        .collect();
    let (account, (claimed, earner)) = session.read(store, (claims, earner)).await?;
    let request = draft
        .clone()
        .check(account.currency, Utc::now())
        .map_err(Error::Invalid)?;
    if let Some(claim) = claimed.into_iter().flatten().next() {
        let original = earning::replay(store, &account.id, &claim, &request.fingerprint).await?;
        return Ok(Created::Replayed(Box::new(original)));
    }
    let earner = earner.flatten();
    let commission = match &request.earning {
        Earning::Sale { .. } => {
            let referral = earner
                .map(referrals::from_item)
                .transpose()?
                .ok_or_else(|| Error::invalid("referral_id", "no referral with this id"))?;
            let actor = session.actor();
            match earning::earn_sale(store, &account, &actor, Customer::Read(referral), &request)
                .await?
            {
                Earned::Commission(commission) => commission,
                Earned::Refused(reason) => return Err(Error::invalid("referral_id", reason)),
            }
        }
        Earning::Custom {
            campaign: named, ..
        } => {
            let partner = earner
                .map(partners::from_item)
                .transpose()?
                .ok_or_else(|| Error::invalid("partner_id", "no partner with this id"))?;
            if let Some(reason) = earning::refusal(&partner) {
                return Err(Error::invalid("partner_id", reason));
            }
            let campaign_id = named.as_ref().or(partner.campaign_id.as_ref());
            let campaign = match campaign_id {
                Some(id) => campaigns::find(store, &account.id, id).await?,
                None => None,
            };
            if named.is_some() && campaign.is_none() {
                return Err(Error::invalid("campaign_id", "no campaign with this id"));
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
            let created = events::of_commissions(
                EventType::CommissionCreated,
                &account.id,
                &session.actor(),
                commission.created_at,
                &[(None, &commission)],
            )?;
            commissions::create(store, &account.id, &commission, &partner, None, &created).await?;
            Box::new(commission)
        }
    };
    Ok(Created::New(commission))
}

/// Takes `decision` on the pending commission `id`; taking it again on a
/// commission it already decided changes nothing.
pub async fn decide(
    session: &impl Session,
    store: &Store,
    id: &Id,
    decision: Decision,
) -> Result<Commission, Error> {
    contended(|| async {
        let (account, commission) = session
            .read(store, commissions::at(session.account_id(), id))
            .await?;
        let before = commission.found()?;
        let mut commission = before.clone();
        let changed = commission
            .decide(decision, Utc::now())
            .map_err(|refused| Error::conflict("invalid_transition", refused.to_string()))?;
        if changed {
            let decided = events::of_commissions(
                decided_event(decision),
                &account.id,
                &session.actor(),
                commission.status_updated_at,
                &[(Some(&before), &commission)],
            )?;
            commissions::save_decision(store, &account.id, &before, &commission, &decided).await?;
        }
        Ok(commission)
    })
    .await
}

/// The event a decision makes.
fn decided_event(decision: Decision) -> EventType {
    match decision.target() {
        CommissionStatus::Denied => EventType::CommissionDenied,
        _ => EventType::CommissionApproved,
    }
}

/// Takes `decision` on every commission of `ids` (1 to [`MAX_BULK`]
/// distinct ones) at once: all of them must be pending, or none changes.
pub async fn decide_all(
    session: &impl Session,
    store: &Store,
    ids: &[Id],
    decision: Decision,
) -> Result<(), Error> {
    let distinct: HashSet<&Id> = ids.iter().collect();
    if ids.is_empty() || ids.len() > MAX_BULK || distinct.len() != ids.len() {
        return Err(Error::invalid(
            "ids",
            format!("must hold 1 to {MAX_BULK} distinct commission ids"),
        ));
    }
    contended(|| async {
        let refs: Vec<_> = ids
            .iter()
            .map(|id| commissions::at(session.account_id(), id))
            .collect();
        let (account, read) = session.read(store, refs).await?;
        let now = Utc::now();
        let mut refused = Vec::new();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for (id, commission) in ids.iter().zip(read) {
            let Some(commission) = commission else {
                refused.push(id.as_str());
                continue;
            };
            let mut decided = commission.clone();
            match decided.decide(decision, now) {
                Ok(true) => {
                    before.push(commission);
                    after.push(decided);
                }
                _ => refused.push(id.as_str()),
            }
        }
        if !refused.is_empty() {
            return Err(Error::conflict(
                "invalid_transition",
                format!(
                    "nothing was {}: these commissions are unknown or not pending: {}",
                    decision.target().as_str(),
                    refused.join(", ")
                ),
            ));
        }
        let changes: Vec<_> = before.iter().map(Some).zip(&after).collect();
        let decided = events::of_commissions(
            decided_event(decision),
            &account.id,
            &session.actor(),
            now,
            &changes,
        )?;
        let stages =
            commissions::decide_all(store, &account.id, &before, &after, &decided).await?;
        let left = events::release_all(store, &stages).await;
        if let Some((_, error)) = left.first() {
            tracing::warn!(%error, left = left.len(), "decided; events left staged for the dispatcher");
        }
        Ok(())
    })
    .await
}

/// Marks the approved non-cash commission `id` fulfilled: the merchant gave
/// the reward. Fulfilling it again changes nothing.
pub async fn fulfil(session: &impl Session, store: &Store, id: &Id) -> Result<Commission, Error> {
    contended(|| async {
        let (account, commission) = session
            .read(store, commissions::at(session.account_id(), id))
            .await?;
        let mut commission = commission.found()?;
        let changed = commission.fulfil(Utc::now()).map_err(|refused| {
            Error::conflict("not_fulfillable", format!("commission {}", refused))
        })?;
        if changed {
            commissions::save_fulfilment(store, &account.id, &commission).await?;
        }
        Ok(commission)
    })
    .await
}

/// Sets the notes `notes` gives on commission `id`, keeping the others.
pub async fn annotate(
    session: &impl Session,
    store: &Store,
    id: &Id,
    notes: Notes,
) -> Result<Commission, Error> {
    notes.check().map_err(Error::Invalid)?;
    let (account, commission) = session
        .read(store, commissions::at(session.account_id(), id))
        .await?;
    let mut commission = commission.found()?;
    let named = notes.named();
    if !named.is_empty() {
        commission.annotate(notes, Utc::now());
        commissions::save_notes(store, &account.id, &commission, &named).await?;
    }
    Ok(commission)
}
