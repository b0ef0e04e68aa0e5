//! Secrets (API keys, signing secrets) that never print.

/// A secret that never prints: `Debug` shows `Secret(***)`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, to send where it belongs (never to logs).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison; an empty secret matches nothing.
    pub fn matches(&self, candidate: &str) -> bool {
        use subtle::ConstantTimeEq;
        !self.0.is_empty() && bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn secrets_never_print_and_an_empty_one_matches_nothing() {
        let s = Secret::new("whsec_1");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(s.matches("whsec_1") && !s.matches("whsec_2"));
        assert!(!Secret::new("").matches(""));
    }
}
