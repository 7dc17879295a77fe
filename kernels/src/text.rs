//! Vendored text for language-model miniatures (no network at run time): "Tiny Shakespeare"
//! (public domain; see `kernels/data/README.md` for the source and its checksum), tokenised by
//! characters. Kept apart from [`crate::data`] (labelled feature tables) so that the papers that
//! read those do not depend on a megabyte of plays.

/// A character-level corpus: the text as token ids and the characters they stand for.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub tokens: Vec<usize>,
    /// `vocab[id]` is the character of token `id`, in byte order.
    pub vocab: Vec<char>,
}

impl Corpus {
    /// Tokenises `text` by its distinct characters, sorted.
    pub fn characters(text: &str) -> Self {
        let mut vocab: Vec<char> = text.chars().collect();
        vocab.sort_unstable();
        vocab.dedup();
        let tokens = text
            .chars()
            .map(|c| vocab.binary_search(&c).expect("a character of the text"))
            .collect();
        Self { tokens, vocab }
    }

    /// The first `1 − holdout` of the tokens and the rest: a contiguous split, so that no
    /// validation window overlaps a training one.
    pub fn split(&self, holdout: f64) -> (&[usize], &[usize]) {
        assert!(
            (0.0..1.0).contains(&holdout),
            "holdout must lie in [0, 1), got {holdout}"
        );
        let cut = ((1.0 - holdout) * self.tokens.len() as f64) as usize;
        self.tokens.split_at(cut)
    }
}

/// The vendored text.
pub const SHAKESPEARE: &str = include_str!("../data/tiny-shakespeare.txt");

/// Tiny Shakespeare by characters (65 of them).
pub fn shakespeare() -> Corpus {
    Corpus::characters(SHAKESPEARE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_text_is_the_expected_one() {
        let c = shakespeare();
        assert_eq!(c.tokens.len(), 1_115_394);
        assert_eq!(c.vocab.len(), 65);
        assert_eq!(c.vocab[0], '\n');
        let first: String = c.tokens[..14].iter().map(|&t| c.vocab[t]).collect();
        assert_eq!(first, "First Citizen:");
        let (train, val) = c.split(0.1);
        assert_eq!(train.len() + val.len(), c.tokens.len());
        assert_eq!(val.len(), 111_540);
    }
}
