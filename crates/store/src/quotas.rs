//! Stock quotas: the minimum and target each facility (or tier) should hold of an item.

use crate::auth::Actor;
use crate::records::{json, parse, target};
use crate::store::audit;
use crate::{Action, Error, Result, Store};
use refuge_core::{FacilityId, Quota};

impl Store {
    /// Every quota.
    pub fn quotas(&self) -> Result<Vec<Quota>> {
        let stored = self.read(|tx| tx.meta("quotas"))?;
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
        self.write(|tx| {
            if tx.facility_version(facility)?.is_none() {
                return Err(Error::NotFound(facility));
            }
            let stored = tx.meta("quotas")?;
            let mut all: Vec<Quota> =
                stored.map_or(Ok(Vec::new()), |text| parse("quotas", &text))?;
            let before: Vec<Quota> = all
                .iter()
                .filter(|q| q.facility == Some(facility))
                .cloned()
                .collect();
            all.retain(|q| q.facility != Some(facility));
            all.extend(quotas.iter().cloned());
            tx.put_meta("quotas", &json(&all)?)?;
            audit(
                tx,
                actor,
                Action::QuotasSet,
                &target(facility),
                Some(&before),
                Some(&quotas),
            )?;
            Ok(quotas)
        })
    }
}
