//! Some of `make bench`'s rows alone, in the dev profile, against the
//! emulator at `AWS_ENDPOINT_URL_DYNAMODB` (`bench-report` builds the
//! release binaries first): `cargo run -p bench --example rows -- burst`,
//! or `-- payout_run`.

use bench::table::{Figure, render};
use harness::TestEnv;

#[tokio::main]
async fn main() {
    let env = TestEnv::new().await;
    let row = std::env::args().nth(1).unwrap_or_default();
    let figures = match row.as_str() {
        "burst" => bench::burst::measure(&env).await,
        "payout_run" => bench::payout_run::measure(&env).await,
        _ => Err(format!("no rows named {row:?}: burst or payout_run")),
    };
    print!(
        "{}",
        render(&figures.unwrap_or_else(|error| vec![Figure::failed(&row, &error)]))
    );
}
