//! Partner groups: creating one (the account's first becomes its default),
//! changing one, and deleting one, which the default group and a group that
//! still has partners refuse.

use chrono::Utc;
use ledger_core::model::{GroupChanges, GroupDraft, Id, PartnerGroup};
use ledger_store::tallies;
use ledger_store::{Found, Store, Tally, accounts, partner_groups};

use crate::{Error, Session, contended};

/// Creates the group `draft` describes; it becomes the default when asked,
/// or when it is the account's first.
pub async fn create(
    session: &impl Session,
    store: &Store,
    draft: GroupDraft,
) -> Result<PartnerGroup, Error> {
    let wants_default = draft.default;
    let group = PartnerGroup::create(draft, Utc::now()).map_err(Error::Invalid)?;
    contended(|| async {
        let (account, ()) = session.read(store, ()).await?;
        let mut writes = vec![partner_groups::insert(store, &account.id, &group)?];
        if wants_default || account.default_group_id.is_none() {
            let previous = account.default_group_id.as_ref();
            writes.push(accounts::set_default_group(
                store,
                &account.id,
                &group.id,
                previous,
            )?);
        }
        Ok(store.transact(writes).await?)
    })
    .await?;
    Ok(group)
}

/// Applies `changes` to group `id`. The default group stays the default
/// until another one is made the default.
pub async fn update(
    session: &impl Session,
    store: &Store,
    id: &Id,
    changes: GroupChanges,
) -> Result<(), Error> {
    contended(|| async {
        let (account, group) = session
            .read(store, partner_groups::at(session.account_id(), id))
            .await?;
        let mut group = group.found()?;
        let is_default = account.is_default_group(id);
        if changes.default == Some(false) && is_default {
            return Err(Error::conflict(
                "default_group_required",
                "the default group cannot be unset; make another group the default instead",
            ));
        }
        let expected_version = group.version;
        group
            .apply(changes.clone(), Utc::now())
            .map_err(Error::Invalid)?;
        let mut writes = vec![partner_groups::replace(
            store,
            &account.id,
            &group,
            expected_version,
        )?];
        if changes.default == Some(true) && !is_default {
            let previous = account.default_group_id.as_ref();
            writes.push(accounts::set_default_group(
                store,
                &account.id,
                id,
                previous,
            )?);
        }
        Ok(store.transact(writes).await?)
    })
    .await
}

/// Deletes group `id`, unless it is the default or still has partners; both
/// are checked again in the deleting transaction, so no race slips past.
pub async fn delete(session: &impl Session, store: &Store, id: &Id) -> Result<(), Error> {
    let members = Tally::partners_in_group(id);
    contended(|| async {
        let account_id = session.account_id();
        let (account, (group, partners)) = session
            .read(
                store,
                (
                    partner_groups::at(account_id, id),
                    tallies::of(account_id, &members),
                ),
            )
            .await?;
        let group = group.found()?;
        if account.is_default_group(id) {
            return Err(Error::conflict(
                "default_group",
                "the default group cannot be deleted; make another group the default first",
            ));
        }
        let partners = partners.0;
        if partners > 0 {
            return Err(Error::conflict(
                "group_has_partners",
                format!(
                    "the group still has {partners} partner(s); move them to another group first"
                ),
            ));
        }
        Ok(store
            .transact(
                [
                    vec![accounts::require_not_default(store, &account.id, id)?],
                    tallies::require_zero(store, &account.id, &members)?,
                    vec![partner_groups::delete(store, &account.id, &group)?],
                ]
                .concat(),
            )
            .await?)
    })
    .await
}
