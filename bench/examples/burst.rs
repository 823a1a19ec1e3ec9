//! The burst ingest rows alone (`cargo run -p bench --example burst`), in
//! the dev profile, against the emulator at `AWS_ENDPOINT_URL_DYNAMODB`:
//! `bench-report` builds the release binaries first.

use bench::table::render;
use harness::TestEnv;

#[tokio::main]
async fn main() {
    let env = TestEnv::new().await;
    let figures = bench::burst::measure(&env)
        .await
        .unwrap_or_else(|error| vec![bench::table::Figure::failed("burst ingest", &error)]);
    print!("{}", render(&figures));
}
