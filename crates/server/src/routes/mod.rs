//! Route groups, merged into one router by [`crate::app`].

pub mod events;
pub mod facilities;
pub mod glyphs;
pub mod health;
pub mod nearest;
pub mod tiles;
pub mod web;
pub mod writes;
