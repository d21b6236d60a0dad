//! Reading the two kinds of wiki page: the national Pokédex list and a Pokémon's biology page.
//!
//! Both parsers are liberal: they skip what they do not understand instead of failing, so one odd
//! row or a page laid out a little differently never stops a scrape.

use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

/// One row of the national Pokédex list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// National Pokédex number.
    pub number: u32,
    /// Absolute URL of the miniature, or `None` when the row has no usable `<img>`.
    pub image: Option<Url>,
    /// French name (Poképédia's own column), possibly empty.
    pub name_fr: String,
    /// English name: the `name` column of `pokedex.csv` and the `{name}` of the biology URL.
    pub name_en: String,
}

/// What [`parse_list`] found on a list page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The rows understood, in page order, at most one per national number (the first wins).
    pub entries: Vec<ListEntry>,
    /// Rows with `<td>` cells that were skipped, with the reason (no number, no name, duplicate).
    pub skipped: Vec<String>,
}

/// Where a description was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BioSource {
    /// The first paragraph after the `Biology` heading.
    Biology,
    /// No usable `Biology` section: the first paragraph of `div#mw-content-text`.
    FirstParagraph,
}

/// A description read from a biology page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio {
    /// The paragraph's text, white space collapsed to single spaces.
    pub text: String,
    /// Where it came from.
    pub source: BioSource,
}

fn selector(css: &str) -> Selector {
    // The selectors are string literals of this module, checked by the unit tests.
    Selector::parse(css).unwrap_or_else(|e| panic!("invalid built-in selector {css:?}: {e}"))
}

/// Collapses every run of white space to one space and trims both ends.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text of an element without scripts, styles and reference markers, white space collapsed.
fn clean_text(element: ElementRef<'_>) -> String {
    fn walk(element: ElementRef<'_>, out: &mut String) {
        let el = element.value();
        let skip = matches!(el.name(), "script" | "style" | "noscript")
            || (el.name() == "sup" && el.classes().any(|c| c == "reference"));
        if skip {
            return;
        }
        if el.name() == "br" {
            out.push(' ');
        }
        for child in element.children() {
            if let Node::Text(text) = child.value() {
                out.push_str(text);
            } else if let Some(child) = ElementRef::wrap(child) {
                walk(child, out);
            }
        }
    }
    let mut raw = String::new();
    walk(element, &mut raw);
    collapse_whitespace(&raw)
}

/// The first image URL of an `<img>`: `src`, else a lazy-loading `data-src`, else the first
/// candidate of `srcset`, joined to `base`.
fn image_url(img: ElementRef<'_>, base: &Url) -> Option<Url> {
    let el = img.value();
    let raw = el
        .attr("src")
        .filter(|s| !s.trim().is_empty() && !s.trim_start().starts_with("data:"))
        .or_else(|| el.attr("data-src"))
        .map(str::to_owned)
        .or_else(|| {
            el.attr("srcset")
                .and_then(|s| s.split(',').next())
                .and_then(|c| c.split_whitespace().next())
                .map(str::to_owned)
        })?;
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    base.join(raw).ok()
}

/// Reads the national number from a cell's text: its digits (`"#0025"`, `"N° 25"`, `" 025 "`).
fn national_number(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || text.chars().filter(char::is_ascii_digit).count() > 5 {
        return None;
    }
    // Accept a short prefix (`#`, `N°`) but not text with letters after the digits.
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let (prefix, digits) = text.split_at(start);
    if prefix.chars().filter(|c| c.is_alphanumeric()).count() > 1 {
        return None;
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n > 0)
}

/// Parses the national Pokédex list page.
///
/// Every `<tr>` with `<td>` cells is a candidate row: the first cell holds the national number
/// (digits), a cell holds the miniature's `<img>` (relative sources are joined to `base`, the
/// page's own final URL), and the two text cells after the image cell are the French and the
/// English name. Extra cells, white space, rows without an image and header rows are accepted;
/// rows without a number or an English name are skipped with a reason.
///
/// ```
/// use pxby_tools::scrape::parse::parse_list;
/// let base = url::Url::parse("https://wiki.example/wiki/List").unwrap();
/// let html = r#"<table>
///   <tr><th>No.</th><th>Image</th><th>Nom</th><th>Name</th></tr>
///   <tr><td> 0025 </td><td><a href="/x"><img src="/images/25.png"></a></td>
///       <td>Pikachu</td><td> Pikachu </td><td>Électrik</td></tr>
/// </table>"#;
/// let page = parse_list(html, &base);
/// assert_eq!(page.entries[0].number, 25);
/// assert_eq!(page.entries[0].name_en, "Pikachu");
/// assert_eq!(page.entries[0].image.as_ref().unwrap().as_str(), "https://wiki.example/images/25.png");
/// ```
pub fn parse_list(html: &str, base: &Url) -> ListPage {
    let doc = Html::parse_document(html);
    let rows = selector("tr");
    let cells_sel = selector("td");
    let img_sel = selector("img");
    let mut page = ListPage::default();
    let mut seen = std::collections::HashSet::new();
    for row in doc.select(&rows) {
        // Only the row's own cells, not those of a table nested inside a cell.
        let cells: Vec<ElementRef<'_>> = row
            .child_elements()
            .filter(|c| c.value().name() == "td" || c.value().name() == "th")
            .collect();
        if !cells.iter().any(|c| c.value().name() == "td") {
            continue; // a header row
        }
        // A row may give its number as a <th> (a row header): then every cell counts;
        // otherwise only the <td> cells do.
        let number_in_th = cells.first().is_some_and(|c| {
            c.value().name() == "th" && national_number(&clean_text(*c)).is_some()
        });
        let cells: Vec<ElementRef<'_>> = if number_in_th {
            cells
        } else {
            cells.into_iter().filter(|c| cells_sel.matches(c)).collect()
        };
        let first_text = cells.first().map(|c| clean_text(*c)).unwrap_or_default();
        let Some(number) = national_number(&first_text) else {
            page.skipped.push(format!(
                "row without a national number: {:?}",
                truncate(&first_text)
            ));
            continue;
        };
        let image_cell = cells
            .iter()
            .position(|c| c.select(&img_sel).next().is_some());
        let image = image_cell.and_then(|i| {
            cells[i]
                .select(&img_sel)
                .find_map(|img| image_url(img, base))
        });
        // The names follow the image cell; a row whose image cell is empty still has the cell.
        let names_from = match image_cell {
            Some(i) => i + 1,
            None if cells.len() >= 4 => 2,
            None => 1,
        };
        let name_fr = cells
            .get(names_from)
            .map(|c| clean_text(*c))
            .unwrap_or_default();
        let name_en = cells
            .get(names_from + 1)
            .map(|c| clean_text(*c))
            .unwrap_or_default();
        if name_en.is_empty() {
            page.skipped
                .push(format!("#{number}: row without an English name"));
            continue;
        }
        if !seen.insert(number) {
            page.skipped.push(format!(
                "#{number} {name_en}: duplicate national number, first row kept"
            ));
            continue;
        }
        page.entries.push(ListEntry {
            number,
            image,
            name_fr,
            name_en,
        });
    }
    page
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Parses a biology page: the first non-empty `<p>` after the `<h2>` holding
/// `<span id="Biology">` (or an `<h2 id="Biology">`), within that section; if there is none, the
/// first non-empty `<p>` of `<div id="mw-content-text">`. `None` when neither exists.
///
/// ```
/// use pxby_tools::scrape::parse::{parse_bio, BioSource};
/// let html = r#"<h1 id="firstHeading">Pikachu</h1><div id="mw-content-text">
///   <p>Pikachu is an Electric-type Pokémon.</p>
///   <h2><span class="mw-headline" id="Biology">Biology</span></h2>
///   <table><tr><td>not this</td></tr></table>
///   <p>Pikachu is a short,
///      chubby rodent Pokémon.</p></div>"#;
/// let bio = parse_bio(html).unwrap();
/// assert_eq!(bio.text, "Pikachu is a short, chubby rodent Pokémon.");
/// assert_eq!(bio.source, BioSource::Biology);
/// ```
pub fn parse_bio(html: &str) -> Option<Bio> {
    let doc = Html::parse_document(html);
    let heading = doc
        .select(&selector("h2 #Biology"))
        .next()
        .and_then(|span| {
            span.ancestors()
                .filter_map(ElementRef::wrap)
                .find(|a| a.value().name() == "h2")
        })
        .or_else(|| doc.select(&selector("h2#Biology")).next());
    if let Some(h2) = heading {
        // Newer MediaWiki wraps the heading in <div class="mw-heading">: walk from the wrapper.
        let start = h2
            .parent()
            .and_then(ElementRef::wrap)
            .filter(|p| p.value().classes().any(|c| c == "mw-heading"))
            .unwrap_or(h2);
        for sibling in start.next_siblings().filter_map(ElementRef::wrap) {
            let name = sibling.value().name();
            let is_heading = name == "h2"
                || (name == "div" && sibling.value().classes().any(|c| c == "mw-heading2"));
            if is_heading {
                break; // the next section: the Biology section had no paragraph
            }
            if name == "p" {
                let text = clean_text(sibling);
                if !text.is_empty() {
                    return Some(Bio {
                        text,
                        source: BioSource::Biology,
                    });
                }
            }
        }
    }
    doc.select(&selector("div#mw-content-text p"))
        .map(clean_text)
        .find(|t| !t.is_empty())
        .map(|text| Bio {
            text,
            source: BioSource::FirstParagraph,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://www.pokepedia.fr/Liste_des_Pok%C3%A9mon").unwrap()
    }

    #[test]
    fn list_rows_are_read_liberally() {
        let html = r#"<html><body>
        <table class="tableaustandard">
          <tr><th>Numéro</th><th>Image</th><th>Nom français</th><th>Nom anglais</th></tr>
          <tr>
            <td>
               0001
            </td>
            <td><a href="/Bulbizarre"><img alt="" src="/images/thumb/Miniature_0001.png"></a></td>
            <td><a href="/Bulbizarre">Bulbizarre</a></td>
            <td>Bulbasaur</td><td>Bisasam</td><td>Plante</td>
          </tr>
          <tr><td>#0002</td><td><img src="//cdn.example/images/2.png"></td><td>Herbizarre</td>
              <td>Ivysaur<sup class="reference">[1]</sup></td></tr>
          <tr><td>0003</td><td></td><td>Florizarre</td><td>Venusaur</td><td>x</td></tr>
          <tr><td>0004</td><td><img data-src="https://img.example/4.png" src="data:image/gif;base64,R0"></td>
              <td>Salamèche</td><td>Charmander</td></tr>
          <tr><td>0001</td><td><img src="/again.png"></td><td>Bulbizarre</td><td>Bulbasaur</td></tr>
          <tr><td>total</td><td>4</td></tr>
          <tr><td>0005</td><td><img src="/5.png"></td><td>Reptincel</td><td>  </td></tr>
          <tr><th>0006</th><td><img src="/6.png"></td><td>Dracaufeu</td><td>Charizard</td></tr>
          <tr><th>row label</th><td>0007</td><td><img src="/7.png"></td><td>Carapuce</td><td>Squirtle</td></tr>
        </table></body></html>"#;
        let page = parse_list(html, &base());
        let got: Vec<(u32, Option<String>, &str, &str)> = page
            .entries
            .iter()
            .map(|e| {
                (
                    e.number,
                    e.image.as_ref().map(std::string::ToString::to_string),
                    e.name_fr.as_str(),
                    e.name_en.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    1,
                    Some("https://www.pokepedia.fr/images/thumb/Miniature_0001.png".into()),
                    "Bulbizarre",
                    "Bulbasaur"
                ),
                (
                    2,
                    Some("https://cdn.example/images/2.png".into()),
                    "Herbizarre",
                    "Ivysaur"
                ),
                (3, None, "Florizarre", "Venusaur"),
                (
                    4,
                    Some("https://img.example/4.png".into()),
                    "Salamèche",
                    "Charmander"
                ),
                (
                    6,
                    Some("https://www.pokepedia.fr/6.png".into()),
                    "Dracaufeu",
                    "Charizard"
                ),
                (
                    7,
                    Some("https://www.pokepedia.fr/7.png".into()),
                    "Carapuce",
                    "Squirtle"
                ),
            ]
        );
        assert_eq!(page.skipped.len(), 3, "{:?}", page.skipped);
        assert!(page.skipped.iter().any(|s| s.contains("duplicate")));
        assert!(page.skipped.iter().any(|s| s.contains("English name")));
        assert!(page.skipped.iter().any(|s| s.contains("national number")));
    }

    #[test]
    fn numbers_need_digits() {
        assert_eq!(national_number(" 0025 "), Some(25));
        assert_eq!(national_number("N° 151"), Some(151));
        assert_eq!(national_number("#007"), Some(7));
        assert_eq!(national_number("Total"), None);
        assert_eq!(national_number("25 kg"), None);
        assert_eq!(national_number("0"), None);
        assert_eq!(national_number(""), None);
    }

    #[test]
    fn bio_prefers_the_biology_section() {
        let html = r#"<html><body><h1 id="firstHeading">Bulbasaur (Pokémon)</h1>
          <div id="mw-content-text"><div class="mw-parser-output">
          <p>Bulbasaur is a dual-type Grass/Poison Pokémon.</p>
          <h2><span class="mw-headline" id="Biology">Biology</span></h2>
          <div class="thumb">image</div>
          <p>   </p>
          <p>Bulbasaur is a small,   quadrupedal <a href="/wiki/Amphibian">amphibian</a>
             Pokémon.<sup class="reference">[1]</sup></p>
          <p>Second paragraph.</p>
          </div></div></body></html>"#;
        let bio = parse_bio(html).unwrap();
        assert_eq!(bio.source, BioSource::Biology);
        assert_eq!(
            bio.text,
            "Bulbasaur is a small, quadrupedal amphibian Pokémon."
        );
    }

    #[test]
    fn bio_with_new_heading_markup() {
        let html = r#"<div id="mw-content-text"><p>Intro.</p>
          <div class="mw-heading mw-heading2"><h2 id="Biology">Biology</h2></div>
          <p>The biology.</p></div>"#;
        let bio = parse_bio(html).unwrap();
        assert_eq!(
            (bio.text.as_str(), bio.source),
            ("The biology.", BioSource::Biology)
        );
    }

    #[test]
    fn bio_falls_back_to_the_first_paragraph() {
        let without = r#"<div id="mw-content-text"><p></p><p>Intro text.</p>
          <h2><span id="Evolution">Evolution</span></h2><p>Later.</p></div>"#;
        let bio = parse_bio(without).unwrap();
        assert_eq!(
            (bio.text.as_str(), bio.source),
            ("Intro text.", BioSource::FirstParagraph)
        );
        // A Biology heading followed directly by the next section also falls back.
        let empty = r#"<div id="mw-content-text"><p>Intro.</p>
          <h2><span id="Biology">Biology</span></h2><h2><span id="Trivia">T</span></h2>
          <p>Trivia text.</p></div>"#;
        let bio = parse_bio(empty).unwrap();
        assert_eq!(
            (bio.text.as_str(), bio.source),
            ("Intro.", BioSource::FirstParagraph)
        );
        assert_eq!(parse_bio("<html><body><p>outside</p></body></html>"), None);
    }
}
