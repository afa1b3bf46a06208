//! `evaluate`: scores a model directory on a labelled GoEmotions-format TSV through the same Rust
//! code the service runs (`model::load`, `Classifier::forward`, `model::scores`), and prints
//! accuracy, macro-F1, per-label figures and the confusion matrix.
//!
//! ```text
//! cargo run --release -p moodtracker-inference --bin evaluate -- \
//!     --kind roberta --model models/roberta-sentiment \
//!     --data <goemotions>/group/dev.tsv [--labels .../labels.txt] \
//!     [--ambiguous neutral|drop] [--batch 32]
//! ```
//!
//! The TSV is `text<TAB>comma-separated label ids<TAB>comment id`, ids indexing `labels.txt`
//! (default: the one beside the TSV). Gold labels follow the rule the training pipeline uses
//! (training/goemotions.py): `ambiguous` folds into `neutral` (or is dropped), a row whose labels
//! have one polarity takes it, a row with both negative and positive is dropped. Other label
//! sets (a model's own labels) are matched by name when every row has a single label.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::time::Instant;

use moodtracker_inference::model::{self, Classifier, Encoding, Kind, LoadOptions};

type Result<T> = std::result::Result<T, Box<dyn StdError>>;

const USAGE: &str = "usage: evaluate --kind roberta|lstm --model DIR --data FILE.tsv \
[--labels labels.txt] [--ambiguous neutral|drop] [--batch N]";

/// What the command line asked for.
#[derive(Debug)]
struct Args {
    kind: Kind,
    model: PathBuf,
    data: PathBuf,
    labels: PathBuf,
    fold_ambiguous: bool,
    batch: usize,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args> {
    let mut flags: HashMap<String, String> = HashMap::new();
    while let Some(flag) = argv.next() {
        let value = argv
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        flags.insert(flag, value);
    }
    let mut take = |name: &str| flags.remove(name);
    let kind = match take("--kind").as_deref() {
        Some("roberta") => Kind::Roberta,
        Some("lstm") => Kind::Lstm,
        other => {
            return Err(format!("--kind must be roberta or lstm, got {other:?}\n{USAGE}").into());
        }
    };
    let model = take("--model").ok_or(USAGE)?.into();
    let data: PathBuf = take("--data").ok_or(USAGE)?.into();
    let labels = take("--labels").map_or_else(|| data.with_file_name("labels.txt"), PathBuf::from);
    let fold_ambiguous = match take("--ambiguous").as_deref() {
        None | Some("neutral") => true,
        Some("drop") => false,
        Some(other) => {
            return Err(format!("--ambiguous must be neutral or drop, got {other}").into());
        }
    };
    let batch = take("--batch")
        .map_or(Ok(32), |b| b.parse())
        .map_err(|e| format!("--batch: {e}"))?;
    if let Some(unknown) = flags.keys().next() {
        return Err(format!("unknown flag {unknown}\n{USAGE}").into());
    }
    Ok(Args {
        kind,
        model,
        data,
        labels,
        fold_ambiguous,
        batch: batch.max(1),
    })
}

/// One row's gold label name under the training pipeline's rule, or `None` when dropped.
fn gold_label(names: &[&str], fold_ambiguous: bool) -> Option<String> {
    let mut kept: Vec<&str> = names
        .iter()
        .filter_map(|&n| match n {
            "ambiguous" if fold_ambiguous => Some("neutral"),
            "ambiguous" => None,
            other => Some(other),
        })
        .collect();
    kept.sort_unstable();
    kept.dedup();
    let polar: Vec<&str> = kept
        .iter()
        .copied()
        .filter(|n| matches!(*n, "negative" | "positive"))
        .collect();
    match (polar.as_slice(), kept.as_slice()) {
        ([one], _) => Some((*one).to_owned()),
        ([_, _], _) | ([], []) => None,
        (_, [only]) => Some((*only).to_owned()),
        (_, _) if kept.contains(&"neutral") => Some("neutral".to_owned()),
        _ => None,
    }
}

/// Texts and gold label ids (in the model's label order), plus how many rows were dropped.
fn read_rows(args: &Args, model_labels: &[String]) -> Result<(Vec<String>, Vec<usize>, usize)> {
    let names: Vec<String> = read(&args.labels)?
        .lines()
        .map(|l| l.trim().to_owned())
        .collect();
    let index: HashMap<String, usize> = model_labels
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_lowercase(), i))
        .collect();
    let (mut texts, mut gold, mut dropped) = (Vec::new(), Vec::new(), 0);
    for (line_no, line) in read(&args.data)?.lines().enumerate() {
        let mut fields = line.split('\t');
        let (Some(text), Some(ids)) = (fields.next(), fields.next()) else {
            return Err(format!(
                "{}:{}: expected text<TAB>ids",
                args.data.display(),
                line_no + 1
            )
            .into());
        };
        let row: Vec<&str> = ids
            .split(',')
            .map(|id| {
                id.trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| names.get(i))
                    .map(String::as_str)
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                format!(
                    "{}:{}: bad label ids {ids:?}",
                    args.data.display(),
                    line_no + 1
                )
            })?;
        let Some(label) = gold_label(&row, args.fold_ambiguous) else {
            dropped += 1;
            continue;
        };
        let id = index
            .get(&label)
            .ok_or_else(|| format!("the model has no label {label:?}"))?;
        texts.push(text.to_owned());
        gold.push(*id);
    }
    Ok((texts, gold, dropped))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Predicted label ids, batching texts of similar length as the service's batcher would.
fn predict(model: &dyn Classifier, texts: &[String], batch: usize) -> Result<Vec<usize>> {
    let encoder = model.encoder();
    let encodings: Vec<Encoding> = texts
        .iter()
        .map(|t| encoder.encode(t))
        .collect::<std::result::Result<_, _>>()?;
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| encodings[i].ids.len());
    let mut predicted = vec![0; texts.len()];
    for chunk in order.chunks(batch) {
        let refs: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
        for (&i, logits) in chunk.iter().zip(model.forward(&refs)?) {
            predicted[i] = model::scores(&model.info().labels, &logits).index;
        }
    }
    Ok(predicted)
}

/// Rows are gold labels, columns predictions.
fn confusion(gold: &[usize], predicted: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; n]; n];
    for (&g, &p) in gold.iter().zip(predicted) {
        m[g][p] += 1;
    }
    m
}

/// Precision, recall and F1 of label `k`; zero where undefined (no predictions or no examples).
fn per_label(m: &[Vec<usize>], k: usize) -> (f64, f64, f64) {
    let tp = m[k][k] as f64;
    let predicted: usize = m.iter().map(|row| row[k]).sum();
    let actual: usize = m[k].iter().sum();
    let ratio = |a: f64, b: usize| if b == 0 { 0.0 } else { a / b as f64 };
    let (p, r) = (ratio(tp, predicted), ratio(tp, actual));
    (
        p,
        r,
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        },
    )
}

fn report(labels: &[String], m: &[Vec<usize>], dropped: usize, seconds: f64) {
    let total: usize = m.iter().flatten().sum();
    let correct: usize = (0..m.len()).map(|k| m[k][k]).sum();
    let f1s: Vec<f64> = (0..m.len()).map(|k| per_label(m, k).2).collect();
    println!("rows scored {total}, dropped {dropped}, {seconds:.1} s");
    println!("accuracy {:.4}", correct as f64 / total.max(1) as f64);
    println!(
        "macro-F1 {:.4}",
        f1s.iter().sum::<f64>() / f1s.len().max(1) as f64
    );
    println!(
        "\n{:<12} {:>9} {:>9} {:>9} {:>7}",
        "label", "precision", "recall", "F1", "support"
    );
    for (k, name) in labels.iter().enumerate() {
        let (p, r, f) = per_label(m, k);
        println!(
            "{name:<12} {p:>9.4} {r:>9.4} {f:>9.4} {:>7}",
            m[k].iter().sum::<usize>()
        );
    }
    println!("\nconfusion (rows gold, columns predicted)");
    print!("{:<12}", "");
    labels.iter().for_each(|n| print!(" {n:>9}"));
    println!();
    for (name, row) in labels.iter().zip(m) {
        print!("{name:<12}");
        row.iter().for_each(|c| print!(" {c:>9}"));
        println!();
    }
}

fn main() -> Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    let model = model::load(args.kind, &args.model, &LoadOptions::default())?;
    let labels = model.info().labels.names.clone();
    let (texts, gold, dropped) = read_rows(&args, &labels)?;
    let started = Instant::now();
    let predicted = predict(model.as_ref(), &texts, args.batch)?;
    report(
        &labels,
        &confusion(&gold, &predicted, labels.len()),
        dropped,
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::gold_label;

    #[test]
    fn folds_ambiguous_into_neutral_or_drops_it() {
        assert_eq!(gold_label(&["ambiguous"], true).as_deref(), Some("neutral"));
        assert_eq!(gold_label(&["ambiguous"], false), None);
    }

    #[test]
    fn a_single_polarity_wins_over_neutral_and_ambiguous() {
        assert_eq!(
            gold_label(&["ambiguous", "positive"], true).as_deref(),
            Some("positive")
        );
        assert_eq!(
            gold_label(&["negative", "neutral"], false).as_deref(),
            Some("negative")
        );
        assert_eq!(
            gold_label(&["ambiguous", "neutral"], true).as_deref(),
            Some("neutral")
        );
        assert_eq!(
            gold_label(&["ambiguous", "neutral"], false).as_deref(),
            Some("neutral")
        );
    }

    #[test]
    fn drops_rows_with_both_polarities() {
        assert_eq!(gold_label(&["negative", "positive"], true), None);
        assert_eq!(
            gold_label(&["ambiguous", "negative", "positive"], true),
            None
        );
    }

    #[test]
    fn keeps_a_single_label_of_another_label_set() {
        assert_eq!(gold_label(&["joy"], true).as_deref(), Some("joy"));
    }
}
