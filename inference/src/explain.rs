//! Explanations by leaving one word out, as pure arithmetic over logits.
//!
//! A text's words are its runs of non-whitespace (Unicode whitespace, `char::is_whitespace`);
//! the variant without word `i` is the other words joined by single spaces. For a model whose
//! top label on the whole text is `label`, word `i` gets
//! `attribution = score(label | text) - score(label | variant_i)` and
//! `mood_delta = mood_score(text) - mood_score(variant_i)`: exactly what a client gets from
//! `Classify` on both texts, so an explanation is faithful by construction. The batcher runs the
//! whole text and every variant in one pass; this module only builds the texts and reads the
//! logits that come back.

use crate::model::{Labels, scores};

/// One word of a text and its span, in Unicode code points, half-open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// What leaving one word out changed for one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attribution {
    /// Positive: the word supported the label.
    pub attribution: f32,
    /// Positive: the word raised the mood.
    pub mood_delta: f32,
    /// The word lies past the model's token limit; both numbers are then 0.
    pub beyond_limit: bool,
}

/// One model's explanation of a text: its top label and every word's attribution, in text order.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub label: String,
    /// The label's score on the whole text.
    pub score: f32,
    pub mood_score: f32,
    pub words: Vec<Attribution>,
}

/// Splits `text` on Unicode whitespace, keeping each word's code-point span.
pub fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;
    for (i, c) in text.chars().enumerate() {
        if c.is_whitespace() {
            words.extend(current.take());
            continue;
        }
        let word = current.get_or_insert_with(|| Word {
            text: String::new(),
            start: i,
            end: i,
        });
        word.text.push(c);
        word.end = i + 1;
    }
    words.extend(current);
    words
}

/// The text without word `i`: the other words joined by single spaces (empty for a one-word
/// text, which the model scores as its special tokens alone).
pub fn without(words: &[Word], i: usize) -> String {
    let kept: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(_, w)| w.text.as_str())
        .collect();
    kept.join(" ")
}

/// How many of `words` the model reads, given where its input ends (`None`: the whole text).
/// A word cut in two still counts as read, and so does a word that starts right where the
/// input ends: byte-level tokenizers keep a word's leading space as a token of its own with an
/// empty span at the word's start. Leaving out either changes what the model sees.
pub fn seen(words: &[Word], seen_chars: Option<usize>) -> usize {
    match seen_chars {
        None => words.len(),
        Some(end) => words.iter().take_while(|w| w.start <= end).count(),
    }
}

/// The texts one model runs for an explanation: the whole text, then the variant without each
/// word it reads, in word order.
pub fn texts(text: &str, words: &[Word], seen: usize) -> Vec<String> {
    std::iter::once(text.to_string())
        .chain((0..seen).map(|i| without(words, i)))
        .collect()
}

/// Reads the logits of [`texts`]: `logits[0]` is the whole text's and `logits[1 + i]` the
/// variant without word `i`. Words past the last variant were beyond the model's limit.
pub fn explain(labels: &Labels, words: usize, logits: &[Vec<f32>]) -> Explanation {
    let (whole, variants) = logits
        .split_first()
        .expect("an explanation runs the whole text at least");
    let whole = scores(labels, whole);
    let mut attributions: Vec<Attribution> = variants
        .iter()
        .map(|variant| {
            let variant = scores(labels, variant);
            Attribution {
                attribution: whole.confidence - variant.probabilities[whole.index],
                mood_delta: whole.mood_score - variant.mood_score,
                beyond_limit: false,
            }
        })
        .collect();
    attributions.resize(
        words,
        Attribution {
            attribution: 0.0,
            mood_delta: 0.0,
            beyond_limit: true,
        },
    );
    Explanation {
        label: whole.label,
        score: whole.confidence,
        mood_score: whole.mood_score,
        words: attributions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProblemType;

    fn spans(text: &str) -> Vec<(String, usize, usize)> {
        words(text)
            .into_iter()
            .map(|w| (w.text, w.start, w.end))
            .collect()
    }

    #[test]
    fn splits_on_unicode_whitespace_with_code_point_spans() {
        // U+00A0 (no-break space) and U+3000 (ideographic space) are whitespace too.
        let text = "  Café\u{a0}was\tgreat 😊\u{3000}ok \n";
        assert_eq!(
            spans(text),
            vec![
                ("Café".into(), 2, 6),
                ("was".into(), 7, 10),
                ("great".into(), 11, 16),
                ("😊".into(), 17, 18),
                ("ok".into(), 19, 21),
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        for w in words(text) {
            assert_eq!(chars[w.start..w.end].iter().collect::<String>(), w.text);
        }
    }

    #[test]
    fn a_variant_joins_the_other_words_with_single_spaces() {
        let words = words(" good  good\nday ");
        assert_eq!(without(&words, 0), "good day");
        assert_eq!(without(&words, 2), "good good");
        assert_eq!(without(&super::words("alone"), 0), "");
    }

    #[test]
    fn words_past_the_cut_are_unseen_but_a_word_cut_in_two_or_just_begun_is_seen() {
        let words = words("one two three four");
        assert_eq!(seen(&words, None), 4);
        assert_eq!(
            seen(&words, Some(7)),
            2,
            "the cut falls right after \"two\""
        );
        assert_eq!(seen(&words, Some(10)), 3, "\"three\" is cut in two");
        assert_eq!(texts("one two", &words[..2], 1), vec!["one two", "two"]);
    }

    #[test]
    fn attributions_are_score_and_mood_differences_on_the_top_label() {
        let labels = Labels::new(
            vec!["negative".into(), "positive".into()],
            ProblemType::SingleLabel,
            None,
        );
        // Positive wins on the whole text; without word 0 it falls to a tie, without word 1 it
        // rises; word 2 has no variant, so it was beyond the limit.
        let logits = vec![vec![0.0, 1.0], vec![0.0, 0.0], vec![0.0, 2.0]];

        let explanation = explain(&labels, 3, &logits);

        let whole = labels.scores(&logits[0]);
        assert_eq!(explanation.label, "positive");
        assert_eq!(explanation.score, whole.confidence);
        let first = explanation.words[0];
        assert!((first.attribution - (whole.confidence - 0.5)).abs() < 1e-6);
        assert!(first.attribution > 0.0 && first.mood_delta > 0.0);
        assert!(
            explanation.words[1].attribution < 0.0,
            "word 1 held it back"
        );
        let unseen = explanation.words[2];
        assert!(unseen.beyond_limit);
        assert_eq!((unseen.attribution, unseen.mood_delta), (0.0, 0.0));
    }
}
