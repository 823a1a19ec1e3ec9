//! Test harness: a fresh table per test in a real DynamoDB-compatible server
//! (the emulator `make test` starts), the real routers called in-process, and
//! an SDK interceptor that counts DynamoDB round trips.

pub mod access;
pub mod app;
pub mod counter;
pub mod faults;
pub mod harsh;
pub mod runtime_api;
pub mod seed;
pub mod stripe;
pub mod stub_server;

pub use app::{Reply, TestEnv};
pub use counter::RequestCounter;
