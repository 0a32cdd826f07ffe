//! Joins the member ways of a multipolygon or boundary relation into closed rings.

use geo::{Contains, Coord, LineString, MultiPolygon, Polygon};

/// Joins `parts` (each a list of node ids) end to end into closed rings. `None` if some part
/// cannot be closed, as happens when an extract cut the relation's members off.
pub(super) fn close_rings(mut parts: Vec<Vec<i64>>) -> Option<Vec<Vec<i64>>> {
    let mut rings = Vec::new();
    while let Some(mut ring) = parts.pop() {
        while ring.first() != ring.last() || ring.len() < 4 {
            let end = *ring.last()?;
            let next = parts
                .iter()
                .position(|p| p.first() == Some(&end) || p.last() == Some(&end))?;
            let mut part = parts.swap_remove(next);
            if part.first() != Some(&end) {
                part.reverse();
            }
            ring.extend(part.into_iter().skip(1));
            if ring.len() > 1_000_000 {
                return None;
            }
        }
        rings.push(ring);
    }
    Some(rings)
}

/// Builds polygons from outer and inner rings: each inner ring goes to the outer ring that holds
/// its first point.
pub(super) fn assemble(outers: Vec<LineString>, inners: Vec<LineString>) -> MultiPolygon {
    let mut polygons: Vec<Polygon> = outers
        .into_iter()
        .map(|ring| Polygon::new(ring, vec![]))
        .collect();
    for inner in inners {
        let first: Option<Coord> = inner.0.first().copied();
        if let Some(owner) = first.and_then(|c| polygons.iter_mut().find(|p| p.contains(&c))) {
            owner.interiors_push(inner);
        }
    }
    MultiPolygon(polygons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_parts_in_any_direction() {
        let parts = vec![vec![1, 2, 3], vec![5, 4, 3], vec![5, 6, 1]];
        let rings = close_rings(parts).unwrap();
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].first(), rings[0].last());
        assert_eq!(rings[0].len(), 7);
    }

    #[test]
    fn an_open_ring_is_refused() {
        assert!(close_rings(vec![vec![1, 2, 3], vec![3, 4]]).is_none());
    }
}
