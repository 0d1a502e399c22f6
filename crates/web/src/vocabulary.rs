//! The words people use, read from `data/vocabulaire.toml` (embedded in the binary, so the
//! search needs no file at run time and the file is reviewed like code). People type the name
//! of a body ("caf", "pole emploi"), a task ("imprimer un document") or a kind of place
//! ("médiathèque"); the places' records name services and schemes. A concept joins the two:
//! its `names` are recognised in the query, its `finds` and `also` are looked for in the places.

use serde::Deserialize;

use crate::text::stem;

/// The file, as shipped.
pub const SOURCE: &str = include_str!("../../../data/vocabulaire.toml");

/// Folds a text for the search (lower case, no accents, separators as spaces). The one place
/// the search calls the folding function, so that moving to the shared fold is one line.
pub fn fold(s: &str) -> String {
    crate::text::fold(s)
}

/// Folded words of a text, in order.
pub fn words(s: &str) -> Vec<String> {
    fold(s).split_whitespace().map(str::to_string).collect()
}

#[derive(Debug, Deserialize)]
struct File {
    stop_words: Vec<String>,
    concept: Vec<RawConcept>,
}

#[derive(Debug, Deserialize)]
struct RawConcept {
    kind: String,
    label: String,
    names: Vec<String>,
    finds: Vec<String>,
    #[serde(default)]
    also: Vec<String>,
    also_weight: Option<f32>,
}

/// What the search looks for: a phrase of stemmed words (all must be in the place), weighted.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub stems: Vec<String>,
    pub weight: f32,
}

/// One concept of the vocabulary.
#[derive(Debug, Clone)]
pub struct Concept {
    /// `operateur`, `tache` or `lieu`.
    pub kind: String,
    pub label: String,
    /// The names as folded word sequences ("pole emploi" → ["pole", "emploi"]).
    pub names: Vec<Vec<String>>,
    pub looks: Vec<Look>,
}

/// The parsed vocabulary.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub stop_words: Vec<String>,
    pub concepts: Vec<Concept>,
    /// (name words, concept index), longest names first: the query is read greedily.
    names: Vec<(Vec<String>, usize)>,
}

/// A piece of a query once read: a concept, or a plain word (folded, as typed, and stemmed).
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Concept { index: usize, typed: String },
    Word { typed: String, stem: String },
}

fn stems_of(s: &str, stop: &[String]) -> Vec<String> {
    words(s)
        .into_iter()
        .filter(|w| !stop.contains(w))
        .map(|w| stem(&w))
        .collect()
}

impl Vocabulary {
    /// The shipped vocabulary.
    pub fn shipped() -> Result<Vocabulary, String> {
        Vocabulary::parse(SOURCE)
    }

    pub fn parse(text: &str) -> Result<Vocabulary, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("vocabulaire : {e}"))?;
        let stop_words: Vec<String> = file
            .stop_words
            .iter()
            .map(|w| fold(w).trim().to_string())
            .collect();
        let mut concepts = Vec::new();
        let mut names = Vec::new();
        for raw in file.concept {
            let also_weight = raw.also_weight.unwrap_or(0.4);
            let mut looks: Vec<Look> = Vec::new();
            for (list, weight) in [(&raw.finds, 1.0), (&raw.also, also_weight)] {
                for f in list {
                    let stems = stems_of(f, &stop_words);
                    if stems.is_empty() {
                        return Err(format!(
                            "vocabulaire : « {f} » ({}) n'a aucun mot",
                            raw.label
                        ));
                    }
                    if !looks.iter().any(|l| l.stems == stems) {
                        looks.push(Look { stems, weight });
                    }
                }
            }
            let index = concepts.len();
            let mut concept_names = Vec::new();
            for n in &raw.names {
                let w = words(n);
                if w.is_empty() {
                    return Err(format!("vocabulaire : un nom vide dans {}", raw.label));
                }
                names.push((w.clone(), index));
                concept_names.push(w);
            }
            concepts.push(Concept {
                kind: raw.kind,
                label: raw.label,
                names: concept_names,
                looks,
            });
        }
        names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        Ok(Vocabulary {
            stop_words,
            concepts,
            names,
        })
    }

    pub fn is_stop_word(&self, folded: &str) -> bool {
        self.stop_words.iter().any(|w| w == folded)
    }

    /// Reads a query: concept names first (longest first, so "ordinateur pas cher" wins over
    /// "ordinateur"), then the remaining words, stop words dropped (never required).
    pub fn read(&self, text: &str) -> Vec<Piece> {
        let typed = words(text);
        let mut taken: Vec<Option<Piece>> = vec![None; typed.len()];
        let mut used = vec![false; typed.len()];
        for (name, index) in &self.names {
            let len = name.len();
            if len > typed.len() {
                continue;
            }
            let mut start = 0;
            while start + len <= typed.len() {
                if !used[start..start + len].iter().any(|u| *u)
                    && typed[start..start + len] == name[..]
                {
                    used[start..start + len].iter_mut().for_each(|u| *u = true);
                    taken[start] = Some(Piece::Concept {
                        index: *index,
                        typed: typed[start..start + len].join(" "),
                    });
                    start += len;
                } else {
                    start += 1;
                }
            }
        }
        let mut pieces: Vec<Piece> = Vec::new();
        for (i, w) in typed.iter().enumerate() {
            if let Some(p) = taken[i].take() {
                if !pieces.contains(&p) {
                    pieces.push(p);
                }
            } else if !used[i] && !self.is_stop_word(w) {
                let p = Piece::Word {
                    typed: w.clone(),
                    stem: stem(w),
                };
                if !pieces.contains(&p) {
                    pieces.push(p);
                }
            }
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concepts_of(v: &Vocabulary, q: &str) -> Vec<String> {
        v.read(q)
            .into_iter()
            .map(|p| match p {
                Piece::Concept { index, .. } => v.concepts[index].label.clone(),
                Piece::Word { typed, .. } => format!("mot:{typed}"),
            })
            .collect()
    }

    #[test]
    fn the_shipped_file_parses_and_has_every_name_the_issue_lists() {
        let v = Vocabulary::shipped().expect("the shipped vocabulary parses");
        for (typed, label) in [
            ("caf", "CAF"),
            ("caf.fr", "CAF"),
            ("CPAM", "Assurance maladie (CPAM)"),
            ("Assurance maladie", "Assurance maladie (CPAM)"),
            ("ameli", "Assurance maladie (CPAM)"),
            ("DGFiP", "Impôts (DGFiP)"),
            ("impôts", "Impôts (DGFiP)"),
            ("impots.gouv", "Impôts (DGFiP)"),
            ("France Travail", "France Travail (Pôle emploi)"),
            ("Pôle emploi", "France Travail (Pôle emploi)"),
            ("pole-emploi", "France Travail (Pôle emploi)"),
            ("ANTS", "ANTS (titres)"),
            ("carte grise", "ANTS (titres)"),
            ("permis", "ANTS (titres)"),
            ("passeport", "ANTS (titres)"),
            ("carte d'identité", "ANTS (titres)"),
            ("CARSAT", "Assurance retraite (CARSAT)"),
            ("Assurance retraite", "Assurance retraite (CARSAT)"),
            ("retraite", "Assurance retraite (CARSAT)"),
            ("MSA", "MSA"),
            ("La Poste", "La Poste"),
            ("justice", "Justice"),
            ("imprimer", "Imprimer"),
            ("scanner", "Scanner"),
            ("photocopie", "Imprimer"),
            ("wifi", "Wifi et internet"),
            ("ordinateur pas cher", "Ordinateur pas cher"),
            ("réparer", "Réparer"),
            ("apprendre", "Apprendre"),
            ("smartphone", "Smartphone"),
            ("médiathèque", "Médiathèque"),
            ("cyber-base", "Cyber-base"),
            ("EPN", "Espace public numérique"),
            ("CCAS", "CCAS"),
            ("mairie", "Mairie"),
            ("MDS", "Maison des solidarités"),
            ("France Services", "France services"),
            ("bus", "Bus itinérant"),
        ] {
            assert_eq!(concepts_of(&v, typed), vec![label.to_string()], "{typed}");
        }
    }

    #[test]
    fn operators_are_known_under_the_nine_bodies() {
        let v = Vocabulary::shipped().expect("vocabulary");
        let operators = v.concepts.iter().filter(|c| c.kind == "operateur").count();
        assert_eq!(operators, 9);
    }

    #[test]
    fn stop_words_are_never_required_and_longest_names_win() {
        let v = Vocabulary::shipped().expect("vocabulary");
        assert_eq!(
            concepts_of(&v, "ordinateur pas cher"),
            vec!["Ordinateur pas cher"]
        );
        assert_eq!(concepts_of(&v, "imprimer un document"), vec!["Imprimer"]);
        assert_eq!(
            concepts_of(&v, "aide pour la carte grise à Caussade"),
            vec!["ANTS (titres)".to_string(), "mot:caussade".to_string()]
        );
        // A word the vocabulary does not know stays a word, as typed.
        assert_eq!(concepts_of(&v, "Tricot"), vec!["mot:tricot"]);
        assert!(v.read("je cherche de l'aide").is_empty());
    }

    #[test]
    fn a_broken_file_is_an_error_not_a_panic() {
        assert!(Vocabulary::parse("stop_words = 3").is_err());
        assert!(Vocabulary::parse(
            "stop_words = [\"de\"]\n[[concept]]\nkind='x'\nlabel='X'\nnames=['x']\nfinds=['de']\n"
        )
        .is_err());
    }
}
