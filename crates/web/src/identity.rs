//! The territory's identity: whose service this is (service and operator names, logo, two
//! colours, contact, partners, legal mentions, data licence, theme). A département deploying
//! maillage sets it in `maillage.toml` or in the environment; the demo's defaults are neutral
//! (no real département's name or logo ships with the software).
//!
//! The identity is read once at start ([`Identity::load`]) and refused there when a colour would
//! make text unreadable (WCAG 2.1 contrast 4.5:1, computed from the relative luminance), so a
//! bad configuration never reaches a visitor. It travels in [`crate::WebConfig`]; the
//! [`scope`] middleware makes it available to [`crate::layout::Layout`] for the time of one
//! request, so that page handlers keep building their layout with `Layout::new(title, nav)`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;

/// Where the visible components come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Our own design system: any territory may use it.
    Neutral,
    /// The State's design system (DSFR, Marianne block and font): only for a State service that
    /// holds the approval to use it (a préfecture, a State France Services network).
    Etat,
}

/// The licence of the directory's open data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Licence {
    Etalab2,
    Odbl,
}

impl Licence {
    pub fn name(self) -> &'static str {
        match self {
            Licence::Etalab2 => "Licence Ouverte 2.0 (Etalab)",
            Licence::Odbl => "Open Database License (ODbL) 1.0",
        }
    }
    pub fn url(self) -> &'static str {
        match self {
            Licence::Etalab2 => "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            Licence::Odbl => "https://opendatacommons.org/licenses/odbl/1-0/",
        }
    }
    /// What a re-user must do, in plain words.
    pub fn terms(self) -> &'static str {
        match self {
            Licence::Etalab2 => "Vous pouvez réutiliser les données librement, y compris pour un usage commercial, à condition de citer la source et la date de mise à jour.",
            Licence::Odbl => "Vous pouvez réutiliser les données librement, à condition de citer la source et de partager sous la même licence toute base de données qui en est dérivée.",
        }
    }
}

/// An sRGB colour given as `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub [u8; 3]);

impl Colour {
    pub const WHITE: Colour = Colour([255, 255, 255]);
    pub const BLACK: Colour = Colour([0, 0, 0]);

    /// `#1f5f8b`, `1f5f8b` or `#15b` (the `#` is optional so that a query parameter need not
    /// encode it).
    pub fn parse(text: &str) -> Option<Colour> {
        let hex = text.trim().trim_start_matches('#');
        let full: String = match hex.len() {
            3 => hex.chars().flat_map(|c| [c, c]).collect(),
            6 => hex.to_string(),
            _ => return None,
        };
        if !full.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&full[i..i + 2], 16).ok();
        Some(Colour([byte(0)?, byte(2)?, byte(4)?]))
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }

    /// WCAG 2.1 relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let s = f64::from(c) / 255.0;
            if s <= 0.03928 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0[0]) + 0.7152 * channel(self.0[1]) + 0.0722 * channel(self.0[2])
    }

    /// WCAG 2.1 contrast ratio, from 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

/// The minimum contrast of normal text (WCAG 2.1 AA, RGAA criterion 3.2).
pub const MIN_CONTRAST: f64 = 4.5;

/// The primary colour carries white text (header, buttons) and is the colour of links on white.
pub fn check_primary(c: Colour) -> Result<Colour, String> {
    check(
        c,
        Colour::WHITE,
        "couleur principale",
        "un texte blanc dessus (ou cette couleur sur fond blanc)",
        "plus foncée",
    )
}

/// The secondary colour is a light background (notices, tags) under black text.
pub fn check_secondary(c: Colour) -> Result<Colour, String> {
    check(
        c,
        Colour::BLACK,
        "couleur secondaire",
        "un texte noir dessus",
        "plus claire",
    )
}

fn check(c: Colour, text: Colour, which: &str, how: &str, fix: &str) -> Result<Colour, String> {
    let ratio = c.contrast(text);
    if ratio < MIN_CONTRAST {
        return Err(format!(
            "{which} {} refusée : {how} n'a qu'un contraste de {}:1, il faut au moins 4,5:1 pour être lisible (RGAA 3.2) ; choisissez une couleur {fix}",
            c.hex(),
            fmt_ratio(ratio)
        ));
    }
    Ok(c)
}

fn fmt_ratio(r: f64) -> String {
    format!("{:.2}", (r * 100.0).floor() / 100.0).replace('.', ",")
}

/// An image given by its file, read once at start and served from memory.
#[derive(Debug, Clone)]
pub struct Image {
    pub path: PathBuf,
    pub bytes: Arc<Vec<u8>>,
    pub content_type: &'static str,
}

impl Image {
    fn read(path: &Path) -> Result<Image, String> {
        let content_type = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("webp") => "image/webp",
            _ => {
                return Err(format!(
                    "logo {} : format non pris en charge (SVG, PNG, JPEG ou WebP)",
                    path.display()
                ))
            }
        };
        let bytes =
            std::fs::read(path).map_err(|e| format!("logo {} illisible : {e}", path.display()))?;
        Ok(Image {
            path: path.to_path_buf(),
            bytes: Arc::new(bytes),
            content_type,
        })
    }
}

/// A partner shown in the footer.
#[derive(Debug, Clone)]
pub struct Partner {
    pub name: String,
    pub logo: Option<Image>,
    pub url: Option<String>,
}

/// Everything the pages say about who runs the service.
#[derive(Debug, Clone)]
pub struct Identity {
    /// "Inclusion numérique 82"
    pub service_name: String,
    /// "Département de Tarn-et-Garonne"
    pub operator_name: String,
    /// One sentence under the service name.
    pub tagline: String,
    pub logo: Option<Image>,
    pub primary: Colour,
    pub secondary: Colour,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub partners: Vec<Partner>,
    /// The publisher of the site (legal mentions).
    pub publisher: String,
    pub director: String,
    /// The host: name, address, phone (legal mentions).
    pub host: String,
    pub licence: Licence,
    pub theme: Theme,
}

impl Default for Identity {
    fn default() -> Self {
        Identity::demo()
    }
}

/// The file layout of `maillage.toml` (French keys, like the environment variables).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    identite: FileIdentity,
    #[serde(default)]
    contact: FileContact,
    #[serde(default)]
    mentions: FileMentions,
    #[serde(default)]
    partenaires: Vec<FilePartner>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIdentity {
    service: Option<String>,
    operateur: Option<String>,
    accroche: Option<String>,
    logo: Option<PathBuf>,
    couleur_principale: Option<String>,
    couleur_secondaire: Option<String>,
    licence: Option<String>,
    theme: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileContact {
    telephone: Option<String>,
    courriel: Option<String>,
    adresse: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMentions {
    editeur: Option<String>,
    directeur_publication: Option<String>,
    hebergeur: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePartner {
    nom: String,
    logo: Option<PathBuf>,
    lien: Option<String>,
}

/// The environment variables that override the file, with what each sets (README lists them).
pub const ENV_VARS: &[(&str, &str)] = &[
    ("MAILLAGE_SERVICE_NOM", "nom du service"),
    (
        "MAILLAGE_OPERATEUR_NOM",
        "nom de la collectivité qui le porte",
    ),
    ("MAILLAGE_ACCROCHE", "phrase sous le nom du service"),
    ("MAILLAGE_LOGO", "fichier du logo (SVG, PNG, JPEG, WebP)"),
    ("MAILLAGE_COULEUR_PRINCIPALE", "couleur principale #rrggbb"),
    ("MAILLAGE_COULEUR_SECONDAIRE", "couleur secondaire #rrggbb"),
    ("MAILLAGE_CONTACT_TELEPHONE", "téléphone de contact"),
    ("MAILLAGE_CONTACT_COURRIEL", "courriel de contact"),
    ("MAILLAGE_CONTACT_ADRESSE", "adresse postale"),
    ("MAILLAGE_EDITEUR", "éditeur du site"),
    (
        "MAILLAGE_DIRECTEUR_PUBLICATION",
        "directeur de la publication",
    ),
    ("MAILLAGE_HEBERGEUR", "hébergeur"),
    ("MAILLAGE_LICENCE", "licence-ouverte-2.0 ou odbl"),
    ("MAILLAGE_THEME", "neutre ou etat"),
];

impl Identity {
    /// The neutral identity of the demo: no real territory's name, logo or colours.
    pub fn demo() -> Identity {
        Identity {
            service_name: "Annuaire de l'inclusion numérique".into(),
            operator_name: "Démonstration".into(),
            tagline:
                "Trouver un lieu pour se faire aider avec le numérique et les démarches en ligne"
                    .into(),
            logo: None,
            primary: Colour([0x1d, 0x5a, 0x82]),
            secondary: Colour([0xe6, 0xf0, 0xf5]),
            phone: None,
            email: None,
            address: None,
            partners: Vec::new(),
            publisher: "Démonstration du logiciel maillage (aucun éditeur configuré)".into(),
            director: "non renseigné (démonstration)".into(),
            host: "non renseigné (démonstration)".into(),
            licence: Licence::Etalab2,
            theme: Theme::Neutral,
        }
    }

    /// The identity for `maillage serve`/`demo`: the demo's defaults, then the file (`path`, or
    /// `MAILLAGE_CONFIG` when `path` is `None`), then the environment. An error is a French
    /// sentence for the terminal.
    pub fn load(path: Option<&Path>) -> Result<Identity, String> {
        let from_env = std::env::var_os("MAILLAGE_CONFIG")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        let path = path.map(Path::to_path_buf).or(from_env);
        let text = match &path {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                format!("fichier de configuration {} illisible : {e}", p.display())
            })?),
            None => None,
        };
        let base = path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Identity::from_sources(text.as_deref(), &base, |k| {
            std::env::var(k).ok().filter(|v| !v.trim().is_empty())
        })
        .map_err(|e| match &path {
            Some(p) => format!("{} : {e}", p.display()),
            None => e,
        })
    }

    /// Builds the identity from a TOML text (relative file paths are read from `base`) and an
    /// environment lookup; checks the colours.
    pub fn from_sources(
        toml_text: Option<&str>,
        base: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Identity, String> {
        let file: File = match toml_text {
            Some(t) => toml::from_str(t).map_err(|e| format!("configuration incorrecte : {e}"))?,
            None => File::default(),
        };
        let mut id = Identity::demo();
        let pick = |var: &str, from_file: Option<String>| env(var).or(from_file);
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        if let Some(v) = pick("MAILLAGE_SERVICE_NOM", file.identite.service) {
            id.service_name = v;
        }
        if let Some(v) = pick("MAILLAGE_OPERATEUR_NOM", file.identite.operateur) {
            id.operator_name = v;
        }
        if let Some(v) = pick("MAILLAGE_ACCROCHE", file.identite.accroche) {
            id.tagline = v;
        }
        let logo = env("MAILLAGE_LOGO")
            .map(PathBuf::from)
            .or(file.identite.logo.map(resolve));
        if let Some(p) = logo {
            id.logo = Some(Image::read(&p)?);
        }
        if let Some(v) = pick(
            "MAILLAGE_COULEUR_PRINCIPALE",
            file.identite.couleur_principale,
        ) {
            let c = Colour::parse(&v).ok_or_else(|| {
                format!("couleur principale « {v} » : écrire #rrggbb, par exemple #1d5a82")
            })?;
            id.primary = check_primary(c)?;
        }
        if let Some(v) = pick(
            "MAILLAGE_COULEUR_SECONDAIRE",
            file.identite.couleur_secondaire,
        ) {
            let c = Colour::parse(&v).ok_or_else(|| {
                format!("couleur secondaire « {v} » : écrire #rrggbb, par exemple #e6f0f5")
            })?;
            id.secondary = check_secondary(c)?;
        }
        if let Some(v) = pick("MAILLAGE_LICENCE", file.identite.licence) {
            id.licence = match v.trim().to_lowercase().as_str() {
                "licence-ouverte-2.0" | "licence-ouverte" | "etalab-2.0" => Licence::Etalab2,
                "odbl" => Licence::Odbl,
                _ => {
                    return Err(format!(
                        "licence « {v} » inconnue : écrire licence-ouverte-2.0 ou odbl"
                    ))
                }
            };
        }
        if let Some(v) = pick("MAILLAGE_THEME", file.identite.theme) {
            id.theme = match v.trim().to_lowercase().as_str() {
                "neutre" | "" => Theme::Neutral,
                "etat" | "état" => Theme::Etat,
                _ => return Err(format!("thème « {v} » inconnu : écrire neutre ou etat")),
            };
        }
        id.phone = pick("MAILLAGE_CONTACT_TELEPHONE", file.contact.telephone).or(id.phone);
        id.email = pick("MAILLAGE_CONTACT_COURRIEL", file.contact.courriel).or(id.email);
        id.address = pick("MAILLAGE_CONTACT_ADRESSE", file.contact.adresse).or(id.address);
        if let Some(v) = pick("MAILLAGE_EDITEUR", file.mentions.editeur) {
            id.publisher = v;
        }
        if let Some(v) = pick(
            "MAILLAGE_DIRECTEUR_PUBLICATION",
            file.mentions.directeur_publication,
        ) {
            id.director = v;
        }
        if let Some(v) = pick("MAILLAGE_HEBERGEUR", file.mentions.hebergeur) {
            id.host = v;
        }
        for p in file.partenaires {
            id.partners.push(Partner {
                name: p.nom,
                logo: p.logo.map(|l| Image::read(&resolve(l))).transpose()?,
                url: p.lien,
            });
        }
        Ok(id)
    }

    /// The name shown in page titles and the header: "Service — Opérateur".
    pub fn full_name(&self) -> String {
        if self.operator_name.is_empty() {
            self.service_name.clone()
        } else {
            format!("{} — {}", self.service_name, self.operator_name)
        }
    }

    /// The contact phone for a `tel:` link (digits and `+` only).
    pub fn tel(&self) -> String {
        self.phone
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    }

    /// The stylesheet carrying the colours (served as `/theme.css`: the CSP forbids inline
    /// styles).
    pub fn stylesheet(&self) -> String {
        theme_css(self.primary, self.secondary)
    }
}

/// The custom properties our CSS reads. The darker shade of the primary colour is for hover.
pub fn theme_css(primary: Colour, secondary: Colour) -> String {
    let dark = Colour(primary.0.map(|c| (f64::from(c) * 0.8) as u8));
    let mut css = String::new();
    let _ = writeln!(
        css,
        ":root{{--primary:{};--primary-dark:{};--secondary:{}}}",
        primary.hex(),
        dark.hex(),
        secondary.hex()
    );
    css
}

tokio::task_local! {
    static CURRENT: Arc<Identity>;
}

/// The identity of the request being served (the demo's outside a request, e.g. in a unit
/// test rendering a template directly).
pub fn current() -> Arc<Identity> {
    CURRENT
        .try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::new(Identity::demo()))
}

/// Runs `f` (on a blocking thread, say) with `id` as the [`current`] identity: a task-local
/// does not follow work handed to `spawn_blocking`.
pub fn within<R>(id: Arc<Identity>, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(id, f)
}

/// Middleware: makes the configured identity [`current`] while the request is handled.
pub async fn scope(State(state): State<crate::AppState>, request: Request, next: Next) -> Response {
    let id = state.config.identity.clone();
    CURRENT.scope(id, next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        assert!((Colour::WHITE.contrast(Colour::BLACK) - 21.0).abs() < 1e-9);
        // #767676 on white is the well-known 4.54:1 threshold grey.
        let grey = Colour::parse("#767676").expect("hex");
        assert!((grey.contrast(Colour::WHITE) - 4.54).abs() < 0.01);
        assert_eq!(Colour::parse("15b"), Colour::parse("#1155bb"));
        assert_eq!(Colour::parse("#12345g"), None);
        assert_eq!(Colour::parse("#1234"), None);
    }

    #[test]
    fn demo_colours_pass_and_unreadable_colours_are_refused() {
        let d = Identity::demo();
        assert!(check_primary(d.primary).is_ok());
        assert!(check_secondary(d.secondary).is_ok());
        let yellow = Colour::parse("#ffcc00").expect("hex");
        let e = check_primary(yellow).expect_err("yellow under white text");
        assert!(e.contains("#ffcc00") && e.contains("4,5:1"), "{e}");
        let navy = Colour::parse("#000091").expect("hex");
        assert!(check_primary(navy).is_ok());
        assert!(check_secondary(navy).is_err());
    }

    #[test]
    fn file_then_environment() {
        let toml = r##"
[identite]
service = "Inclusion numérique 82"
operateur = "Département de Tarn-et-Garonne"
couleur_principale = "#00558c"
licence = "odbl"
theme = "etat"
[contact]
telephone = "05 63 00 00 00"
[[partenaires]]
nom = "Préfecture"
"##;
        let env = |k: &str| (k == "MAILLAGE_OPERATEUR_NOM").then(|| "Conseil départemental".into());
        let id = Identity::from_sources(Some(toml), Path::new("."), env).expect("valid");
        assert_eq!(id.service_name, "Inclusion numérique 82");
        assert_eq!(id.operator_name, "Conseil départemental");
        assert_eq!(id.primary.hex(), "#00558c");
        assert_eq!(id.licence, Licence::Odbl);
        assert_eq!(id.theme, Theme::Etat);
        assert_eq!(id.phone.as_deref(), Some("05 63 00 00 00"));
        assert_eq!(id.partners.len(), 1);
        let bad = Identity::from_sources(
            Some("[identite]\ncouleur_principale = \"#ffff00\"\n"),
            Path::new("."),
            |_| None,
        )
        .expect_err("refused");
        assert!(bad.contains("couleur principale #ffff00 refusée"), "{bad}");
        let typo = Identity::from_sources(
            Some("[identite]\nservise = \"x\"\n"),
            Path::new("."),
            |_| None,
        )
        .expect_err("unknown key");
        assert!(typo.contains("servise"), "{typo}");
        let missing_logo = Identity::from_sources(None, Path::new("."), |k| {
            (k == "MAILLAGE_LOGO").then(|| "/nulle-part/logo.svg".into())
        })
        .expect_err("missing logo");
        assert!(missing_logo.contains("illisible"), "{missing_logo}");
    }

    #[test]
    fn the_example_file_of_the_repository_is_valid() {
        let text = include_str!("../../../maillage.example.toml");
        let id = Identity::from_sources(Some(text), Path::new("."), |_| None).expect("example");
        assert_eq!(id.service_name, "Inclusion numérique 82");
        assert_eq!(id.theme, Theme::Neutral);
        assert_eq!(id.partners.len(), 1);
    }
}
