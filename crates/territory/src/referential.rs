//! The territory referential: every commune of the COG with its population, centre, postal
//! codes, EPCI, fragility index and (where we have them) polygon.
//!
//! The observatory, the readers (filling a missing `code_insee`) and the web pages all need
//! one consistent view of the territory, although the public files that describe it come
//! from different years: the COG is 2026, the centroids and postal codes 2024, the IFN 2023,
//! the polygons 2018. This module reconciles them on the 2026 geography: a code of an older
//! vintage is carried over to the commune that absorbed it (through the COG's `COMD`/`COMA`
//! rows and the centroid file's `insee_parente`), Paris, Lyon and Marseille are assembled
//! from their arrondissements, and whatever cannot be reconciled is counted in
//! [`LoadReport`] instead of being silently dropped.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use geo::{Area, Centroid, MultiPolygon, Polygon};
use maillage_model::{fold, Commune, CommuneLookup, Epci, Position};
use serde::Serialize;

/// Why the referential could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum ReferentialError {
    #[error("fichier du référentiel introuvable : {0} (attendu : un dossier avec communes/, ifn/, geo/)")]
    Missing(PathBuf),
    #[error("lecture impossible de {path} : {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}, ligne {line} : {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path} : colonne « {column} » absente")]
    MissingColumn { path: PathBuf, column: String },
    #[error("{path} : JSON illisible : {message}")]
    Json { path: PathBuf, message: String },
}

pub type Result<T, E = ReferentialError> = std::result::Result<T, E>;

/// What loading reconciled, guessed or could not place. Shown to the operator and in the docs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    /// Optional files that were absent (the demo subset may lack polygons or IFN).
    pub missing_files: Vec<String>,
    /// Communes of the COG (TYPECOM = COM).
    pub communes: usize,
    pub communes_without_population: Vec<String>,
    /// Communes whose centre came from the centroid file directly.
    pub centre_from_file: usize,
    /// Communes whose centre is the population-weighted mean of their arrondissements or
    /// of the former communes they absorbed (centroid file older than the COG).
    pub centre_from_parts: usize,
    /// Communes whose centre is the centroid of their polygon.
    pub centre_from_polygon: usize,
    /// Communes with no centre at all: left out of distance computations, with a warning.
    pub communes_without_centre: Vec<String>,
    pub communes_without_postal_code: Vec<String>,
    /// Rows of the centroid file whose code is neither a current commune nor a known former
    /// one.
    pub centroid_rows_unmatched: usize,
    pub communes_with_ifn: usize,
    /// Communes whose IFN is the population-weighted mean of their arrondissements or former
    /// communes (IFN file of 2023 geography; Marseille's own row is empty).
    pub ifn_from_parts: usize,
    pub epcis: usize,
    pub communes_with_epci: usize,
    /// EPCI member codes that are not current communes and could not be carried over.
    pub epci_members_unmatched: usize,
    /// Polygon files read, per département.
    pub polygon_files: Vec<String>,
    pub polygons_read: usize,
    /// Polygons whose 2018 code is a former commune, merged into the current one.
    pub polygons_merged_into_current: usize,
    /// Polygons whose code matches nothing of the 2026 COG.
    pub polygons_unmatched: usize,
    /// Current communes of a département with a polygon file but without a polygon.
    pub communes_without_polygon: Vec<String>,
}

/// The referential. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Referential {
    /// Communes of the 2026 COG, ordered by code.
    pub communes: Vec<Commune>,
    /// EPCI, ordered by SIREN.
    pub epcis: Vec<Epci>,
    /// Département code → name, from the polygon files' names when known, else empty.
    pub departements: BTreeMap<String, String>,
    /// Commune polygons (current code), for the four départements that have them.
    pub polygons: HashMap<String, MultiPolygon<f64>>,
    /// Area of each commune in km² (centroid file, 2024 geography), when known.
    pub area_km2: HashMap<String, f64>,
    pub report: LoadReport,
    index: HashMap<String, usize>,
    epci_index: HashMap<String, usize>,
    /// Former codes and arrondissements → current commune code.
    aliases: HashMap<String, String>,
    /// Postal code → indices into [`Self::communes`].
    pub by_postal_code: HashMap<String, Vec<usize>>,
    /// (département, folded name) → communes.
    by_name: HashMap<(String, String), Vec<usize>>,
    /// Folded names per commune (official name, name without article, former names).
    names: Vec<Vec<String>>,
}

/// Reads a CSV file with named columns, reporting line numbers on errors.
struct Table {
    path: PathBuf,
    reader: csv::Reader<Input>,
    headers: csv::StringRecord,
}

impl Table {
    fn open(path: &Path, delimiter: u8) -> Result<Table> {
        let input = open_input(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| ReferentialError::Csv {
                path: path.to_path_buf(),
                line: 1,
                message: e.to_string(),
            })?
            .clone();
        Ok(Table {
            path: path.to_path_buf(),
            reader,
            headers,
        })
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| ReferentialError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
            })
    }

    fn for_each(&mut self, mut f: impl FnMut(&csv::StringRecord) -> Result<()>) -> Result<()> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(true) => f(&record)?,
                Ok(false) => return Ok(()),
                Err(e) => {
                    return Err(ReferentialError::Csv {
                        path: self.path.clone(),
                        line: e.position().map(|p| p.line()).unwrap_or(0),
                        message: e.to_string(),
                    })
                }
            }
        }
    }
}

/// A referential file as read: plain, or gzip-compressed (the shipped national referential).
type Input = Box<dyn Read>;

/// Opens `path`, decompressing it when its name ends in `.gz`.
fn open_input(path: &Path) -> Result<Input> {
    let file = File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ReferentialError::Missing(path.to_path_buf())
        } else {
            ReferentialError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    let buffered = BufReader::with_capacity(1 << 16, file);
    Ok(if is_gzip(path) {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::GzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    })
}

fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// The file `rel` of `dir`, plain if present (an operator may have unpacked and edited it),
/// else its `.gz` beside it; `None` when neither exists.
fn find_file(dir: &Path, rel: &str) -> Option<PathBuf> {
    let plain = dir.join(rel);
    if plain.exists() {
        return Some(plain);
    }
    let gz = dir.join(format!("{rel}.gz"));
    gz.exists().then_some(gz)
}

fn csv_error(path: &Path, record: &csv::StringRecord, message: String) -> ReferentialError {
    ReferentialError::Csv {
        path: path.to_path_buf(),
        line: record.position().map(|p| p.line()).unwrap_or(0),
        message,
    }
}

/// Folds a commune name for lookups: case, accents, hyphens and apostrophes, `St`/`Ste`,
/// a leading article, and a trailing `CEDEX nn`.
pub fn fold_commune_name(name: &str) -> String {
    let folded = fold(name);
    let spaced: String = folded
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    if let Some(cedex) = tokens.iter().position(|t| *t == "cedex") {
        tokens.truncate(cedex);
    }
    if tokens.len() > 1 && matches!(tokens[0], "le" | "la" | "les" | "l") {
        tokens.remove(0);
    }
    let mapped: Vec<&str> = tokens
        .iter()
        .map(|t| match *t {
            "st" => "saint",
            "ste" => "sainte",
            "s" => "sur",
            other => other,
        })
        .collect();
    mapped.join(" ")
}

/// The name without an arrondissement suffix (`Paris 11e`, `Marseille 1er arrondissement`).
fn strip_arrondissement(folded: &str) -> String {
    let tokens: Vec<&str> = folded
        .split(' ')
        .filter(|t| {
            !(*t == "arrondissement"
                || *t == "arr"
                || t.chars().next().is_some_and(|c| c.is_ascii_digit()))
        })
        .collect();
    tokens.join(" ")
}

/// The département a postal code most likely belongs to (CEDEX codes keep it).
fn departement_of_postal_code(cp: &str) -> Option<String> {
    if cp.len() != 5 || !cp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match &cp[..2] {
        "97" | "98" => cp[..3].to_string(),
        "20" => {
            if cp < "20200" {
                "2A".to_string()
            } else {
                "2B".to_string()
            }
        }
        d => d.to_string(),
    })
}

/// Accumulates a population-weighted mean of positions or values.
#[derive(Default, Clone, Copy)]
struct WeightedMean {
    sum_lat: f64,
    sum_lon: f64,
    sum_value: f64,
    weight: f64,
}

impl WeightedMean {
    fn add(&mut self, lat: f64, lon: f64, value: f64, weight: f64) {
        let w = weight.max(1.0);
        self.sum_lat += lat * w;
        self.sum_lon += lon * w;
        self.sum_value += value * w;
        self.weight += w;
    }
    fn position(&self) -> Option<Position> {
        (self.weight > 0.0)
            .then(|| Position::new(self.sum_lat / self.weight, self.sum_lon / self.weight))
    }
    fn value(&self) -> Option<f64> {
        (self.weight > 0.0).then(|| self.sum_value / self.weight)
    }
}

impl Referential {
    /// Loads the referential from the shared data layout (`communes/`, `ifn/`, `geo/`).
    pub fn load_shared(dir: &Path) -> Result<Referential> {
        Self::load_dir(dir)
    }

    /// Loads the referential from a folder with the shared layout, possibly a subset (the
    /// demo's `data/referentiel/`). Only `communes/cog-2026-communes.csv` is required; every
    /// other file is optional and its absence is noted in the report. Each file may be
    /// shipped gzip-compressed instead (`….csv.gz`, `….geojson.gz`); a plain file wins.
    pub fn load_dir(dir: &Path) -> Result<Referential> {
        let mut r = Referential::default();
        let cog = "communes/cog-2026-communes.csv";
        r.load_cog(&find_file(dir, cog).unwrap_or_else(|| dir.join(cog)))?;
        let optional = |r: &mut Referential, rel: &str| -> Option<PathBuf> {
            let found = find_file(dir, rel);
            if found.is_none() {
                r.report.missing_files.push(rel.to_string());
            }
            found
        };
        if let Some(p) = optional(&mut r, "communes/populations-legales-2023.csv") {
            r.load_populations(&p)?;
        }
        let mut parts = HashMap::new();
        if let Some(p) = optional(&mut r, "communes/communes-2024-centroides-population.csv") {
            parts = r.load_centroids(&p)?;
        }
        if let Some(p) = optional(&mut r, "geo") {
            r.load_polygons(&p)?;
        }
        r.fill_missing_centres(parts);
        if let Some(p) = optional(&mut r, "ifn/ifn-communes.csv") {
            r.load_ifn_communes(&p)?;
        }
        if let Some(p) = optional(&mut r, "communes/epci-membres-population.json") {
            r.load_epcis(&p)?;
        }
        if let Some(p) = optional(&mut r, "ifn/ifn-epci.csv") {
            r.load_ifn_epcis(&p)?;
        }
        r.build_name_index();
        r.finish_report();
        Ok(r)
    }

    fn load_cog(&mut self, path: &Path) -> Result<()> {
        let mut t = Table::open(path, b',')?;
        let (typ, com, dep, libelle, parent) = (
            t.column("TYPECOM")?,
            t.column("COM")?,
            t.column("DEP")?,
            t.column("LIBELLE")?,
            t.column("COMPARENT")?,
        );
        let nccenr = t.column("NCCENR").ok();
        let mut former_names: Vec<(String, String)> = Vec::new();
        t.for_each(|rec| {
            let code = rec.get(com).unwrap_or("").trim();
            let name = rec.get(libelle).unwrap_or("").trim();
            match rec.get(typ).unwrap_or("") {
                "COM" => {
                    let d = rec.get(dep).unwrap_or("").trim();
                    if code.is_empty() || d.is_empty() {
                        return Err(csv_error(
                            path,
                            rec,
                            "commune sans code ou sans département".into(),
                        ));
                    }
                    self.communes.push(Commune {
                        code: code.to_string(),
                        nom: name.to_string(),
                        departement: d.to_string(),
                        epci: None,
                        codes_postaux: Vec::new(),
                        population: 0,
                        centre: None,
                        ifn: None,
                    });
                    if let Some(alt) = nccenr.and_then(|i| rec.get(i)) {
                        former_names.push((code.to_string(), alt.to_string()));
                    }
                }
                "COMD" | "COMA" | "ARM" => {
                    let p = rec.get(parent).unwrap_or("").trim();
                    if !p.is_empty() && p != code {
                        self.aliases.insert(code.to_string(), p.to_string());
                    }
                    if !p.is_empty() {
                        former_names.push((p.to_string(), name.to_string()));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        self.communes.sort_by(|a, b| a.code.cmp(&b.code));
        self.index = self
            .communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        // A former code that is still a current commune's code is not an alias.
        self.aliases.retain(|k, _| !self.index.contains_key(k));
        self.names = self
            .communes
            .iter()
            .map(|c| vec![fold_commune_name(&c.nom)])
            .collect();
        for (code, name) in former_names {
            if let Some(&i) = self.index.get(&code) {
                let f = fold_commune_name(&name);
                if !self.names[i].contains(&f) {
                    self.names[i].push(f);
                }
            }
        }
        self.report.communes = self.communes.len();
        Ok(())
    }

    /// The index of the current commune for a code, following aliases.
    fn resolve(&self, code: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(code) {
            return Some(i);
        }
        let mut current = code;
        for _ in 0..4 {
            current = self.aliases.get(current)?;
            if let Some(&i) = self.index.get(current) {
                return Some(i);
            }
        }
        None
    }

    fn load_populations(&mut self, path: &Path) -> Result<()> {
        let mut t = Table::open(path, b';')?;
        let (com, pmun) = (t.column("COM")?, t.column("PMUN")?);
        let mut sums = vec![0u64; self.communes.len()];
        t.for_each(|rec| {
            let code = rec.get(com).unwrap_or("").trim();
            let raw = rec.get(pmun).unwrap_or("").trim();
            let p: u64 = raw.parse().map_err(|_| {
                csv_error(
                    path,
                    rec,
                    format!("population « {raw} » illisible pour {code}"),
                )
            })?;
            // Arrondissements (Paris, Lyon, Marseille) add up to their commune.
            if let Some(i) = self.resolve(code) {
                sums[i] += p;
            }
            Ok(())
        })?;
        for (c, s) in self.communes.iter_mut().zip(sums) {
            c.population = u32::try_from(s).unwrap_or(u32::MAX);
        }
        Ok(())
    }

    /// Reads centres and postal codes. Returns, for communes without a row of their own, the
    /// weighted mean of their parts (arrondissements, former communes).
    fn load_centroids(&mut self, path: &Path) -> Result<HashMap<usize, WeightedMean>> {
        let mut t = Table::open(path, b',')?;
        let (com, cp, kind, parent, lat, lng, pop) = (
            t.column("insee_com")?,
            t.column("code_postal")?,
            t.column("commune_type")?,
            t.column("insee_parente")?,
            t.column("lat")?,
            t.column("lng")?,
            t.column("population_2021")?,
        );
        let area = t.column("superficie_km2").ok();
        let mut parts: HashMap<usize, WeightedMean> = HashMap::new();
        let mut direct: HashMap<usize, Position> = HashMap::new();
        let mut unmatched = 0usize;
        t.for_each(|rec| {
            let code = rec.get(com).unwrap_or("").trim();
            let kind = rec.get(kind).unwrap_or("");
            let parent = rec.get(parent).unwrap_or("").trim();
            let target = if kind == "COM" {
                self.resolve(code)
            } else {
                self.resolve(parent).or_else(|| self.resolve(code))
            };
            let Some(i) = target else {
                unmatched += 1;
                return Ok(());
            };
            let postal = rec.get(cp).unwrap_or("").trim();
            if postal.len() == 5 && !self.communes[i].codes_postaux.iter().any(|c| c == postal) {
                self.communes[i].codes_postaux.push(postal.to_string());
            }
            let la: Option<f64> = rec.get(lat).and_then(|s| s.trim().parse().ok());
            let lo: Option<f64> = rec.get(lng).and_then(|s| s.trim().parse().ok());
            let (Some(la), Some(lo)) = (la, lo) else {
                return Ok(());
            };
            let position = Position::new(la, lo);
            if !position.in_france() {
                return Ok(());
            }
            let is_own_row = kind == "COM" && self.communes[i].code == code;
            if is_own_row {
                direct.entry(i).or_insert(position);
                if let Some(a) = area
                    .and_then(|c| rec.get(c))
                    .and_then(|s| s.trim().parse::<f64>().ok())
                {
                    self.area_km2.insert(code.to_string(), a);
                }
            } else if kind != "COMD" {
                // Arrondissements, and communes absorbed since 2024.
                let w: f64 = rec
                    .get(pop)
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(1.0);
                parts.entry(i).or_default().add(la, lo, 0.0, w);
            }
            Ok(())
        })?;
        self.report.centroid_rows_unmatched = unmatched;
        for (i, p) in direct {
            self.communes[i].centre = Some(p);
            self.report.centre_from_file += 1;
        }
        for c in &mut self.communes {
            c.codes_postaux.sort();
        }
        Ok(parts)
    }

    fn fill_missing_centres(&mut self, parts: HashMap<usize, WeightedMean>) {
        for (i, c) in self.communes.iter_mut().enumerate() {
            if c.centre.is_some() {
                continue;
            }
            if let Some(p) = parts.get(&i).and_then(WeightedMean::position) {
                c.centre = Some(p);
                self.report.centre_from_parts += 1;
            } else if let Some(p) = self.polygons.get(&c.code).and_then(|mp| mp.centroid()) {
                c.centre = Some(Position::new(p.y(), p.x()));
                self.report.centre_from_polygon += 1;
            } else {
                self.report.communes_without_centre.push(c.code.clone());
            }
        }
    }

    fn load_ifn_communes(&mut self, path: &Path) -> Result<()> {
        let mut t = Table::open(path, b',')?;
        let (code_col, total) = (t.column("code")?, t.column("total")?);
        let mut direct: Vec<Option<f64>> = vec![None; self.communes.len()];
        let mut parts: HashMap<usize, WeightedMean> = HashMap::new();
        let mut rows: Vec<(String, f64)> = Vec::new();
        t.for_each(|rec| {
            let code = rec.get(code_col).unwrap_or("").trim();
            // Empty scores (Marseille, Les Trois Lacs) are legitimate: no value.
            if let Some(v) = rec.get(total).and_then(|s| s.trim().parse::<f64>().ok()) {
                rows.push((code.to_string(), v));
            }
            Ok(())
        })?;
        // Weights for the parts come from the populations already loaded when the part is a
        // current commune; arrondissements and former communes weigh 1 each (no population
        // of their own here), which is enough for a score that varies little between them.
        for (code, v) in rows {
            if let Some(&i) = self.index.get(&code) {
                direct[i] = Some(v);
            } else if let Some(i) = self.resolve(&code) {
                parts.entry(i).or_default().add(0.0, 0.0, v, 1.0);
            }
        }
        for (i, c) in self.communes.iter_mut().enumerate() {
            c.ifn = direct[i];
            if c.ifn.is_none() {
                if let Some(v) = parts.get(&i).and_then(WeightedMean::value) {
                    c.ifn = Some(v);
                    self.report.ifn_from_parts += 1;
                }
            }
        }
        self.report.communes_with_ifn = self.communes.iter().filter(|c| c.ifn.is_some()).count();
        Ok(())
    }

    fn load_epcis(&mut self, path: &Path) -> Result<()> {
        #[derive(serde::Deserialize)]
        struct Member {
            code: String,
        }
        #[derive(serde::Deserialize)]
        struct RawEpci {
            code: String,
            nom: String,
            #[serde(rename = "type")]
            kind: String,
            membres: Vec<Member>,
        }
        let raw: Vec<RawEpci> =
            serde_json::from_reader(open_input(path)?).map_err(|e| ReferentialError::Json {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let mut unmatched = 0;
        for e in raw {
            let mut members = Vec::with_capacity(e.membres.len());
            for m in &e.membres {
                match self.resolve(&m.code) {
                    Some(i) => {
                        let code = self.communes[i].code.clone();
                        if !members.contains(&code) {
                            members.push(code);
                        }
                        self.communes[i].epci = Some(e.code.clone());
                    }
                    None => unmatched += 1,
                }
            }
            // A subset referential (the demo) keeps only the EPCI it has communes of.
            if members.is_empty() {
                continue;
            }
            members.sort();
            let population = members
                .iter()
                .filter_map(|c| self.index.get(c))
                .map(|&i| self.communes[i].population)
                .sum();
            self.epcis.push(Epci {
                code: e.code,
                nom: e.nom,
                kind: e.kind,
                population,
                communes: members,
                ifn: None,
            });
        }
        self.epcis.sort_by(|a, b| a.code.cmp(&b.code));
        self.epci_index = self
            .epcis
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code.clone(), i))
            .collect();
        self.report.epcis = self.epcis.len();
        self.report.epci_members_unmatched = unmatched;
        self.report.communes_with_epci = self.communes.iter().filter(|c| c.epci.is_some()).count();
        Ok(())
    }

    fn load_ifn_epcis(&mut self, path: &Path) -> Result<()> {
        let mut t = Table::open(path, b',')?;
        let (code_col, total) = (t.column("code")?, t.column("total")?);
        t.for_each(|rec| {
            let code = rec.get(code_col).unwrap_or("").trim();
            if let (Some(&i), Some(v)) = (
                self.epci_index.get(code),
                rec.get(total).and_then(|s| s.trim().parse::<f64>().ok()),
            ) {
                self.epcis[i].ifn = Some(v);
            }
            Ok(())
        })?;
        Ok(())
    }

    fn load_polygons(&mut self, geo_dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(geo_dir).map_err(|e| ReferentialError::Io {
            path: geo_dir.to_path_buf(),
            source: e,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with("communes-")
                        && (n.ends_with(".geojson") || n.ends_with(".geojson.gz"))
                })
            })
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            // communes-82-tarn-et-garonne.geojson → département 82, "Tarn-et-Garonne".
            let stem = name
                .trim_start_matches("communes-")
                .trim_end_matches(".gz")
                .trim_end_matches(".geojson");
            let (dep, dep_name) = stem.split_once('-').unwrap_or((stem, ""));
            self.departements
                .insert(dep.to_uppercase(), title_case(dep_name));
            let mut text = String::new();
            open_input(&path)?
                .read_to_string(&mut text)
                .map_err(|e| ReferentialError::Io {
                    path: path.clone(),
                    source: e,
                })?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| ReferentialError::Json {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            let features = value
                .get("features")
                .and_then(|f| f.as_array())
                .ok_or_else(|| ReferentialError::Json {
                    path: path.clone(),
                    message: "pas de « features » (FeatureCollection attendue)".into(),
                })?;
            for f in features {
                let code = f
                    .pointer("/properties/code")
                    .and_then(|c| c.as_str())
                    .unwrap_or("");
                let Some(mp) = f.get("geometry").and_then(geometry_to_multipolygon) else {
                    continue;
                };
                self.report.polygons_read += 1;
                let Some(i) = self.resolve(code) else {
                    self.report.polygons_unmatched += 1;
                    continue;
                };
                let current = self.communes[i].code.clone();
                if current != code {
                    self.report.polygons_merged_into_current += 1;
                }
                self.polygons
                    .entry(current)
                    .or_insert_with(|| MultiPolygon::new(Vec::new()))
                    .0
                    .extend(mp.0);
            }
            let dep_upper = dep.to_uppercase();
            for c in self.communes.iter().filter(|c| c.departement == dep_upper) {
                if !self.polygons.contains_key(&c.code) {
                    self.report.communes_without_polygon.push(c.code.clone());
                }
            }
            self.report.polygon_files.push(name);
        }
        Ok(())
    }

    fn build_name_index(&mut self) {
        for (i, c) in self.communes.iter().enumerate() {
            for cp in &c.codes_postaux {
                self.by_postal_code.entry(cp.clone()).or_default().push(i);
            }
            for n in &self.names[i] {
                let e = self
                    .by_name
                    .entry((c.departement.clone(), n.clone()))
                    .or_default();
                if !e.contains(&i) {
                    e.push(i);
                }
            }
        }
    }

    fn finish_report(&mut self) {
        for c in &self.communes {
            if c.population == 0 {
                self.report.communes_without_population.push(c.code.clone());
            }
            if c.codes_postaux.is_empty() {
                self.report
                    .communes_without_postal_code
                    .push(c.code.clone());
            }
        }
    }

    /// The commune for a current code, an arrondissement or a former commune's code.
    pub fn commune_by_any_code(&self, code: &str) -> Option<&Commune> {
        self.resolve(code).map(|i| &self.communes[i])
    }

    /// The position of a commune in [`Self::communes`], by current code.
    pub fn commune_index(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    pub fn epci(&self, siren: &str) -> Option<&Epci> {
        self.epci_index.get(siren).map(|&i| &self.epcis[i])
    }

    /// Communes of a département, in code order.
    pub fn communes_of(&self, departement: &str) -> impl Iterator<Item = &Commune> {
        let d = departement.to_string();
        self.communes.iter().filter(move |c| c.departement == d)
    }

    /// Whether a département code exists in the COG (`82`, `2A`, `974`).
    pub fn has_departement(&self, departement: &str) -> bool {
        self.communes.iter().any(|c| c.departement == departement)
    }

    /// Every département code of the referential, sorted.
    pub fn departement_codes(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .communes
            .iter()
            .map(|c| c.departement.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The area in km² of a commune's polygon, when we have one (planar approximation, for
    /// densities on the observatory page).
    pub fn polygon_area_km2(&self, code: &str) -> Option<f64> {
        let mp = self.polygons.get(code)?;
        let lat = mp.centroid()?.y().to_radians();
        Some(mp.unsigned_area() * 111.32 * 111.32 * lat.cos())
    }
}

fn title_case(slug: &str) -> String {
    let mut out = String::with_capacity(slug.len());
    let mut upper = true;
    for c in slug.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
    out.replace("-Et-", "-et-").replace("-De-", "-de-")
}

fn ring(value: &serde_json::Value) -> Option<geo::LineString<f64>> {
    let points = value.as_array()?;
    let coords: Vec<geo::Coord<f64>> = points
        .iter()
        .filter_map(|p| {
            let p = p.as_array()?;
            Some(geo::Coord {
                x: p.first()?.as_f64()?,
                y: p.get(1)?.as_f64()?,
            })
        })
        .collect();
    (coords.len() >= 3).then(|| geo::LineString::new(coords))
}

fn polygon(value: &serde_json::Value) -> Option<Polygon<f64>> {
    let rings = value.as_array()?;
    let exterior = ring(rings.first()?)?;
    let interiors = rings.iter().skip(1).filter_map(ring).collect();
    Some(Polygon::new(exterior, interiors))
}

/// A GeoJSON `Polygon` or `MultiPolygon` geometry as a geo `MultiPolygon`.
pub fn geometry_to_multipolygon(geometry: &serde_json::Value) -> Option<MultiPolygon<f64>> {
    let coords = geometry.get("coordinates")?;
    match geometry.get("type")?.as_str()? {
        "Polygon" => Some(MultiPolygon::new(vec![polygon(coords)?])),
        "MultiPolygon" => Some(MultiPolygon::new(
            coords.as_array()?.iter().filter_map(polygon).collect(),
        )),
        _ => None,
    }
}

impl CommuneLookup for Referential {
    fn covers_departement(&self, departement: &str) -> bool {
        self.has_departement(departement)
    }

    /// Current code; an arrondissement or a former commune's code gives the current commune.
    fn commune(&self, code_insee: &str) -> Option<&Commune> {
        self.commune_by_any_code(code_insee.trim())
    }

    fn find_commune(&self, code_postal: &str, nom: &str) -> Option<&Commune> {
        let cp = code_postal.trim();
        let name = fold_commune_name(nom);
        let bare = strip_arrondissement(&name);
        let matches = |i: &usize| {
            let names = &self.names[*i];
            names
                .iter()
                .any(|n| *n == name || (!bare.is_empty() && *n == bare))
        };
        if let Some(candidates) = self.by_postal_code.get(cp) {
            if let Some(&i) = candidates.iter().find(|i| matches(i)) {
                return Some(&self.communes[i]);
            }
            if candidates.len() == 1 {
                return Some(&self.communes[candidates[0]]);
            }
        }
        // A CEDEX code or a postal code of another commune: look the name up in the
        // département the code points to.
        let dep = departement_of_postal_code(cp)?;
        for key in [&name, &bare] {
            if let Some(found) = self.by_name.get(&(dep.clone(), key.clone())) {
                if found.len() == 1 {
                    return Some(&self.communes[found[0]]);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_gzip_referential_is_the_national_one_read_plain() {
        // The shipped `data/referentiel/` holds only `.gz` files; read through the loader they
        // must give exactly what the plain shared files give (when the shared folder is there).
        let shipped = Referential::load_dir(&crate::workspace_root().join("data/referentiel"))
            .expect("shipped referential");
        assert!(
            shipped.report.missing_files.is_empty(),
            "{:?}",
            shipped.report
        );
        for dep in [
            "03", "35", "82", "87", "2A", "971", "972", "973", "974", "976",
        ] {
            assert!(shipped.has_departement(dep), "{dep} absent");
        }
        assert_eq!(shipped.report.polygon_files.len(), 4);
        let plain_dir = crate::workspace_root().join("../shared/data");
        if !plain_dir.join("communes/cog-2026-communes.csv").exists() {
            return;
        }
        let plain = Referential::load_dir(&plain_dir).expect("shared referential");
        assert_eq!(plain.communes, shipped.communes);
        assert_eq!(plain.epcis, shipped.epcis);
        assert_eq!(plain.polygons.len(), shipped.polygons.len());
    }

    #[test]
    fn folding_handles_saint_articles_and_cedex() {
        assert_eq!(
            fold_commune_name("St-Antonin-Noble-Val"),
            "saint antonin noble val"
        );
        assert_eq!(
            fold_commune_name("Saint Antonin Noble Val"),
            "saint antonin noble val"
        );
        assert_eq!(fold_commune_name("L'Honor-de-Cos"), "honor de cos");
        assert_eq!(fold_commune_name("MONTAUBAN CEDEX 9"), "montauban");
        assert_eq!(fold_commune_name("Ste-Livrade"), "sainte livrade");
        assert_eq!(strip_arrondissement("paris 11e arrondissement"), "paris");
        assert_eq!(departement_of_postal_code("20167").as_deref(), Some("2A"));
        assert_eq!(departement_of_postal_code("97411").as_deref(), Some("974"));
    }
}
