//! The HTTP API through `app(state)` with no socket (tower's `oneshot`), on the demo city.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod integration {
    pub mod analysis;
    pub mod api;
    pub mod bad_input;
    pub mod city;
    pub mod dispatch;
    pub mod gdal;
    pub mod hardening;
    pub mod hazards;
    pub mod mvt_decode;
    pub mod plans;
    pub mod shipments;
    pub mod tiles;
    pub mod walk;
    pub mod writes;
}
