//! Stock: append-only movements, and the lots and quantities on hand derived from them.
//!
//! Nothing in the ledger is edited in place. A receipt creates a lot; an issue or a transfer
//! takes from the unexpired lots that expire first (FEFO); a stocktake or an adjustment books the
//! difference. Replaying the movements rebuilds every number, so every number can be audited.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, FacilityId, ItemId, ReserveTier, Result};

/// What happened to the stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MovementKind {
    /// Goods arrived as a new lot.
    Receive {
        /// The lot's label (batch number).
        lot: String,
        /// How much arrived.
        quantity: u64,
        /// When the lot expires, if it does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<NaiveDate>,
    },
    /// Goods went out to people or to use.
    Issue {
        /// How much.
        quantity: u64,
    },
    /// Goods moved to another facility, both sides at once.
    Transfer {
        /// Where to.
        to: FacilityId,
        /// How much.
        quantity: u64,
    },
    /// A stocktake found this much on hand.
    Count {
        /// What was counted.
        counted: u64,
    },
    /// A correction by a signed amount, with the reason.
    Adjust {
        /// The change.
        delta: i64,
        /// Why.
        reason: String,
    },
    /// Goods sent on the road to another facility: off this one's stock at once, on the other's
    /// only when they arrive. (The movement's facility is the source.)
    Dispatch {
        /// The shipment's id, unique.
        shipment: String,
        /// Where to.
        to: FacilityId,
        /// How much.
        quantity: u64,
        /// The goods are those of the reservation with the shipment's id (all of it), not taken
        /// afresh from the usable stock.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reserved: bool,
    },
    /// A shipment arrived, perhaps short. (The movement's facility is the destination.)
    Arrive {
        /// The shipment.
        shipment: String,
        /// How much arrived: at most what was sent.
        received: u64,
        /// Why less arrived than was sent; needed then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A shipment called back before it arrived: the goods return to the source's stock.
    /// (The movement's facility is the source.)
    Cancel {
        /// The shipment.
        shipment: String,
    },
    /// Goods set aside for a purpose (a plan's leg): still on hand, no longer usable by anything
    /// else, taken first expiring first.
    Reserve {
        /// The reservation's id, unique; a dispatch of the reservation takes it as its shipment id.
        hold: String,
        /// How much.
        quantity: u64,
    },
    /// A reservation given up: its goods are usable again.
    Release {
        /// The reservation.
        hold: String,
    },
}

/// One stock movement at one facility for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// Where.
    pub facility: FacilityId,
    /// What.
    pub item: ItemId,
    /// What happened.
    #[serde(flatten)]
    pub kind: MovementKind,
    /// When.
    pub at: DateTime<Utc>,
    /// Who recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl Movement {
    /// The shipment or reservation it opens, dispatches, receives, calls back or releases, if
    /// it does (a reservation and the shipment that dispatches it share their id).
    pub fn shipment(&self) -> Option<&str> {
        match &self.kind {
            MovementKind::Dispatch { shipment, .. }
            | MovementKind::Arrive { shipment, .. }
            | MovementKind::Cancel { shipment }
            | MovementKind::Reserve { hold: shipment, .. }
            | MovementKind::Release { hold: shipment } => Some(shipment),
            _ => None,
        }
    }

    /// The facility and item it changes, and for a transfer also the destination's.
    pub fn places(&self) -> Vec<(FacilityId, ItemId)> {
        let mut places = vec![(self.facility, self.item.clone())];
        if let MovementKind::Transfer { to, .. } = &self.kind {
            places.push((*to, self.item.clone()));
        }
        places
    }
}

/// Where a [`StockLedger`] stood at some places and shipments; see [`StockLedger::mark`].
#[derive(Debug)]
pub struct LedgerMark {
    movements: usize,
    lots: Vec<(Place, Option<Vec<Lot>>)>,
    shipments: Vec<ShipmentMark>,
}

/// What the ledger held under one shipment or reservation id.
#[derive(Debug)]
struct ShipmentMark {
    id: String,
    transit: Option<Transit>,
    hold: Option<Hold>,
    progress: Option<Progress>,
}

/// Stock set aside at its facility (for a plan's leg): on hand, not usable by anything else until
/// it is dispatched or released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hold {
    /// The reservation's id.
    pub hold: String,
    /// Where.
    pub facility: FacilityId,
    /// What.
    pub item: ItemId,
    /// The lots set aside, first expiring first.
    pub lots: Vec<Lot>,
    /// When.
    pub reserved_at: DateTime<Utc>,
}

impl Hold {
    /// Units set aside.
    pub fn quantity(&self) -> u64 {
        units(&self.lots)
    }
}

/// How far a shipment or reservation id has come. An id is used once: a reservation is
/// dispatched under its own id, and no id is opened twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Set aside, not dispatched.
    Reserved,
    /// Given up before dispatch.
    Released,
    /// On the road.
    OnRoad,
    /// Received at the destination.
    Arrived,
    /// Called back to the source.
    Returned,
}

/// Goods on the road: dispatched, not yet arrived or called back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transit {
    /// The shipment's id.
    pub shipment: String,
    /// Where from.
    pub from: FacilityId,
    /// Where to.
    pub to: FacilityId,
    /// What.
    pub item: ItemId,
    /// The lots on the road, first expiring first.
    pub lots: Vec<Lot>,
    /// When it left.
    pub dispatched_at: DateTime<Utc>,
}

impl Transit {
    /// Units on the road.
    pub fn quantity(&self) -> u64 {
        units(&self.lots)
    }
}

/// Units in some lots.
fn units(lots: &[Lot]) -> u64 {
    lots.iter().map(|l| l.quantity).sum()
}

/// A facility and an item: where stock is kept.
type Place = (FacilityId, ItemId);

/// A lot on hand: derived from the movements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lot {
    /// The lot's label.
    pub lot: String,
    /// How much of it is left.
    pub quantity: u64,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
}

impl Lot {
    fn usable_on(&self, day: NaiveDate) -> bool {
        self.expires.is_none_or(|expires| expires >= day)
    }
}

/// A minimum and a target quantity of an item, for one facility or every depot of a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// The facility it applies to; without one, `tier` says which depots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    /// The depot tier it applies to, when `facility` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<ReserveTier>,
    /// The item.
    pub item: ItemId,
    /// Below this is a shortage.
    pub minimum: u64,
    /// What a full reserve holds.
    pub target: u64,
}

/// A facility holding less usable stock than its quota's minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortage {
    /// Where.
    pub facility: FacilityId,
    /// What.
    pub item: ItemId,
    /// Unexpired stock on hand.
    pub usable: u64,
    /// The quota minimum.
    pub minimum: u64,
    /// How much brings it back to the quota target.
    pub to_target: u64,
}

/// The longest lot label (a batch number, a supplier's reference), characters.
pub const MAX_LOT_LABEL: usize = 100;

/// The append-only movement log and the lots derived from it.
#[derive(Debug, Clone, Default)]
pub struct StockLedger {
    movements: Vec<Movement>,
    lots: BTreeMap<(FacilityId, ItemId), Vec<Lot>>,
    /// Shipments on the road, by id.
    transit: BTreeMap<String, Transit>,
    /// Reservations in force, by id.
    holds: BTreeMap<String, Hold>,
    /// How far every shipment and reservation id ever opened has come.
    progress: BTreeMap<String, Progress>,
}

impl StockLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a ledger by replaying movements in order; an error names the first movement
    /// (0-based) that could not be applied.
    pub fn replay(movements: impl IntoIterator<Item = Movement>) -> Result<Self> {
        let mut ledger = Self::new();
        for (n, movement) in movements.into_iter().enumerate() {
            ledger.record(movement).map_err(|e| {
                Error::field("movement", format!("movement {n} cannot be replayed: {e}"))
            })?;
        }
        Ok(ledger)
    }

    /// Whether `movement` would be accepted, without recording it: the check a store makes
    /// inside its transaction before committing, so that the ledger is changed only after.
    pub fn check(&self, movement: &Movement) -> Result<()> {
        let mut scratch = StockLedger::new();
        for key in movement.places() {
            if let Some(lots) = self.lots.get(&key) {
                scratch.lots.insert(key, lots.clone());
            }
        }
        if let Some(shipment) = movement.shipment() {
            if let Some(transit) = self.transit.get(shipment) {
                scratch.transit.insert(shipment.to_owned(), transit.clone());
            }
            if let Some(hold) = self.holds.get(shipment) {
                scratch.holds.insert(shipment.to_owned(), hold.clone());
            }
            if let Some(progress) = self.progress.get(shipment) {
                scratch.progress.insert(shipment.to_owned(), *progress);
            }
        }
        if let MovementKind::Count { .. } = movement.kind {
            for hold in self.holds_at(movement.facility, &movement.item) {
                scratch.holds.insert(hold.hold.clone(), hold.clone());
            }
        }
        scratch.record(movement.clone())
    }

    /// Records `movements` in order, all or none: if one is refused, the ledger is as before
    /// the first and the refusal is returned. A movement paired with lots must take exactly those
    /// lots (a dispatch made from a plan takes what the plan saw, or nothing): if the stock it
    /// would take now differs, the answer is [`Error::StockChanged`].
    pub fn record_all(&mut self, movements: &[(Movement, Option<Vec<Lot>>)]) -> Result<()> {
        let mark = self.mark(movements.iter().map(|(m, _)| m));
        for (movement, planned) in movements {
            let recorded = self.takes_as_planned(movement, planned.as_deref());
            if let Err(refused) = recorded.and_then(|()| self.record(movement.clone())) {
                self.rewind(mark);
                return Err(refused);
            }
        }
        Ok(())
    }

    /// Whether `movement` would take exactly `planned` lots from the usable stock now.
    fn takes_as_planned(&self, movement: &Movement, planned: Option<&[Lot]>) -> Result<()> {
        let Some(planned) = planned else {
            return Ok(());
        };
        let quantity = match movement.kind {
            MovementKind::Dispatch {
                quantity,
                reserved: false,
                ..
            }
            | MovementKind::Reserve { quantity, .. } => quantity,
            _ => return Ok(()),
        };
        let now = self.fefo(
            movement.facility,
            &movement.item,
            quantity,
            movement.at.date_naive(),
        );
        if now != planned {
            return Err(Error::StockChanged {
                facility: movement.facility,
                item: movement.item.clone(),
            });
        }
        Ok(())
    }

    /// Validates and applies one movement, then appends it. A movement that would take more than
    /// the unexpired stock on hand is refused and changes nothing; a transfer changes both sides
    /// or neither.
    pub fn record(&mut self, movement: Movement) -> Result<()> {
        let day = movement.at.date_naive();
        let key = (movement.facility, movement.item.clone());
        let mut here = self.lots.get(&key).cloned().unwrap_or_default();
        let mut arriving = None;
        let mut departing = None;
        let mut closing = None;
        let mut holding = None;
        let mut released = None;
        let mut progressed = None;
        match &movement.kind {
            MovementKind::Receive {
                lot,
                quantity,
                expires,
            } => {
                positive(*quantity)?;
                if lot.trim().is_empty() {
                    return Err(Error::field("lot", "a receipt needs a lot label"));
                }
                if lot.chars().count() > MAX_LOT_LABEL {
                    return Err(Error::field(
                        "lot",
                        format!("a lot label has at most {MAX_LOT_LABEL} characters"),
                    ));
                }
                add_lot(&mut here, lot, *quantity, *expires);
            }
            MovementKind::Issue { quantity } => {
                positive(*quantity)?;
                take_fefo(&mut here, *quantity, day).map_err(|usable| {
                    Error::InsufficientStock {
                        facility: movement.facility,
                        item: movement.item.clone(),
                        requested: *quantity,
                        usable,
                    }
                })?;
            }
            MovementKind::Transfer { to, quantity } => {
                positive(*quantity)?;
                if *to == movement.facility {
                    return Err(Error::field(
                        "to",
                        "a transfer needs two different facilities",
                    ));
                }
                let taken = take_fefo(&mut here, *quantity, day).map_err(|usable| {
                    Error::InsufficientStock {
                        facility: movement.facility,
                        item: movement.item.clone(),
                        requested: *quantity,
                        usable,
                    }
                })?;
                let destination_key = (*to, movement.item.clone());
                let mut there = self.lots.get(&destination_key).cloned().unwrap_or_default();
                for lot in taken {
                    add_lot(&mut there, &lot.lot, lot.quantity, lot.expires);
                }
                arriving = Some((destination_key, there));
            }
            MovementKind::Count { counted } => {
                if *counted > MAX_QUANTITY {
                    return Err(Error::field(
                        "counted",
                        format!("{counted} is more than {MAX_QUANTITY}"),
                    ));
                }
                // What is counted includes what is set aside, which the count leaves alone.
                let reserved: u64 = self
                    .holds_at(movement.facility, &movement.item)
                    .map(Hold::quantity)
                    .sum();
                if *counted < reserved {
                    return Err(Error::field(
                        "counted",
                        format!(
                            "{reserved} of `{}` are reserved here: release reservations before counting fewer",
                            movement.item
                        ),
                    ));
                }
                let on_hand = units(&here);
                book_difference(
                    &mut here,
                    i128::from(*counted) - i128::from(on_hand) - i128::from(reserved),
                    &movement,
                );
            }
            MovementKind::Adjust { delta, reason } => {
                if reason.trim().is_empty() {
                    return Err(Error::field("reason", "an adjustment needs a reason"));
                }
                if delta.unsigned_abs() > MAX_QUANTITY {
                    return Err(Error::field(
                        "delta",
                        format!("{delta} is beyond ±{MAX_QUANTITY}"),
                    ));
                }
                let on_hand = units(&here);
                if i128::from(on_hand) + i128::from(*delta) < 0 {
                    return Err(Error::InsufficientStock {
                        facility: movement.facility,
                        item: movement.item.clone(),
                        requested: delta.unsigned_abs(),
                        usable: on_hand,
                    });
                }
                book_difference(&mut here, i128::from(*delta), &movement);
            }
            MovementKind::Dispatch {
                shipment,
                to,
                quantity,
                reserved,
            } => {
                positive(*quantity)?;
                if *to == movement.facility {
                    return Err(Error::field(
                        "to",
                        "a dispatch needs two different facilities",
                    ));
                }
                let lots = if *reserved {
                    let hold = self.hold(shipment, &movement)?;
                    if hold.quantity() != *quantity {
                        return Err(Error::field(
                            "quantity",
                            format!(
                                "reservation `{shipment}` holds {}, not {quantity}",
                                hold.quantity()
                            ),
                        ));
                    }
                    if hold.lots.iter().any(|lot| !lot.usable_on(day)) {
                        // Goods that expired while set aside are not sent out as usable.
                        return Err(Error::StockChanged {
                            facility: movement.facility,
                            item: movement.item.clone(),
                        });
                    }
                    released = Some(shipment.clone());
                    hold.lots.clone()
                } else {
                    self.new_id("shipment", shipment)?;
                    take_fefo(&mut here, *quantity, day).map_err(|usable| {
                        Error::InsufficientStock {
                            facility: movement.facility,
                            item: movement.item.clone(),
                            requested: *quantity,
                            usable,
                        }
                    })?
                };
                progressed = Some((shipment.clone(), Progress::OnRoad));
                departing = Some(Transit {
                    shipment: shipment.clone(),
                    from: movement.facility,
                    to: *to,
                    item: movement.item.clone(),
                    lots,
                    dispatched_at: movement.at,
                });
            }
            MovementKind::Arrive {
                shipment,
                received,
                reason,
            } => {
                let transit = self.shipment(shipment, &movement)?;
                if transit.to != movement.facility {
                    return Err(Error::field(
                        "facility",
                        format!("shipment `{shipment}` goes to {}, not here", transit.to),
                    ));
                }
                let sent = transit.quantity();
                if *received > sent {
                    return Err(Error::field(
                        "received",
                        format!("shipment `{shipment}` carries {sent}, not {received}"),
                    ));
                }
                if *received < sent && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                    return Err(Error::field(
                        "reason",
                        format!("{} of {sent} are missing: say why", sent - received),
                    ));
                }
                // What arrived is taken from the lots on the road first expiring first; the
                // rest is lost on the road.
                let mut left = *received;
                for lot in &transit.lots {
                    let take = left.min(lot.quantity);
                    if take > 0 {
                        add_lot(&mut here, &lot.lot, take, lot.expires);
                        left -= take;
                    }
                }
                closing = Some(shipment.clone());
                progressed = Some((shipment.clone(), Progress::Arrived));
            }
            MovementKind::Cancel { shipment } => {
                let transit = self.shipment(shipment, &movement)?;
                if transit.from != movement.facility {
                    return Err(Error::field(
                        "facility",
                        format!("shipment `{shipment}` left from {}, not here", transit.from),
                    ));
                }
                for lot in &transit.lots {
                    add_lot(&mut here, &lot.lot, lot.quantity, lot.expires);
                }
                closing = Some(shipment.clone());
                progressed = Some((shipment.clone(), Progress::Returned));
            }
            MovementKind::Reserve { hold, quantity } => {
                positive(*quantity)?;
                self.new_id("hold", hold)?;
                let lots = take_fefo(&mut here, *quantity, day).map_err(|usable| {
                    Error::InsufficientStock {
                        facility: movement.facility,
                        item: movement.item.clone(),
                        requested: *quantity,
                        usable,
                    }
                })?;
                holding = Some(Hold {
                    hold: hold.clone(),
                    facility: movement.facility,
                    item: movement.item.clone(),
                    lots,
                    reserved_at: movement.at,
                });
                progressed = Some((hold.clone(), Progress::Reserved));
            }
            MovementKind::Release { hold } => {
                for lot in &self.hold(hold, &movement)?.lots {
                    add_lot(&mut here, &lot.lot, lot.quantity, lot.expires);
                }
                released = Some(hold.clone());
                progressed = Some((hold.clone(), Progress::Released));
            }
        }
        here.retain(|lot| lot.quantity > 0);
        self.lots.insert(key, here);
        if let Some((destination_key, there)) = arriving {
            self.lots.insert(destination_key, there);
        }
        if let Some(transit) = departing {
            self.transit.insert(transit.shipment.clone(), transit);
        }
        if let Some(shipment) = closing {
            self.transit.remove(&shipment);
        }
        if let Some(hold) = holding {
            self.holds.insert(hold.hold.clone(), hold);
        }
        if let Some(hold) = released {
            self.holds.remove(&hold);
        }
        if let Some((id, progress)) = progressed {
            self.progress.insert(id, progress);
        }
        self.movements.push(movement);
        Ok(())
    }

    /// Checks a new shipment or reservation id: 1 to 100 characters, never used before.
    fn new_id(&self, field: &'static str, id: &str) -> Result<()> {
        if id.trim().is_empty() || id.chars().count() > MAX_LOT_LABEL {
            return Err(Error::field(
                field,
                format!("an id has 1 to {MAX_LOT_LABEL} characters"),
            ));
        }
        if self.progress.contains_key(id) {
            return Err(Error::field(field, format!("`{id}` is used already")));
        }
        Ok(())
    }

    /// The reservation in force that `movement` names, at its facility and of its item.
    fn hold(&self, hold: &str, movement: &Movement) -> Result<&Hold> {
        let found = self
            .holds
            .get(hold)
            .filter(|h| h.facility == movement.facility && h.item == movement.item);
        found.ok_or_else(|| {
            Error::field(
                "hold",
                format!(
                    "no reservation `{hold}` of `{}` is held at facility {}",
                    movement.item, movement.facility
                ),
            )
        })
    }

    /// Reservations in force at `facility` of `item`.
    pub fn holds_at<'a>(
        &'a self,
        facility: FacilityId,
        item: &ItemId,
    ) -> impl Iterator<Item = &'a Hold> + use<'a> {
        let item = item.clone();
        self.holds
            .values()
            .filter(move |h| h.facility == facility && h.item == item)
    }

    /// Reservations in force, by id.
    pub fn holds(&self) -> impl Iterator<Item = &Hold> {
        self.holds.values()
    }

    /// How far a shipment or reservation id has come, if it was ever used.
    pub fn progress(&self, id: &str) -> Option<Progress> {
        self.progress.get(id).copied()
    }

    /// The shipment on the road that `movement` names, of its item.
    fn shipment(&self, shipment: &str, movement: &Movement) -> Result<&Transit> {
        let transit = self.transit.get(shipment).ok_or_else(|| {
            Error::field(
                "shipment",
                format!("no shipment `{shipment}` is on the road"),
            )
        })?;
        if transit.item != movement.item {
            return Err(Error::field(
                "item",
                format!(
                    "shipment `{shipment}` carries {}, not {}",
                    transit.item, movement.item
                ),
            ));
        }
        Ok(transit)
    }

    /// Shipments on the road, by id.
    pub fn in_transit(&self) -> impl Iterator<Item = &Transit> {
        self.transit.values()
    }

    /// Every movement, oldest first.
    pub fn movements(&self) -> &[Movement] {
        &self.movements
    }

    /// The movements of one facility and item, oldest first: its history.
    pub fn history<'a>(
        &'a self,
        facility: FacilityId,
        item: &'a ItemId,
    ) -> impl Iterator<Item = &'a Movement> {
        self.movements.iter().filter(move |m| {
            &m.item == item
                && (m.facility == facility
                    || matches!(m.kind, MovementKind::Transfer { to, .. } if to == facility))
        })
    }

    /// The lots on hand, earliest expiry first.
    pub fn lots(&self, facility: FacilityId, item: &ItemId) -> &[Lot] {
        self.lots
            .get(&(facility, item.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Everything on hand, expired or not.
    pub fn on_hand(&self, facility: FacilityId, item: &ItemId) -> u64 {
        units(self.lots(facility, item))
    }

    /// What can be issued on `day`: the lots that have not expired.
    pub fn usable(&self, facility: FacilityId, item: &ItemId, day: NaiveDate) -> u64 {
        self.lots(facility, item)
            .iter()
            .filter(|l| l.usable_on(day))
            .map(|l| l.quantity)
            .sum()
    }

    /// The facilities holding usable units of `item` on `day`, with how many, by facility id.
    pub fn holders(&self, item: &ItemId, day: NaiveDate) -> Vec<(FacilityId, u64)> {
        self.lots
            .iter()
            .filter(|((_, held), _)| held == item)
            .map(|((facility, _), lots)| {
                let usable = lots.iter().filter(|l| l.usable_on(day)).map(|l| l.quantity);
                (*facility, usable.sum())
            })
            .filter(|(_, usable)| *usable > 0)
            .collect()
    }

    /// The lots an issue of `quantity` (or of all that is usable, if less) would take on `day`,
    /// first expiring first, without taking them.
    pub fn fefo(
        &self,
        facility: FacilityId,
        item: &ItemId,
        quantity: u64,
        day: NaiveDate,
    ) -> Vec<Lot> {
        let mut lots = self.lots(facility, item).to_vec();
        let quantity = quantity.min(self.usable(facility, item, day));
        take_fefo(&mut lots, quantity, day).unwrap_or_default()
    }

    /// The lots each take (facility, item, quantity) would get on `day`, first expiring first,
    /// each after the ones before it, without taking them; a take gets what is left if less.
    pub fn fefo_in_turn(
        &self,
        takes: impl IntoIterator<Item = (FacilityId, ItemId, u64)>,
        day: NaiveDate,
    ) -> Vec<Vec<Lot>> {
        let mut left: BTreeMap<Place, Vec<Lot>> = BTreeMap::new();
        takes
            .into_iter()
            .map(|(facility, item, quantity)| {
                let lots = left
                    .entry((facility, item))
                    .or_insert_with_key(|(facility, item)| self.lots(*facility, item).to_vec());
                let usable = lots.iter().filter(|l| l.usable_on(day)).map(|l| l.quantity);
                let quantity = quantity.min(usable.sum());
                take_fefo(lots, quantity, day).unwrap_or_default()
            })
            .collect()
    }

    /// Unexpired quantity per facility and item on `day`, the figure nearest-with-stock queries use.
    pub fn usable_totals(&self, day: NaiveDate) -> BTreeMap<(FacilityId, ItemId), u64> {
        self.lots
            .iter()
            .map(|(key, lots)| {
                let usable = lots.iter().filter(|l| l.usable_on(day)).map(|l| l.quantity);
                (key.clone(), usable.sum())
            })
            .filter(|(_, usable)| *usable > 0)
            .collect()
    }

    /// Where the ledger stands at the places (facility and item) and shipments `movements`
    /// change, to [`rewind`](Self::rewind) to if they are not committed after all.
    pub fn mark<'a>(&self, movements: impl IntoIterator<Item = &'a Movement>) -> LedgerMark {
        let mut places = BTreeSet::new();
        let mut shipments = BTreeSet::new();
        for movement in movements {
            places.extend(movement.places());
            shipments.extend(movement.shipment().map(str::to_owned));
        }
        LedgerMark {
            movements: self.movements.len(),
            lots: places
                .into_iter()
                .map(|place| {
                    let lots = self.lots.get(&place).cloned();
                    (place, lots)
                })
                .collect(),
            shipments: shipments
                .into_iter()
                .map(|id| ShipmentMark {
                    transit: self.transit.get(&id).cloned(),
                    hold: self.holds.get(&id).cloned(),
                    progress: self.progress.get(&id).copied(),
                    id,
                })
                .collect(),
        }
    }

    /// Goes back to `mark`: the movements recorded since are forgotten. Only the places and
    /// shipments the mark names are restored, so the movements since must have changed no other.
    pub fn rewind(&mut self, mark: LedgerMark) {
        self.movements.truncate(mark.movements);
        for (place, lots) in mark.lots {
            restore(&mut self.lots, place, lots);
        }
        for shipment in mark.shipments {
            restore(&mut self.transit, shipment.id.clone(), shipment.transit);
            restore(&mut self.holds, shipment.id.clone(), shipment.hold);
            restore(&mut self.progress, shipment.id, shipment.progress);
        }
    }

    /// The usable units on `day` at each place (facility and item) `movements` changed: what
    /// the index's stock figures need after them, without recounting the whole ledger.
    pub fn usable_after<'a>(
        &self,
        movements: impl IntoIterator<Item = &'a Movement>,
        day: NaiveDate,
    ) -> Vec<(FacilityId, ItemId, u64)> {
        let places: BTreeSet<(FacilityId, ItemId)> =
            movements.into_iter().flat_map(Movement::places).collect();
        places
            .into_iter()
            .map(|(facility, item)| {
                let usable = self.usable(facility, &item, day);
                (facility, item, usable)
            })
            .collect()
    }

    /// Lots that expire between `day` and `day + within_days`, soonest first.
    pub fn expiring(&self, day: NaiveDate, within_days: u32) -> Vec<(FacilityId, ItemId, Lot)> {
        let until = day + chrono::Days::new(u64::from(within_days));
        let mut soon: Vec<_> = self
            .lots
            .iter()
            .flat_map(|((facility, item), lots)| {
                lots.iter()
                    .filter(|l| l.expires.is_some_and(|e| e >= day && e <= until))
                    .map(|l| (*facility, item.clone(), l.clone()))
            })
            .collect();
        soon.sort_by_key(|(_, _, lot)| lot.expires);
        soon
    }

    /// Facilities whose usable stock on `day` is below a quota's minimum. A facility's own quota
    /// overrides its tier's.
    pub fn shortages<'a>(
        &self,
        facilities: impl IntoIterator<Item = &'a crate::FacilityBrief>,
        quotas: &[Quota],
        day: NaiveDate,
    ) -> Vec<Shortage> {
        let mut shortages = Vec::new();
        for facility in facilities {
            let tier = facility.reserve().map(|depot| depot.tier);
            let mut applicable: BTreeMap<&ItemId, &Quota> = BTreeMap::new();
            for quota in quotas
                .iter()
                .filter(|q| q.facility.is_none() && q.tier == tier && tier.is_some())
            {
                applicable.insert(&quota.item, quota);
            }
            for quota in quotas.iter().filter(|q| q.facility == Some(facility.id)) {
                applicable.insert(&quota.item, quota);
            }
            for (item, quota) in applicable {
                let usable = self.usable(facility.id, item, day);
                if usable < quota.minimum {
                    shortages.push(Shortage {
                        facility: facility.id,
                        item: item.clone(),
                        usable,
                        minimum: quota.minimum,
                        to_target: quota.target.saturating_sub(usable),
                    });
                }
            }
        }
        shortages
    }
}

/// Puts back what a map held at `key`: `value`, or nothing.
fn restore<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: Option<V>) {
    match value {
        Some(value) => map.insert(key, value),
        None => map.remove(&key),
    };
}

/// The largest quantity one movement may carry: far beyond any real reserve, and small enough
/// that no sum of lots can overflow.
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;

fn positive(quantity: u64) -> Result<()> {
    if quantity == 0 {
        return Err(Error::field("quantity", "must be more than zero"));
    }
    if quantity > MAX_QUANTITY {
        return Err(Error::field(
            "quantity",
            format!("{quantity} is more than {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

/// Adds to a lot with the same label and expiry, or creates one; keeps lots earliest-expiry first
/// (lots that never expire last).
fn add_lot(lots: &mut Vec<Lot>, label: &str, quantity: u64, expires: Option<NaiveDate>) {
    match lots
        .iter_mut()
        .find(|l| l.lot == label && l.expires == expires)
    {
        Some(lot) => lot.quantity = lot.quantity.saturating_add(quantity),
        None => lots.push(Lot {
            lot: label.to_owned(),
            quantity,
            expires,
        }),
    }
    lots.sort_by_key(|l| (l.expires.is_none(), l.expires));
}

/// Takes `quantity` from the unexpired lots, earliest expiry first, and returns what was taken
/// lot by lot; `Err(usable)` if there is not enough, leaving `lots` unchanged.
fn take_fefo(lots: &mut [Lot], quantity: u64, day: NaiveDate) -> Result<Vec<Lot>, u64> {
    let usable: u64 = lots
        .iter()
        .filter(|l| l.usable_on(day))
        .map(|l| l.quantity)
        .sum();
    if usable < quantity {
        return Err(usable);
    }
    let mut left = quantity;
    let mut taken = Vec::new();
    for lot in lots.iter_mut().filter(|l| l.usable_on(day)) {
        let take = left.min(lot.quantity);
        if take > 0 {
            lot.quantity -= take;
            left -= take;
            taken.push(Lot {
                lot: lot.lot.clone(),
                quantity: take,
                expires: lot.expires,
            });
        }
        if left == 0 {
            break;
        }
    }
    Ok(taken)
}

/// Books a counted or adjusted difference: a loss comes out of expired lots first, then FEFO; a
/// gain becomes a lot of its own named after the movement.
fn book_difference(lots: &mut Vec<Lot>, difference: i128, movement: &Movement) {
    if difference > 0 {
        let label = format!(
            "{}-{}",
            movement_label(&movement.kind),
            movement.at.format("%Y%m%d%H%M%S")
        );
        add_lot(
            lots,
            &label,
            u64::try_from(difference).unwrap_or(u64::MAX),
            None,
        );
        return;
    }
    let mut left = u64::try_from(-difference).unwrap_or(u64::MAX);
    let day = movement.at.date_naive();
    let (mut expired, mut fresh): (Vec<&mut Lot>, Vec<&mut Lot>) =
        lots.iter_mut().partition(|l| !l.usable_on(day));
    for lot in expired.iter_mut().chain(fresh.iter_mut()) {
        let take = left.min(lot.quantity);
        lot.quantity -= take;
        left -= take;
    }
}

fn movement_label(kind: &MovementKind) -> &'static str {
    match kind {
        MovementKind::Receive { .. } => "receive",
        MovementKind::Issue { .. } => "issue",
        MovementKind::Transfer { .. } => "transfer",
        MovementKind::Count { .. } => "count",
        MovementKind::Adjust { .. } => "adjust",
        MovementKind::Dispatch { .. } => "dispatch",
        MovementKind::Arrive { .. } => "arrive",
        MovementKind::Cancel { .. } => "cancel",
        MovementKind::Reserve { .. } => "reserve",
        MovementKind::Release { .. } => "release",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> FacilityId {
        FacilityId::new(n).unwrap()
    }

    fn water() -> ItemId {
        ItemId::new("bottled_water").unwrap()
    }

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T08:00:00Z").parse().unwrap()
    }

    /// Movements recorded after a mark (a transfer included) are forgotten by a rewind, and the
    /// ledger answers as before them.
    #[test]
    fn a_rewind_forgets_what_was_recorded_after_the_mark() {
        let receive = |facility, lot: &str, quantity| {
            movement(
                facility,
                MovementKind::Receive {
                    lot: lot.into(),
                    quantity,
                    expires: None,
                },
                "2026-03-01",
            )
        };
        let mut ledger = StockLedger::replay([receive(1, "a", 100)]).unwrap();
        let transfer = movement(
            1,
            MovementKind::Transfer {
                to: id(2),
                quantity: 30,
            },
            "2026-03-02",
        );
        let group = [receive(1, "b", 5), transfer, receive(3, "c", 7)];
        let mark = ledger.mark(&group);
        for m in &group {
            ledger.record(m.clone()).unwrap();
        }
        assert_eq!(
            (
                ledger.on_hand(id(1), &water()),
                ledger.on_hand(id(2), &water())
            ),
            (75, 30)
        );
        ledger.rewind(mark);
        assert_eq!(ledger.on_hand(id(1), &water()), 100);
        assert_eq!(ledger.on_hand(id(2), &water()), 0);
        assert!(ledger.lots(id(3), &water()).is_empty());
        assert_eq!(ledger.movements().len(), 1);
    }

    /// A dispatch takes stock off the source at once (first expiring first) and puts it on the
    /// road; the arrival books what came at the destination, with the shortfall's reason; a
    /// cancellation returns it; replaying the movements and rewinding to a mark give the same.
    #[test]
    fn dispatched_stock_is_on_the_road_until_it_arrives_or_is_called_back() {
        let receive = |lot: &str, quantity, expires: &str| {
            movement(
                1,
                MovementKind::Receive {
                    lot: lot.into(),
                    quantity,
                    expires: Some(expires.parse().unwrap()),
                },
                "2026-03-01",
            )
        };
        let mut ledger = StockLedger::replay([
            receive("late", 40, "2027-01-01"),
            receive("soon", 10, "2026-06-01"),
        ])
        .unwrap();
        let dispatch = |shipment: &str, quantity| {
            movement(
                1,
                MovementKind::Dispatch {
                    shipment: shipment.into(),
                    to: id(2),
                    quantity,
                    reserved: false,
                },
                "2026-03-02",
            )
        };
        let arrive = |facility, shipment: &str, received, reason: Option<&str>| {
            movement(
                facility,
                MovementKind::Arrive {
                    shipment: shipment.into(),
                    received,
                    reason: reason.map(str::to_owned),
                },
                "2026-03-03",
            )
        };
        let day = "2026-03-04".parse().unwrap();
        ledger.record(dispatch("s1", 30)).unwrap();
        assert_eq!(ledger.usable(id(1), &water(), day), 20);
        let on_road: Vec<&Transit> = ledger.in_transit().collect();
        assert_eq!(on_road.len(), 1);
        assert_eq!(on_road[0].quantity(), 30);
        assert_eq!(on_road[0].lots[0].lot, "soon", "first expiring first");
        assert_eq!(ledger.usable(id(2), &water(), day), 0, "not there yet");

        // Bad arrivals change nothing.
        for (bad, field) in [
            (arrive(3, "s1", 30, None), "facility"),
            (arrive(2, "s1", 31, None), "received"),
            (arrive(2, "s1", 28, None), "reason"),
            (arrive(2, "s9", 1, None), "shipment"),
            (dispatch("s1", 1), "shipment"),
            (dispatch("s2", 21), "only 20 usable"),
        ] {
            let err = ledger.record(bad).unwrap_err().to_string();
            assert!(
                err.contains(field) || err.to_lowercase().contains(field),
                "{err}"
            );
        }
        let arrival = arrive(2, "s1", 28, Some("two bottles broken on the road"));
        let mark = ledger.mark([&arrival]);
        ledger.record(arrival).unwrap();
        assert_eq!(ledger.usable(id(2), &water(), day), 28);
        assert_eq!(ledger.in_transit().count(), 0);
        assert_eq!(ledger.lots(id(2), &water())[0].lot, "soon");
        ledger.rewind(mark);
        assert_eq!(
            ledger.in_transit().count(),
            1,
            "the rewind puts it back on the road"
        );
        assert_eq!(ledger.usable(id(2), &water(), day), 0);

        let cancel = movement(
            1,
            MovementKind::Cancel {
                shipment: "s1".into(),
            },
            "2026-03-03",
        );
        ledger.record(cancel).unwrap();
        assert_eq!(
            ledger.usable(id(1), &water(), day),
            50,
            "back at the source"
        );
        assert_eq!(ledger.in_transit().count(), 0);

        let replayed = StockLedger::replay(ledger.movements().to_vec()).unwrap();
        assert_eq!(replayed.usable(id(1), &water(), day), 50);
        assert_eq!(replayed.in_transit().count(), 0);
    }

    fn movement(facility: u64, kind: MovementKind, day: &str) -> Movement {
        Movement {
            facility: id(facility),
            item: water(),
            kind,
            at: at(day),
            by: Some("tester".into()),
        }
    }

    fn receive(lot: &str, quantity: u64, expires: &str) -> MovementKind {
        MovementKind::Receive {
            lot: lot.into(),
            quantity,
            expires: Some(expires.parse().unwrap()),
        }
    }

    /// Reserved stock is on hand but usable by nothing else; a dispatch of the reservation takes
    /// exactly its lots; a release gives them back; an id is used once; a count includes it.
    #[test]
    fn reserved_stock_is_set_aside_until_dispatched_or_released() {
        let day: NaiveDate = "2026-03-02".parse().unwrap();
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("late", 60, "2027-01-01"), "2026-03-01"))
            .unwrap();
        ledger
            .record(movement(1, receive("soon", 40, "2026-06-01"), "2026-03-01"))
            .unwrap();
        let reserve = |hold: &str, quantity| {
            movement(
                1,
                MovementKind::Reserve {
                    hold: hold.into(),
                    quantity,
                },
                "2026-03-02",
            )
        };
        ledger.record(reserve("p.1", 50)).unwrap();
        assert_eq!(ledger.usable(id(1), &water(), day), 50, "50 set aside");
        let held: Vec<&Hold> = ledger.holds_at(id(1), &water()).collect();
        assert_eq!(held.len(), 1);
        assert_eq!(
            held[0]
                .lots
                .iter()
                .map(|l| (l.lot.as_str(), l.quantity))
                .collect::<Vec<_>>(),
            [("soon", 40), ("late", 10)],
            "first expiring first"
        );
        let issue = movement(1, MovementKind::Issue { quantity: 51 }, "2026-03-02");
        assert!(
            matches!(
                ledger.record(issue),
                Err(Error::InsufficientStock { usable: 50, .. })
            ),
            "an issue cannot take reserved stock"
        );
        assert!(
            ledger.record(reserve("p.1", 1)).is_err(),
            "an id is used once"
        );
        let count = |counted| movement(1, MovementKind::Count { counted }, "2026-03-02");
        assert!(
            ledger.check(&count(49)).is_err(),
            "a count below what is reserved is refused"
        );
        ledger.record(count(100)).unwrap();
        assert_eq!(
            ledger.usable(id(1), &water(), day),
            50,
            "the count includes it"
        );

        let dispatch = |quantity, reserved| {
            movement(
                1,
                MovementKind::Dispatch {
                    shipment: "p.1".into(),
                    to: id(2),
                    quantity,
                    reserved,
                },
                "2026-03-03",
            )
        };
        assert!(
            ledger.check(&dispatch(49, true)).is_err(),
            "all of it or none"
        );
        assert!(
            ledger.check(&dispatch(10, false)).is_err(),
            "a fresh dispatch may not take a reservation's id"
        );
        ledger.record(dispatch(50, true)).unwrap();
        assert_eq!(ledger.holds().count(), 0);
        assert_eq!(ledger.progress("p.1"), Some(Progress::OnRoad));
        let on_road = ledger.in_transit().next().unwrap();
        assert_eq!(on_road.quantity(), 50);
        assert_eq!(on_road.lots[0].lot, "soon");
        assert_eq!(
            ledger.usable(id(1), &water(), day),
            50,
            "the rest untouched"
        );

        ledger.record(reserve("p.2", 20)).unwrap();
        let release = movement(
            1,
            MovementKind::Release { hold: "p.2".into() },
            "2026-03-03",
        );
        ledger.record(release).unwrap();
        assert_eq!(ledger.usable(id(1), &water(), day), 50, "released");
        assert_eq!(ledger.progress("p.2"), Some(Progress::Released));
        assert!(
            ledger.record(dispatch(20, true)).is_err(),
            "nothing left to dispatch"
        );

        let replayed = StockLedger::replay(ledger.movements().to_vec()).unwrap();
        assert_eq!(replayed.usable(id(1), &water(), day), 50);
        assert_eq!(replayed.progress("p.1"), Some(Progress::OnRoad));

        // Set aside, then expired: not sent out as usable goods.
        ledger.record(reserve("p.3", 10)).unwrap();
        let late = Movement {
            at: at("2027-02-01"),
            ..movement(
                1,
                MovementKind::Dispatch {
                    shipment: "p.3".into(),
                    to: id(2),
                    quantity: 10,
                    reserved: true,
                },
                "2027-02-01",
            )
        };
        assert!(matches!(
            ledger.check(&late),
            Err(Error::StockChanged { .. })
        ));
    }

    /// A bundle is booked whole or not at all, and a planned dispatch whose lots changed since
    /// the plan is refused as stale.
    #[test]
    fn a_bundle_is_all_or_nothing_and_a_stale_plan_is_refused() {
        let day: NaiveDate = "2026-03-02".parse().unwrap();
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("a", 30, "2027-01-01"), "2026-03-01"))
            .unwrap();
        let dispatch = |shipment: &str, quantity| {
            movement(
                1,
                MovementKind::Dispatch {
                    shipment: shipment.into(),
                    to: id(2),
                    quantity,
                    reserved: false,
                },
                "2026-03-02",
            )
        };
        let planned = ledger.fefo(id(1), &water(), 20, day);
        let bundle = [
            (dispatch("x.1", 20), Some(planned.clone())),
            (dispatch("x.2", 20), None),
        ];
        assert!(matches!(
            ledger.record_all(&bundle),
            Err(Error::InsufficientStock { .. })
        ));
        assert_eq!(
            ledger.usable(id(1), &water(), day),
            30,
            "the first leg undone"
        );
        assert_eq!(ledger.in_transit().count(), 0);
        assert_eq!(ledger.progress("x.1"), None, "its id is free again");

        ledger
            .record(movement(1, receive("b", 5, "2026-04-01"), "2026-03-02"))
            .unwrap();
        let stale = [(dispatch("x.1", 20), Some(planned))];
        assert!(matches!(
            ledger.record_all(&stale),
            Err(Error::StockChanged { .. })
        ));
        assert_eq!(ledger.usable(id(1), &water(), day), 35);
        let fresh = ledger.fefo(id(1), &water(), 20, day);
        ledger
            .record_all(&[(dispatch("x.1", 20), Some(fresh))])
            .unwrap();
        assert_eq!(ledger.usable(id(1), &water(), day), 15);
    }

    #[test]
    fn issues_take_the_earliest_expiry_first() {
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("B", 100, "2027-06-01"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(1, receive("A", 50, "2026-12-01"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(
                1,
                MovementKind::Issue { quantity: 70 },
                "2026-02-01",
            ))
            .unwrap();
        let lots = ledger.lots(id(1), &water());
        assert_eq!(lots.len(), 1, "lot A is used up");
        assert_eq!((lots[0].lot.as_str(), lots[0].quantity), ("B", 80));
    }

    #[test]
    fn expired_lots_cannot_be_issued_and_a_refused_issue_changes_nothing() {
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("old", 40, "2026-03-01"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(1, receive("new", 10, "2027-03-01"), "2026-01-01"))
            .unwrap();
        let err = ledger
            .record(movement(
                1,
                MovementKind::Issue { quantity: 20 },
                "2026-04-01",
            ))
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InsufficientStock {
                    usable: 10,
                    requested: 20,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(ledger.on_hand(id(1), &water()), 50);
        assert_eq!(
            ledger.usable(id(1), &water(), "2026-04-01".parse().unwrap()),
            10
        );
        assert_eq!(
            ledger.movements().len(),
            2,
            "the refused issue is not logged"
        );
    }

    #[test]
    fn transfers_move_lots_with_their_expiry_or_nothing() {
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("A", 30, "2027-01-01"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(
                1,
                MovementKind::Transfer {
                    to: id(2),
                    quantity: 20,
                },
                "2026-01-02",
            ))
            .unwrap();
        assert_eq!(ledger.on_hand(id(1), &water()), 10);
        assert_eq!(
            ledger.lots(id(2), &water())[0].expires,
            Some("2027-01-01".parse().unwrap())
        );
        assert!(
            ledger
                .record(movement(
                    1,
                    MovementKind::Transfer {
                        to: id(2),
                        quantity: 11
                    },
                    "2026-01-03"
                ))
                .is_err()
        );
        assert_eq!(
            ledger.on_hand(id(1), &water()) + ledger.on_hand(id(2), &water()),
            30
        );
        assert_eq!(ledger.history(id(2), &water()).count(), 1);
    }

    #[test]
    fn counts_and_adjustments_book_the_difference() {
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("A", 30, "2027-01-01"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(
                1,
                MovementKind::Count { counted: 25 },
                "2026-02-01",
            ))
            .unwrap();
        assert_eq!(ledger.on_hand(id(1), &water()), 25);
        ledger
            .record(movement(
                1,
                MovementKind::Count { counted: 27 },
                "2026-02-02",
            ))
            .unwrap();
        assert_eq!(ledger.on_hand(id(1), &water()), 27);
        let adjust = |delta| MovementKind::Adjust {
            delta,
            reason: "damaged in flood".into(),
        };
        ledger
            .record(movement(1, adjust(-7), "2026-02-03"))
            .unwrap();
        assert_eq!(ledger.on_hand(id(1), &water()), 20);
        assert!(
            ledger
                .record(movement(1, adjust(-21), "2026-02-04"))
                .is_err()
        );
    }

    #[test]
    fn replaying_the_log_rebuilds_the_same_stock() {
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("A", 30, "2027-01-01"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(1, receive("B", 5, "2026-06-01"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(
                1,
                MovementKind::Issue { quantity: 8 },
                "2026-01-05",
            ))
            .unwrap();
        ledger
            .record(movement(
                1,
                MovementKind::Transfer {
                    to: id(3),
                    quantity: 4,
                },
                "2026-01-06",
            ))
            .unwrap();
        let replayed = StockLedger::replay(ledger.movements().to_vec()).unwrap();
        for facility in [1, 3] {
            assert_eq!(
                replayed.lots(id(facility), &water()),
                ledger.lots(id(facility), &water())
            );
        }
    }

    #[test]
    fn expiring_lists_lots_soonest_first() {
        let mut ledger = StockLedger::new();
        ledger
            .record(movement(1, receive("late", 1, "2026-03-20"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(1, receive("soon", 1, "2026-03-05"), "2026-01-01"))
            .unwrap();
        ledger
            .record(movement(1, receive("far", 1, "2027-03-05"), "2026-01-01"))
            .unwrap();
        let soon = ledger.expiring("2026-03-01".parse().unwrap(), 30);
        let labels: Vec<_> = soon.iter().map(|(_, _, lot)| lot.lot.as_str()).collect();
        assert_eq!(labels, ["soon", "late"]);
    }
}
