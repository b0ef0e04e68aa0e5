//! Product names, descriptions and slugs composed from the word lists, in each language's
//! word order ("Classic Cotton T-Shirt", "T-shirt classique en coton", "Klassisches
//! Baumwoll-T-Shirt", "Camiseta clásica de algodón", "クラシック コットン Tシャツ", "经典棉质T恤").

use std::fmt::Write;

use super::words::{Adj, G, Lang, Material, Noun};

/// What a product's name is made of.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NameParts<'a> {
    pub adj: &'a Adj,
    /// Named only in departments that name materials.
    pub material: Option<&'a Material>,
    pub noun: &'a Noun,
    /// Model number of electronics ("X200"), as a letter and a number.
    pub model: Option<(char, u16)>,
}

/// Appends the product name in `lang` to `out`.
pub(crate) fn product_name(out: &mut String, lang: Lang, p: &NameParts<'_>) {
    let label = p.material.map(|m| m.label[lang as usize]);
    match lang {
        Lang::En | Lang::Ja => {
            out.push_str(if lang == Lang::En { p.adj.en } else { p.adj.ja });
            out.push(' ');
            if let Some(m) = label {
                out.push_str(m);
                out.push(' ');
            }
            out.push_str(if lang == Lang::En { p.noun.en } else { p.noun.ja });
        }
        Lang::De => {
            let (noun, g) = p.noun.de;
            push_capitalized(out, p.adj.de);
            out.push_str(german_ending(p.adj.de, g));
            out.push(' ');
            if let Some(m) = p.material {
                out.push_str(m.de_prefix);
                out.push('-');
            }
            out.push_str(noun);
        }
        Lang::Es | Lang::Fr => {
            let ((noun, g), forms, link) = match lang {
                Lang::Es => (p.noun.es, &p.adj.es, " de "),
                _ => (p.noun.fr, &p.adj.fr, " en "),
            };
            out.push_str(noun);
            out.push(' ');
            out.push_str(forms[romance_form(g)]);
            if let Some(m) = label {
                out.push_str(link);
                push_lowercased_first(out, m);
            }
        }
        Lang::Zh => {
            out.push_str(p.adj.zh);
            if let Some(m) = label {
                out.push_str(m);
            }
            out.push_str(p.noun.zh);
        }
    }
    if let Some((letter, number)) = p.model {
        // Writing to a String cannot fail.
        let _ = write!(out, " {letter}{number}");
    }
}

/// The strong (article-less) German adjective ending for a noun's gender and number.
fn german_ending(stem: &str, g: G) -> &'static str {
    let ending = match g {
        G::M => "er",
        G::F => "e",
        G::N => "es",
        G::MPl | G::FPl => "e",
    };
    // "leise" + "er" is "leiser".
    if stem.ends_with('e') { &ending[1..] } else { ending }
}

/// Index of the Spanish or French adjective form: masculine, feminine, their plurals.
fn romance_form(g: G) -> usize {
    match g {
        G::M | G::N => 0,
        G::F => 1,
        G::MPl => 2,
        G::FPl => 3,
    }
}

fn push_lowercased_first(out: &mut String, s: &str) {
    let mut chars = s.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_lowercase());
        out.push_str(chars.as_str());
    }
}

fn push_capitalized(out: &mut String, s: &str) {
    let mut chars = s.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(chars.as_str());
    }
}

/// Appends `template` with `{name}` and `{brand}` filled in.
pub(crate) fn fill(out: &mut String, template: &str, name: &str, brand: &str) {
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(tail) = rest.strip_prefix("{name}") {
            out.push_str(name);
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("{brand}") {
            out.push_str(brand);
            rest = tail;
        } else {
            out.push('{');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
}

/// Appends a slug of `text` to `out`: lower-case ASCII letters and digits separated by single
/// hyphens (`^[a-z0-9]+(-[a-z0-9]+)*$`), accents transliterated, other characters dropped as
/// separators, at most `max` bytes (cut at a hyphen when possible).
pub(crate) fn slugify(out: &mut String, text: &str, max: usize) {
    let start = out.len();
    let mut pending_hyphen = false;
    for ch in text.chars() {
        let mapped: &str = match ch {
            'a'..='z' | '0'..='9' => {
                push_slug_part(out, start, &mut pending_hyphen, ch.encode_utf8(&mut [0; 4]));
                continue;
            }
            'A'..='Z' => {
                push_slug_part(out, start, &mut pending_hyphen, ch.to_ascii_lowercase().encode_utf8(&mut [0; 4]));
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Å' => "a",
            'ä' | 'Ä' | 'æ' | 'Æ' => "ae",
            'ç' | 'Ç' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
            'ñ' | 'Ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Õ' => "o",
            'ö' | 'Ö' | 'œ' | 'Œ' => "oe",
            'ù' | 'ú' | 'û' | 'Ù' | 'Ú' | 'Û' => "u",
            'ü' | 'Ü' => "ue",
            'ß' => "ss",
            // Spaces, punctuation and other scripts separate words.
            _ => {
                pending_hyphen = true;
                continue;
            }
        };
        push_slug_part(out, start, &mut pending_hyphen, mapped);
    }
    if out.len() - start > max {
        let mut cut = start + max;
        if let Some(hyphen) = out[start..cut].rfind('-') {
            cut = start + hyphen;
        }
        out.truncate(cut);
        while out.ends_with('-') {
            out.pop();
        }
    }
}

fn push_slug_part(out: &mut String, start: usize, pending_hyphen: &mut bool, part: &str) {
    if *pending_hyphen && out.len() > start {
        out.push('-');
    }
    *pending_hyphen = false;
    out.push_str(part);
}

/// Whether `s` is a valid slug: `^[a-z0-9]+(-[a-z0-9]+)*$`.
#[cfg(test)]
pub(crate) fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{DEPARTMENTS, Lang};

    fn tshirt_name(lang: Lang) -> String {
        let men = DEPARTMENTS[0].mids.iter().find(|m| m.code == "men").expect("men");
        let tshirt = men.leaves.iter().find(|l| l.code == "t-shirts").expect("t-shirts");
        let classic = &DEPARTMENTS[0].adjectives[0];
        let cotton = &men.materials[0];
        let mut out = String::new();
        product_name(
            &mut out,
            lang,
            &NameParts { adj: classic, material: Some(cotton), noun: &tshirt.noun, model: None },
        );
        out
    }

    #[test]
    fn names_follow_each_language_word_order() {
        assert_eq!(tshirt_name(Lang::En), "Classic Cotton T-Shirt");
        assert_eq!(tshirt_name(Lang::De), "Klassisches Baumwoll-T-Shirt");
        assert_eq!(tshirt_name(Lang::Es), "Camiseta clásica de algodón");
        assert_eq!(tshirt_name(Lang::Fr), "T-shirt classique en coton");
        assert_eq!(tshirt_name(Lang::Ja), "クラシック コットン Tシャツ");
        assert_eq!(tshirt_name(Lang::Zh), "经典棉质T恤");
    }

    fn check_slug(input: &str, expected: &str) {
        let mut out = String::new();
        slugify(&mut out, input, 120);
        assert_eq!(out, expected, "{input}");
        assert!(expected.is_empty() || is_slug(&out), "{out}");
    }

    #[test]
    fn slugs_are_lower_case_ascii() {
        check_slug("Classic Cotton T-Shirt", "classic-cotton-t-shirt");
        check_slug("Klassisches Baumwoll-T-Shirt", "klassisches-baumwoll-t-shirt");
        check_slug("Camiseta clásica de algodón", "camiseta-clasica-de-algodon");
        check_slug("Poêle légère en fonte", "poele-legere-en-fonte");
        check_slug("Gießkanne aus Stahl", "giesskanne-aus-stahl");
        check_slug("Caméra d'action", "camera-d-action");
        check_slug("  Kids' T-Shirt -- X200 ", "kids-t-shirt-x200");
        check_slug("Maison & cuisine", "maison-cuisine");
        check_slug("経典棉质", "");
    }

    #[test]
    fn long_slugs_are_cut_at_a_hyphen() {
        let mut out = String::new();
        slugify(&mut out, "alpha beta gamma delta", 13);
        assert_eq!(out, "alpha-beta");
    }

    #[test]
    fn templates_are_filled() {
        let mut out = String::new();
        fill(&mut out, "{brand}の{name}。", "Tシャツ", "Nordline");
        assert_eq!(out, "NordlineのTシャツ。");
        out.clear();
        fill(&mut out, "{name} by {brand} {x}", "Mug", "Acme");
        assert_eq!(out, "Mug by Acme {x}");
    }
}
