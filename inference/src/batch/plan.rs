//! Pure arithmetic of batching: how many padded tokens a batch costs and how a set of texts is
//! cut into forward passes that respect the batch-size and token budgets.

use crate::config::BatchLimits;

/// Padded tokens of a batch: every text is padded to the longest, so `texts * longest`.
pub fn padded_tokens(texts: usize, longest: usize) -> usize {
    texts * longest
}

/// Cuts texts of the given token lengths into forward passes. Returns each pass as indices into
/// `lengths`. Texts are sorted by length first, so each pass pads little; a text longer than the
/// token budget on its own still gets a pass of its own rather than being refused (the models
/// already truncate it to their input limit).
pub fn chunks(lengths: &[usize], limits: &BatchLimits) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| lengths[i]);
    let mut passes = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        // Sorted ascending, so the text being added is the longest of the pass.
        let cost = padded_tokens(current.len() + 1, lengths[i]);
        let full = current.len() == limits.max_batch_size || cost > limits.max_batch_tokens;
        if full && !current.is_empty() {
            passes.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        passes.push(current);
    }
    passes
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits(max_batch_size: usize, max_batch_tokens: usize) -> BatchLimits {
        BatchLimits {
            max_batch_size,
            max_batch_tokens,
            max_wait: Duration::ZERO,
        }
    }

    #[test]
    fn keeps_every_text_exactly_once() {
        let lengths = [5, 1, 9, 3, 3, 7];
        let passes = chunks(&lengths, &limits(4, 1000));
        let mut seen: Vec<usize> = passes.concat();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn splits_at_the_maximum_batch_size() {
        let passes = chunks(&[4; 10], &limits(4, 1000));
        let sizes: Vec<usize> = passes.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4, 4, 2]);
    }

    #[test]
    fn splits_when_padding_would_pass_the_token_budget() {
        // Sorted: 2, 2, 10. Adding the 10 would cost 3 x 10 = 30 > 20 tokens.
        let passes = chunks(&[10, 2, 2], &limits(32, 20));
        assert_eq!(passes, vec![vec![1, 2], vec![0]]);
    }

    #[test]
    fn gives_a_text_longer_than_the_budget_a_pass_of_its_own() {
        let passes = chunks(&[50, 3], &limits(32, 20));
        assert_eq!(passes, vec![vec![1], vec![0]]);
    }
}
