//! `GET /api/journal/effects`: what goes with a better or worse day. For each tag (and each
//! weekday) the mean daily mood on days with it against days without it, with Welch's 95%
//! interval; and how well the models' scores agree with the person's own ratings.
//!
//! Everything is day-level: a day counts once whatever its number of entries, so one busy day
//! does not dominate. Days without a mood (only pending entries) are left out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{Day, stats};
use crate::domain::sentiment::round;

/// A tag (or weekday) needs this many days with it and this many without.
pub const MIN_DAYS: usize = 5;
/// Agreement needs this many entries rated by the person.
pub const MIN_RATED_ENTRIES: usize = 10;

/// Days with something against days without it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub mean_with: f64,
    pub mean_without: f64,
    /// `mean_with - mean_without`.
    pub difference: f64,
    /// Welch's 95% confidence interval of the difference, `[low, high]`.
    #[schema(value_type = Vec<f64>)]
    pub ci95: [f64; 2],
    pub days_with: usize,
    pub days_without: usize,
    /// The interval includes zero: the data cannot tell the direction.
    pub uncertain: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TagEffect {
    /// Lower-cased.
    pub tag: String,
    #[serde(flatten)]
    pub effect: Comparison,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WeekdayEffect {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u32,
    #[serde(flatten)]
    pub effect: Comparison,
}

/// Spearman's correlation of each model's mood score with the person's own rating.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Agreement {
    /// Null when fewer than 10 rated entries have this model's score, or either is constant.
    pub roberta: Option<f64>,
    pub lstm: Option<f64>,
    /// Entries carrying a self-rated mood.
    pub entries: usize,
}

/// The response of `/api/journal/effects`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Effects {
    /// Sorted by the size of the difference, largest first.
    pub tags: Vec<TagEffect>,
    pub weekdays: Vec<WeekdayEffect>,
    /// Null below 10 entries with a self-rated mood.
    pub agreement: Option<Agreement>,
}

/// One rated entry: the person's 1-5 rating and each model's mood score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rated {
    pub self_mood: i64,
    pub roberta: Option<f64>,
    pub lstm: Option<f64>,
}

/// The effects of every tag and weekday with enough days on both sides, and the agreement.
pub fn effects(days: &BTreeMap<NaiveDate, Day>, rated: &[Rated]) -> Effects {
    let moods: Vec<(&NaiveDate, &Day, f64)> = days
        .iter()
        .filter_map(|(d, day)| day.mood().map(|m| (d, day, m)))
        .collect();
    let tags: BTreeSet<&String> = moods.iter().flat_map(|(_, day, _)| &day.tags).collect();
    let mut tag_effects: Vec<TagEffect> = tags
        .into_iter()
        .filter_map(|tag| {
            let effect = compare(moods.iter().map(|(_, day, m)| (day.tags.contains(tag), *m)))?;
            Some(TagEffect {
                tag: tag.clone(),
                effect,
            })
        })
        .collect();
    let mut weekday_effects: Vec<WeekdayEffect> = (0..7)
        .filter_map(|weekday| {
            let split = moods
                .iter()
                .map(|(d, _, m)| (d.weekday().num_days_from_monday() == weekday, *m));
            Some(WeekdayEffect {
                weekday,
                effect: compare(split)?,
            })
        })
        .collect();
    tag_effects.sort_by(|a, b| by_size(&a.effect, &b.effect));
    weekday_effects.sort_by(|a, b| by_size(&a.effect, &b.effect));
    Effects {
        tags: tag_effects,
        weekdays: weekday_effects,
        agreement: agreement(rated),
    }
}

fn by_size(a: &Comparison, b: &Comparison) -> std::cmp::Ordering {
    b.difference.abs().total_cmp(&a.difference.abs())
}

/// Welch's comparison of the days marked `true` against the rest, when both have enough.
fn compare(days: impl Iterator<Item = (bool, f64)>) -> Option<Comparison> {
    let (with, without): (Vec<_>, Vec<_>) = days.partition(|(has, _)| *has);
    let with: Vec<f64> = with.into_iter().map(|(_, m)| m).collect();
    let without: Vec<f64> = without.into_iter().map(|(_, m)| m).collect();
    if with.len() < MIN_DAYS || without.len() < MIN_DAYS {
        return None;
    }
    let w = stats::welch(&with, &without, 0.95)?;
    Some(Comparison {
        mean_with: round(w.mean_a, 3),
        mean_without: round(w.mean_b, 3),
        difference: round(w.difference, 3),
        ci95: [round(w.low, 3), round(w.high, 3)],
        days_with: with.len(),
        days_without: without.len(),
        uncertain: w.low <= 0.0 && w.high >= 0.0,
    })
}

/// Spearman's rho per model over the rated entries; `None` below [`MIN_RATED_ENTRIES`].
pub fn agreement(rated: &[Rated]) -> Option<Agreement> {
    if rated.len() < MIN_RATED_ENTRIES {
        return None;
    }
    let rho = |model: fn(&Rated) -> Option<f64>| {
        let (own, scores): (Vec<f64>, Vec<f64>) = rated
            .iter()
            .filter_map(|r| Some((r.self_mood as f64, model(r)?)))
            .unzip();
        (own.len() >= MIN_RATED_ENTRIES)
            .then(|| stats::spearman(&own, &scores))
            .flatten()
            .map(|r| round(r, 3))
    };
    Some(Agreement {
        roberta: rho(|r| r.roberta),
        lstm: rho(|r| r.lstm),
        entries: rated.len(),
    })
}

#[cfg(test)]
mod tests;
