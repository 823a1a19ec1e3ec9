//! The figures `make bench` prints (DESIGN.md §5), one module per figure,
//! each measured against the real code: criterion for the engine, the SDK
//! interceptor for DynamoDB requests, release builds for binary size, and the
//! local Runtime API for cold start.

pub mod binaries;
pub mod burst;
pub mod cold_start;
pub mod engine;
pub mod model;
pub mod payout_run;
pub mod requests;
pub mod table;
pub mod workspace;
