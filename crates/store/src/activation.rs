//! Activations: an emergency opens many shelters in one transaction with one audit entry, and its
//! end returns to standby those whose status it still sets.

use crate::auth::Actor;
use crate::backend::Tx;
use crate::store::audit;
use crate::{Action, Error, Result, Store};
use chrono::Utc;
use refuge_core::{
    Activation, ActivationPlan, Facility, LeftReason, LeftShelter, LiveStatus, StatusReport,
};

impl Store {
    /// Starts an activation: records it, opens every shelter of `plan.open` that is still on
    /// standby in the store, and writes one audit entry listing them, all in one transaction.
    /// Returns the activation with its id and the shelters as stored (each one version up).
    pub fn start_activation(
        &self,
        mut activation: Activation,
        plan: ActivationPlan,
        actor: &Actor,
    ) -> Result<(Activation, Vec<Facility>)> {
        self.write(|tx| {
            activation.id = tx.new_activation(&activation.started_at.to_rfc3339())?;
            activation.left = plan.left;
            let report = StatusReport {
                reported_by: Some(activation.reporter()),
                ..StatusReport::new(LiveStatus::Open, activation.started_at)
            };
            let mut opened = Vec::new();
            for id in plan.open {
                let mut shelter = tx.facility(id)?.ok_or(Error::NotFound(id))?;
                // The plan was made on the index; the store has the last word.
                if shelter.status.status != LiveStatus::Standby {
                    activation.left.push(LeftShelter {
                        id,
                        reason: LeftReason::Status {
                            status: shelter.status.status,
                        },
                    });
                    continue;
                }
                shelter.status = report.clone();
                opened.push(rewrite(tx, shelter)?);
            }
            activation.opened = opened.iter().map(|f| f.id).collect();
            activation
                .suitability_unknown
                .retain(|id| activation.opened.contains(id));
            tx.save_activation(&activation)?;
            audit(
                tx,
                actor,
                Action::ActivationStart,
                &format!("activation {}", activation.id),
                None,
                Some(&activation),
            )?;
            Ok((activation, opened))
        })
    }

    /// Ends an activation: each shelter it opened whose status is still the one it reported goes
    /// back to standby; a shelter with a later report (full, closed, reopened by hand) keeps it, and
    /// one that another activation still in force covers stays open as that activation's.
    /// Returns the activation and every shelter changed (each one version up).
    pub fn end_activation(&self, id: u64, actor: &Actor) -> Result<(Activation, Vec<Facility>)> {
        self.write(|tx| {
            let mut activation = tx.activation(id)?.ok_or(Error::NoActivation(id))?;
            if !activation.is_active() {
                return Err(Error::ActivationEnded(id));
            }
            let mut others = tx.activations(true)?;
            others.retain(|other| other.id != id);
            let before = activation.clone();
            let ended_at = Utc::now();
            let mut changed = Vec::new();
            for shelter_id in &activation.opened {
                let Some(mut shelter) = tx.facility(*shelter_id)? else {
                    continue;
                };
                let still_ours = shelter.status.reported_by.as_deref()
                    == Some(activation.reporter().as_str())
                    && shelter.status.reported_at == activation.started_at;
                if !still_ours {
                    continue;
                }
                if let Some(other) = others.iter_mut().find(|other| other.covers(&shelter)) {
                    shelter.status = StatusReport {
                        reported_by: Some(other.reporter()),
                        ..StatusReport::new(LiveStatus::Open, other.started_at)
                    };
                    other.opened.push(shelter.id);
                    tx.save_activation(other)?;
                    activation.handed_over.push(shelter.id);
                } else {
                    shelter.status = StatusReport {
                        reported_by: Some(format!("end of {}", activation.reporter())),
                        ..StatusReport::new(LiveStatus::Standby, ended_at)
                    };
                    activation.returned_to_standby.push(shelter.id);
                }
                changed.push(rewrite(tx, shelter)?);
            }
            activation.ended_at = Some(ended_at);
            activation.ended_by = Some(actor.name.clone());
            tx.save_activation(&activation)?;
            audit(
                tx,
                actor,
                Action::ActivationEnd,
                &format!("activation {id}"),
                Some(&before),
                Some(&activation),
            )?;
            Ok((activation, changed))
        })
    }

    /// Every activation, newest first.
    pub fn activations(&self) -> Result<Vec<Activation>> {
        let mut all = self.read(|tx| tx.activations(false))?;
        all.reverse();
        Ok(all)
    }
}

/// Stores a facility the activation changed, at its next version.
fn rewrite(tx: &mut dyn Tx, mut facility: Facility) -> Result<Facility> {
    facility.version += 1;
    tx.update_facility(&facility)?;
    Ok(facility)
}
