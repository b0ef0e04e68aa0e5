//! Picking localized content along a market's language fallback chain.

use regions::LanguageTag;

/// The first item whose language comes earliest in `chain`, with its language. Items in
/// languages outside the chain are never picked.
pub fn pick<'a, T>(chain: &[LanguageTag], items: impl IntoIterator<Item = (&'a str, T)>) -> Option<(&'a str, T)> {
    let mut best: Option<(usize, &'a str, T)> = None;
    for (language, item) in items {
        let Some(rank) = chain.iter().position(|l| l.as_str() == language) else { continue };
        if best.as_ref().is_none_or(|(r, _, _)| rank < *r) {
            best = Some((rank, language, item));
        }
    }
    best.map(|(_, l, item)| (l, item))
}

/// Like [`pick`] for one text field that may be blank in some languages: the first non-blank
/// value along the chain. Field-level fallback: a translation with a name but no description
/// takes its description from the next language.
pub fn pick_text<'a>(
    chain: &[LanguageTag],
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<(&'a str, &'a str)> {
    pick(chain, items.into_iter().filter(|(_, text)| !text.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(tags: &[&str]) -> Vec<LanguageTag> {
        tags.iter().map(|t| LanguageTag::parse(t).unwrap()).collect()
    }

    fn check(chain_tags: &[&str], items: &[(&'static str, &'static str)], expected: Option<(&str, &str)>) {
        let got = pick_text(&chain(chain_tags), items.iter().copied());
        assert_eq!(got, expected, "chain {chain_tags:?} items {items:?}");
    }

    #[test]
    fn follows_the_chain() {
        let all = [("en", "Shirt"), ("fr", "Chemise"), ("fr-CA", "Chandail")];
        check(&["fr-CA", "fr", "en"], &all, Some(("fr-CA", "Chandail")));
        check(&["fr-CA", "fr", "en"], &all[..2], Some(("fr", "Chemise")));
        check(&["fr-CA", "fr", "en"], &all[..1], Some(("en", "Shirt")));
        check(&["de"], &all, None);
        check(&["fr", "en"], &[("fr", "  "), ("en", "Shirt")], Some(("en", "Shirt")));
    }
}
