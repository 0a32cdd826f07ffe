//! Clipping to the buffered tile square, the way tile encoders do it: Sutherland–Hodgman for
//! polygon rings, Liang–Barsky for line segments. Both are linear in the number of points, where
//! a general polygon intersection (`geo::BooleanOps`) is far slower and not needed against a
//! square.

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};

/// An axis-aligned square `low..=high` on both axes.
#[derive(Debug, Clone, Copy)]
pub struct Square {
    low: f64,
    high: f64,
}

impl Square {
    /// The square from `low` to `high` on both axes.
    pub fn new(low: f64, high: f64) -> Self {
        Self { low, high }
    }

    /// Whether `c` lies in the square.
    pub fn contains(self, c: Coord) -> bool {
        (self.low..=self.high).contains(&c.x) && (self.low..=self.high).contains(&c.y)
    }

    /// The polygons cut to the square; rings left with no area are dropped.
    pub fn polygons(self, polygons: &MultiPolygon) -> MultiPolygon {
        let kept = polygons.0.iter().filter_map(|polygon| {
            let exterior = self.ring(polygon.exterior())?;
            let interiors = polygon
                .interiors()
                .iter()
                .filter_map(|ring| self.ring(ring))
                .collect();
            Some(Polygon::new(exterior, interiors))
        });
        MultiPolygon(kept.collect())
    }

    /// One closed ring cut to the square (Sutherland–Hodgman), or `None` if nothing is left.
    fn ring(self, ring: &LineString) -> Option<LineString> {
        let mut points: Vec<Coord> = ring.0.clone();
        if points.first() == points.last() {
            points.pop();
        }
        type Inside = fn(Coord, f64) -> bool;
        type Cross = fn(Coord, Coord, f64) -> Coord;
        let edges: [(Inside, Cross, f64); 4] = [
            (|c, v| c.x >= v, |a, b, v| at_x(a, b, v), self.low),
            (|c, v| c.x <= v, |a, b, v| at_x(a, b, v), self.high),
            (|c, v| c.y >= v, |a, b, v| at_y(a, b, v), self.low),
            (|c, v| c.y <= v, |a, b, v| at_y(a, b, v), self.high),
        ];
        for (inside, cross, value) in edges {
            let &last = points.last()?;
            let mut previous = last;
            let mut output = Vec::with_capacity(points.len() + 4);
            for &current in &points {
                match (inside(previous, value), inside(current, value)) {
                    (true, true) => output.push(current),
                    (true, false) => output.push(cross(previous, current, value)),
                    (false, true) => {
                        output.push(cross(previous, current, value));
                        output.push(current);
                    }
                    (false, false) => {}
                }
                previous = current;
            }
            points = output;
        }
        if points.len() < 3 {
            return None;
        }
        let first = points[0];
        points.push(first);
        Some(LineString(points))
    }

    /// The lines cut to the square (Liang–Barsky on each segment); a line leaving and re-entering
    /// becomes several parts.
    pub fn lines(self, lines: &MultiLineString) -> MultiLineString {
        let mut parts: Vec<LineString> = Vec::new();
        for line in lines {
            let mut current: Vec<Coord> = Vec::new();
            for segment in line.lines() {
                match self.segment(segment.start, segment.end) {
                    Some((a, b)) => {
                        if current.last() != Some(&a) {
                            if current.len() >= 2 {
                                parts.push(LineString(std::mem::take(&mut current)));
                            }
                            current.clear();
                            current.push(a);
                        }
                        current.push(b);
                    }
                    None => {
                        if current.len() >= 2 {
                            parts.push(LineString(std::mem::take(&mut current)));
                        }
                        current.clear();
                    }
                }
            }
            if current.len() >= 2 {
                parts.push(LineString(current));
            }
        }
        MultiLineString(parts)
    }

    fn segment(self, a: Coord, b: Coord) -> Option<(Coord, Coord)> {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, a.x - self.low),
            (dx, self.high - a.x),
            (-dy, a.y - self.low),
            (dy, self.high - a.y),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if t0 > t1 {
            return None;
        }
        let point = |t: f64| {
            if t == 0.0 {
                a
            } else if t == 1.0 {
                b
            } else {
                Coord {
                    x: a.x + t * dx,
                    y: a.y + t * dy,
                }
            }
        };
        Some((point(t0), point(t1)))
    }
}

fn at_x(a: Coord, b: Coord, x: f64) -> Coord {
    let t = (x - a.x) / (b.x - a.x);
    Coord {
        x,
        y: a.y + t * (b.y - a.y),
    }
}

fn at_y(a: Coord, b: Coord, y: f64) -> Coord {
    let t = (y - a.y) / (b.y - a.y);
    Coord {
        x: a.x + t * (b.x - a.x),
        y,
    }
}

#[cfg(test)]
mod tests {
    use geo::{Area, BooleanOps, line_string, polygon};

    use super::*;

    #[test]
    fn polygons_clip_like_a_general_intersection() {
        let square = Square::new(0.0, 10.0);
        let shape = polygon![
            exterior: [(x: -5.0, y: -5.0), (x: 15.0, y: -2.0), (x: 12.0, y: 14.0), (x: -3.0, y: 9.0)],
            interiors: [[(x: 2.0, y: 2.0), (x: 4.0, y: 2.0), (x: 4.0, y: 4.0), (x: 2.0, y: 4.0)]],
        ];
        let ours = square.polygons(&MultiPolygon(vec![shape.clone()]));
        let reference = MultiPolygon(vec![shape]).intersection(&MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)
        ]]));
        assert!(
            (ours.unsigned_area() - reference.unsigned_area()).abs() < 1e-9,
            "{ours:?}"
        );
        assert_eq!(ours.0[0].interiors().len(), 1, "the hole inside stays");
        let outside = polygon![(x: 20.0, y: 20.0), (x: 30.0, y: 20.0), (x: 30.0, y: 30.0)];
        assert!(square.polygons(&MultiPolygon(vec![outside])).0.is_empty());
    }

    #[test]
    fn lines_are_cut_into_the_parts_inside() {
        let square = Square::new(0.0, 10.0);
        let line = line_string![(x: -5.0, y: 5.0), (x: 5.0, y: 5.0), (x: 5.0, y: 15.0), (x: 8.0, y: 15.0), (x: 8.0, y: 5.0)];
        let parts = square.lines(&MultiLineString(vec![line]));
        assert_eq!(parts.0.len(), 2, "{parts:?}");
        assert_eq!(
            parts.0[0].0,
            vec![
                Coord { x: 0.0, y: 5.0 },
                Coord { x: 5.0, y: 5.0 },
                Coord { x: 5.0, y: 10.0 }
            ]
        );
        assert_eq!(
            parts.0[1].0,
            vec![Coord { x: 8.0, y: 10.0 }, Coord { x: 8.0, y: 5.0 }]
        );
    }
}
