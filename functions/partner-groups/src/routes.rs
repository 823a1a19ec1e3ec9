//! The Partner Groups handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use ledger_core::engine::RuleSet;
use ledger_core::model::PartnerGroup;
use ledger_core::validation::{FieldError, under};
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{PartnerGroupsRead, PartnerGroupsWrite};
use ledger_http::{ApiError, Caller, JsonBody, JsonId, ListEnvelope, Paging, retry_contended};
use ledger_store::{Item, Key, Store, Tally, accounts, partner_groups, tallies};

use crate::views::*;

const TAG: &str = "Partner Groups";

fn invalid(errors: Vec<FieldError>, wrapper: &str) -> ApiError {
    ApiError::Validation(under(errors, wrapper))
}

/// The group read from `item`, or the 404 an unknown (or foreign) id gets.
fn existing(item: Option<Item>) -> Result<PartnerGroup, ApiError> {
    item.map(partner_groups::from_item)
        .transpose()?
        .ok_or(ApiError::NotFound("partner group"))
}

/// List Partner Groups.
///
/// Retrieve a paginated directory of all defined Partner Groups.
#[utoipa::path(get, path = "/2026-02-01/partners/groups.json", tag = TAG, params(Paging),
    security(("api_key" = [])),
    responses((status = 200, description = "Partner group directory successfully retrieved.", body = ListEnvelope<GroupSummary>), ListErrors))]
pub async fn list_groups(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsRead>,
    paging: Paging,
) -> Result<Json<ListEnvelope<GroupSummary>>, ApiError> {
    let (account, []) = caller.read(&store, []).await?;
    let groups = partner_groups::list(&store, &account.id).await?;
    let elements = groups
        .into_iter()
        .map(|g| GroupSummary::of(g, &account))
        .collect();
    Ok(Json(ListEnvelope::page_of(
        "PartnerGroup",
        elements,
        paging,
    )))
}

/// Retrieve Group Configuration & Rules.
#[utoipa::path(get, path = "/2026-02-01/partners/groups/{groupId}.json", tag = TAG,
    params(("groupId" = String, Path, description = "The unique identifier of the partner group.")),
    security(("api_key" = [])),
    responses((status = 200, description = "Group configuration and rules engine definition retrieved.", body = GroupDetail), ReadErrors))]
pub async fn get_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsRead>,
    JsonId(id): JsonId,
) -> Result<Json<GroupDetail>, ApiError> {
    let (account, [group]) = caller
        .read(&store, [&Key::partner_group(caller.account_id(), &id)])
        .await?;
    let group = existing(group)?;
    Ok(Json(GroupDetail::of(group, &account)))
}

/// Create Partner Group.
///
/// The account's first group becomes its default, whatever `default` says.
#[utoipa::path(post, path = "/2026-02-01/partners/groups.json", tag = TAG, request_body = CreateGroupRequest,
    security(("api_key" = [])),
    responses((status = 201, description = "Partner group created.", body = GroupRef), WriteErrors))]
pub async fn create_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonBody(request): JsonBody<CreateGroupRequest>,
) -> Result<(StatusCode, Json<GroupRef>), ApiError> {
    let wants_default = request.partner_group.default;
    let group = PartnerGroup::create(request.partner_group, Utc::now())
        .map_err(|e| invalid(e, "partnerGroup"))?;
    retry_contended(|| async {
        let (account, []) = caller.read(&store, []).await?;
        let mut writes = vec![partner_groups::insert(&store, &account.id, &group)?];
        if wants_default || account.default_group_id.is_none() {
            let previous = account.default_group_id.as_ref();
            writes.push(accounts::set_default_group(
                &store,
                &account.id,
                &group.id,
                previous,
            )?);
        }
        Ok(store.transact(writes).await?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(GroupRef {
            group: GroupId { id: group.id },
        }),
    ))
}

/// Update Partner Group.
///
/// Partial: only the given fields change; rules are replaced only when given.
#[utoipa::path(put, path = "/2026-02-01/partners/groups/{groupId}.json", tag = TAG, request_body = UpdateGroupRequest,
    params(("groupId" = String, Path, description = "The unique identifier of the partner group.")),
    security(("api_key" = [])),
    responses((status = 200, description = "Partner group updated.", body = GroupRef), WriteErrors))]
pub async fn update_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonId(id): JsonId,
    JsonBody(request): JsonBody<UpdateGroupRequest>,
) -> Result<Json<GroupRef>, ApiError> {
    let changes = request.partner_group;
    retry_contended(|| async {
        let (account, [group]) = caller
            .read(&store, [&Key::partner_group(caller.account_id(), &id)])
            .await?;
        let mut group = existing(group)?;
        let is_default = account.is_default_group(&id);
        if changes.default == Some(false) && is_default {
            return Err(ApiError::conflict(
                "default_group_required",
                "the default group cannot be unset; make another group the default instead",
            ));
        }
        let expected_version = group.version;
        group
            .apply(changes.clone(), Utc::now())
            .map_err(|e| invalid(e, "partnerGroup"))?;
        let mut writes = vec![partner_groups::replace(
            &store,
            &account.id,
            &group,
            expected_version,
        )?];
        if changes.default == Some(true) && !is_default {
            let previous = account.default_group_id.as_ref();
            writes.push(accounts::set_default_group(
                &store,
                &account.id,
                &id,
                previous,
            )?);
        }
        Ok(store.transact(writes).await?)
    })
    .await?;
    Ok(Json(GroupRef {
        group: GroupId { id },
    }))
}

/// Delete Partner Group.
///
/// The default group, and a group that still has partners, cannot be deleted (409).
#[utoipa::path(delete, path = "/2026-02-01/partners/groups/{groupId}.json", tag = TAG,
    params(("groupId" = String, Path, description = "The unique identifier of the partner group.")),
    security(("api_key" = [])),
    responses((status = 200, description = "Partner group deleted.", body = DeletedGroup), WriteErrors))]
pub async fn delete_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonId(id): JsonId,
) -> Result<Json<DeletedGroup>, ApiError> {
    let members = Tally::partners_in_group(&id);
    retry_contended(|| async {
        let (account, [group, tally]) = caller
            .read(
                &store,
                [
                    &Key::partner_group(caller.account_id(), &id),
                    &Key::tally(caller.account_id(), &members),
                ],
            )
            .await?;
        let group = existing(group)?;
        if account.is_default_group(&id) {
            return Err(ApiError::conflict(
                "default_group",
                "the default group cannot be deleted; make another group the default first",
            ));
        }
        let partners = tallies::count(tally.as_ref())?;
        if partners > 0 {
            return Err(ApiError::conflict(
                "group_has_partners",
                format!(
                    "the group still has {partners} partner(s); move them to another group first"
                ),
            ));
        }
        Ok(store
            .transact(vec![
                accounts::require_not_default(&store, &account.id, &id)?,
                tallies::require_zero(&store, &account.id, &members)?,
                partner_groups::delete(&store, &account.id, &group)?,
            ])
            .await?)
    })
    .await?;
    Ok(Json(DeletedGroup {
        group: DeletedGroupId { id, deleted: true },
    }))
}

/// Simulate Rules.
///
/// Evaluates a rule set against a hypothetical charge. Nothing is stored.
#[utoipa::path(post, path = "/2026-02-01/partners/groups/simulate-rules.json", tag = TAG, request_body = SimulateRequest,
    security(("api_key" = [])),
    responses((status = 200, description = "Rules simulation completed.", body = SimulationResponse), WriteErrors))]
pub async fn simulate_rules(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonBody(request): JsonBody<SimulateRequest>,
) -> Result<Json<SimulationResponse>, ApiError> {
    let (account, []) = caller.read(&store, []).await?;
    let simulation = request.partner_group_simulation;
    let context = simulation.simulation.into_context(account.currency);
    let rules = RuleSet::parse(simulation.rules).map_err(|e| under(e, "rules"));
    let checked = context.validate().map_err(|e| under(e, "simulation"));
    match (rules, checked) {
        (Ok(rules), Ok(())) => Ok(Json(SimulationResponse {
            status: "success",
            result: rules.evaluate(&context),
        })),
        (rules, checked) => {
            let errors = rules
                .err()
                .into_iter()
                .chain(checked.err())
                .flatten()
                .collect();
            Err(invalid(errors, "partnerGroupSimulation"))
        }
    }
}
