//! What a change did: one vocabulary for the audit log and the live-update events, so the two
//! cannot drift apart.

refuge_core::named_enum! {
    /// What a change did.
    pub enum Action ("action") {
        /// A store was filled for the first time.
        StoreSeed = "store.seed",
        /// A facility was added.
        FacilityCreate = "facility.create",
        /// A facility's fields were changed.
        FacilityUpdate = "facility.update",
        /// A live status (and a shelter's occupancy) was reported.
        FacilityStatus = "facility.status",
        /// A facility was deleted.
        FacilityDelete = "facility.delete",
        /// A planner uploaded a new hazard.
        HazardCreate = "hazard.create",
        /// A planner replaced a hazard.
        HazardUpdate = "hazard.update",
        /// Stock arrived.
        StockReceive = "stock.receive",
        /// Stock was given out.
        StockIssue = "stock.issue",
        /// Stock moved to another facility.
        StockTransfer = "stock.transfer",
        /// A stocktake.
        StockCount = "stock.count",
        /// A stock correction.
        StockAdjust = "stock.adjust",
        /// Any stock movement (the event; the audit log says which).
        StockMovement = "stock.movement",
        /// Goods sent on the road.
        StockDispatch = "stock.dispatch",
        /// A shipment arrived.
        StockArrive = "stock.arrive",
        /// A shipment called back.
        StockCancel = "stock.cancel",
        /// Stock set aside.
        StockReserve = "stock.reserve",
        /// A reservation given up.
        StockRelease = "stock.release",
        /// A plan was made and kept.
        PlanMake = "plan.make",
        /// A population layer replaced the one before.
        PopulationImport = "population.import",
        /// A stock list was booked.
        StockImport = "stock.import",
        /// A file was imported.
        Import = "import",
        /// A facility's quotas were replaced.
        QuotasSet = "quotas.set",
        /// An emergency activation started.
        ActivationStart = "activation.start",
        /// An activation ended.
        ActivationEnd = "activation.end",
        /// A token was made.
        TokenCreate = "token.create",
        /// A token was revoked.
        TokenRevoke = "token.revoke",
    }
}

impl Action {
    /// The audit action of a stock movement.
    pub fn of_movement(kind: &refuge_core::MovementKind) -> Self {
        use refuge_core::MovementKind;
        match kind {
            MovementKind::Receive { .. } => Action::StockReceive,
            MovementKind::Issue { .. } => Action::StockIssue,
            MovementKind::Transfer { .. } => Action::StockTransfer,
            MovementKind::Count { .. } => Action::StockCount,
            MovementKind::Adjust { .. } => Action::StockAdjust,
            MovementKind::Dispatch { .. } => Action::StockDispatch,
            MovementKind::Arrive { .. } => Action::StockArrive,
            MovementKind::Cancel { .. } => Action::StockCancel,
            MovementKind::Reserve { .. } => Action::StockReserve,
            MovementKind::Release { .. } => Action::StockRelease,
        }
    }
}
