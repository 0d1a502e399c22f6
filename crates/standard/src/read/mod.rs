//! Reading source files into [`Record`]s, whatever format they come in.
//!
//! One entry point, [`read_path`], streams a file through the reader of its [`Format`] and
//! hands each record to a callback, so that a 1 GB file never sits in memory. A
//! [`ReadError`] means the file cannot be used at all (unreadable, empty, not the announced
//! format, a required column missing); everything about single rows goes to the [`Report`]
//! (errors: row rejected and kept raw in `Report::rejected_rows`; warnings: row imported,
//! value corrected or dropped).
//!
//! The standard formats (v1 CSV/JSON, v0.1 CSV/JSON) are read by [`standard_v1`] and [`v0`],
//! with the field checks shared in [`common`]; the other sources have their own modules.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use maillage_model::CommuneLookup;

use crate::record::{Record, SourceFile};
use crate::report::Report;

pub mod aidants_connect;
pub mod cnfs_structures;
pub mod common;
pub mod data_inclusion;
pub mod france_services;
pub mod mapping;
pub mod source_fields;
pub mod standard_v1;
pub mod v0;

/// The formats `maillage import` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Find the format from the file's extension and first bytes ([`detect`]).
    Auto,
    /// Standard v1.0.1/v1.0.2 CSV (`,` or `;` delimiter, `|` between list values).
    StandardCsv,
    /// Standard v1 JSON: an array of objects with the standard's field names.
    StandardJson,
    /// Standard v0.1 CSV (`;` between list values).
    V0Csv,
    /// Standard v0.1 JSON, as the national conseiller numérique list and the ANCT's
    /// conversions (Charente bus) publish it.
    CnfsJson,
    /// The ANCT France Services list (2022 or 2024 vintage).
    FranceServices,
    /// data·inclusion JSON (structures and services).
    DataInclusion,
    /// The Aidants Connect structures list.
    AidantsConnect,
    /// The structures hosting conseillers numériques (CNFS).
    CnfsStructures,
    /// Any other source, described by a TOML mapping file.
    Mapping(PathBuf),
}

impl Format {
    /// The name used on the command line.
    pub fn name(&self) -> String {
        match self {
            Format::Auto => "auto".into(),
            Format::StandardCsv => "standard-csv".into(),
            Format::StandardJson => "standard-json".into(),
            Format::V0Csv => "v0-csv".into(),
            Format::CnfsJson => "cnfs-json".into(),
            Format::FranceServices => "france-services".into(),
            Format::DataInclusion => "data-inclusion".into(),
            Format::AidantsConnect => "aidants-connect".into(),
            Format::CnfsStructures => "cnfs-structures".into(),
            Format::Mapping(p) => format!("mapping:{}", p.display()),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim() {
            "auto" => Format::Auto,
            "standard-csv" => Format::StandardCsv,
            "standard-json" => Format::StandardJson,
            "v0-csv" => Format::V0Csv,
            "cnfs-json" | "v0-json" => Format::CnfsJson,
            "france-services" => Format::FranceServices,
            "data-inclusion" => Format::DataInclusion,
            "aidants-connect" => Format::AidantsConnect,
            "cnfs-structures" => Format::CnfsStructures,
            other => match other.strip_prefix("mapping:") {
                Some(p) if !p.is_empty() => Format::Mapping(PathBuf::from(p)),
                _ => {
                    return Err(format!(
                        "format inconnu « {other} » : attendu auto, standard-csv, standard-json, \
                         v0-csv, cnfs-json, france-services, data-inclusion, aidants-connect, \
                         cnfs-structures ou mapping:FICHIER.toml"
                    ))
                }
            },
        })
    }
}

/// The file cannot be used at all. Messages are French and name what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("impossible d'ouvrir ou de lire {path} : {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("le fichier est vide")]
    Empty,
    #[error("le fichier ne contient que l'en-tête, aucune ligne de données")]
    HeaderOnly,
    #[error("fichier illisible : {0}")]
    Unreadable(String),
    #[error("colonnes obligatoires absentes : {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("ce fichier n'est pas au format {expected} : {detail}")]
    NotFormat {
        expected: &'static str,
        detail: String,
    },
    #[error("format non pris en charge : {0}")]
    Unsupported(String),
}

fn open(path: &Path) -> Result<File, ReadError> {
    File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a file in the given format (or the detected one for [`Format::Auto`]), handing each
/// record to `on_record` as soon as it is read.
pub fn read_path(
    path: &Path,
    format: &Format,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    let format = match format {
        Format::Auto => detect(path)?,
        f => f.clone(),
    };
    match format {
        Format::Auto => Err(ReadError::Unsupported("auto".into())),
        Format::StandardCsv => standard_v1::V1.read(false, open(path)?, file, lookup, on_record),
        Format::StandardJson => standard_v1::V1.read(true, open(path)?, file, lookup, on_record),
        Format::V0Csv => v0::V0.read(false, open(path)?, file, lookup, on_record),
        Format::CnfsJson => v0::V0.read(true, open(path)?, file, lookup, on_record),
        Format::FranceServices => france_services::read(open(path)?, file, lookup, on_record),
        Format::DataInclusion => data_inclusion::read(open(path)?, file, lookup, on_record),
        Format::AidantsConnect => aidants_connect::read(open(path)?, file, lookup, on_record),
        Format::CnfsStructures => cnfs_structures::read(open(path)?, file, lookup, on_record),
        Format::Mapping(ref toml) => {
            let mapping = mapping::Mapping::load(toml)?;
            mapping::read(open(path)?, &mapping, file, lookup, on_record)
        }
    }
}

/// How many bytes [`detect`] looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// Finds a file's format from its first bytes: JSON (array or object) by its keys, CSV by its
/// header columns.
pub fn detect(path: &Path) -> Result<Format, ReadError> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    open(path)?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    detect_bytes(&head)
}

/// [`detect`] on the first bytes of a file.
pub fn detect_bytes(head: &[u8]) -> Result<Format, ReadError> {
    let text = crate::decode::decode(head).text;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ReadError::Empty);
    }
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        return Ok(detect_json(trimmed));
    }
    if text.contains('\0') {
        return Err(ReadError::Unreadable(
            "le fichier contient des octets nuls : ce n'est ni un CSV ni un JSON".into(),
        ));
    }
    let delimiter = crate::decode::sniff_delimiter(&text);
    let first_line = text.lines().next().unwrap_or_default();
    let header: Vec<String> = common::split_header(first_line, delimiter);
    let cols: Vec<&str> = header.iter().map(String::as_str).collect();
    if cols.contains(&"id_fs") && cols.contains(&"lib_fs") {
        return Ok(Format::FranceServices);
    }
    if cols.contains(&"Siret") && cols.contains(&"City Insee Code") {
        return Ok(Format::AidantsConnect);
    }
    if cols.contains(&"Raison sociale") && cols.contains(&"SIRET") {
        return Ok(Format::CnfsStructures);
    }
    if cols.contains(&"dispositif_programmes_nationaux")
        || cols.contains(&"itinerance")
        || cols.contains(&"modalites_acces")
        || cols.contains(&"courriels")
    {
        return Ok(Format::StandardCsv);
    }
    if cols.contains(&"publics_accueillis")
        || cols.contains(&"labels_nationaux")
        || cols.contains(&"conditions_acces")
        || cols.contains(&"cle_ban")
    {
        return Ok(Format::V0Csv);
    }
    if cols.contains(&"nom") && cols.contains(&"code_postal") {
        return Ok(Format::StandardCsv);
    }
    Err(ReadError::NotFormat {
        expected: "connu",
        detail: format!(
            "en-tête non reconnu ({}) ; précisez --format",
            first_line.chars().take(120).collect::<String>()
        ),
    })
}

fn detect_json(head: &str) -> Format {
    let has = |k: &str| head.contains(&format!("\"{k}\""));
    if has("structures") && has("services") && !has("nom") {
        return Format::DataInclusion;
    }
    if has("thematiques") || has("reseaux_porteurs") {
        return Format::DataInclusion;
    }
    if has("labels_nationaux")
        || has("conditions_access")
        || has("conditions_acces")
        || has("publics_accueillis")
        || has("labels_autres")
    {
        return Format::CnfsJson;
    }
    Format::StandardJson
}

/// Opens a file for the readers, decoded to UTF-8 on the fly.
pub fn decoding_reader(input: impl Read) -> crate::decode::DecodingReader<impl Read> {
    crate::decode::DecodingReader::new(input)
}
