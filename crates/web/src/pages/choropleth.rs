//! The observatory's map drawn on the server as SVG: the minutes classes and their colours,
//! an equirectangular projection fitted to the drawing, and polygons as path data. Its own
//! module so that the page handler only decides *what* to draw; a reader looking for why the
//! map looks as it does finds it here.

/// Minutes classes of the map, with their viridis colour (light = near, dark = far).
pub(crate) const CLASSES: &[(f64, &str, &str)] = &[
    (5.0, "#fde725", "5 min ou moins"),
    (10.0, "#5ec962", "de 5 à 10 min"),
    (20.0, "#21918c", "de 10 à 20 min"),
    (30.0, "#3b528b", "de 20 à 30 min"),
    (f64::INFINITY, "#440154", "plus de 30 min"),
];
pub(crate) const NO_DATA: (&str, &str) = ("#d9d9d9", "pas de lieu ou position inconnue");

pub(crate) fn class_of(minutes: Option<f64>) -> (&'static str, &'static str) {
    match minutes {
        Some(m) => CLASSES
            .iter()
            .find(|(max, _, _)| m <= *max)
            .map(|(_, c, l)| (*c, *l))
            .unwrap_or(NO_DATA),
        None => NO_DATA,
    }
}

/// Equirectangular projection fitted to an 800-wide box.
pub(crate) struct Projection {
    min_lon: f64,
    max_lat: f64,
    scale_x: f64,
    scale_y: f64,
    pub(crate) height: f64,
}

impl Projection {
    pub(crate) fn fit(points: impl Iterator<Item = (f64, f64)>) -> Option<Projection> {
        let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) =
            (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (lon, lat) in points {
            min_lon = min_lon.min(lon);
            max_lon = max_lon.max(lon);
            min_lat = min_lat.min(lat);
            max_lat = max_lat.max(lat);
        }
        if min_lon > max_lon {
            return None;
        }
        let k = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let w = ((max_lon - min_lon) * k).max(1e-6);
        let h = (max_lat - min_lat).max(1e-6);
        let scale = 780.0 / w;
        Some(Projection {
            min_lon,
            max_lat,
            scale_x: scale * k,
            scale_y: scale,
            height: h * scale + 20.0,
        })
    }
    pub(crate) fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            10.0 + (lon - self.min_lon) * self.scale_x,
            10.0 + (self.max_lat - lat) * self.scale_y,
        )
    }
}

pub(crate) fn path_of(p: &Projection, mp: &maillage_territory::geo::MultiPolygon<f64>) -> String {
    let mut d = String::new();
    let mut ring = |ls: &maillage_territory::geo::LineString<f64>| {
        for (i, c) in ls.coords().enumerate() {
            let (x, y) = p.xy(c.x, c.y);
            d.push_str(if i == 0 { "M" } else { "L" });
            d.push_str(&format!("{x:.1} {y:.1}"));
        }
        d.push('Z');
    };
    for poly in &mp.0 {
        ring(poly.exterior());
        for i in poly.interiors() {
            ring(i);
        }
    }
    d
}
