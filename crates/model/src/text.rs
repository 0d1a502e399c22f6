//! Text folding: the one place that decides when two French spellings are "the same".
//!
//! Labels typed by hand ("demarches administratives", "DÉMARCHES  administratives"), free-text
//! hours ("Lun–Ven 9h–12h"), commune names ("Saint-Étienne-de-Tulmont") and search queries all
//! need accents, case, ligatures (œ, æ) and typographic apostrophes folded away. Four copies of
//! this had drifted apart (one knew `æ`, another `á`, a third only `é è ê`); there is now one
//! table, with two outputs:
//!
//! - [`fold`] keeps punctuation (hyphens, slashes, colons): the hours parser needs `9h-12h`
//!   and the closed lists compare whole labels;
//! - [`fold_words`] also turns every character that is neither a letter nor a digit into a
//!   word break: for search and for names, where "Saint-Paul", "saint paul" and "Saint’Paul"
//!   must meet.

/// Lower case, accents removed, œ/æ/ß expanded, typographic apostrophes (`’ ‘ ʼ` and the
/// backtick) made `'`, typographic quotes made `"`, dashes made `-`, every run of spaces (no-break
/// and narrow no-break included) one space, no space at either end.
pub fn fold(s: &str) -> String {
    fold_with(s, false)
}

/// Like [`fold`], and every character that is neither a letter nor a digit (hyphen,
/// apostrophe, punctuation) is a word break: `"Point d’accès — CAF"` → `"point d acces caf"`.
pub fn fold_words(s: &str) -> String {
    fold_with(s, true)
}

fn fold_with(s: &str, words: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    let mut push = |out: &mut String, c: char| {
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    };
    for c in s.chars() {
        if c.is_ascii() {
            let c = match c {
                '\t' | '\n' | '\r' => ' ',
                '`' => '\'',
                c if words && !c.is_ascii_alphanumeric() => ' ',
                c => c.to_ascii_lowercase(),
            };
            push(&mut out, c);
            continue;
        }
        let mapped: &str = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' | 'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => {
                "a"
            }
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "e",
            'î' | 'ï' | 'í' | 'ì' | 'Î' | 'Ï' | 'Í' | 'Ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => "u",
            'ç' | 'Ç' => "c",
            'ÿ' | 'Ÿ' | 'ý' | 'Ý' => "y",
            'ñ' | 'Ñ' => "n",
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            '’' | '‘' | 'ʼ' | '′' => {
                if words {
                    " "
                } else {
                    "'"
                }
            }
            '«' | '»' | '“' | '”' | '„' => {
                if words {
                    " "
                } else {
                    "\""
                }
            }
            '‐' | '‑' | '‒' | '–' | '—' | '−' => {
                if words {
                    " "
                } else {
                    "-"
                }
            }
            c if c.is_whitespace() => " ",
            c if c.is_alphanumeric() => {
                for l in c.to_lowercase() {
                    push(&mut out, l);
                }
                continue;
            }
            _ if words => " ",
            c => {
                push(&mut out, c);
                continue;
            }
        };
        for m in mapped.chars() {
            push(&mut out, m);
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_spaces() {
        assert_eq!(
            fold("  Aide aux DÉMARCHES\u{a0} administratives "),
            "aide aux demarches administratives"
        );
        assert_eq!(fold("Lun–Ven 9h–12h"), "lun-ven 9h-12h");
    }

    /// The label fold knew `œ` but not `æ`; the search fold knew both.
    #[test]
    fn ligatures_are_expanded_by_both_folds() {
        assert_eq!(fold("Cœur d’Æsir"), "coeur d'aesir");
        assert_eq!(fold_words("Cœur d’Æsir"), "coeur d aesir");
    }

    /// The search fold knew `á ñ`, the label fold did not.
    #[test]
    fn accents_only_one_copy_knew() {
        assert_eq!(fold("Málaga Ñandú"), "malaga nandu");
    }

    /// The search fold made every separator a space but left runs of them; the label fold
    /// collapsed spaces but kept apostrophes and hyphens.
    #[test]
    fn apostrophes_and_hyphens() {
        assert_eq!(fold("Point d’accès"), "point d'acces");
        assert_eq!(fold_words("Point d’accès - CAF"), "point d acces caf");
        assert_eq!(
            fold_words("Saint-Étienne-de-Tulmont"),
            fold_words("saint etienne de tulmont")
        );
        assert_eq!(fold_words("l'Isle-Jourdain"), "l isle jourdain");
    }

    #[test]
    fn digits_and_other_letters_are_kept() {
        assert_eq!(fold_words("ORDI 3.0"), "ordi 3 0");
        assert_eq!(fold("Ελλάδα"), "ελλάδα");
    }
}
