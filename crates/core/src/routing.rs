//! Walking routes over the base map's ways: footways, paths, steps, pedestrian streets,
//! crossings, and the streets people walk along (residential, service, living streets, and the
//! larger streets with their pavements); motorways and trunk roads are left out.
//!
//! The graph's nodes are the ways' vertices, joined where ways share one (OpenStreetMap ways
//! meet at shared nodes, which keep exactly the same position); its edges are the segments
//! between them, weighted by their great-circle length. A route runs from the node nearest the
//! start to the node nearest the end by A* (`petgraph`), with the straight line to the end as the
//! estimate, which never overestimates, so the route is the shortest. Segments that cross a zone
//! to avoid (an active flood zone in a flood, say) are left out of the search.

use std::collections::HashMap;

use geo::{Intersects, Line};
use petgraph::graph::{NodeIndex, UnGraph};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::{BaseFeature, BaseLayer, GreatCircle, LonLat};

/// Walking speed for the minutes a route takes: 1.2 m/s, a usual pedestrian design speed.
pub const WALKING_M_PER_MIN: f64 = 72.0;

/// How far from the graph a start or an end may lie: a resident is rarely more than this from a
/// mapped way, and further off the route would be a guess.
pub const MAX_SNAP_M: f64 = 500.0;

/// Whether people walk along a way of this OpenStreetMap `highway` class.
pub fn walkable(class: &str) -> bool {
    !matches!(
        class,
        "motorway"
            | "motorway_link"
            | "trunk"
            | "trunk_link"
            | "construction"
            | "proposed"
            | "raceway"
            | "bus_guideway"
            | "busway"
    )
}

/// The walking graph.
#[derive(Debug, Default)]
pub struct WalkGraph {
    graph: UnGraph<LonLat, f64>,
    nodes: RTree<GeomWithData<[f64; 2], NodeIndex>>,
}

/// A walking route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The way walked, from the start to the end.
    pub line: Vec<LonLat>,
    /// Its length in metres, the walk to and from the graph included.
    pub metres: f64,
    /// Minutes at [`WALKING_M_PER_MIN`].
    pub minutes: f64,
}

/// Why there is no route.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouteError {
    /// The start or the end is far from every walkable way.
    #[error("the {which} is {metres:.0} m from the nearest walkable way, more than {MAX_SNAP_M} m")]
    OffTheGraph {
        /// `start` or `end`.
        which: &'static str,
        /// How far.
        metres: f64,
    },
    /// The base map holds no walkable way at all.
    #[error(
        "no walkable ways are known here: import the base map from an OpenStreetMap extract \
         (refuge import city.osm.pbf)"
    )]
    NoWays,
    /// No walkable way leads from the start to the end (around the zones avoided).
    #[error("no walkable way leads from the start to the end{avoiding}")]
    NotConnected {
        /// Words about the zones avoided, if any.
        avoiding: &'static str,
    },
}

impl WalkGraph {
    /// The graph of the walkable roads among `features`.
    pub fn from_base(features: &[BaseFeature]) -> Self {
        let mut graph = UnGraph::<LonLat, f64>::new_undirected();
        let mut by_position: HashMap<(u64, u64), NodeIndex> = HashMap::new();
        let mut node = |graph: &mut UnGraph<LonLat, f64>, at: LonLat| {
            *by_position
                .entry((at.lon().to_bits(), at.lat().to_bits()))
                .or_insert_with(|| graph.add_node(at))
        };
        for feature in features
            .iter()
            .filter(|f| f.layer == BaseLayer::Roads && walkable(&f.class))
        {
            let lines: Vec<&geo::LineString> = match &feature.geometry {
                geo::Geometry::LineString(line) => vec![line],
                geo::Geometry::MultiLineString(lines) => lines.0.iter().collect(),
                _ => continue,
            };
            for line in lines {
                let mut previous: Option<(NodeIndex, LonLat)> = None;
                for coordinate in line.coords() {
                    let Ok(at) = LonLat::new(coordinate.x, coordinate.y) else {
                        previous = None;
                        continue;
                    };
                    let here = node(&mut graph, at);
                    if let Some((before, from)) = previous {
                        if before != here {
                            graph.add_edge(before, here, GreatCircle.distance_m(from, at));
                        }
                    }
                    previous = Some((here, at));
                }
            }
        }
        let nodes = RTree::bulk_load(
            graph
                .node_indices()
                .map(|n| GeomWithData::new([graph[n].lon(), graph[n].lat()], n))
                .collect(),
        );
        Self { graph, nodes }
    }

    /// Nodes and edges.
    pub fn size(&self) -> (usize, usize) {
        (self.graph.node_count(), self.graph.edge_count())
    }

    /// The node nearest `at`, and metres to it. (Nearest in degrees: at a few hundred metres the
    /// difference from the great-circle nearest is a few metres at most.)
    fn snap(&self, at: LonLat, which: &'static str) -> Result<(NodeIndex, f64), RouteError> {
        let nearest = self
            .nodes
            .nearest_neighbor_iter(&[at.lon(), at.lat()])
            .take(8)
            .map(|n| (n.data, GreatCircle.distance_m(at, self.graph[n.data])))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match nearest {
            Some((node, metres)) if metres <= MAX_SNAP_M => Ok((node, metres)),
            Some((_, metres)) => Err(RouteError::OffTheGraph { which, metres }),
            None => Err(RouteError::NoWays),
        }
    }

    /// The shortest walk from `start` to `end` that crosses none of `avoid`.
    pub fn route(
        &self,
        start: LonLat,
        end: LonLat,
        avoid: &[geo::Geometry],
    ) -> Result<Route, RouteError> {
        let (from, to_start) = self.snap(start, "start")?;
        let (goal, to_end) = self.snap(end, "end")?;
        let goal_at = self.graph[goal];
        let blocked = |edge: petgraph::graph::EdgeReference<'_, f64>| {
            use petgraph::visit::EdgeRef;
            let line = Line::new(
                self.graph[edge.source()].point().0,
                self.graph[edge.target()].point().0,
            );
            avoid.iter().any(|zone| zone.intersects(&line))
        };
        let found = petgraph::algo::astar(
            &self.graph,
            from,
            |n| n == goal,
            |edge| {
                if !avoid.is_empty() && blocked(edge) {
                    f64::INFINITY
                } else {
                    *edge.weight()
                }
            },
            |n| GreatCircle.distance_m(self.graph[n], goal_at),
        );
        let not_connected = RouteError::NotConnected {
            avoiding: if avoid.is_empty() {
                ""
            } else {
                " around the zones avoided"
            },
        };
        let Some((metres, path)) = found.filter(|(cost, _)| cost.is_finite()) else {
            return Err(not_connected);
        };
        let mut line = Vec::with_capacity(path.len() + 2);
        line.push(start);
        line.extend(path.iter().map(|n| self.graph[*n]));
        line.push(end);
        let metres = metres + to_start + to_end;
        Ok(Route {
            line,
            metres,
            minutes: metres / WALKING_M_PER_MIN,
        })
    }
}
