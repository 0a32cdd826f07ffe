//! Facilities as the API shows them: GeoJSON features, positions in the asked CRS, private
//! contact details left out (anonymous readers; roles arrive with the write API).

use refuge_core::{Catalog, Crs, Facility, FacilityDetails, SpatialIndex};
use serde_json::{Value, json};

/// A feature with the fields a list or a map marker needs.
pub fn summary(facility: &Facility, crs: Crs) -> Value {
    let [x, y] = crs.from_wgs84(facility.location);
    let mut properties = json!({
        "id": facility.id.get(),
        "kind": facility.kind(),
        "name": facility.name,
        "status": facility.status.status,
        "designation": facility.designation,
    });
    let extra = match &facility.details {
        FacilityDetails::Shelter(s) => json!({
            "shelter_type": s.shelter_type,
            "capacity": s.capacity(),
            "occupancy": s.occupancy,
            "available": s.available(),
            "room": s.room(),
            "suitable_for": s.suitable_for,
            "suitability_unknown": s.suitable_for.is_empty(),
        }),
        FacilityDetails::Reserve(d) => json!({ "tier": d.tier }),
        FacilityDetails::Hazard(h) => json!({
            "hazard_kind": h.hazard_kind,
            "risk": h.risk,
            "influence_radius_m": h.influence_radius_m,
        }),
        FacilityDetails::Poi(p) => json!({ "poi_kind": p.poi_kind }),
        FacilityDetails::MicroStorage(_) => json!({}),
    };
    merge(&mut properties, extra);
    json!({
        "type": "Feature",
        "id": facility.id.get(),
        "geometry": { "type": "Point", "coordinates": [x, y] },
        "properties": properties,
    })
}

/// A feature with every field, computed capacity, and the stock it holds; contact details and
/// keyholders only when `private` (the caller holds a token).
pub fn detail(
    facility: &Facility,
    index: &SpatialIndex,
    catalog: &Catalog,
    crs: Crs,
    private: bool,
) -> Value {
    let mut feature = summary(facility, crs);
    let mut all = serde_json::to_value(facility).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut all {
        map.remove("location");
        if !private {
            map.remove("contact");
            map.remove("keyholder");
        }
        if crs != Crs::Wgs84 {
            map.remove("footprint");
            map.remove("zone");
        }
    }
    merge(&mut feature["properties"], all);
    // The detail carries the whole status report: status and when; by whom (a staff member's
    // name) only to staff.
    let mut report = facility.status.clone();
    if !private {
        report.reported_by = None;
    }
    feature["properties"]["status"] = serde_json::to_value(&report).unwrap_or(Value::Null);
    let stock: Vec<Value> = index
        .stock_at(facility.id)
        .map(|(item, quantity)| {
            let entry = catalog.get(item).ok();
            json!({
                "item": item,
                "name_zh": entry.and_then(|i| i.name.zh.clone()),
                "name_en": entry.and_then(|i| i.name.en.clone()),
                "unit": entry.map(|i| i.unit),
                "category": entry.map(|i| i.category),
                "quantity": quantity,
            })
        })
        .collect();
    if !stock.is_empty() {
        feature["properties"]["stock"] = Value::Array(stock);
    }
    feature
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        for (key, value) in from {
            into.entry(key).or_insert(value);
        }
    }
}

/// A FeatureCollection.
pub fn collection(features: Vec<Value>, crs: Crs) -> Value {
    json!({
        "type": "FeatureCollection",
        "crs": crs,
        "features": features,
    })
}
