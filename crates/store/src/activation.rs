//! Activations: an emergency opens many shelters in one transaction with one audit entry, and its
//! end returns to standby those whose status it still sets.

use chrono::Utc;
use refuge_core::{
    Activation, ActivationPlan, Facility, LeftReason, LeftShelter, LiveStatus, StatusReport,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::auth::Actor;
use crate::store::{audit, json, now, parse, stored_facility, writing};
use crate::{Action, Error, Result, Store};

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
        let mut conn = self.lock();
        let tx = writing(&mut conn)?;
        tx.execute(
            "INSERT INTO activations (body, started_at) VALUES ('{}', ?1)",
            params![activation.started_at.to_rfc3339()],
        )?;
        activation.id = u64::try_from(tx.last_insert_rowid()).unwrap_or_default();
        activation.left = plan.left;
        let report = StatusReport {
            reported_by: Some(activation.reporter()),
            ..StatusReport::new(LiveStatus::Open, activation.started_at)
        };
        let mut opened = Vec::new();
        for id in plan.open {
            let mut shelter = stored_facility(&tx, id)?;
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
            opened.push(rewrite(&tx, shelter)?);
        }
        activation.opened = opened.iter().map(|f| f.id).collect();
        activation
            .suitability_unknown
            .retain(|id| activation.opened.contains(id));
        save(&tx, &activation)?;
        audit(
            &tx,
            actor,
            Action::ActivationStart,
            &format!("activation {}", activation.id),
            None,
            Some(&activation),
        )?;
        tx.commit()?;
        Ok((activation, opened))
    }

    /// Ends an activation: each shelter it opened whose status is still the one it reported goes
    /// back to standby; a shelter with a later report (full, closed, reopened by hand) keeps it, and
    /// one that another activation still in force covers stays open as that activation's.
    /// Returns the activation and every shelter changed (each one version up).
    pub fn end_activation(&self, id: u64, actor: &Actor) -> Result<(Activation, Vec<Facility>)> {
        let mut conn = self.lock();
        let tx = writing(&mut conn)?;
        let mut activation = load(&tx, id)?.ok_or(Error::NoActivation(id))?;
        if !activation.is_active() {
            return Err(Error::ActivationEnded(id));
        }
        let mut others = active(&tx)?;
        others.retain(|other| other.id != id);
        let before = activation.clone();
        let ended_at = Utc::now();
        let mut changed = Vec::new();
        for shelter_id in &activation.opened {
            let mut shelter = match stored_facility(&tx, *shelter_id) {
                Ok(shelter) => shelter,
                Err(Error::NotFound(_)) => continue,
                Err(error) => return Err(error),
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
                save(&tx, other)?;
                activation.handed_over.push(shelter.id);
            } else {
                shelter.status = StatusReport {
                    reported_by: Some(format!("end of {}", activation.reporter())),
                    ..StatusReport::new(LiveStatus::Standby, ended_at)
                };
                activation.returned_to_standby.push(shelter.id);
            }
            changed.push(rewrite(&tx, shelter)?);
        }
        activation.ended_at = Some(ended_at);
        activation.ended_by = Some(actor.name.clone());
        save(&tx, &activation)?;
        audit(
            &tx,
            actor,
            Action::ActivationEnd,
            &format!("activation {id}"),
            Some(&before),
            Some(&activation),
        )?;
        tx.commit()?;
        Ok((activation, changed))
    }

    /// Every activation, newest first.
    pub fn activations(&self) -> Result<Vec<Activation>> {
        selected(
            &self.reading(),
            "SELECT id, body FROM activations ORDER BY id DESC",
        )
    }
}

/// The activations in force.
fn active(tx: &Transaction<'_>) -> Result<Vec<Activation>> {
    selected(
        tx,
        "SELECT id, body FROM activations WHERE ended_at IS NULL ORDER BY id",
    )
}

/// The activations a query of (id, body) rows selects.
fn selected(conn: &Connection, sql: &str) -> Result<Vec<Activation>> {
    let mut statement = conn.prepare(sql)?;
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut all = Vec::new();
    for row in rows {
        let (id, body) = row?;
        all.push(parse(&format!("activation {id}"), &body)?);
    }
    Ok(all)
}

fn load(tx: &Transaction<'_>, id: u64) -> Result<Option<Activation>> {
    let body: Option<String> = tx
        .query_row(
            "SELECT body FROM activations WHERE id = ?1",
            params![i64::try_from(id).unwrap_or(i64::MAX)],
            |row| row.get(0),
        )
        .optional()?;
    body.map(|body| parse(&format!("activation {id}"), &body))
        .transpose()
}

fn save(tx: &Transaction<'_>, activation: &Activation) -> Result<()> {
    tx.execute(
        "UPDATE activations SET body = ?2, ended_at = ?3 WHERE id = ?1",
        params![
            activation.id as i64,
            json(activation)?,
            activation.ended_at.map(|t| t.to_rfc3339())
        ],
    )?;
    Ok(())
}

/// Stores a changed facility one version up, and returns it.
fn rewrite(tx: &Transaction<'_>, mut facility: Facility) -> Result<Facility> {
    facility.version += 1;
    tx.execute(
        "UPDATE facilities SET version = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
        params![
            facility.id.get() as i64,
            facility.version as i64,
            json(&facility)?,
            now()
        ],
    )?;
    Ok(facility)
}
