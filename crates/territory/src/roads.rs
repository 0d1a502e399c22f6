//! A car road graph built from an OpenStreetMap extract, for real travel times.
//!
//! The estimate from straight-line distance is good enough to rank communes, but where the
//! road network bends (valleys, rivers with few bridges, the sea), only the roads tell the
//! truth. This module reads a `.osm.pbf` with `osmpbf` in two passes (ways, then only the
//! nodes they use), keeps the ways a car may use, turns highway classes into speeds (capped by
//! `maxspeed` when tagged, as routers usually do), honours one-ways (explicit, `-1`, implied on
//! motorways and roundabouts), and stores a compact adjacency array both ways. Points are
//! snapped to the nearest node of the largest strongly connected component (so a commune is
//! never snapped to an isolated car park), with an R*-tree. Shortest paths are plain Dijkstra:
//! one-to-many from an origin, or multi-source on the reversed graph (from every place at
//! once, which gives each node its nearest place in one search).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use maillage_model::Position;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

use crate::coverage::unit_vector;

/// Why a road graph could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RoadError {
    #[error("fichier OSM introuvable ou illisible : {path} ({message})")]
    Io { path: String, message: String },
    #[error("{path} n'est pas un extrait OpenStreetMap .osm.pbf lisible : {message}")]
    NotPbf { path: String, message: String },
    #[error("{0} est vide")]
    Empty(String),
    #[error("{0} ne contient aucune route praticable en voiture")]
    NoRoads(String),
}

/// Car speeds per OSM `highway` class, km/h. A class absent from the table is not used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeedProfile {
    pub speeds: Vec<(String, f64)>,
    /// Cap each class speed by the way's `maxspeed` when it is tagged.
    pub use_maxspeed: bool,
}

impl Default for SpeedProfile {
    /// Mean speeds for France (not the limits): what a car averages on each class with
    /// junctions, bends and villages.
    fn default() -> Self {
        Self::from_pairs(&[
            ("motorway", 110.0),
            ("trunk", 90.0),
            ("primary", 70.0),
            ("secondary", 60.0),
            ("tertiary", 50.0),
            ("unclassified", 40.0),
            ("residential", 30.0),
            ("living_street", 10.0),
            ("service", 20.0),
        ])
    }
}

impl SpeedProfile {
    fn from_pairs(pairs: &[(&str, f64)]) -> Self {
        SpeedProfile {
            speeds: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            use_maxspeed: true,
        }
    }

    /// The speeds of routino's `motorcar` profile (`/usr/share/routino/profiles.xml`), so
    /// that travel times can be compared with routino's on the same assumptions.
    pub fn routino_motorcar() -> Self {
        Self::from_pairs(&[
            ("motorway", 112.0),
            ("trunk", 96.0),
            ("primary", 96.0),
            ("secondary", 88.0),
            ("tertiary", 80.0),
            ("unclassified", 64.0),
            ("residential", 48.0),
            ("living_street", 48.0),
            ("service", 32.0),
        ])
    }

    /// Speed of a highway class; `_link` ways take their road's speed; `road`/`minor` count
    /// as unclassified.
    pub fn speed(&self, highway: &str) -> Option<f64> {
        let class = highway.strip_suffix("_link").unwrap_or(highway);
        let class = match class {
            "road" | "minor" => "unclassified",
            c => c,
        };
        self.speeds
            .iter()
            .find(|(k, _)| k == class)
            .map(|(_, v)| *v)
            .filter(|v| *v > 0.0)
    }
}

/// Parses an OSM `maxspeed` value to km/h (`50`, `30 mph`, `FR:urban`…).
pub fn parse_maxspeed(v: &str) -> Option<f64> {
    let v = v.trim();
    match v {
        "FR:urban" | "FR:zone30" => return Some(if v == "FR:urban" { 50.0 } else { 30.0 }),
        "FR:rural" => return Some(80.0),
        "FR:motorway" => return Some(130.0),
        "walk" => return Some(6.0),
        _ => {}
    }
    let (num, mph) = match v.strip_suffix("mph") {
        Some(n) => (n.trim(), true),
        None => (v.strip_suffix("km/h").unwrap_or(v).trim(), false),
    };
    let n: f64 = num.parse().ok()?;
    (n > 0.0).then_some(if mph { n * 1.609_344 } else { n })
}

/// Measured facts about a graph, for the benchmark.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GraphStats {
    pub ways: usize,
    pub nodes: usize,
    pub edges: usize,
    /// Nodes of the largest strongly connected component (the snapping targets).
    pub snappable_nodes: usize,
    /// Bytes held by the graph's arrays and index.
    pub bytes: usize,
}

/// The car graph. See the module documentation.
pub struct RoadGraph {
    positions: Vec<Position>,
    first_out: Vec<u32>,
    head: Vec<u32>,
    secs: Vec<f32>,
    rev_first_out: Vec<u32>,
    rev_head: Vec<u32>,
    rev_secs: Vec<f32>,
    tree: RTree<GeomWithData<[f64; 3], u32>>,
    pub stats: GraphStats,
}

/// For each node, the best (seconds, source label) of a multi-source search.
pub struct NodeLabels {
    best: Vec<f64>,
    label: Vec<u32>,
}

impl NodeLabels {
    pub fn get(&self, node: u32) -> Option<(f64, u32)> {
        let i = node as usize;
        (self.best.get(i)?.is_finite()).then(|| (self.best[i], self.label[i]))
    }
}

struct RawWay {
    refs: Vec<i64>,
    speed: f64,
    /// 1 forward only, -1 backward only, 0 both ways.
    oneway: i8,
}

fn car_way(tags: &[(&str, &str)], profile: &SpeedProfile) -> Option<(f64, i8)> {
    let get = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let highway = get("highway")?;
    let mut speed = profile.speed(highway)?;
    let denied = |v: Option<&str>| {
        matches!(
            v,
            Some("no" | "private" | "agricultural" | "forestry" | "delivery")
        )
    };
    let allowed =
        |v: Option<&str>| matches!(v, Some("yes" | "designated" | "permissive" | "destination"));
    let car_tag = get("motorcar").or(get("motor_vehicle")).or(get("vehicle"));
    if denied(car_tag) || (denied(get("access")) && !allowed(car_tag)) {
        return None;
    }
    if matches!(get("area"), Some("yes")) {
        return None;
    }
    if profile.use_maxspeed {
        if let Some(m) = get("maxspeed").and_then(parse_maxspeed) {
            speed = speed.min(m);
        }
    }
    let class = highway.strip_suffix("_link").unwrap_or(highway);
    let implied = class == "motorway" || matches!(get("junction"), Some("roundabout" | "circular"));
    let oneway = match get("oneway") {
        Some("yes" | "true" | "1") => 1,
        Some("-1" | "reverse") => -1,
        Some("no" | "false" | "0") => 0,
        _ if implied => 1,
        _ => 0,
    };
    Some((speed, oneway))
}

fn pbf_error(path: &Path, e: osmpbf::Error) -> RoadError {
    let message = e.to_string();
    if let osmpbf::ErrorKind::Io(io) = e.kind() {
        if io.kind() == std::io::ErrorKind::NotFound
            || io.kind() == std::io::ErrorKind::PermissionDenied
        {
            return RoadError::Io {
                path: path.display().to_string(),
                message,
            };
        }
    }
    RoadError::NotPbf {
        path: path.display().to_string(),
        message,
    }
}

impl RoadGraph {
    /// Builds the graph from a `.osm.pbf` file.
    pub fn from_pbf(path: &Path, profile: &SpeedProfile) -> Result<RoadGraph, RoadError> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| RoadError::Io {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        if meta.len() == 0 {
            return Err(RoadError::Empty(shown));
        }
        // Pass 1: the ways a car may use.
        let mut ways: Vec<RawWay> = Vec::new();
        let mut elements = 0usize;
        osmpbf::ElementReader::from_path(path)
            .map_err(|e| pbf_error(path, e))?
            .for_each(|el| {
                elements += 1;
                if let osmpbf::Element::Way(w) = el {
                    let tags: Vec<(&str, &str)> = w.tags().collect();
                    if let Some((speed, oneway)) = car_way(&tags, profile) {
                        let refs: Vec<i64> = w.refs().collect();
                        if refs.len() >= 2 {
                            ways.push(RawWay {
                                refs,
                                speed,
                                oneway,
                            });
                        }
                    }
                }
            })
            .map_err(|e| pbf_error(path, e))?;
        if elements == 0 {
            return Err(RoadError::Empty(shown));
        }
        if ways.is_empty() {
            return Err(RoadError::NoRoads(shown));
        }
        // Pass 2: positions of the nodes those ways use.
        let mut node_index: HashMap<i64, u32> = HashMap::new();
        for w in &ways {
            for r in &w.refs {
                let n = node_index.len() as u32;
                node_index.entry(*r).or_insert(n);
            }
        }
        let mut positions = vec![Position::new(f64::NAN, f64::NAN); node_index.len()];
        osmpbf::ElementReader::from_path(path)
            .map_err(|e| pbf_error(path, e))?
            .for_each(|el| {
                let (id, lat, lon) = match el {
                    osmpbf::Element::DenseNode(n) => (n.id(), n.lat(), n.lon()),
                    osmpbf::Element::Node(n) => (n.id(), n.lat(), n.lon()),
                    _ => return,
                };
                if let Some(&i) = node_index.get(&id) {
                    positions[i as usize] = Position::new(lat, lon);
                }
            })
            .map_err(|e| pbf_error(path, e))?;
        // Edges (from, to, seconds); a way's node missing from the extract cuts the way there.
        let mut edges: Vec<(u32, u32, f32)> = Vec::new();
        for w in &ways {
            for pair in w.refs.windows(2) {
                let (a, b) = (node_index[&pair[0]], node_index[&pair[1]]);
                let (pa, pb) = (positions[a as usize], positions[b as usize]);
                if a == b || pa.lat.is_nan() || pb.lat.is_nan() {
                    continue;
                }
                let secs = (pa.distance_km(pb) / w.speed * 3600.0) as f32;
                if w.oneway >= 0 {
                    edges.push((a, b, secs));
                }
                if w.oneway <= 0 {
                    edges.push((b, a, secs));
                }
            }
        }
        if edges.is_empty() {
            return Err(RoadError::NoRoads(shown));
        }
        let n = positions.len();
        let (first_out, head, secs) = csr(n, edges.iter().map(|&(a, b, s)| (a, b, s)));
        let (rev_first_out, rev_head, rev_secs) = csr(n, edges.iter().map(|&(a, b, s)| (b, a, s)));
        let mut g = RoadGraph {
            positions,
            first_out,
            head,
            secs,
            rev_first_out,
            rev_head,
            rev_secs,
            tree: RTree::new(),
            stats: GraphStats::default(),
        };
        let component = g.largest_scc();
        let items: Vec<_> = component
            .iter()
            .map(|&i| GeomWithData::new(unit_vector(g.positions[i as usize]), i))
            .collect();
        g.tree = RTree::bulk_load(items);
        g.stats = GraphStats {
            ways: ways.len(),
            nodes: n,
            edges: g.head.len(),
            snappable_nodes: component.len(),
            bytes: 0,
        };
        g.stats.bytes = g.memory_bytes();
        Ok(g)
    }

    /// Bytes held by the arrays and the spatial index (an estimate of the R*-tree's nodes).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.positions.capacity() * size_of::<Position>()
            + (self.first_out.capacity() + self.rev_first_out.capacity()) * 4
            + (self.head.capacity() + self.rev_head.capacity()) * 4
            + (self.secs.capacity() + self.rev_secs.capacity()) * 4
            + self.tree.size() * (size_of::<GeomWithData<[f64; 3], u32>>() + 16)
    }

    pub fn node_count(&self) -> usize {
        self.positions.len()
    }

    pub fn position(&self, node: u32) -> Position {
        self.positions[node as usize]
    }

    /// The nearest snappable node within `max_km`, with its distance in km.
    pub fn snap(&self, p: Position, max_km: f64) -> Option<(u32, f64)> {
        let hit = self.tree.nearest_neighbor(&unit_vector(p))?;
        let d = p.distance_km(self.positions[hit.data as usize]);
        (d <= max_km).then_some((hit.data, d))
    }

    /// Nodes of the largest strongly connected component (iterative Kosaraju).
    fn largest_scc(&self) -> Vec<u32> {
        let n = self.positions.len();
        let mut order = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        let mut stack: Vec<(u32, u32)> = Vec::new();
        for s in 0..n as u32 {
            if seen[s as usize] {
                continue;
            }
            seen[s as usize] = true;
            stack.push((s, self.first_out[s as usize]));
            while let Some(&mut (v, ref mut e)) = stack.last_mut() {
                if *e < self.first_out[v as usize + 1] {
                    let w = self.head[*e as usize];
                    *e += 1;
                    if !seen[w as usize] {
                        seen[w as usize] = true;
                        stack.push((w, self.first_out[w as usize]));
                    }
                } else {
                    order.push(v);
                    stack.pop();
                }
            }
        }
        let mut comp = vec![u32::MAX; n];
        let mut sizes: Vec<usize> = Vec::new();
        let mut todo: Vec<u32> = Vec::new();
        for &s in order.iter().rev() {
            if comp[s as usize] != u32::MAX {
                continue;
            }
            let c = sizes.len() as u32;
            sizes.push(0);
            comp[s as usize] = c;
            todo.push(s);
            while let Some(v) = todo.pop() {
                sizes[c as usize] += 1;
                let (a, b) = (
                    self.rev_first_out[v as usize],
                    self.rev_first_out[v as usize + 1],
                );
                for e in a..b {
                    let w = self.rev_head[e as usize];
                    if comp[w as usize] == u32::MAX {
                        comp[w as usize] = c;
                        todo.push(w);
                    }
                }
            }
        }
        let Some((best, _)) = sizes.iter().enumerate().max_by_key(|(_, s)| **s) else {
            return Vec::new();
        };
        (0..n as u32)
            .filter(|&v| comp[v as usize] == best as u32)
            .collect()
    }

    /// Travel seconds from `source` to each target (forward search, stops when every target
    /// is settled or beyond `limit_s`).
    pub fn one_to_many(&self, source: u32, targets: &[u32], limit_s: f64) -> Vec<Option<f64>> {
        let labels = dijkstra(
            self.positions.len(),
            &self.first_out,
            &self.head,
            &self.secs,
            &[(source, 0.0, 0)],
            limit_s,
            Some(targets),
        );
        targets
            .iter()
            .map(|&t| labels.get(t).map(|(s, _)| s))
            .collect()
    }

    /// For every node, the time *to* the nearest source and its label: a multi-source search
    /// on the reversed graph. Each source is (node, seconds already spent, label).
    pub fn nearest_sources_reverse(&self, sources: &[(u32, f64, u32)], limit_s: f64) -> NodeLabels {
        dijkstra(
            self.positions.len(),
            &self.rev_first_out,
            &self.rev_head,
            &self.rev_secs,
            sources,
            limit_s,
            None,
        )
    }

    /// Seconds by car between every pair of points (row: from, column: to), `None` where a
    /// point cannot be snapped within `max_snap_km` or no road leads: one forward search per
    /// origin, for the tours' planner.
    pub fn durations(&self, points: &[Position], max_snap_km: f64) -> Vec<Vec<Option<f64>>> {
        let snapped: Vec<Option<u32>> = points
            .iter()
            .map(|p| self.snap(*p, max_snap_km).map(|(n, _)| n))
            .collect();
        let nodes: Vec<u32> = snapped.iter().flatten().copied().collect();
        snapped
            .iter()
            .map(|from| {
                let Some(from) = from else {
                    return vec![None; points.len()];
                };
                let times = self.one_to_many(*from, &nodes, f64::INFINITY);
                let mut times = times.into_iter();
                snapped
                    .iter()
                    .map(|to| to.and_then(|_| times.next().flatten()))
                    .collect()
            })
            .collect()
    }

    /// Seconds by car between two positions (snapped within `max_snap_km`), without the
    /// access legs.
    pub fn route_seconds(&self, from: Position, to: Position, max_snap_km: f64) -> Option<f64> {
        let (a, _) = self.snap(from, max_snap_km)?;
        let (b, _) = self.snap(to, max_snap_km)?;
        self.one_to_many(a, &[b], f64::INFINITY)[0]
    }
}

impl RoadGraph {
    /// The quickest path between two snapped positions: (seconds, km, positions).
    pub fn route_path(
        &self,
        from: Position,
        to: Position,
        max_snap_km: f64,
    ) -> Option<(f64, f64, Vec<Position>)> {
        let (a, _) = self.snap(from, max_snap_km)?;
        let (b, _) = self.snap(to, max_snap_km)?;
        let n = self.positions.len();
        let mut best = vec![f64::INFINITY; n];
        let mut parent = vec![u32::MAX; n];
        let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        best[a as usize] = 0.0;
        heap.push(Reverse((0f64.to_bits(), a)));
        while let Some(Reverse((bits, v))) = heap.pop() {
            let d = f64::from_bits(bits);
            if d > best[v as usize] {
                continue;
            }
            if v == b {
                break;
            }
            for e in self.first_out[v as usize]..self.first_out[v as usize + 1] {
                let w = self.head[e as usize] as usize;
                let nd = d + f64::from(self.secs[e as usize]);
                if nd < best[w] {
                    best[w] = nd;
                    parent[w] = v;
                    heap.push(Reverse((nd.to_bits(), w as u32)));
                }
            }
        }
        if !best[b as usize].is_finite() {
            return None;
        }
        let mut path = vec![self.positions[b as usize]];
        let mut v = b;
        while v != a {
            v = parent[v as usize];
            path.push(self.positions[v as usize]);
        }
        path.reverse();
        let km = path.windows(2).map(|w| w[0].distance_km(w[1])).sum();
        Some((best[b as usize], km, path))
    }
}

fn csr(
    n: usize,
    edges: impl Iterator<Item = (u32, u32, f32)> + Clone,
) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let mut first_out = vec![0u32; n + 1];
    for (a, _, _) in edges.clone() {
        first_out[a as usize + 1] += 1;
    }
    for i in 0..n {
        first_out[i + 1] += first_out[i];
    }
    let m = first_out[n] as usize;
    let mut head = vec![0u32; m];
    let mut secs = vec![0f32; m];
    let mut fill = first_out.clone();
    for (a, b, s) in edges {
        let slot = fill[a as usize] as usize;
        head[slot] = b;
        secs[slot] = s;
        fill[a as usize] += 1;
    }
    (first_out, head, secs)
}

fn dijkstra(
    n: usize,
    first_out: &[u32],
    head: &[u32],
    secs: &[f32],
    sources: &[(u32, f64, u32)],
    limit_s: f64,
    targets: Option<&[u32]>,
) -> NodeLabels {
    let mut best = vec![f64::INFINITY; n];
    let mut label = vec![u32::MAX; n];
    let mut done = vec![false; n];
    // Non-negative f64 bit patterns order like the numbers, so the heap stays integer.
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    for &(s, t, l) in sources {
        if t < best[s as usize] {
            best[s as usize] = t;
            label[s as usize] = l;
            heap.push(Reverse((t.to_bits(), s)));
        }
    }
    let mut remaining = targets.map(|t| {
        let mut wanted = vec![false; n];
        let mut count = 0usize;
        for &x in t {
            if !wanted[x as usize] {
                wanted[x as usize] = true;
                count += 1;
            }
        }
        (wanted, count)
    });
    while let Some(Reverse((bits, v))) = heap.pop() {
        let d = f64::from_bits(bits);
        let vi = v as usize;
        if done[vi] || d > best[vi] {
            continue;
        }
        done[vi] = true;
        if let Some((wanted, count)) = remaining.as_mut() {
            if wanted[vi] {
                *count -= 1;
                if *count == 0 {
                    break;
                }
            }
        }
        if d > limit_s {
            break;
        }
        for e in first_out[vi]..first_out[vi + 1] {
            let w = head[e as usize] as usize;
            let nd = d + f64::from(secs[e as usize]);
            if nd < best[w] {
                best[w] = nd;
                label[w] = label[vi];
                heap.push(Reverse((nd.to_bits(), w as u32)));
            }
        }
    }
    // Labels beyond the limit are not answers.
    for (b, l) in best.iter_mut().zip(label.iter_mut()) {
        if *b > limit_s {
            *b = f64::INFINITY;
            *l = u32::MAX;
        }
    }
    NodeLabels { best, label }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxspeed_values() {
        assert_eq!(parse_maxspeed("50"), Some(50.0));
        assert_eq!(parse_maxspeed("FR:urban"), Some(50.0));
        assert!((parse_maxspeed("30 mph").unwrap_or(0.0) - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed("none"), None);
    }

    #[test]
    fn access_and_oneway_tags() {
        let p = SpeedProfile::default();
        assert_eq!(car_way(&[("highway", "primary")], &p), Some((70.0, 0)));
        assert_eq!(
            car_way(&[("highway", "primary"), ("maxspeed", "50")], &p),
            Some((50.0, 0))
        );
        assert_eq!(
            car_way(&[("highway", "motorway_link")], &p),
            Some((110.0, 1))
        );
        assert_eq!(
            car_way(&[("highway", "tertiary"), ("oneway", "-1")], &p),
            Some((50.0, -1))
        );
        assert_eq!(
            car_way(
                &[("highway", "residential"), ("junction", "roundabout")],
                &p
            ),
            Some((30.0, 1))
        );
        assert_eq!(car_way(&[("highway", "footway")], &p), None);
        assert_eq!(
            car_way(&[("highway", "service"), ("access", "private")], &p),
            None
        );
        assert_eq!(
            car_way(
                &[
                    ("highway", "service"),
                    ("access", "no"),
                    ("motorcar", "yes")
                ],
                &p
            ),
            Some((20.0, 0))
        );
    }
}
