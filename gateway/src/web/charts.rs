//! Inline SVG charts rendered on the server: readable without JavaScript, styled by classes
//! (the page's CSP allows no inline style), each paired by its caller with a text alternative.
//! `static/app.js` adds tooltips from the `data-tip` attributes when it runs.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::journal::mood_class;

/// Chart size in SVG units; the SVG scales to its container.
const W: f64 = 640.0;
const H: f64 = 220.0;
const PAD: f64 = 32.0;

/// A line chart of daily mood (0 to 10) over `days` ending at `today`; days without an entry
/// leave a gap in the line.
pub fn mood_line(points: &[(NaiveDate, f64)], today: NaiveDate, days: i64, label: &str) -> Markup {
    let start = today - chrono::Duration::days(days - 1);
    let x = |d: NaiveDate| {
        PAD + (d - start).num_days() as f64 * (W - 2.0 * PAD) / (days - 1).max(1) as f64
    };
    let y = |m: f64| H - PAD - m.clamp(0.0, 10.0) * (H - 2.0 * PAD) / 10.0;
    let shown: Vec<_> = points
        .iter()
        .filter(|(d, _)| *d >= start && *d <= today)
        .collect();
    let path = segments(&shown, x, y);
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(label) {
            @for m in [0.0, 2.5, 5.0, 7.5, 10.0] {
                line.grid x1=(PAD) x2=(W - PAD) y1=(y(m)) y2=(y(m)) {}
                text.axis x="4" y=(y(m) + 4.0) { (m) }
            }
            text.axis x=(PAD) y=(H - 8.0) { (start.format("%b %-d")) }
            text.axis x=(W - PAD) y=(H - 8.0) text-anchor="end" { (today.format("%b %-d")) }
            path.line d=(path) {}
            @for (d, m) in &shown {
                circle class={ "dot " (mood_class(*m)) } cx=(x(*d)) cy=(y(*m)) r="4"
                    data-tip=(format!("{}: mood {m:.1}", d.format("%b %-d"))) {}
            }
        }
    }
}

/// An SVG path through consecutive days, broken where a day is missing.
fn segments(
    points: &[&(NaiveDate, f64)],
    x: impl Fn(NaiveDate) -> f64,
    y: impl Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    let mut previous: Option<NaiveDate> = None;
    for (day, mood) in points {
        let joined = previous.is_some_and(|p| (*day - p).num_days() == 1);
        d.push_str(&format!(
            "{}{:.1},{:.1} ",
            if joined { "L" } else { "M" },
            x(*day),
            y(*mood)
        ));
        previous = Some(*day);
    }
    d
}

/// A calendar heat map of the 53 weeks ending at `today`: one square per day, coloured by the
/// day's mean mood, empty days grey.
pub fn heat_map(days: &[(NaiveDate, f64)], today: NaiveDate) -> Markup {
    use chrono::Datelike;
    let cell = 12.0;
    let offset = today.weekday().num_days_from_monday() as i64;
    let first = today - chrono::Duration::days(52 * 7 + offset);
    let mood_of = |d: NaiveDate| days.iter().find(|(day, _)| *day == d).map(|(_, m)| *m);
    let total = (today - first).num_days();
    html! {
        svg.heat viewBox={ "0 0 " (53.0 * cell + 30.0) " " (7.0 * cell + 4.0) } role="img"
            aria-label="Calendar of daily mood over the past year" {
            @for (i, label) in [(0, "Mon"), (2, "Wed"), (4, "Fri")] {
                text.axis x="0" y=(i as f64 * cell + 10.0) { (label) }
            }
            @for n in 0..=total {
                @let day = first + chrono::Duration::days(n);
                @let class = mood_of(day).map_or("empty", mood_class);
                rect class={ "day " (class) } x=(30.0 + (n / 7) as f64 * cell) y=((n % 7) as f64 * cell)
                    width=(cell - 2.0) height=(cell - 2.0) rx="2"
                    data-tip=(tip(day, mood_of(day))) {}
            }
        }
    }
}

fn tip(day: NaiveDate, mood: Option<f64>) -> String {
    match mood {
        Some(m) => format!("{}: mood {m:.1}", day.format("%b %-d, %Y")),
        None => format!("{}: no entry", day.format("%b %-d, %Y")),
    }
}

/// A horizontal bar of the sentiment mix: positive, neutral, negative shares.
pub fn mix_bar(positive: usize, neutral: usize, negative: usize) -> Markup {
    let total = (positive + neutral + negative).max(1) as f64;
    let parts = [
        ("positive", positive),
        ("neutral", neutral),
        ("negative", negative),
    ];
    let mut x = 0.0;
    let bars: Vec<(&str, usize, f64, f64)> = parts
        .iter()
        .map(|&(name, count)| {
            let width = count as f64 * 100.0 / total;
            x += width;
            (name, count, x - width, width)
        })
        .collect();
    html! {
        svg.mix viewBox="0 0 100 8" preserveAspectRatio="none" role="img"
            aria-label=(format!("{positive} positive, {neutral} neutral, {negative} negative entries")) {
            @for (name, count, x, width) in &bars {
                rect class=(name) x=(x) y="0" width=(width) height="8" data-tip=(format!("{name}: {count}")) {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    #[test]
    fn a_day_without_an_entry_breaks_the_line() {
        let points = [(day(1), 5.0), (day(2), 6.0), (day(4), 7.0)];
        let refs: Vec<_> = points.iter().collect();
        let path = segments(&refs, |_| 0.0, |m| m);
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 1, "{path}");
    }

    #[test]
    fn the_line_chart_shows_only_the_period_and_labels_each_point() {
        let points = [(day(1), 2.0), (day(20), 9.0), (day(25), 5.0)];
        let svg = mood_line(&points, day(25), 7, "mood").into_string();
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "day 1 lies outside the 7 days"
        );
        assert!(svg.contains("data-tip=\"Mar 20: mood 9.0\""));
        assert!(svg.contains("role=\"img\" aria-label=\"mood\""));
    }

    #[test]
    fn the_heat_map_has_a_square_for_every_day_of_53_weeks() {
        let svg = heat_map(&[(day(5), 8.0)], day(5)).into_string();
        let squares = svg.matches("<rect").count();
        // 52 full weeks back from the start of this week, plus this week up to today.
        assert!((365..=371).contains(&squares), "{squares}");
        assert_eq!(svg.matches("day m4").count(), 1);
        assert!(svg.contains("no entry"));
    }

    #[test]
    fn the_mix_bar_splits_the_whole_width() {
        let svg = mix_bar(1, 1, 2).into_string();
        assert!(svg.contains("width=\"25\"") && svg.contains("width=\"50\""));
        assert!(svg.contains("x=\"50\""), "negative starts after the others");
    }
}
