//! The forecast on synthetic histories with a known weekly cycle, trend and noise, and gaps:
//! its backtest must beat both baselines and its 80% interval must cover about 80% of the
//! days it forecasts. `cargo test -p moodtracker-gateway --lib forecast -- --nocapture`
//! prints the figures.

use chrono::Duration;

use super::*;

/// xorshift64*: a seeded generator, so every run sees the same histories.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Box-Muller.
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `days` days from 2024-01-01 (a Monday): 5.5 plus a weekly cycle (weekends up to
/// `cycle`), a slow trend, Gaussian noise of `noise`, clamped to 0-10; a day is missing with
/// probability `gaps`.
fn history(
    seed: u64,
    days: usize,
    cycle: f64,
    trend: f64,
    noise: f64,
    gaps: f64,
) -> Vec<(NaiveDate, f64)> {
    let mut rng = Rng(seed);
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let shape = [-0.6, -0.4, -0.2, 0.0, 0.3, 1.0, 0.8];
    (0..days)
        .filter_map(|i| {
            let value = 5.5 + cycle * shape[i % 7] + trend * i as f64 + noise * rng.normal();
            let keep = rng.uniform() >= gaps;
            keep.then(|| (start + Duration::days(i as i64), value.clamp(0.0, 10.0)))
        })
        .collect()
}

/// The backtest of the whole history and the share of actual days inside the 80% intervals
/// forecast 1 to 7 days ahead from every 5th day after the first 90.
fn evaluate(moods: &[(NaiveDate, f64)]) -> (Backtest, f64) {
    let end = moods.last().unwrap().0;
    let whole = forecast(&Series::new(moods, end), 7).unwrap();
    let (mut inside, mut total) = (0usize, 0usize);
    let first = moods[0].0 + Duration::days(90);
    let mut origin = first;
    while origin + Duration::days(7) <= end {
        let past: Vec<_> = moods
            .iter()
            .copied()
            .filter(|(d, _)| *d <= origin)
            .collect();
        let ahead = forecast(&Series::new(&past, origin), 7).unwrap();
        for day in &ahead.days {
            if let Some((_, actual)) = moods.iter().find(|(d, _)| *d == day.date) {
                total += 1;
                inside += usize::from(day.low <= *actual && *actual <= day.high);
            }
        }
        origin += Duration::days(5);
    }
    (whole.backtest, inside as f64 / total as f64)
}

#[test]
fn beats_both_baselines_with_honest_intervals_on_synthetic_histories() {
    let cases = [
        (
            "cycle 1.5, trend +1/yr, noise 0.8, 20% gaps",
            1,
            1.5,
            1.0 / 365.0,
            0.8,
            0.2,
        ),
        (
            "cycle 2.0, flat, noise 1.0, 35% gaps",
            2,
            2.0,
            0.0,
            1.0,
            0.35,
        ),
        (
            "cycle 1.0, trend -1.5/yr, noise 0.6, 10% gaps",
            3,
            1.0,
            -1.5 / 365.0,
            0.6,
            0.1,
        ),
        (
            "cycle 1.5, trend +0.5/yr, noise 1.2, 50% gaps",
            4,
            1.5,
            0.5 / 365.0,
            1.2,
            0.5,
        ),
    ];
    let mut coverages = Vec::new();
    for (name, seed, cycle, trend, noise, gaps) in cases {
        let (b, coverage) = evaluate(&history(seed, 365, cycle, trend, noise, gaps));
        eprintln!(
            "{name}: MAE {:.3} vs last value {:.3}, mean {:.3} ({} origins); 80% interval covers {:.1}%",
            b.mae,
            b.mae_last_value,
            b.mae_mean,
            b.origins,
            coverage * 100.0
        );
        assert!(
            b.mae < b.mae_last_value && b.mae < b.mae_mean,
            "{name}: {b:?}"
        );
        coverages.push(coverage);
    }
    let mean = coverages.iter().sum::<f64>() / coverages.len() as f64;
    eprintln!("mean coverage {:.1}%", mean * 100.0);
    assert!((0.72..=0.88).contains(&mean), "coverage {mean}");
}

#[test]
fn needs_21_days_with_a_mood_and_says_how_many_more() {
    let moods = history(7, 30, 1.0, 0.0, 0.5, 0.5);
    let seen = moods.len();
    assert!(seen < MIN_DAYS);
    let end = moods.last().unwrap().0;
    assert_eq!(forecast(&Series::new(&moods, end), 7), Err(MIN_DAYS - seen));
}

#[test]
fn a_known_weekly_cycle_is_forecast_for_the_right_weekdays() {
    // No noise, no trend, no gaps: the forecast repeats the week.
    let moods = history(9, 70, 2.0, 0.0, 0.0, 0.0);
    let end = moods.last().unwrap().0; // Sunday 2024-03-10
    let f = forecast(&Series::new(&moods, end), 7).unwrap();
    assert_eq!(
        f.days[0].date,
        NaiveDate::from_ymd_opt(2024, 3, 11).unwrap()
    );
    let expected = [4.3, 4.7, 5.1, 5.5, 6.1, 7.5, 7.1];
    for (day, want) in f.days.iter().zip(expected) {
        assert!((day.mood - want).abs() < 0.05, "{day:?} vs {want}");
        assert!(day.low <= day.mood && day.mood <= day.high);
    }
    assert!(f.backtest.mae < 0.05, "{:?}", f.backtest);
}

#[test]
fn missing_days_are_not_zeros() {
    // Five weeks at 8, then a fortnight without entries: the forecast stays near 8.
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let moods: Vec<_> = (0..35).map(|i| (start + Duration::days(i), 8.0)).collect();
    let f = forecast(&Series::new(&moods, start + Duration::days(48)), 3).unwrap();
    assert!(
        f.days.iter().all(|d| (d.mood - 8.0).abs() < 0.1),
        "{:?}",
        f.days
    );
    assert_eq!(f.days[0].date, start + Duration::days(49));
}
