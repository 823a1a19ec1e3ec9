//! Test harness: a fresh table per test in a real DynamoDB-compatible server
//! (the emulator `make test` starts), the real routers called in-process, and
//! SDK interceptors that count DynamoDB round trips and record which IAM
//! actions each function performs.

pub mod access;
pub mod app;
pub mod budget;
pub mod counter;
pub mod deployment;
pub mod dynamodb_proxy;
pub mod faults;
pub mod harsh;
pub mod iam;
pub mod json;
pub mod objects;
pub mod paths;
pub mod policies;
pub mod runtime_api;
pub mod seed;
pub mod snapshot;
pub mod stripe;
pub mod stub_server;
pub mod webhooks;

pub use app::{Reply, TestEnv};
pub use counter::RequestCounter;
