//! Is a position in mainland China, where GCJ-02 applies? Answered with a real outline, not a
//! bounding box: a bounding box would wrongly shift Seoul, Hanoi, Taipei and Hong Kong.
//!
//! The outline is Natural Earth's 1:10m China polygon (public domain). Its coastline and borders are
//! generalised to about half a kilometre, so the file also carries precise outlines of Hong Kong,
//! Macao and Taiwan with their territorial waters (from OpenStreetMap, ODbL) as `exclude` rings.
//! A point is in mainland China when it is in no excluded area and lies inside the China outline
//! or within [`COASTAL_REACH_M`] of it. `data/china_mainland.txt` says how both were derived.

use std::sync::OnceLock;

use geo::{BoundingRect, Contains, Coord, LineString, Polygon, Rect};

use crate::LonLat;

/// How far beyond the generalised outline a point still counts as mainland China, metres.
pub const COASTAL_REACH_M: f64 = 2_000.0;

const OUTLINE: &str = include_str!("../../data/china_mainland.txt");

struct Outline {
    mainland: Vec<(Polygon, Rect)>,
    excluded: Vec<(Polygon, Rect)>,
    bounds: Rect,
}

/// Whether `p` is in mainland China (including Hainan and near-shore waters, excluding Hong Kong,
/// Macao and Taiwan).
///
/// ```
/// use refuge_core::{in_mainland_china, LonLat};
/// assert!(in_mainland_china(LonLat::new(114.0579, 22.5431)?));  // Shenzhen
/// assert!(!in_mainland_china(LonLat::new(114.17, 22.30)?));     // Hong Kong
/// assert!(!in_mainland_china(LonLat::new(126.98, 37.57)?));     // Seoul
/// # Ok::<(), refuge_core::Error>(())
/// ```
pub fn in_mainland_china(p: LonLat) -> bool {
    let outline = OUTLINE_PARSED.get_or_init(|| parse(OUTLINE));
    let point = Coord {
        x: p.lon(),
        y: p.lat(),
    };
    let reach_deg = COASTAL_REACH_M / 111_000.0 / p.lat().to_radians().cos().max(0.1);
    if !expanded(outline.bounds, reach_deg).contains(&point) {
        return false;
    }
    let inside = |rings: &[(Polygon, Rect)]| {
        rings
            .iter()
            .any(|(polygon, rect)| rect.contains(&point) && polygon.contains(&point))
    };
    if inside(&outline.excluded) {
        return false;
    }
    inside(&outline.mainland)
        || outline
            .mainland
            .iter()
            .filter(|(_, rect)| expanded(*rect, reach_deg).contains(&point))
            .any(|(polygon, _)| distance_to_ring_m(point, polygon.exterior()) <= COASTAL_REACH_M)
}

static OUTLINE_PARSED: OnceLock<Outline> = OnceLock::new();

fn expanded(rect: Rect, by: f64) -> Rect {
    Rect::new(
        Coord {
            x: rect.min().x - by,
            y: rect.min().y - by,
        },
        Coord {
            x: rect.max().x + by,
            y: rect.max().y + by,
        },
    )
}

/// Shortest distance from `p` to the ring's edges, metres, on a local equirectangular projection
/// (accurate to well under 1 % over the few kilometres this is asked about).
fn distance_to_ring_m(p: Coord, ring: &LineString) -> f64 {
    let metres_per_deg_lat = 111_195.0;
    let metres_per_deg_lon = metres_per_deg_lat * p.y.to_radians().cos();
    let local = |c: Coord| {
        (
            (c.x - p.x) * metres_per_deg_lon,
            (c.y - p.y) * metres_per_deg_lat,
        )
    };
    ring.lines()
        .map(|segment| {
            let (ax, ay) = local(segment.start);
            let (bx, by) = local(segment.end);
            let (dx, dy) = (bx - ax, by - ay);
            let length2 = dx * dx + dy * dy;
            let t = if length2 > 0.0 {
                (-(ax * dx + ay * dy) / length2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (ax + t * dx).hypot(ay + t * dy)
        })
        .fold(f64::INFINITY, f64::min)
}

/// Parses the committed outline. The file is part of the source tree and checked by tests, so a
/// malformed line is skipped rather than failing at run time.
fn parse(text: &str) -> Outline {
    let mut mainland: Vec<(Polygon, Rect)> = Vec::new();
    let mut excluded = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((tag, coords)) = line.split_once(' ') else {
            continue;
        };
        let ring: LineString = coords
            .split_whitespace()
            .filter_map(|pair| {
                let (lon, lat) = pair.split_once(',')?;
                Some(Coord {
                    x: lon.parse().ok()?,
                    y: lat.parse().ok()?,
                })
            })
            .collect();
        match tag {
            "outer" => {
                let polygon = Polygon::new(ring, vec![]);
                if let Some(rect) = polygon.bounding_rect() {
                    mainland.push((polygon, rect));
                }
            }
            "hole" => {
                if let Some((polygon, _)) = mainland.last_mut() {
                    polygon.interiors_push(ring);
                }
            }
            "exclude" => {
                let polygon = Polygon::new(ring, vec![]);
                if let Some(rect) = polygon.bounding_rect() {
                    excluded.push((polygon, rect));
                }
            }
            _ => {}
        }
    }
    let bounds = mainland
        .iter()
        .map(|(_, rect)| *rect)
        .reduce(|a, b| {
            Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        })
        .unwrap_or_else(|| Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }));
    Outline {
        mainland,
        excluded,
        bounds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lon: f64, lat: f64) -> bool {
        in_mainland_china(LonLat::new(lon, lat).unwrap())
    }

    #[test]
    fn outline_file_parses_completely() {
        let outline = parse(OUTLINE);
        assert!(outline.mainland.len() > 20, "mainland, Hainan and islands");
        assert!(outline.excluded.len() >= 3, "Hong Kong, Macao, Taiwan");
        let rings = OUTLINE
            .lines()
            .filter(|l| l.starts_with("outer ") || l.starts_with("exclude "))
            .count();
        assert_eq!(outline.mainland.len() + outline.excluded.len(), rings);
    }

    #[test]
    fn mainland_cities_are_inside() {
        for (name, lon, lat) in [
            ("Beijing", 116.3975, 39.9087),
            ("Shanghai", 121.4737, 31.2304),
            ("Shenzhen Futian", 114.05, 22.52),
            ("Shenzhen Luohu", 114.12, 22.55),
            ("Zhuhai Gongbei", 113.55, 22.22),
            ("Guangzhou", 113.2644, 23.1291),
            ("Chengdu", 104.0665, 30.5723),
            ("Urumqi", 87.6168, 43.8256),
            ("Lhasa", 91.1172, 29.6469),
            ("Harbin", 126.6424, 45.7567),
            ("Haikou", 110.3312, 20.0311),
            ("Xiamen centre, on the generalised coast", 118.0894, 24.4798),
            ("Sanya Bay", 109.50, 18.25),
            ("Shantou", 116.68, 23.35),
            (
                "Sha Tau Kok, Shenzhen side, 23 m from the border",
                114.226,
                22.546,
            ),
            ("Huanggang, Shenzhen", 114.0868, 22.5368),
            ("Hengqin", 113.53, 22.12),
        ] {
            assert!(at(lon, lat), "{name} should be in mainland China");
        }
    }

    #[test]
    fn neighbours_and_special_regions_are_outside() {
        for (name, lon, lat) in [
            ("Hong Kong", 114.17, 22.30),
            ("Lok Ma Chau, Hong Kong", 114.07, 22.51),
            ("Macao", 113.54, 22.19),
            ("Taipa, Macao", 113.56, 22.16),
            ("Taipei", 121.56, 25.04),
            ("Kinmen", 118.32, 24.44),
            ("Sha Tau Kok, Hong Kong side", 114.225, 22.540),
            ("Deep Bay, Hong Kong side", 113.96, 22.47),
            ("South of Hong Kong Island", 114.26, 22.20),
            ("South of Coloane, Macao", 113.59, 22.13),
            ("Matsu", 119.95, 26.16),
            ("Seoul", 126.98, 37.57),
            ("Pyongyang", 125.75, 39.02),
            ("Hanoi", 105.85, 21.03),
            ("Ulaanbaatar", 106.92, 47.92),
            ("Vladivostok", 131.89, 43.12),
            ("Kathmandu", 85.32, 27.72),
            ("Monaco", 7.42, 43.735),
        ] {
            assert!(!at(lon, lat), "{name} should not be in mainland China");
        }
    }
}
