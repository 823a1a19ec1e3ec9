//! The scheduled fetch of reference rates against the emulator and a local
//! HTTP server standing in for the ECB: a good document is saved day by
//! day and found in force; an error status, a document that is not
//! reference rates (or is cut short) and an unreachable server each fail
//! the invocation (so the alarm sees it) and save nothing.

use chrono::NaiveDate;
use harness::TestEnv;
use harness::iam::acting_as;
use harness::stub_server::{ecb_daily, serve};
use ledger_core::money::Currency;
use ledger_store::fx_rates;
use rust_decimal::Decimal;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The document cut short after its day's rates, as a dropped connection
/// without a content length leaves it: whole to a tokenizer, not to the parser.
fn cut_after_the_day(xml: String) -> String {
    let outer_end = xml.rfind("</Cube>").expect("the outer Cube's end");
    xml[..outer_end].to_string()
}

#[tokio::test]
async fn the_days_rates_are_fetched_and_saved() {
    let env = TestEnv::new().await;
    let url = serve("200 OK", ecb_daily()).await;
    let saved = acting_as(
        "fx-rates-fetch",
        fx_rates_fetch::fetch_and_save(&env.store, &url),
    )
    .await
    .expect("fetched");
    assert_eq!(saved, [day("2026-11-20")]);
    let rates = fx_rates::in_force(&env.store, day("2026-11-23"))
        .await
        .unwrap()
        .expect("in force on Monday");
    assert_eq!(rates.date, day("2026-11-20"));
    assert_eq!(rates.rates[&Currency::USD], Decimal::new(10812, 4));
    assert_eq!(
        env.item_count().await,
        5,
        "two accounts, two keys and one day"
    );
}

#[tokio::test]
async fn a_failed_fetch_fails_the_invocation_and_saves_nothing() {
    let env = TestEnv::new().await;
    let before = env.item_count().await;
    let cases = [
        (
            serve("500 Internal Server Error", ecb_daily()).await,
            "answered 500",
        ),
        (
            serve("200 OK", "<html>maintenance</html>".into()).await,
            "not ECB reference rates",
        ),
        (
            serve("200 OK", ecb_daily().replace("1.0812", "-1")).await,
            "not ECB reference rates",
        ),
        (
            serve("200 OK", cut_after_the_day(ecb_daily())).await,
            "not ECB reference rates",
        ),
        (
            "http://127.0.0.1:9/eurofxref-daily.xml".to_string(),
            "fetching",
        ),
    ];
    for (url, expected) in cases {
        let error = acting_as(
            "fx-rates-fetch",
            fx_rates_fetch::fetch_and_save(&env.store, &url),
        )
        .await
        .expect_err(&url);
        assert!(error.to_string().contains(expected), "{url}: {error}");
    }
    assert_eq!(env.item_count().await, before, "nothing saved");
}
