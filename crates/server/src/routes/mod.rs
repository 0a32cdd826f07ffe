//! Route groups, merged into one router by [`crate::app`].

pub mod activations;
pub mod analysis;
pub mod events;
pub mod exposure;
pub mod facilities;
pub mod glyphs;
pub mod health;
pub mod imports;
pub mod me;
pub mod nearest;
pub mod plans;
pub mod quotas;
pub mod shipments;
pub mod stock;
pub mod tiles;
pub mod walk;
pub mod web;
pub mod writes;
