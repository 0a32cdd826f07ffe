//! Stock quotas: the minimum and target each facility (or tier) should hold of an item.

use refuge_core::{FacilityId, Quota};
use rusqlite::{OptionalExtension, params};

use crate::auth::Actor;
use crate::store::{audit, json, parse, target, writing};
use crate::{Action, Result, Store};

impl Store {
    /// Every quota.
    pub fn quotas(&self) -> Result<Vec<Quota>> {
        let conn = self.reading();
        let stored: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'quotas'", [], |r| {
                r.get(0)
            })
            .optional()?;
        stored.map_or(Ok(Vec::new()), |text| parse("quotas", &text))
    }

    /// Replaces the quotas of one facility with `quotas` (each for that facility), audited with
    /// the quotas before and after. Returns the facility's quotas as stored.
    pub fn set_quotas(
        &self,
        facility: FacilityId,
        quotas: Vec<Quota>,
        actor: &Actor,
    ) -> Result<Vec<Quota>> {
        let mut conn = self.lock();
        let tx = writing(&mut conn)?;
        crate::store::stored_facility(&tx, facility)?;
        let stored: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'quotas'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let mut all: Vec<Quota> = stored.map_or(Ok(Vec::new()), |text| parse("quotas", &text))?;
        let before: Vec<Quota> = all
            .iter()
            .filter(|q| q.facility == Some(facility))
            .cloned()
            .collect();
        all.retain(|q| q.facility != Some(facility));
        all.extend(quotas.iter().cloned());
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('quotas', ?1)",
            params![json(&all)?],
        )?;
        audit(
            &tx,
            actor,
            Action::QuotasSet,
            &target(facility),
            Some(&before),
            Some(&quotas),
        )?;
        tx.commit()?;
        Ok(quotas)
    }
}
