//! One module per subcommand.

pub mod activate;
pub mod admin;
pub mod analyze;
pub mod export;
pub mod import;
pub mod population;
pub mod print;
pub mod query;
pub mod serve;
pub mod stats;
pub mod write;
