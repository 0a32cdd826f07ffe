//! End-to-end tests of Refuge live in `tests/`: they run the real `refuge` binary (built by
//! `cargo test --workspace`) in a temporary folder outside the repository, as a new user would.
