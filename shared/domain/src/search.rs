//! How names, e-mails and logins are normalised for case-insensitive prefix search.
//!
//! Both the index writer and the query use [`search_term`], so `ÉMILE`, `émile` and the
//! decomposed `e\u{301}mile` all find each other.

use unicode_normalization::UnicodeNormalization;

/// Lower-cased NFC form of `text`, trimmed; `None` when nothing searchable is left.
pub fn search_term(text: &str) -> Option<String> {
    let term: String = text.trim().nfc().collect::<String>().to_lowercase();
    (!term.is_empty()).then_some(term)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_ignore_case_and_unicode_composition() {
        assert_eq!(search_term(" John.Smith ").as_deref(), Some("john.smith"));
        assert_eq!(search_term("ÉMILE"), search_term("e\u{301}mile"));
        assert_eq!(search_term("   "), None);
    }
}
