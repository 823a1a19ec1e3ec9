//! The Partner Groups handlers: parse, call the domain and the store, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ledger_app::Session;
use ledger_core::engine::RuleSet;
use ledger_core::validation::{FieldError, under};
use ledger_http::openapi::{ListErrors, ReadErrors, WriteErrors};
use ledger_http::scopes::{PartnerGroupsRead, PartnerGroupsWrite};
use ledger_http::{ApiError, Caller, JsonBody, JsonId, ListEnvelope, Paging};
use ledger_store::{Found, Store, partner_groups};

use crate::views::*;

const TAG: &str = "Partner Groups";

fn invalid(errors: Vec<FieldError>, wrapper: &str) -> ApiError {
    ApiError::Validation(under(errors, wrapper))
}

/// List Partner Groups.
///
/// Retrieve a paginated directory of all defined Partner Groups.
#[utoipa::path(get, path = "/partners/groups.json", tag = TAG, params(Paging),
    responses((status = 200, description = "Partner group directory successfully retrieved.", body = ListEnvelope<GroupSummary>), ListErrors))]
pub async fn list_groups(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsRead>,
    paging: Paging,
) -> Result<Json<ListEnvelope<GroupSummary>>, ApiError> {
    let (account, ()) = caller.read(&store, ()).await?;
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
#[utoipa::path(get, path = "/partners/groups/{groupId}.json", tag = TAG,
    params(("groupId" = String, Path, description = "The unique identifier of the partner group.")),
    responses((status = 200, description = "Group configuration and rules engine definition retrieved.", body = GroupDetail), ReadErrors))]
pub async fn get_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsRead>,
    JsonId(id): JsonId,
) -> Result<Json<GroupDetail>, ApiError> {
    let (account, group) = caller
        .read(&store, partner_groups::at(caller.account_id(), &id))
        .await?;
    Ok(Json(GroupDetail::of(group.found()?, &account)))
}

/// Create Partner Group.
///
/// The account's first group becomes its default, whatever `default` says.
#[utoipa::path(post, path = "/partners/groups.json", tag = TAG, request_body = CreateGroupRequest,
    responses((status = 201, description = "Partner group created.", body = GroupRef), WriteErrors))]
pub async fn create_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonBody(request): JsonBody<CreateGroupRequest>,
) -> Result<(StatusCode, Json<GroupRef>), ApiError> {
    let group = ledger_app::partner_groups::create(&caller, &store, request.partner_group)
        .await
        .map_err(ApiError::under("partnerGroup"))?;
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
#[utoipa::path(put, path = "/partners/groups/{groupId}.json", tag = TAG, request_body = UpdateGroupRequest,
    params(("groupId" = String, Path, description = "The unique identifier of the partner group.")),
    responses((status = 200, description = "Partner group updated.", body = GroupRef), WriteErrors))]
pub async fn update_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonId(id): JsonId,
    JsonBody(request): JsonBody<UpdateGroupRequest>,
) -> Result<Json<GroupRef>, ApiError> {
    ledger_app::partner_groups::update(&caller, &store, &id, request.partner_group)
        .await
        .map_err(ApiError::under("partnerGroup"))?;
    Ok(Json(GroupRef {
        group: GroupId { id },
    }))
}

/// Delete Partner Group.
///
/// The default group, and a group that still has partners, cannot be deleted (409).
#[utoipa::path(delete, path = "/partners/groups/{groupId}.json", tag = TAG,
    params(("groupId" = String, Path, description = "The unique identifier of the partner group.")),
    responses((status = 200, description = "Partner group deleted.", body = DeletedGroup), WriteErrors))]
pub async fn delete_group(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonId(id): JsonId,
) -> Result<Json<DeletedGroup>, ApiError> {
    ledger_app::partner_groups::delete(&caller, &store, &id).await?;
    Ok(Json(DeletedGroup {
        group: DeletedGroupId { id, deleted: true },
    }))
}

/// Simulate Rules.
///
/// Evaluates a rule set against a hypothetical charge. Nothing is stored.
#[utoipa::path(post, path = "/partners/groups/simulate-rules.json", tag = TAG, request_body = SimulateRequest,
    responses((status = 200, description = "Rules simulation completed.", body = SimulationResponse), WriteErrors))]
pub async fn simulate_rules(
    State(store): State<Store>,
    caller: Caller<PartnerGroupsWrite>,
    JsonBody(request): JsonBody<SimulateRequest>,
) -> Result<Json<SimulationResponse>, ApiError> {
    let (account, ()) = caller.read(&store, ()).await?;
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
