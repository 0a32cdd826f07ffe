//! A bulk-loaded R-tree of points in flat arrays: every layer of the index is built once and only
//! read, so its tree needs no room to grow.
//!
//! rstar's tree keeps each point in a node slot sized for a parent node (48 bytes for a 16-byte
//! point) and its parents in vectors of their own: about 60 bytes a facility. Here the points
//! lie in one array, ordered so that each run of [`NODE`] of them, and each run of [`NODE`] such
//! runs, lies close together, and each run has a box in a second array: about 18 bytes a
//! facility, 400 MB less at 10M. The geometry (boxes, distances, containment) is rstar's.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use rstar::{AABB, Envelope};

/// Children per node.
const NODE: usize = 16;

/// A point of a tree: its unit-sphere key and the facility's place in its layer, 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Entry {
    /// The unit vector of the facility's position, in f32.
    pub point: [f32; 3],
    /// Where the facility is in its layer's records.
    pub place: u32,
}

impl Entry {
    /// Its squared distance to `probe`, in the tree's units.
    pub fn distance_2(&self, probe: &[f32; 3]) -> f32 {
        squared_distance(&self.point, probe)
    }
}

/// A read-only R-tree of points.
#[derive(Debug, Default)]
pub(super) struct PackedTree {
    /// The points, in the order [`pack`] gives them.
    entries: Vec<Entry>,
    /// The box of every node, level by level from the lowest (node `i` holds the entries
    /// `i * NODE ..`) to the root (one box); node `i` of a higher level holds the nodes
    /// `i * NODE ..` of the level below.
    boxes: Vec<AABB<[f32; 3]>>,
    /// Where each level begins in `boxes`, and where the last ends.
    levels: Vec<usize>,
}

/// A node: its level (0 for the lowest) and its place in that level.
#[derive(Debug, Clone, Copy)]
struct Node {
    level: usize,
    index: usize,
}

impl PackedTree {
    /// The tree of `entries`.
    pub fn new(mut entries: Vec<Entry>) -> Self {
        let mut group = NODE;
        while group * NODE < entries.len() {
            group *= NODE;
        }
        pack(&mut entries, group);
        entries.shrink_to_fit();
        let mut boxes: Vec<AABB<[f32; 3]>> = entries
            .chunks(NODE)
            .map(|run| AABB::from_points(run.iter().map(|entry| &entry.point)))
            .collect();
        let mut levels = vec![0, boxes.len()];
        while levels[levels.len() - 1] - levels[levels.len() - 2] > 1 {
            let below = levels[levels.len() - 2]..levels[levels.len() - 1];
            let above: Vec<AABB<[f32; 3]>> = boxes[below]
                .chunks(NODE)
                .map(|run| run.iter().fold(run[0], |all, b| all.merged(b)))
                .collect();
            boxes.extend(above);
            levels.push(boxes.len());
        }
        boxes.shrink_to_fit();
        Self {
            entries,
            boxes,
            levels,
        }
    }

    /// How many points it holds.
    pub fn size(&self) -> usize {
        self.entries.len()
    }

    /// The box around every point; `None` when it holds none.
    pub fn envelope(&self) -> Option<AABB<[f32; 3]>> {
        self.boxes.last().copied()
    }

    /// The points inside `envelope` (edges included), in no order.
    pub fn in_envelope(&self, envelope: AABB<[f32; 3]>) -> impl Iterator<Item = &Entry> + '_ {
        self.search(
            move |b| b.intersects(&envelope),
            move |p| envelope.contains_point(p),
        )
    }

    /// The points whose squared distance to `probe` is at most `distance_2`, in no order.
    pub fn within_distance_2(
        &self,
        probe: [f32; 3],
        distance_2: f32,
    ) -> impl Iterator<Item = &Entry> + '_ {
        self.search(
            move |b| b.distance_2(&probe) <= distance_2,
            move |p| squared_distance(p, &probe) <= distance_2,
        )
    }

    /// Every point with its squared distance to `probe`, nearest first.
    pub fn nearest_with_distance_2(&self, probe: [f32; 3]) -> Nearest<'_> {
        let mut queue = BinaryHeap::new();
        if let Some(root) = self.root() {
            queue.push(Queued {
                distance_2: 0.0,
                item: Item::Node(root),
            });
        }
        Nearest {
            tree: self,
            probe,
            queue,
        }
    }

    fn root(&self) -> Option<Node> {
        (!self.boxes.is_empty()).then(|| Node {
            level: self.levels.len() - 2,
            index: 0,
        })
    }

    /// A node's box.
    fn box_of(&self, node: Node) -> &AABB<[f32; 3]> {
        &self.boxes[self.levels[node.level] + node.index]
    }

    /// The places of a node's children: entries for the lowest level, nodes of the level below
    /// otherwise.
    fn children(&self, node: Node) -> Range<usize> {
        let count = if node.level == 0 {
            self.entries.len()
        } else {
            self.levels[node.level] - self.levels[node.level - 1]
        };
        node.index * NODE..((node.index + 1) * NODE).min(count)
    }

    /// The points that `keep_point` keeps, under the nodes whose boxes `keep_box` keeps.
    fn search<'a>(
        &'a self,
        keep_box: impl Fn(&AABB<[f32; 3]>) -> bool + 'a,
        keep_point: impl Fn(&[f32; 3]) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Entry> + 'a {
        let mut open: Vec<Node> = self
            .root()
            .filter(|root| keep_box(self.box_of(*root)))
            .into_iter()
            .collect();
        let mut leaf: &'a [Entry] = &[];
        std::iter::from_fn(move || {
            loop {
                if let Some((entry, rest)) = leaf.split_first() {
                    leaf = rest;
                    if keep_point(&entry.point) {
                        return Some(entry);
                    }
                    continue;
                }
                let node = open.pop()?;
                let children = self.children(node);
                if node.level == 0 {
                    leaf = &self.entries[children];
                } else {
                    let level = node.level - 1;
                    open.extend(
                        children
                            .map(|index| Node { level, index })
                            .filter(|child| keep_box(self.box_of(*child))),
                    );
                }
            }
        })
    }
}

/// The points of a tree nearest first, with their squared distances.
pub(super) struct Nearest<'a> {
    tree: &'a PackedTree,
    probe: [f32; 3],
    queue: BinaryHeap<Queued>,
}

impl<'a> Iterator for Nearest<'a> {
    type Item = (&'a Entry, f32);

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(Queued { distance_2, item }) = self.queue.pop() {
            let node = match item {
                Item::Entry(at) => return Some((&self.tree.entries[at], distance_2)),
                Item::Node(node) => node,
            };
            let children = self.tree.children(node);
            if node.level == 0 {
                for at in children {
                    let distance_2 = self.tree.entries[at].distance_2(&self.probe);
                    self.queue.push(Queued {
                        distance_2,
                        item: Item::Entry(at),
                    });
                }
            } else {
                let level = node.level - 1;
                for index in children {
                    let child = Node { level, index };
                    self.queue.push(Queued {
                        distance_2: self.tree.box_of(child).distance_2(&self.probe),
                        item: Item::Node(child),
                    });
                }
            }
        }
        None
    }
}

/// A node or a point waiting in a nearest-first walk.
#[derive(Debug, Clone, Copy)]
struct Queued {
    distance_2: f32,
    item: Item,
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Node(Node),
    Entry(usize),
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    /// Reversed, so that the max-heap gives the nearest first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.distance_2.total_cmp(&self.distance_2)
    }
}

fn squared_distance(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    (0..3).map(|i| (a[i] - b[i]) * (a[i] - b[i])).sum()
}

/// Orders `entries` so that every run of `group` of them (and of `group / NODE`, down to
/// [`NODE`]) lies close together: the slice, which holds at most [`NODE`] groups, is halved
/// along its widest axis at a multiple of `group` until each part is one group, and each group
/// is ordered the same way one level down. Only the last run of a level may be short, so the
/// runs are exactly the nodes the tree's flat levels make.
fn pack(entries: &mut [Entry], group: usize) {
    if entries.len() <= NODE {
        return;
    }
    halve(entries, group);
    for run in entries.chunks_mut(group) {
        pack(run, group / NODE);
    }
}

fn halve(entries: &mut [Entry], group: usize) {
    if entries.len() <= group {
        return;
    }
    let left = entries.len().div_ceil(group) / 2 * group;
    let bounds = AABB::from_points(entries.iter().map(|entry| &entry.point));
    let (low, high) = (bounds.lower(), bounds.upper());
    let axis = (0..3)
        .max_by(|&a, &b| (high[a] - low[a]).total_cmp(&(high[b] - low[b])))
        .unwrap_or(0);
    entries.select_nth_unstable_by(left, |a, b| a.point[axis].total_cmp(&b.point[axis]));
    let (low, high) = entries.split_at_mut(left);
    halve(low, group);
    halve(high, group);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points on a lattice over the sphere; every eleventh repeats the one before it.
    fn points(n: u32) -> Vec<Entry> {
        (0..n)
            .map(|place| {
                let at = place - u32::from(place % 11 == 10);
                let lon = f64::from(at % 97) / 97.0 * std::f64::consts::TAU - 3.0;
                let lat = f64::from(at % 89) / 89.0 * 3.0 - 1.5;
                let point =
                    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()].map(|c| c as f32);
                Entry { point, place }
            })
            .collect()
    }

    #[test]
    fn searches_find_what_a_scan_finds() {
        for n in [0, 1, 15, 16, 17, 256, 257, 5_000] {
            let entries = points(n);
            let tree = PackedTree::new(entries.clone());
            assert_eq!(tree.size(), entries.len());
            let probe = [0.3f32, -0.5, 0.8];
            let envelope = AABB::from_corners([-0.2f32, -0.9, 0.1], [0.6, 0.0, 1.0]);
            let sorted = |mut places: Vec<u32>| {
                places.sort_unstable();
                places
            };
            let inside = sorted(tree.in_envelope(envelope).map(|e| e.place).collect());
            let scanned = entries.iter().filter(|e| envelope.contains_point(&e.point));
            assert_eq!(
                inside,
                sorted(scanned.map(|e| e.place).collect()),
                "{n} points"
            );
            let near = sorted(
                tree.within_distance_2(probe, 0.3)
                    .map(|e| e.place)
                    .collect(),
            );
            let scanned = entries.iter().filter(|e| e.distance_2(&probe) <= 0.3);
            assert_eq!(
                near,
                sorted(scanned.map(|e| e.place).collect()),
                "{n} points"
            );

            let walked: Vec<(f32, u32)> = tree
                .nearest_with_distance_2(probe)
                .map(|(e, d)| (d, e.place))
                .collect();
            assert!(
                walked.is_sorted_by(|a, b| a.0 <= b.0),
                "{n} points, nearest first"
            );
            let by_distance = |mut found: Vec<(f32, u32)>| {
                found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                found
            };
            let all = entries
                .iter()
                .map(|e| (e.distance_2(&probe), e.place))
                .collect();
            assert_eq!(
                by_distance(walked),
                by_distance(all),
                "{n} points, each once"
            );
        }
    }

    #[test]
    fn a_tree_costs_little_more_than_its_points() {
        let entries = points(100_000);
        let tree = PackedTree::new(entries.clone());
        let bytes = size_of_val(tree.entries.as_slice()) + size_of_val(tree.boxes.as_slice());
        assert_eq!(size_of::<Entry>(), 16);
        assert!(bytes < 100_000 * 18, "{bytes} bytes");
        let envelope = tree.envelope().unwrap();
        assert!(entries.iter().all(|e| envelope.contains_point(&e.point)));
        assert_eq!(PackedTree::new(Vec::new()).envelope(), None);
    }
}
