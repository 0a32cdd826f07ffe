//! Moving between stores: everything one store holds, copied into an empty one in one
//! transaction, numbers and versions kept.

use refuge_core::planning::PopulationLayer;
use refuge_core::{Activation, Facility, Item, KeptPlan, Movement};
use refuge_io::{BaseFeature, DataSource};

use crate::backend::{AuditRow, TokenRow};
use crate::{Error, Result, Store};

/// Everything a store holds, as read in one transaction.
struct Everything {
    facilities: Vec<Facility>,
    movements: Vec<Movement>,
    items: Vec<Item>,
    quotas: Option<String>,
    base: Vec<BaseFeature>,
    sources: Vec<DataSource>,
    activations: Vec<Activation>,
    plans: Vec<KeptPlan>,
    population: Option<PopulationLayer>,
    tokens: Vec<TokenRow>,
    audit: Vec<AuditRow>,
}

/// What a copy moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    /// Facilities, each at its version.
    pub facilities: usize,
    /// Stock movements, in order.
    pub movements: usize,
    /// Base-map features.
    pub base_features: usize,
    /// Activations.
    pub activations: usize,
    /// Logistics plans kept for dispatch.
    pub plans: usize,
    /// Populated cells.
    pub population_cells: usize,
    /// Tokens (as hashes: their secrets go on working).
    pub tokens: usize,
    /// Lines of the audit log.
    pub audit: usize,
}

impl Store {
    /// Copies everything this store holds into `destination`, which must be empty: facilities
    /// at their versions, the stock movements in order, the catalogue, quotas, base map and
    /// sources, activations, plans, the population, tokens and the whole audit log with their numbers. Nothing of it
    /// is written unless all of it is.
    pub fn copy_into(&self, destination: &Store) -> Result<Copied> {
        let all = self.read(|tx| {
            let mut audit = tx.audit_log(usize::MAX, None)?;
            audit.reverse();
            Ok(Everything {
                facilities: tx.facilities()?,
                movements: tx.movements()?,
                items: tx.items()?,
                quotas: tx.meta("quotas")?,
                base: tx.base_features()?,
                sources: tx.sources()?,
                activations: tx.activations(false)?,
                plans: tx.plans()?,
                population: tx.population()?,
                tokens: tx.token_rows()?,
                audit,
            })
        })?;
        destination.write(|tx| {
            if tx.holds_anything()? || !tx.token_rows()?.is_empty() {
                return Err(Error::Backup(format!(
                    "{} is not empty: a store is copied only into a new one",
                    destination.shown()
                )));
            }
            for facility in &all.facilities {
                tx.insert_facility(facility)?;
            }
            for movement in &all.movements {
                tx.insert_movement(movement)?;
            }
            for item in &all.items {
                tx.put_item(item)?;
            }
            if let Some(quotas) = &all.quotas {
                tx.put_meta("quotas", quotas)?;
            }
            for feature in &all.base {
                tx.put_base_feature(feature)?;
            }
            let at = crate::records::now();
            for source in &all.sources {
                tx.put_source(source, &at)?;
            }
            for activation in &all.activations {
                tx.save_activation(activation)?;
            }
            for plan in &all.plans {
                tx.insert_plan(plan)?;
            }
            if let Some(layer) = &all.population {
                tx.put_population(layer)?;
            }
            for token in &all.tokens {
                tx.insert_token(token)?;
            }
            for line in &all.audit {
                tx.audit(line)?;
            }
            tx.renumber()
        })?;
        Ok(Copied {
            facilities: all.facilities.len(),
            movements: all.movements.len(),
            base_features: all.base.len(),
            activations: all.activations.len(),
            plans: all.plans.len(),
            population_cells: all.population.as_ref().map_or(0, |p| p.cells.len()),
            tokens: all.tokens.len(),
            audit: all.audit.len(),
        })
    }
}
