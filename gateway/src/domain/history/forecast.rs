//! `GET /api/journal/forecast`: the coming days' mood, with an 80% prediction interval and a
//! rolling-origin backtest on the person's own history.
//!
//! The method is additive Holt-Winters with a damped trend and a weekly season (people's moods
//! follow the week), in error-correction form so that a day without entries is a missing
//! value: the state moves on (level plus damped trend) without an update, never pulled toward
//! zero. Its smoothing weights are chosen from a small grid by one-step squared error on the
//! history before the forecast origin. The interval is normal, with the variance of the
//! h-step error implied by the model and the one-step error measured out of sample (the
//! backtest's), which is what makes its coverage honest.

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use crate::domain::sentiment::round;

/// The fewest days with a mood a forecast needs.
pub const MIN_DAYS: usize = 21;
/// The standard normal's 90% quantile: a central 80% interval.
const Z80: f64 = 1.281_551_565_544_600_5;
/// Days at the start that only warm the state up: their errors do not choose the weights.
const WARM_UP: usize = 14;
/// Observed days needed before the first backtest origin.
const FIRST_ORIGIN_AFTER: usize = 14;
/// The weights are chosen again every this many backtest origins (cost against freshness).
const REFIT_EVERY: usize = 28;
const MOOD_RANGE: (f64, f64) = (0.0, 10.0);

/// The method's name, as reported.
pub const METHOD: &str = "holt-winters (additive, damped trend, weekly season)";

/// One forecast day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ForecastDay {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Point forecast of the day's mean mood (0-10).
    pub mood: f64,
    /// The 80% prediction interval.
    pub low: f64,
    pub high: f64,
}

/// One-day-ahead forecasts from every origin of the history against two baselines.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Backtest {
    /// Mean absolute error of the method.
    pub mae: f64,
    /// ... of "tomorrow is like the last day with entries".
    pub mae_last_value: f64,
    /// ... of "tomorrow is the mean so far".
    pub mae_mean: f64,
    /// How many days were forecast.
    pub origins: usize,
}

/// The response of `/api/journal/forecast`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Forecast {
    pub method: &'static str,
    pub days: Vec<ForecastDay>,
    pub backtest: Backtest,
}

/// Daily moods on consecutive days; `None` where the day has no entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub start: NaiveDate,
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// The days from the first mood to `end` (or the last mood, if later).
    pub fn new(moods: &[(NaiveDate, f64)], end: NaiveDate) -> Self {
        let Some(&(start, _)) = moods.first() else {
            return Self {
                start: end,
                values: Vec::new(),
            };
        };
        let last = moods.last().map_or(end, |(d, _)| *d).max(end);
        let mut values = vec![None; (last - start).num_days() as usize + 1];
        for (date, mood) in moods {
            values[(*date - start).num_days() as usize] = Some(*mood);
        }
        Self { start, values }
    }

    /// The weekday (0 = Monday) of day `index`, by arithmetic: it is called in the innermost
    /// loop of every fit, where adding days to a date each time would dominate.
    fn weekday(&self, index: usize) -> usize {
        (self.start.weekday().num_days_from_monday() as usize + index) % 7
    }

    fn observed(&self) -> usize {
        self.values.iter().flatten().count()
    }
}

/// Smoothing weights of level, trend and season, and the trend's damping.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Weights {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

fn grid() -> impl Iterator<Item = Weights> {
    let alphas = [0.05, 0.1, 0.2, 0.35, 0.5];
    let betas = [0.0, 0.05, 0.15];
    let gammas = [0.0, 0.1, 0.25];
    alphas.into_iter().flat_map(move |alpha| {
        betas.into_iter().flat_map(move |beta| {
            gammas.into_iter().map(move |gamma| Weights {
                alpha,
                beta,
                gamma,
                phi: 0.9,
            })
        })
    })
}

/// Level, trend and the seasonal term of each weekday (0 = Monday).
#[derive(Debug, Clone, Copy)]
struct State {
    level: f64,
    trend: f64,
    season: [f64; 7],
}

impl State {
    /// Level: the mean of the first four weeks (of the first `upto` days, so a backtest never
    /// starts from the future); season: each weekday's mean there minus it.
    fn initial(series: &Series, upto: usize) -> Self {
        let window = upto.min(28);
        let seen: Vec<(usize, f64)> = (0..window)
            .filter_map(|i| series.values[i].map(|v| (series.weekday(i), v)))
            .collect();
        let level = seen.iter().map(|(_, v)| v).sum::<f64>() / seen.len().max(1) as f64;
        let mut season = [0.0; 7];
        for (w, slot) in season.iter_mut().enumerate() {
            let day: Vec<f64> = seen
                .iter()
                .filter(|(d, _)| *d == w)
                .map(|(_, v)| *v)
                .collect();
            if !day.is_empty() {
                *slot = day.iter().sum::<f64>() / day.len() as f64 - level;
            }
        }
        Self {
            level,
            trend: 0.0,
            season,
        }
    }

    /// The forecast `h` days ahead, for a day of weekday `w`.
    fn ahead(&self, h: usize, w: usize, phi: f64) -> f64 {
        let damped: f64 = (1..=h).map(|i| phi.powi(i as i32)).sum();
        self.level + damped * self.trend + self.season[w]
    }

    /// Moves one day on; `value` updates the state when the day has one. Returns the
    /// one-step error.
    fn step(&mut self, value: Option<f64>, w: usize, k: Weights) -> Option<f64> {
        let predicted = self.ahead(1, w, k.phi);
        self.level += k.phi * self.trend;
        self.trend *= k.phi;
        let error = value? - predicted;
        self.level += k.alpha * error;
        self.trend += k.alpha * k.beta * error;
        self.season[w] += k.gamma * (1.0 - k.alpha) * error;
        Some(error)
    }
}

/// The state after the first `upto` days and the one-step errors `(day, error)` on the way.
fn run(series: &Series, upto: usize, k: Weights) -> (State, Vec<(usize, f64)>) {
    let mut state = State::initial(series, upto);
    let mut errors = Vec::new();
    for i in 0..upto {
        if let Some(e) = state.step(series.values[i], series.weekday(i), k) {
            errors.push((i, e));
        }
    }
    (state, errors)
}

/// The grid's weights with the least one-step squared error over the first `upto` days.
fn fit(series: &Series, upto: usize) -> Weights {
    let sse = |k: Weights| -> f64 {
        let (_, errors) = run(series, upto, k);
        errors
            .iter()
            .filter(|(i, _)| *i >= WARM_UP)
            .map(|(_, e)| e * e)
            .sum()
    };
    grid()
        .map(|k| (sse(k), k))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(
            Weights {
                alpha: 0.2,
                beta: 0.0,
                gamma: 0.1,
                phi: 0.9,
            },
            |(_, k)| k,
        )
}

/// One-day-ahead errors of the method and the baselines from every origin with enough
/// history before it: `(method, last value, mean so far)`.
fn backtest_errors(series: &Series) -> Vec<(f64, f64, f64)> {
    let n = series.values.len();
    let first = series
        .values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_some())
        .nth(FIRST_ORIGIN_AFTER)
        .map_or(n, |(i, _)| i);
    let mut errors = Vec::new();
    let mut block = first;
    while block < n {
        let end = (block + REFIT_EVERY).min(n);
        let (_, one_step) = run(series, end, fit(series, block));
        errors.extend(one_step.into_iter().filter(|(i, _)| *i >= block));
        block = end;
    }
    with_baselines(series, &errors)
}

/// Each `(day, error)` (in day order) with the errors of the last value and the mean of the
/// days before it, kept as running figures so the whole history is walked once.
fn with_baselines(series: &Series, errors: &[(usize, f64)]) -> Vec<(f64, f64, f64)> {
    let (mut last, mut sum, mut count) = (None, 0.0, 0usize);
    let mut pending = errors.iter().peekable();
    let mut out = Vec::with_capacity(errors.len());
    for (i, value) in series.values.iter().enumerate() {
        if let (Some(&&(day, e)), Some(actual)) = (pending.peek(), value)
            && day == i
        {
            let last_value = last.unwrap_or(*actual);
            let mean = if count > 0 {
                sum / count as f64
            } else {
                *actual
            };
            out.push((e.abs(), (actual - last_value).abs(), (actual - mean).abs()));
            pending.next();
        }
        if let Some(v) = value {
            (last, sum, count) = (Some(*v), sum + v, count + 1);
        }
    }
    out
}

/// The backtest and the root mean square one-step error (out of sample).
fn backtest(series: &Series) -> (Backtest, Option<f64>) {
    let errors = backtest_errors(series);
    let n = errors.len().max(1) as f64;
    let mae = |f: fn(&(f64, f64, f64)) -> f64| round(errors.iter().map(f).sum::<f64>() / n, 3);
    let rmse =
        (!errors.is_empty()).then(|| (errors.iter().map(|e| e.0 * e.0).sum::<f64>() / n).sqrt());
    let summary = Backtest {
        mae: mae(|e| e.0),
        mae_last_value: mae(|e| e.1),
        mae_mean: mae(|e| e.2),
        origins: errors.len(),
    };
    (summary, rmse)
}

/// The variance multiplier of an `h`-day-ahead error relative to a one-day one.
fn horizon_factor(h: usize, k: Weights) -> f64 {
    (1..h)
        .map(|j| {
            let damped: f64 = (1..=j).map(|i| k.phi.powi(i as i32)).sum();
            let seasonal = if j % 7 == 0 {
                k.gamma * (1.0 - k.alpha)
            } else {
                0.0
            };
            (k.alpha * (1.0 + k.beta * damped) + seasonal).powi(2)
        })
        .sum::<f64>()
        + 1.0
}

/// The next `days` days after `series`'s last day, or `Err` with how many more days with a
/// mood are needed.
pub fn forecast(series: &Series, days: usize) -> Result<Forecast, usize> {
    let observed = series.observed();
    if observed < MIN_DAYS {
        return Err(MIN_DAYS - observed);
    }
    let n = series.values.len();
    let weights = fit(series, n);
    let (state, in_sample) = run(series, n, weights);
    let (summary, out_of_sample) = backtest(series);
    let sigma = out_of_sample.unwrap_or_else(|| {
        (in_sample.iter().map(|(_, e)| e * e).sum::<f64>() / in_sample.len() as f64).sqrt()
    });
    let last_seen = series
        .values
        .iter()
        .rposition(Option::is_some)
        .unwrap_or(n - 1);
    let clamp = |v: f64| round(v.clamp(MOOD_RANGE.0, MOOD_RANGE.1), 2);
    let days = (1..=days)
        .map(|h| {
            let index = n - 1 + h;
            let point = state.ahead(h, series.weekday(index), weights.phi);
            let spread = Z80 * sigma * horizon_factor(index - last_seen, weights).sqrt();
            ForecastDay {
                date: series.start + Days::new(index as u64),
                mood: clamp(point),
                low: clamp(point - spread),
                high: clamp(point + spread),
            }
        })
        .collect();
    Ok(Forecast {
        method: METHOD,
        days,
        backtest: summary,
    })
}

#[cfg(test)]
mod tests;
