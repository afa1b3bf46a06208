//! `explain-eval`: how faithful and how costly the service's leave-one-word-out explanations
//! are, on a GoEmotions-format TSV (`text<TAB>label ids<TAB>id`; only the text is read), through
//! the service's own tokenization and batcher (`batch::Models`), one request at a time.
//!
//! ```text
//! cargo run --release -p moodtracker-inference --bin explain-eval -- \
//!     --roberta models/roberta-sentiment --lstm models/lstm-sentiment \
//!     --data PATH/TO/goemotions/group/dev.tsv [--limit N] [--seed 13]
//! ```
//!
//! For each model, over the texts of 3 or more words:
//! - deletion faithfulness: the mean drop of the predicted label's score when the top-1
//!   attributed word is removed, against the mean drop when a random word of the same text is
//!   removed (seeded), and their ratio. Both drops are measured with fresh `classify` calls on
//!   the shortened texts, not read back from the explanation, so the figure also checks that the
//!   explanation is what it claims. Leave-one-out picks the word whose single removal hurts
//!   most, so the ratio says how concentrated a model's evidence is, not whether the method is
//!   exact (that is by construction, and tested).
//! - latency: the median time of an Explain of the text against a Classify of the same text.

use std::error::Error as StdError;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moodtracker_inference::{
    Config,
    batch::Models,
    explain::{self, Word},
    model::Kind,
};

type Result<T> = std::result::Result<T, Box<dyn StdError>>;

const USAGE: &str =
    "usage: explain-eval --roberta DIR --lstm DIR --data FILE.tsv [--limit N] [--seed S]";
/// Texts shorter than this are left out: with one or two words the random word is nearly
/// always the top word too.
const MIN_WORDS: usize = 3;
/// The service's default word limit; longer texts are left out as the service would refuse them.
const MAX_WORDS: usize = 128;

#[derive(Debug)]
struct Args {
    roberta: PathBuf,
    lstm: PathBuf,
    data: PathBuf,
    limit: usize,
    seed: u64,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args> {
    let mut flags = std::collections::HashMap::new();
    while let Some(flag) = argv.next() {
        let value = argv
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        flags.insert(flag, value);
    }
    let mut take = |name: &str| flags.remove(name);
    let number = |value: Option<String>, default: u64, name: &str| -> Result<u64> {
        value.map_or(Ok(default), |v| {
            v.parse().map_err(|e| format!("{name}: {e}").into())
        })
    };
    let args = Args {
        roberta: take("--roberta").ok_or(USAGE)?.into(),
        lstm: take("--lstm").ok_or(USAGE)?.into(),
        data: take("--data").ok_or(USAGE)?.into(),
        limit: number(take("--limit"), u64::MAX, "--limit")? as usize,
        seed: number(take("--seed"), 13, "--seed")?,
    };
    if let Some(unknown) = flags.keys().next() {
        return Err(format!("unknown flag {unknown}\n{USAGE}").into());
    }
    Ok(args)
}

/// The first column of each row, for the texts of `MIN_WORDS..=MAX_WORDS` words, at most `limit`.
fn read_texts(args: &Args) -> Result<Vec<String>> {
    let data =
        std::fs::read_to_string(&args.data).map_err(|e| format!("{}: {e}", args.data.display()))?;
    Ok(data
        .lines()
        .filter_map(|line| line.split('\t').next())
        .filter(|t| (MIN_WORDS..=MAX_WORDS).contains(&t.split_whitespace().count()))
        .take(args.limit)
        .map(str::to_owned)
        .collect())
}

/// SplitMix64: a seeded, dependency-free choice of the random word, so a run can be repeated.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// One model's figures over the texts.
#[derive(Debug, Default)]
struct Tally {
    top_drops: Vec<f64>,
    random_drops: Vec<f64>,
    explain: Vec<Duration>,
    classify: Vec<Duration>,
}

/// Explains and classifies one text with one model, and measures both deletions.
async fn measure(
    models: &Models,
    kind: Kind,
    text: &str,
    rng: &mut SplitMix,
    tally: &mut Tally,
) -> Result<()> {
    let words: Arc<[Word]> = explain::words(text).into();
    let started = Instant::now();
    let explained = models.explain(text.into(), words.clone(), &[kind]).await?;
    tally.explain.push(started.elapsed());
    let started = Instant::now();
    models
        .classify(Arc::from([text.to_owned()]), &[kind])
        .await?;
    tally.classify.push(started.elapsed());

    let explanation = &explained[0].1;
    let seen = explanation.words.iter().filter(|a| !a.beyond_limit).count();
    let top = (0..seen)
        .max_by(|&a, &b| {
            explanation.words[a]
                .attribution
                .total_cmp(&explanation.words[b].attribution)
        })
        .ok_or("an explained text has no word")?;
    let random = rng.below(seen);
    let texts: Arc<[String]> = [
        text.to_owned(),
        explain::without(&words, top),
        explain::without(&words, random),
    ]
    .into();
    let run = models.classify(texts, &[kind]).await?.remove(0);
    let labels = &models
        .infos()
        .find(|i| i.kind == kind)
        .ok_or("model not loaded")?
        .labels;
    let scored: Vec<_> = run.logits.iter().map(|l| labels.scores(l)).collect();
    let label = scored[0].index;
    let drop =
        |i: usize| f64::from(scored[0].probabilities[label] - scored[i].probabilities[label]);
    tally.top_drops.push(drop(1));
    tally.random_drops.push(drop(2));
    Ok(())
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn median_ms(values: &mut [Duration]) -> f64 {
    values.sort();
    values
        .get(values.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn report(name: &str, tally: &mut Tally) {
    let (top, random) = (mean(&tally.top_drops), mean(&tally.random_drops));
    let (explain, classify) = (
        median_ms(&mut tally.explain),
        median_ms(&mut tally.classify),
    );
    println!(
        "{name:<8} {:>6} {top:>10.4} {random:>11.4} {:>7.2} {explain:>11.2} {classify:>12.2} {:>7.1}",
        tally.top_drops.len(),
        top / random,
        explain / classify,
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    let texts = read_texts(&args)?;
    let config = Config::from_iter([
        (
            "INFERENCE_ROBERTA_MODEL".into(),
            args.roberta.display().to_string(),
        ),
        (
            "INFERENCE_LSTM_MODEL".into(),
            args.lstm.display().to_string(),
        ),
        // One request at a time: no batch would ever gain company by waiting.
        ("INFERENCE_MAX_BATCH_WAIT_MS".into(), "0".into()),
    ])?;
    moodtracker_kernels::init_threads(config.threads);
    let models = Models::load(&config).await?;
    println!(
        "{} texts of {MIN_WORDS} to {MAX_WORDS} words from {}, seed {}",
        texts.len(),
        args.data.display(),
        args.seed
    );
    println!(
        "{:<8} {:>6} {:>10} {:>11} {:>7} {:>11} {:>12} {:>7}",
        "model", "texts", "top-1 drop", "random drop", "ratio", "explain ms", "classify ms", "x"
    );
    for (kind, name) in [(Kind::Roberta, "roberta"), (Kind::Lstm, "lstm")] {
        let (mut rng, mut tally) = (SplitMix(args.seed), Tally::default());
        for text in &texts {
            measure(&models, kind, text, &mut rng, &mut tally).await?;
        }
        report(name, &mut tally);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_random_choice_is_seeded_and_in_range() {
        let draws = |seed| {
            let mut rng = SplitMix(seed);
            (0..50).map(|_| rng.below(7)).collect::<Vec<_>>()
        };
        assert_eq!(draws(13), draws(13));
        assert_ne!(draws(13), draws(14));
        assert!(draws(13).iter().all(|&i| i < 7));
        assert!(
            (0..7).all(|i| draws(13).contains(&i)),
            "every word can be drawn"
        );
    }

    #[test]
    fn the_median_is_the_middle_value() {
        let mut values = [3, 1, 2].map(Duration::from_millis);
        assert_eq!(median_ms(&mut values), 2.0);
    }
}
