//! The catalogue of the standard's fields: names, order, required flag and kind, once.
//!
//! The 32 names of the *standard des lieux de médiation numérique* v1.0.1/v1.0.2 were written
//! out in five places (the v1 reader, the writer, the mapping engine, the store's bench, the
//! API's schema), each free to drift from the others. Readers, writers, the mapping engine and
//! the validator now take them from here; the order is the schema's
//! (`schema-v1.0.1.json`), which is also the order of the columns the writer produces.

/// What a field holds, as the schema types it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text (or an identifier, a code, an address).
    Text,
    /// A decimal number (`latitude`, `longitude`).
    Number,
    /// A `YYYY-MM-DD` date (`date_maj`).
    Date,
    /// Several values joined with `|` in CSV (a JSON array in JSON).
    List,
}

/// One field of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// Whether the schema marks it required.
    pub required: bool,
    pub kind: FieldKind,
}

const fn f(name: &'static str, required: bool, kind: FieldKind) -> Field {
    Field {
        name,
        required,
        kind,
    }
}

use FieldKind::{Date, List, Number, Text};

/// The 32 fields, in the schema's order.
pub const FIELDS: [Field; 32] = [
    f("id", true, Text),
    f("pivot", true, Text),
    f("nom", true, Text),
    f("commune", true, Text),
    f("code_postal", true, Text),
    f("code_insee", false, Text),
    f("adresse", true, Text),
    f("complement_adresse", false, Text),
    f("latitude", false, Number),
    f("longitude", false, Number),
    f("typologie", false, List),
    f("telephone", false, Text),
    f("courriels", false, List),
    f("site_web", false, List),
    f("horaires", false, Text),
    f("presentation_resume", false, Text),
    f("presentation_detail", false, Text),
    f("source", false, Text),
    f("itinerance", false, List),
    f("structure_parente", false, Text),
    f("date_maj", true, Date),
    f("services", false, List),
    f("publics_specifiquement_adresses", false, List),
    f("prise_en_charge_specifique", false, List),
    f("frais_a_charge", false, List),
    f("dispositif_programmes_nationaux", false, List),
    f("formations_labels", false, List),
    f("autres_formations_labels", false, List),
    f("modalites_acces", false, List),
    f("modalites_accompagnement", false, List),
    f("fiche_acces_libre", false, Text),
    f("prise_rdv", false, Text),
];

const fn names() -> [&'static str; 32] {
    let mut out = [""; 32];
    let mut i = 0;
    while i < FIELDS.len() {
        out[i] = FIELDS[i].name;
        i += 1;
    }
    out
}

const fn required_count() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < FIELDS.len() {
        if FIELDS[i].required {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn required_names() -> [&'static str; REQUIRED_COUNT] {
    let mut out = [""; REQUIRED_COUNT];
    let (mut i, mut j) = (0, 0);
    while i < FIELDS.len() {
        if FIELDS[i].required {
            out[j] = FIELDS[i].name;
            j += 1;
        }
        i += 1;
    }
    out
}

/// The field names, in the schema's order (the columns of a standard CSV).
pub const FIELD_NAMES: [&str; 32] = names();

/// How many fields the schema marks required.
pub const REQUIRED_COUNT: usize = required_count();

/// The names of the required fields, in the schema's order.
pub const REQUIRED_NAMES: [&str; REQUIRED_COUNT] = required_names();

/// The field with this name.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_the_schemas() {
        assert_eq!(FIELD_NAMES.len(), 32);
        assert_eq!(FIELD_NAMES[0], "id");
        assert_eq!(FIELD_NAMES[31], "prise_rdv");
        // The exact list is checked against the schema file in `maillage-standard`'s tests.
        assert_eq!(REQUIRED_COUNT, 7);
        assert!(REQUIRED_NAMES
            .iter()
            .all(|n| field(n).is_some_and(|f| f.required)));
        assert_eq!(field("latitude").map(|f| f.kind), Some(FieldKind::Number));
        assert_eq!(field("services").map(|f| f.kind), Some(FieldKind::List));
        assert!(field("courriel").is_none());
        let mut sorted = FIELD_NAMES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 32, "no name twice");
    }
}
