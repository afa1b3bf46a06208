//! The four self-assessment instruments and their scoring, as pure data and functions.
//!
//! Ids are fixed by the wire contract (1 PHQ-9, 2 GAD-7, 3 Big Five IPIP-50, 4 PSS-10) because
//! translations, the crisis rule, insights and stored results all refer to them. The definitions
//! live here, in code, as the single source of truth: the `tests` table is seeded from them and
//! scoring never reads item metadata back from the database.
//!
//! Only English text exists. The contract's `language=my` asks for Myanmar, but validated
//! translations of these instruments must come from their publishers, so every language falls
//! back to English rather than serve home-made wording for clinical items.

mod crisis;
mod gad7;
mod ipip50;
mod phq9;
mod pss10;
mod scoring;

pub use crisis::{CrisisResource, CrisisSupport, crisis_support};
pub use scoring::{Answer, AnswerError, Outcome, TraitScores};

/// The category every instrument is listed under (the contract's single value).
pub const CATEGORY: &str = "Mental Health Screening";

/// One selectable answer, shared by every item of an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseOption {
    pub text: &'static str,
    pub value: i64,
}

/// A score range with its plain-language reading. Ranges of one instrument are contiguous and
/// cover every reachable total, so a valid submission always finds its band.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub min: i64,
    pub max: i64,
    pub severity_level: &'static str,
    pub description: &'static str,
    pub recommendations: &'static [&'static str],
}

/// How item answers become a total.
#[derive(Debug, Clone, Copy)]
pub enum Scoring {
    /// The plain sum of the answers (PHQ-9, GAD-7).
    Sum,
    /// A sum where the listed items count as `reverse_from - answer` (PSS-10: 4 - x).
    SumWithReversed {
        items: &'static [i64],
        reverse_from: i64,
    },
    /// Per-trait sums over keyed items (IPIP-50); see `ipip50`.
    BigFive,
}

/// A self-assessment: its identity, wording, options, scoring and bands.
#[derive(Debug)]
pub struct Instrument {
    pub id: i64,
    /// The contract's machine name: `PHQ9`, `GAD7`, `BIGFIVE_IPIP`, `PSS10`.
    pub test_type: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Item texts in published order; question numbers are 1-based positions here.
    pub items: &'static [&'static str],
    pub options: &'static [ResponseOption],
    pub scoring: Scoring,
    pub max_score: i64,
    pub bands: &'static [Band],
    /// Where the wording and scoring come from, and on what terms it may be used.
    pub source: &'static str,
}

/// Every instrument, by id.
pub const INSTRUMENTS: [&Instrument; 4] =
    [&phq9::PHQ9, &gad7::GAD7, &ipip50::IPIP50, &pss10::PSS10];

/// The instrument with this id, if any.
pub fn find(id: i64) -> Option<&'static Instrument> {
    INSTRUMENTS.iter().copied().find(|i| i.id == id)
}

/// The listing order of `GET /api/tests`: the original sorted by stored English name, which
/// gives Big Five, GAD-7, PHQ-9, PSS-10; clients may rely on that order.
pub fn listing() -> [&'static Instrument; 4] {
    [&ipip50::IPIP50, &gad7::GAD7, &phq9::PHQ9, &pss10::PSS10]
}

/// The PHQ-9's id, named because the crisis rule and insights refer to it.
pub const PHQ9_ID: i64 = 1;
/// The GAD-7's id.
pub const GAD7_ID: i64 = 2;
/// The Big Five IPIP-50's id.
pub const BIGFIVE_ID: i64 = 3;
/// The PSS-10's id.
pub const PSS10_ID: i64 = 4;

impl Instrument {
    /// Number of items.
    pub fn total_questions(&self) -> i64 {
        self.items.len() as i64
    }

    /// The contract's estimate: half a minute per item.
    pub fn duration_minutes(&self) -> f64 {
        self.items.len() as f64 * 0.5
    }

    /// The band holding `total`. Totals come only from `score`, which stays in range; the
    /// last band answers anything above, so no input can make this fail.
    pub fn band_for(&self, total: i64) -> &'static Band {
        self.bands
            .iter()
            .find(|b| total >= b.min && total <= b.max)
            .unwrap_or(&self.bands[self.bands.len() - 1])
    }

    /// Whether `value` is one of this instrument's option values.
    pub fn accepts_value(&self, value: i64) -> bool {
        self.options.iter().any(|o| o.value == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_contracts_fixed_ids() {
        let ids: Vec<_> = INSTRUMENTS.iter().map(|i| (i.id, i.test_type)).collect();
        assert_eq!(
            ids,
            [(1, "PHQ9"), (2, "GAD7"), (3, "BIGFIVE_IPIP"), (4, "PSS10")]
        );
        assert_eq!(listing().map(|i| i.id), [3, 2, 1, 4]);
    }

    #[test]
    fn item_counts_and_maxima_match_the_published_instruments() {
        let shape: Vec<_> = INSTRUMENTS
            .iter()
            .map(|i| (i.total_questions(), i.max_score))
            .collect();
        assert_eq!(shape, [(9, 27), (7, 21), (50, 250), (10, 40)]);
    }

    #[test]
    fn bands_are_contiguous_and_cover_every_reachable_total() {
        for instrument in INSTRUMENTS {
            let bands = instrument.bands;
            for pair in bands.windows(2) {
                assert_eq!(pair[0].max + 1, pair[1].min, "{}", instrument.test_type);
            }
            assert!(bands[0].min <= 0, "{}", instrument.test_type);
            assert_eq!(bands[bands.len() - 1].max, instrument.max_score);
        }
    }

    #[test]
    fn every_band_has_a_description_and_recommendations() {
        for band in INSTRUMENTS.iter().flat_map(|i| i.bands) {
            assert!(!band.description.is_empty());
            assert!(band.recommendations.len() >= 3, "{}", band.severity_level);
        }
    }
}
