//! `partner-ledger-admin`: what an operator runs against a deployment's table
//! (or `make run` against the local one). It talks to DynamoDB directly, with
//! the standard AWS environment and `TABLE_NAME`.
//!
//!   partner-ledger-admin create-table [--template template.yaml]
//!   partner-ledger-admin create-account --name NAME [--currency EUR] [--scopes '*'] [--key-file PATH]
//!   partner-ledger-admin set-stripe-secret --account ID --secret whsec_...
//!   partner-ledger-admin load-fx-rates --file eurofxref-hist-90d.xml

use std::path::PathBuf;
use std::process::ExitCode;

use ledger_core::model::Id;
use ledger_core::money::Currency;
use ledger_store::Store;
use partner_ledger_admin::schema::TableSchema;
use partner_ledger_admin::{bootstrap_account, load_fx_rates, set_stripe_secret};

const USAGE: &str = "usage:
  partner-ledger-admin create-table [--template template.yaml]
  partner-ledger-admin create-account --name NAME [--currency EUR] [--scopes '*'] [--key-file PATH]
  partner-ledger-admin set-stripe-secret --account ID --secret whsec_...
      (the signing secret of the account's Stripe webhook endpoint, .../webhooks/stripe/ID.json)
  partner-ledger-admin load-fx-rates --file PATH
      (every day of an ECB euro reference-rate file, eurofxref-daily.xml or -hist*.xml)
environment: TABLE_NAME, and the usual AWS variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, credentials)";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("create-table") => create_table(&args[1..]).await,
        Some("create-account") => create_account(&args[1..]).await,
        Some("set-stripe-secret") => set_stripe_webhook_secret(&args[1..]).await,
        Some("load-fx-rates") => load_rates(&args[1..]).await,
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The value after `--name`, if given.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

async fn store() -> Result<Store, String> {
    Store::from_env().await.map_err(|e| e.to_string())
}

async fn create_table(args: &[String]) -> Result<(), String> {
    let template = PathBuf::from(option(args, "--template").unwrap_or("template.yaml"));
    let schema = TableSchema::from_template(&template)?;
    let store = store().await?;
    let existing = store
        .client()
        .list_tables()
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if existing.table_names().iter().any(|t| t == store.table()) {
        println!("table {} already exists", store.table());
        return Ok(());
    }
    schema.create(store.client(), store.table()).await?;
    println!("created table {}", store.table());
    Ok(())
}

async fn create_account(args: &[String]) -> Result<(), String> {
    let name = option(args, "--name").ok_or(USAGE)?;
    let currency = option(args, "--currency").unwrap_or("EUR");
    let currency =
        Currency::parse(currency).map_err(|e| format!("--currency {currency}: {}", e.message))?;
    let scopes: Vec<String> = option(args, "--scopes")
        .unwrap_or("*")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let created = bootstrap_account(&store().await?, name, currency, &scopes).await?;
    if let Some(path) = option(args, "--key-file") {
        std::fs::write(path, format!("{}\n", created.api_key))
            .map_err(|e| format!("{path}: {e}"))?;
    }
    println!("account_id={}", created.account.id);
    println!("api_key={}", created.api_key);
    Ok(())
}

async fn set_stripe_webhook_secret(args: &[String]) -> Result<(), String> {
    let account = option(args, "--account").ok_or(USAGE)?;
    let secret = option(args, "--secret").ok_or(USAGE)?;
    let account =
        Id::parse(account).ok_or_else(|| format!("--account {account}: not an account id"))?;
    set_stripe_secret(&store().await?, &account, secret).await?;
    println!("stripe webhook secret set for account {account}");
    Ok(())
}

async fn load_rates(args: &[String]) -> Result<(), String> {
    let path = option(args, "--file").ok_or(USAGE)?;
    let xml = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let days = load_fx_rates(&store().await?, &xml)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    match (days.first(), days.last()) {
        (Some(first), Some(last)) => {
            eprintln!(
                "loaded the reference rates of {} days, {first} to {last}",
                days.len()
            )
        }
        _ => eprintln!("loaded no reference rates"),
    }
    Ok(())
}
