//! Benchmarks of the `avepoint-graph` SDK: the SDK as a user calls it, against a
//! bare hand-written `reqwest` + `serde` client ([`bare`]) and a Python `requests` script
//! (`python/seats_bench.py`), on the local fake service, plus the `avepoint` CLI's fan-out
//! over many customers.
//!
//! Run everything with `cargo xtask bench [--quick]`; it builds the `avepoint-bench` and
//! `avepoint` binaries in release and runs `avepoint-bench suite` ([`suite`]). Each
//! measurement of a Rust client is a separate `avepoint-bench client` process ([`runner`]),
//! so no client shares the fake server's runtime. Every answer is checked against the fake's
//! deterministic dataset ([`workload`]); the figures are only reported, never asserted.

pub mod bare;
pub mod limits;
pub mod measure;
pub mod process;
pub mod python;
pub mod raw;
pub mod runner;
pub mod sdk;
pub mod suite;
pub mod table;
pub mod target;
pub mod workload;

pub use measure::{Mode, Plan, RunResult, SeatsCaller};
pub use target::Target;
pub use workload::{WireTenant, Workload};
