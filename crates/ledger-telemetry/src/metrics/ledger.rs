//! The ledger's own figures: each commission created, each Stripe webhook's
//! outcome, and what each scheduled payout run did. One call at each site.
//!
//! | record | metrics | dimension sets | properties |
//! |---|---|---|---|
//! | commission created | `CommissionsCreated` (1), `CommissionAmount` | `[Currency]`, `[Source, Currency]` | `Kind`, `AccountId`, `PartnerId`, `CommissionId` |
//! | Stripe webhook | `StripeWebhooks` (1) | `[Outcome]` | `EventType`, `AccountId` |
//! | webhook dispatch | `WebhookDeliveries` (succeeded), `WebhookRetries` (failed, tried again later), `WebhookEndpointsDisabled`, `WebhookAccountsFailed` | `[Trigger]` | |
//! | payout run | `PayoutRunsCompleted` (1 with no account failed, else 0), `AccountsRun`, `AccountsFailed`, `AccountsUnfinished`, `CommissionsApproved`, `Payouts`, `CommissionsPaid`, `PayoutRunDuration` | none | |

use std::time::Duration;

use metrique::unit::{Count, Millisecond};
use metrique::unit_of_work::metrics;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use ledger_app::payout_run::Sweep;
use ledger_core::model::{Commission, Id};

/// How a commission came to be created.
#[metrics(value(string))]
#[derive(Clone, Copy, Debug)]
pub enum CommissionSource {
    /// `POST /commissions.json`.
    Api,
    /// A billing system's sale event (`POST /events/sale.json`).
    SaleEvent,
    /// A Stripe webhook delivery.
    Stripe,
}

#[metrics(
    emf::dimension_sets = [["Currency"], ["Source", "Currency"]],
    rename_all = "PascalCase"
)]
struct CommissionCreated {
    source: CommissionSource,
    /// Amounts add up only within a currency.
    currency: String,
    #[metrics(unit = Count)]
    commissions_created: u64,
    /// In major units of `currency`: a figure to watch, not the ledger's amount.
    commission_amount: f64,
    kind: String,
    account_id: String,
    partner_id: String,
    commission_id: String,
}

/// Records `commission`, just created in `account` from `source`.
pub fn commission_created(source: CommissionSource, account: &Id, commission: &Commission) {
    let record = CommissionCreated {
        source,
        currency: commission.currency.code().to_string(),
        commissions_created: 1,
        commission_amount: commission.amount.to_f64().unwrap_or_default(),
        kind: wire_name(&commission.commission_type),
        account_id: account.to_string(),
        partner_id: commission.partner_id.to_string(),
        commission_id: commission.id.to_string(),
    };
    drop(record.append_on_drop(super::sink()));
}

#[metrics(emf::dimension_sets = [["Outcome"]], rename_all = "PascalCase")]
struct StripeWebhook {
    outcome: String,
    #[metrics(unit = Count)]
    stripe_webhooks: u64,
    event_type: String,
    account_id: String,
}

/// Records what a Stripe webhook delivery (an event of `event_type`) did in
/// `account`: `outcome` as the API answers it (`recorded`, `replayed`, ...).
pub fn stripe_webhook(outcome: &impl Serialize, event_type: &str, account: &Id) {
    let record = StripeWebhook {
        outcome: wire_name(outcome),
        stripe_webhooks: 1,
        event_type: event_type.to_string(),
        account_id: account.to_string(),
    };
    drop(record.append_on_drop(super::sink()));
}

#[metrics(emf::dimension_sets = [["Trigger"]], rename_all = "PascalCase")]
struct WebhookDispatch {
    trigger: String,
    #[metrics(unit = Count)]
    webhook_deliveries: u64,
    #[metrics(unit = Count)]
    webhook_retries: u64,
    /// What the `WebhookEndpointDisabled` alarm watches.
    #[metrics(unit = Count)]
    webhook_endpoints_disabled: u64,
    #[metrics(unit = Count)]
    webhook_accounts_failed: u64,
}

/// Records what one dispatch of stream records, or one sweep of due
/// retries (`trigger`), did.
pub fn webhook_dispatch(report: &ledger_app::webhook_dispatch::Report, trigger: &str) {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let record = WebhookDispatch {
        trigger: trigger.to_string(),
        webhook_deliveries: u64::from(report.delivered),
        webhook_retries: u64::from(report.retrying),
        webhook_endpoints_disabled: count(report.disabled.len()),
        webhook_accounts_failed: count(report.failures.len()),
    };
    drop(record.append_on_drop(super::sink()));
}

/// One invocation of the scheduled payout run, over every account.
#[metrics(rename_all = "PascalCase")]
struct PayoutRun {
    /// 1 when no account failed: what the "no successful payout run" alarm watches.
    #[metrics(unit = Count)]
    payout_runs_completed: u64,
    #[metrics(unit = Count)]
    accounts_run: u64,
    #[metrics(unit = Count)]
    accounts_failed: u64,
    /// Accounts the budget stopped in; the next run resumes them.
    #[metrics(unit = Count)]
    accounts_unfinished: u64,
    #[metrics(unit = Count)]
    commissions_approved: u64,
    #[metrics(unit = Count)]
    payouts: u64,
    #[metrics(unit = Count)]
    commissions_paid: u64,
    #[metrics(unit = Millisecond)]
    payout_run_duration: Duration,
}

/// Records the scheduled run's `sweep`, which took `duration`.
pub fn payout_run(sweep: &Sweep, duration: Duration) {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let sum = |figure: fn(&ledger_app::payout_run::RunReport) -> u32| {
        sweep.runs.iter().map(|run| u64::from(figure(run))).sum()
    };
    let record = PayoutRun {
        payout_runs_completed: u64::from(sweep.failures.is_empty()),
        accounts_run: count(sweep.runs.len()),
        accounts_failed: count(sweep.failures.len()),
        accounts_unfinished: count(sweep.runs.iter().filter(|run| !run.complete).count()),
        commissions_approved: sum(|run| run.approved),
        payouts: sum(|run| run.payouts),
        commissions_paid: sum(|run| run.commissions_paid),
        payout_run_duration: duration,
    };
    drop(record.append_on_drop(super::sink()));
}

/// The name `value` serializes as (an enum's `snake_case` variant).
fn wire_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use rust_decimal_macros::dec;
    use serde_json::{Value, json};

    use super::*;
    use crate::metrics::captured::Records;
    use ledger_app::payout_run::RunReport;
    use ledger_core::model::{CommissionDraft, CommissionKind, Earner, Period};
    use ledger_core::money::Currency;
    use ledger_store::payout_runs::AccountFailure;

    /// The one CloudWatch directive of an EMF line.
    fn directive(line: &Value) -> &Value {
        let directives = line["_aws"]["CloudWatchMetrics"]
            .as_array()
            .expect("EMF metadata");
        assert_eq!(directives.len(), 1, "{line}");
        assert_eq!(directives[0]["Namespace"], "partner-ledger", "{line}");
        assert!(line["_aws"]["Timestamp"].is_u64(), "{line}");
        &directives[0]
    }

    fn metric_names(line: &Value) -> Vec<String> {
        directive(line)["Metrics"]
            .as_array()
            .expect("metric definitions")
            .iter()
            .map(|m| m["Name"].as_str().expect("a name").to_string())
            .collect()
    }

    fn custom_commission(now: chrono::DateTime<Utc>) -> Commission {
        let partner = Id::generate(now);
        let request = CommissionDraft {
            commission_type: Some(CommissionKind::Custom),
            partner_id: Some(partner.clone()),
            amount: Some(dec!(12.50)),
            ..CommissionDraft::default()
        }
        .check(Currency::EUR, now)
        .expect("a valid custom commission");
        Commission::earn(
            &request,
            Earner {
                partner_id: &partner,
                campaign_id: None,
                referral: None,
            },
            None,
            String::new(),
            now,
        )
    }

    #[test]
    fn a_created_commission_counts_by_currency_and_source_with_its_ids_as_properties() {
        let now = Utc::now();
        let account = Id::generate(now);
        let commission = custom_commission(now);
        let (records, _guard) = Records::capture();
        commission_created(CommissionSource::Api, &account, &commission);

        let lines = records.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!(
            directive(line)["Dimensions"],
            json!([["Currency"], ["Source", "Currency"]])
        );
        assert_eq!(
            metric_names(line),
            ["CommissionsCreated", "CommissionAmount"]
        );
        assert_eq!(directive(line)["Metrics"][0]["Unit"], "Count");
        assert_eq!(
            (&line["Source"], &line["Currency"], &line["Kind"]),
            (&json!("Api"), &json!("EUR"), &json!("custom"))
        );
        assert_eq!(line["CommissionsCreated"], 1);
        assert_eq!(line["CommissionAmount"].as_f64(), Some(12.5));
        assert_eq!(line["AccountId"], account.to_string());
        assert_eq!(line["PartnerId"], commission.partner_id.to_string());
        assert_eq!(line["CommissionId"], commission.id.to_string());
    }

    #[test]
    fn a_webhook_counts_under_its_outcome_as_the_api_names_it() {
        #[derive(Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Outcome {
            NotReferred,
        }
        let account = Id::generate(Utc::now());
        let (records, _guard) = Records::capture();
        stripe_webhook(&Outcome::NotReferred, "charge.succeeded", &account);

        let line = &records.lines()[0];
        assert_eq!(directive(line)["Dimensions"], json!([["Outcome"]]));
        assert_eq!(metric_names(line), ["StripeWebhooks"]);
        assert_eq!(line["Outcome"], "not_referred");
        assert_eq!(line["StripeWebhooks"], 1);
        assert_eq!(line["EventType"], "charge.succeeded");
        assert_eq!(line["AccountId"], account.to_string());
    }

    fn report(approved: u32, payouts: u32, paid: u32, complete: bool) -> RunReport {
        RunReport {
            account_id: Id::generate(Utc::now()),
            period: Period::of(Utc::now()),
            approved,
            payouts,
            commissions_paid: paid,
            complete,
        }
    }

    #[test]
    fn a_payout_run_sums_its_accounts_without_dimensions() {
        let (records, _guard) = Records::capture();
        let clean = Sweep {
            runs: vec![report(3, 2, 5, true), report(1, 1, 4, false)],
            failures: vec![],
        };
        payout_run(&clean, Duration::from_millis(1500));
        let failed = Sweep {
            runs: vec![report(0, 0, 0, true)],
            failures: vec![AccountFailure {
                account: "acc_broken".into(),
                error: "DynamoDB: throttled".into(),
            }],
        };
        payout_run(&failed, Duration::from_millis(20));

        let lines = records.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let line = &lines[0];
        assert_eq!(directive(line)["Dimensions"], json!([[]]));
        const COUNTS: [&str; 7] = [
            "PayoutRunsCompleted",
            "AccountsRun",
            "AccountsFailed",
            "AccountsUnfinished",
            "CommissionsApproved",
            "Payouts",
            "CommissionsPaid",
        ];
        let mut names = COUNTS.to_vec();
        names.push("PayoutRunDuration");
        assert_eq!(metric_names(line), names);
        let figures = |line: &Value| COUNTS.map(|name| line[name].as_u64().unwrap_or(u64::MAX));
        assert_eq!(figures(line), [1, 2, 0, 1, 4, 3, 9]);
        assert_eq!(line["PayoutRunDuration"].as_f64(), Some(1500.0));
        assert_eq!(directive(line)["Metrics"][7]["Unit"], "Milliseconds");
        assert_eq!(figures(&lines[1]), [0, 1, 1, 0, 0, 0, 0]);
    }
}
