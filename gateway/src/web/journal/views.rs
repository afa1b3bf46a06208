//! The journal's markup: the list page, an entry as a card (both models' readings, mood badge,
//! "being analysed" while pending), the entry page and its word shading with the text
//! alternative.

use maud::{Markup, html};

use super::{EntryForm, Filter, Listing, PER_PAGE};
use crate::{
    domain::sentiment::{SentimentResult, consensus},
    routes::explain::ModelExplanationView,
    store::journal::{EntryRow, FAILED, PENDING},
    web::{WebUser, layout},
};

/// An entry's tags.
pub fn tags(row: &EntryRow) -> Vec<String> {
    serde_json::from_str(&row.tags).unwrap_or_default()
}

fn model(text: &Option<String>) -> Option<SentimentResult> {
    serde_json::from_str(text.as_deref()?).ok()
}

/// The class of a 0 to 10 mood: five bands from `m0` (low) to `m4` (high).
pub fn mood_class(mood: f64) -> &'static str {
    match mood {
        m if m < 3.0 => "m0",
        m if m < 4.5 => "m1",
        m if m < 6.0 => "m2",
        m if m < 7.5 => "m3",
        _ => "m4",
    }
}

pub(super) fn journal_page(
    user: &WebUser,
    filter: &Filter,
    listing: &Listing,
    form: &EntryForm,
    form_error: Option<&str>,
    filter_error: Option<&str>,
) -> Markup {
    let page = filter.page.unwrap_or(1).max(1);
    let pages = listing.total.div_ceil(PER_PAGE).max(1);
    layout::page(
        "Journal",
        Some(user),
        "/journal",
        html! {
            h1 { "Journal" }
            div.columns {
                div.side {
                    (write_card(user, form, form_error))
                    (filter_card(filter))
                }
                section.card {
                    h2 { "Your entries" }
                    (layout::alert(filter_error))
                    p.muted { (listing.total) " entries" }
                    @if listing.rows.is_empty() {
                        p { "No entries here yet." }
                    }
                    ol.entries {
                        @for row in &listing.rows {
                            li { (entry_card(row, true)) }
                        }
                    }
                    @if pages > 1 {
                        nav.pager aria-label="Pages" {
                            @if page > 1 { a href=(page_link(filter, page - 1)) { "← Newer" } }
                            span { "Page " (page) " of " (pages) }
                            @if page < pages { a href=(page_link(filter, page + 1)) { "Older →" } }
                        }
                    }
                }
            }
        },
    )
}

fn write_card(user: &WebUser, form: &EntryForm, error: Option<&str>) -> Markup {
    html! {
        section.card {
            h2 { "How are you feeling?" }
            form method="post" action="/journal" {
                (layout::csrf(&user.csrf))
                (entry_fields(form, error))
                div #live .live aria-live="polite" {}
                button type="submit" { "Save entry" }
            }
        }
    }
}

fn filter_card(filter: &Filter) -> Markup {
    html! {
        section.card {
            h2 { "Filter" }
            form.filters method="get" action="/journal" {
                (layout::field("From", "from", "date", &filter.from, None))
                (layout::field("To", "to", "date", &filter.to, None))
                (layout::field("Tag", "tag", "text", &filter.tag, None))
                button.secondary type="submit" { "Filter" }
            }
        }
    }
}

/// The journal filtered to one tag.
fn tag_link(tag: &str) -> String {
    let query = serde_urlencoded::to_string([("tag", tag)]).unwrap_or_default();
    format!("/journal?{query}")
}

fn page_link(filter: &Filter, page: usize) -> String {
    let query = serde_urlencoded::to_string([
        ("page", page.to_string()),
        ("from", filter.from.clone()),
        ("to", filter.to.clone()),
        ("tag", filter.tag.clone()),
    ])
    .unwrap_or_default();
    format!("/journal?{query}")
}

fn entry_fields(form: &EntryForm, error: Option<&str>) -> Markup {
    html! {
        div.field {
            label for="text" { "Entry" }
            textarea #text name="text" rows="4" maxlength="5000" data-live="/web/predict"
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "text-error")] { (form.text) }
            @if let Some(error) = error { p.error #text-error { (error) } }
        }
        (layout::field("Tags (optional, comma-separated)", "tags", "text", &form.tags, None))
        fieldset.scale {
            legend { "How was your day? (optional)" }
            div.options {
                @for (value, name) in SELF_MOODS.iter().enumerate().map(|(i, n)| (i + 1, n)) {
                    @let id = format!("self-mood-{value}");
                    label.option for=(id) {
                        input #(id) type="radio" name="self_mood" value=(value) checked[form.self_mood == value.to_string()];
                        " " (name)
                    }
                }
            }
        }
    }
}

/// The words for a self-rating of 1 to 5.
const SELF_MOODS: [&str; 5] = ["Awful", "Bad", "Okay", "Good", "Great"];

/// A self-rating in words.
fn self_mood_name(mood: i64) -> Option<&'static str> {
    SELF_MOODS
        .get(usize::try_from(mood).ok()?.checked_sub(1)?)
        .copied()
}

/// One entry as a card: date, text, tags and both models' readings.
pub fn entry_card(row: &EntryRow, link: bool) -> Markup {
    html! {
        article.entry {
            header.entry-head {
                @if link { a href={ "/journal/" (row.id) } { time datetime=(row.date) { (layout::when(&row.date)) } } }
                @else { time datetime=(row.date) { (layout::when(&row.date)) } }
                (mood_badge(row))
            }
            p.entry-text { (row.text) }
            @let tags = tags(row);
            @if !tags.is_empty() {
                ul.tags aria-label="Tags" { @for tag in &tags { li { a href=(tag_link(tag)) { (tag) } } } }
            }
            (readings(row))
            @if let Some(name) = row.self_mood.and_then(self_mood_name) {
                p.self-mood { "Your rating: " strong { (name) } }
            }
        }
    }
}

fn mood_badge(row: &EntryRow) -> Markup {
    html! {
        @match (row.status.as_str(), row.mood_score) {
            (PENDING, _) => span.badge.pending { "Being analysed" },
            (FAILED, _) => span.badge.pending { "Could not be analysed" },
            (_, Some(mood)) => span class={ "badge " (mood_class(mood)) } { "Mood " (format!("{mood:.1}")) " / 10" },
            _ => {},
        }
    }
}

fn readings(row: &EntryRow) -> Markup {
    let (roberta, lstm) = (model(&row.roberta), model(&row.lstm));
    if roberta.is_none() && lstm.is_none() {
        return html! {};
    }
    let agree = consensus(roberta.as_ref(), lstm.as_ref());
    html! {
        dl.readings {
            @for (name, result) in [("RoBERTa", &roberta), ("LSTM", &lstm)] {
                @if let Some(r) = result {
                    div {
                        dt { (name) }
                        dd { span class={ "chip " (r.sentiment.as_str().to_lowercase()) } { (r.sentiment.as_str()) } " " (format!("{:.0}%", r.confidence * 100.0)) " confident" }
                    }
                }
            }
            div {
                dt { "Models" }
                dd { @if agree { "agree" } @else { "disagree" } }
            }
        }
    }
}

pub(super) fn entry_page(
    user: &WebUser,
    row: &EntryRow,
    explanation: Option<&ModelExplanationView>,
    form: &EntryForm,
    error: Option<&str>,
) -> Markup {
    layout::page(
        "Entry",
        Some(user),
        "/journal",
        html! {
            p { a href="/journal" { "← All entries" } }
            section.card {
                h1 { "Your entry" }
                (entry_card(row, false))
            }
            section.card {
                h2 { "Which words moved the mood" }
                @match explanation {
                    Some(e) => (shading(e)),
                    None if row.status == PENDING => p { "This entry is being analysed; reload in a moment." },
                    None => p.muted { "The explanation is not available right now." },
                }
            }
            section.card {
                h2 { "Edit" }
                form method="post" action={ "/journal/" (row.id) } {
                    (layout::csrf(&user.csrf))
                    (entry_fields(form, error))
                    button type="submit" { "Save changes" }
                }
                p { a.button.danger href={ "/journal/" (row.id) "/delete" } { "Delete this entry…" } }
            }
        },
    )
}

/// The text with each word shaded by how much it moved the mood, and the text alternative:
/// the three words that lifted it most and the three that lowered it most.
fn shading(e: &ModelExplanationView) -> Markup {
    let mut by_delta: Vec<_> = e.words.iter().filter(|w| !w.beyond_limit).collect();
    by_delta.sort_by(|a, b| b.mood_delta.total_cmp(&a.mood_delta));
    let lifted: Vec<_> = by_delta
        .iter()
        .filter(|w| w.mood_delta > 0.0)
        .take(3)
        .collect();
    let lowered: Vec<_> = by_delta
        .iter()
        .rev()
        .filter(|w| w.mood_delta < 0.0)
        .take(3)
        .collect();
    html! {
        p.shaded aria-hidden="true" {
            @for w in &e.words {
                span class=(shade_class(w.mood_delta)) title=(format!("{:+.2}", w.mood_delta)) { (w.word) } " "
            }
        }
        div.grid2 {
            div {
                h3 { "Lifted the mood" }
                ol { @for w in &lifted { li { (w.word) " (" (format!("{:+.2}", w.mood_delta)) ")" } } }
                @if lifted.is_empty() { p.muted { "No word lifted it." } }
            }
            div {
                h3 { "Lowered the mood" }
                ol { @for w in &lowered { li { (w.word) " (" (format!("{:+.2}", w.mood_delta)) ")" } } }
                @if lowered.is_empty() { p.muted { "No word lowered it." } }
            }
        }
    }
}

fn shade_class(delta: f32) -> &'static str {
    match delta {
        d if d >= 1.0 => "w up2",
        d if d >= 0.2 => "w up1",
        d if d <= -1.0 => "w down2",
        d if d <= -0.2 => "w down1",
        _ => "w",
    }
}
