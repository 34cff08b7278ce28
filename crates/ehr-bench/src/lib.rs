//! Nothing to use: this crate holds the façade benchmark, `benches/facade.rs`.
//!
//! Run it with `cargo xtask bench` (wall clock) or `cargo xtask bench --instructions`
//! (instruction counts under callgrind). It lives apart from `ehr-sdk` so that it builds with
//! the dependencies and features an application has, not the SDK's test-only ones.
