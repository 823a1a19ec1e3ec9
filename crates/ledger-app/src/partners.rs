//! Partners: creating one (into the account's default group and campaign
//! unless it names others), changing one (its unique values, group, campaign
//! and parent move with it), and the approve, ban and unban actions.
//!
//! A partner's transaction claims its email and codes and checks what it
//! points at; a refused one is explained here: a reference to nothing is an
//! invalid input, a value another partner holds a conflict, and anything
//! else a lost race, which [`contended`] runs again.

use chrono::Utc;
use ledger_core::model::partner::{PartnerChanges, PartnerDraft, StandingChange};
use ledger_core::model::{EventType, Id, Partner};
use ledger_core::validation::FieldError;
use ledger_core::views::partner::PartnerDetail;
use ledger_store::partners::{self, Guard, Refusal};
use ledger_store::{Found, Store, campaigns};

use crate::{Error, Session, contended, events};

/// Creates the partner `draft` describes. It starts approved unless the
/// draft says otherwise or its campaign (named, or the account's default)
/// has `approval_needed`.
pub async fn create(
    session: &impl Session,
    store: &Store,
    draft: PartnerDraft,
) -> Result<Partner, Error> {
    contended(|| async {
        let (account, ()) = session.read(store, ()).await?;
        let campaign = account.campaign_for(draft.campaign_id.as_ref());
        let needs_approval = match (draft.approved, campaign) {
            (None, Some(campaign)) => {
                campaigns::needs_approval(store, &account.id, campaign).await?
            }
            _ => false,
        };
        let partner = Partner::create(draft.clone(), &account, needs_approval, Utc::now())
            .map_err(Error::Invalid)?;
        let created = recorded(
            session,
            EventType::PartnerCreated,
            &account.id,
            None,
            &partner,
        )?;
        partners::create(store, &account.id, &partner)?
            .recording(store, &account.id, &created)?
            .run(store)
            .await
            .map_err(explain)?;
        Ok(partner)
    })
    .await
}

/// Applies `changes` to partner `id`. A new parent is checked against the
/// partner's descendants, so no change makes a partner its own ancestor.
pub async fn update(
    session: &impl Session,
    store: &Store,
    id: &Id,
    changes: PartnerChanges,
) -> Result<Partner, Error> {
    contended(|| async {
        let (account, partner) = session
            .read(store, partners::at(session.account_id(), id))
            .await?;
        let before = partner.found()?;
        let mut after = before.clone();
        after
            .apply(changes.clone(), Utc::now())
            .map_err(Error::Invalid)?;
        let lineage = match &after.parent_partner_id {
            Some(parent) if after.parent_partner_id != before.parent_partner_id => {
                let lineage = partners::lineage(store, &account.id, parent, id).await?;
                after
                    .check_lineage(&lineage)
                    .map_err(|e| Error::Invalid(vec![e]))?;
                lineage
            }
            _ => Vec::new(),
        };
        let updated = recorded(
            session,
            EventType::PartnerUpdated,
            &account.id,
            Some(&before),
            &after,
        )?;
        partners::update(store, &account.id, &before, &after, &lineage)?
            .recording(store, &account.id, &updated)?
            .run(store)
            .await
            .map_err(explain)?;
        Ok(after)
    })
    .await
}

/// Approves, bans or unbans partner `id`: a write only when its standing
/// changes, so each action is idempotent.
pub async fn change_standing(
    session: &impl Session,
    store: &Store,
    id: &Id,
    change: StandingChange,
) -> Result<Partner, Error> {
    contended(|| async {
        let (account, partner) = session
            .read(store, partners::at(session.account_id(), id))
            .await?;
        let before = partner.found()?;
        let mut after = before.clone();
        if after.change_standing(change, Utc::now()) {
            let kind = match change {
                StandingChange::Approve => EventType::PartnerApproved,
                StandingChange::Ban => EventType::PartnerBanned,
                StandingChange::Unban => EventType::PartnerUpdated,
            };
            let changed = recorded(session, kind, &account.id, Some(&before), &after)?;
            partners::update(store, &account.id, &before, &after, &[])?
                .recording(store, &account.id, &changed)?
                .run(store)
                .await
                .map_err(explain)?;
        }
        Ok(after)
    })
    .await
}

/// The event of a change to a partner (`None` before: its creation), as
/// the partners routes show it.
fn recorded(
    session: &impl Session,
    kind: EventType,
    account: &Id,
    before: Option<&Partner>,
    after: &Partner,
) -> Result<Vec<ledger_core::model::Event>, Error> {
    let view = |p: &Partner| PartnerDetail::from(p.clone());
    events::of_changes(
        kind,
        account,
        &session.actor(),
        after.updated_at,
        &[(before.map(view), view(after))],
    )
}

/// Explains a refused transaction: a reference to nothing is invalid input,
/// a value another partner holds a conflict. Anything else lost a race and
/// stays a store error, which [`contended`] runs again.
fn explain(refusal: Refusal) -> Error {
    let unknown: Vec<FieldError> = refusal
        .failed
        .iter()
        .filter_map(|guard| match guard {
            Guard::Exists(reference) => Some(reference.unknown()),
            _ => None,
        })
        .collect();
    if !unknown.is_empty() {
        return Error::Invalid(unknown);
    }
    refusal
        .failed
        .into_iter()
        .find_map(taken)
        .unwrap_or(Error::Store(refusal.cause))
}

/// The conflict for a unique value that another partner holds, naming it.
fn taken(guard: Guard) -> Option<Error> {
    let (code, field, what, value) = match guard {
        Guard::Email(email) => ("duplicate_email", "email".to_string(), "email", email),
        Guard::LinkCode { index, code } => (
            "duplicate_link_code",
            format!("links[{index}].code"),
            "link code",
            code,
        ),
        Guard::PromoCode { index, code } => (
            "duplicate_promo_code",
            format!("promo_codes[{index}].code"),
            "promo code",
            code,
        ),
        Guard::Partner | Guard::Exists(_) | Guard::Ancestor | Guard::Bookkeeping => return None,
    };
    Some(Error::conflict(
        code,
        format!("partner.{field}: another partner already has the {what} {value}"),
    ))
}
