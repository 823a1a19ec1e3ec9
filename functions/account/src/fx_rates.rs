//! The reference exchange rates handlers: the rates in force on a day, and
//! an operator's upload or correction of one day's rates. The rates are the
//! deployment's, shared by every account: a sale in another currency than
//! its account's converts at them (`model::fx_rate`).

use axum::Json;
use axum::extract::{Path, State};
use chrono::{NaiveDate, Utc};
use ledger_app::Session;
use ledger_http::openapi::{ReadErrors, WriteErrors};
use ledger_http::scopes::{FxRatesRead, FxRatesWrite};
use ledger_http::{ApiError, Caller, Filters, JsonBody};
use ledger_store::{Found, Store, fx_rates};

use crate::views::{FxRatesEnvelope, FxRatesQuery, PutFxRatesRequest};

const TAG: &str = "FX Rates";

/// Get FX Rates.
///
/// The reference rates in force on `date` (today, UTC, when omitted): the latest publication
/// dated that day or at most 7 days before. 404 when there is none, and then a sale of that
/// day in another currency than its account's answers 409 `fx_rate_unavailable`.
#[utoipa::path(get, path = "/fx_rates.json", tag = TAG, params(FxRatesQuery),
    responses((status = 200, description = "The rates in force that day.", body = FxRatesEnvelope), ReadErrors))]
pub async fn get_fx_rates(
    State(store): State<Store>,
    caller: Caller<FxRatesRead>,
    Filters(query): Filters<FxRatesQuery>,
) -> Result<Json<FxRatesEnvelope>, ApiError> {
    caller.read(&store, ()).await?;
    let day = query.date.unwrap_or_else(|| Utc::now().date_naive());
    let rates = fx_rates::in_force(&store, day).await?.found()?;
    Ok(Json(FxRatesEnvelope::of(rates)))
}

/// Put FX Rates.
///
/// Loads or corrects the rates published for `date`: `base` and how many units of each
/// currency one unit of it buys, exact as published (the European Central Bank's daily
/// reference rates quote against EUR). Replaces that day's rates for every account of the
/// deployment; commissions already converted keep the rate they were converted at.
#[utoipa::path(put, path = "/fx_rates/{date}.json", tag = TAG, request_body = PutFxRatesRequest,
    params(("date" = String, Path, description = "The publication day, YYYY-MM-DD.")),
    responses((status = 200, description = "The day's rates, stored.", body = FxRatesEnvelope), WriteErrors))]
pub async fn put_fx_rates(
    State(store): State<Store>,
    caller: Caller<FxRatesWrite>,
    Path(segment): Path<String>,
    JsonBody(request): JsonBody<PutFxRatesRequest>,
) -> Result<Json<FxRatesEnvelope>, ApiError> {
    let day = publication_day(&segment)?;
    let rates = ledger_app::fx_rates::publish(&caller, &store, day, request.fx_rates)
        .await
        .map_err(ApiError::under("fxRates"))?;
    Ok(Json(FxRatesEnvelope::of(rates)))
}

/// The `{date}` of `/fx_rates/{date}.json`: a real day, not after tomorrow
/// (a publication is never for a day still to come, whatever the time zone).
fn publication_day(segment: &str) -> Result<NaiveDate, ApiError> {
    let day = segment
        .strip_suffix(".json")
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .ok_or_else(|| ApiError::validation("date", "must be a day as YYYY-MM-DD"))?;
    let tomorrow = Utc::now().date_naive().succ_opt().unwrap_or(NaiveDate::MAX);
    if day > tomorrow {
        return Err(ApiError::validation("date", "must not be a day to come"));
    }
    Ok(day)
}
