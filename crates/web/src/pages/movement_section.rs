//! "Why the bill moved": a movement (`tokentally_domain::movement`) as a waterfall, a table
//! of its parts and their contributors, and a CSV download of the same rows. Shown on the
//! showback page (the organisation), the team page and the feature page.

use leptos::either::Either;
use leptos::prelude::*;
use tokentally_domain::month::Month;
use tokentally_domain::movement::{By, Contributor, Movement, Part};

use super::showback_page::urlencode;
use crate::components::waterfall::{Step, signed_money, waterfall};
use crate::components::{Column, DataTable};
use crate::format::money;

/// How many of a part's contributors get a bar of their own; the rest share one.
pub const BARS_PER_PART: usize = 3;

/// A movement and where its table downloads from.
#[derive(Debug, Clone)]
pub struct MovementView {
    pub movement: Movement,
    /// The CSV of the table (the page's path with `table=movement`).
    pub csv: String,
}

/// The page a contributor is about, in the later month: a team, a feature of a team, a key or
/// a model; none for overhead categories, commitments and the summed rest.
pub fn contributor_href(c: &Contributor, month: Month) -> Option<String> {
    match (c.by, c.team.as_deref()) {
        (By::Team, _) => Some(format!("/teams/{}?month={month}", urlencode(&c.name))),
        (By::Feature, Some(team)) => Some(format!(
            "/teams/{}/features/{}?month={month}",
            urlencode(team),
            urlencode(&c.name)
        )),
        (By::Key, _) if !c.name.is_empty() => {
            Some(format!("/keys/{}?month={month}", urlencode(&c.name)))
        }
        (By::Model, _) => {
            let model = c.name.split_once('/').map_or(c.name.as_str(), |(_, m)| m);
            Some(format!("/models/{}?month={month}", urlencode(model)))
        }
        _ => None,
    }
}

/// How a contributor is named on the page.
pub fn contributor_name(c: &Contributor) -> String {
    match c.by {
        By::Key if c.name.is_empty() => "(no key)".to_owned(),
        By::Others => "all others".to_owned(),
        _ => c.name.clone(),
    }
}

/// The bars between the totals: per part, its largest contributors each with a bar, and one
/// bar for the rest of the part; a part without contributors is one bar. Parts that are zero
/// and moved nothing between contributors are left out.
pub fn steps(m: &Movement) -> Vec<Step> {
    let mut out = Vec::new();
    for p in &m.parts {
        if p.amount.is_zero() && p.contributors.iter().all(|c| c.amount.is_zero()) {
            continue;
        }
        if p.contributors.is_empty() {
            out.push(Step {
                label: p.kind.label().to_owned(),
                amount: p.amount,
                href: None,
            });
            continue;
        }
        let shown = p
            .contributors
            .iter()
            .filter(|c| c.by != By::Others)
            .take(BARS_PER_PART);
        let mut rest = p.amount;
        for c in shown {
            rest -= c.amount;
            out.push(Step {
                label: format!("{} · {}", p.kind.label(), contributor_name(c)),
                amount: c.amount,
                href: contributor_href(c, m.to),
            });
        }
        if !rest.is_zero() {
            out.push(Step {
                label: format!("{} · the rest", p.kind.label()),
                amount: rest,
                href: None,
            });
        }
    }
    out
}

fn part_rows(p: &Part, m: &Movement) -> impl IntoView + use<> {
    let cur = m.currency.clone();
    let head = view! {
        <tr class="part">
            <th scope="row">{p.kind.label()}</th>
            <td></td>
            <td class="num strong">{signed_money(p.amount, &cur)}</td>
        </tr>
    };
    let contributors = p
        .contributors
        .iter()
        .map(|c| {
            let name = contributor_name(c);
            let cell = match contributor_href(c, m.to) {
                Some(href) => Either::Left(view! { <a href=href>{name}</a> }),
                None => Either::Right(view! { <span>{name}</span> }),
            };
            let by = by_str(c.by);
            view! {
                <tr class="contributor">
                    <td></td>
                    <td><span class="muted">{by}" "</span>{cell}</td>
                    <td class="num">{signed_money(c.amount, &cur)}</td>
                </tr>
            }
        })
        .collect_view();
    (head, contributors)
}

/// The section: heading, download link, waterfall and table.
pub fn movement_section(v: &MovementView) -> impl IntoView + use<> {
    let m = &v.movement;
    let cur = m.currency.clone();
    let before = format!("Blended cost {}", m.from);
    let after = format!("Blended cost {}", m.to);
    let steps = steps(m);
    let svg = waterfall(
        (&before, m.before_total),
        &steps,
        (&after, m.after_total),
        &cur,
    );
    let largest = steps
        .iter()
        .max_by_key(|s| s.amount.abs())
        .map(|s| {
            format!(
                " The largest step is {} ({}).",
                s.label,
                signed_money(s.amount, &cur)
            )
        })
        .unwrap_or_default();
    let summary = format!(
        "From {} in {} to {} in {}: {}.{largest}",
        money(m.before_total, &cur),
        m.from,
        money(m.after_total, &cur),
        m.to,
        signed_money(m.change, &cur),
    );
    let rows = m.parts.iter().map(|p| part_rows(p, m)).collect_view();
    let columns = vec![
        Column::text("Part"),
        Column::text("Contributor"),
        Column::num("Amount"),
    ];
    let foot = view! {
        <tr>
            <th scope="row">{format!("Blended cost {}", m.from)}</th>
            <td></td>
            <td class="num">{money(m.before_total, &cur)}</td>
        </tr>
        <tr>
            <th scope="row">"Change"</th>
            <td></td>
            <td class="num strong">{signed_money(m.change, &cur)}</td>
        </tr>
        <tr>
            <th scope="row">{format!("Blended cost {}", m.to)}</th>
            <td></td>
            <td class="num strong">{money(m.after_total, &cur)}</td>
        </tr>
    };
    let csv = v.csv.clone();
    let title = format!("Why the bill moved, {} → {}", m.from, m.to);
    view! {
        <section aria-labelledby="movement-h" id="movement">
            <div class="section-head">
                <h2 id="movement-h">{title}</h2>
                <a class="download no-print" href=csv>"Download CSV"</a>
            </div>
            <p class="muted">{summary}</p>
            <figure class="chart">
                <figcaption>"Blended cost, step by step: attribution, new, gone, volume, mix, price, overheads, commitments"</figcaption>
                <div class="waterfall" inner_html=svg></div>
            </figure>
            <DataTable id="movement-table" columns foot=foot.into_any()>{rows}</DataTable>
        </section>
    }
}

/// The rows of the movement's CSV: the earlier total, each part followed by its contributors
/// (a part's row has no `by`), the later total. Parts alone add up from the one total to the
/// other; each part's contributors add up to the part.
pub fn csv_rows(m: &Movement) -> Vec<[String; 6]> {
    let mut rows = vec![[
        "before_total".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        m.before_total.to_string(),
        m.currency.clone(),
    ]];
    for p in &m.parts {
        rows.push([
            p.kind.as_str().to_owned(),
            String::new(),
            String::new(),
            String::new(),
            p.amount.to_string(),
            m.currency.clone(),
        ]);
        for c in &p.contributors {
            rows.push([
                p.kind.as_str().to_owned(),
                by_str(c.by).to_owned(),
                c.name.clone(),
                c.team.clone().unwrap_or_default(),
                c.amount.to_string(),
                m.currency.clone(),
            ]);
        }
    }
    rows.push([
        "after_total".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        m.after_total.to_string(),
        m.currency.clone(),
    ]);
    rows
}

/// The CSV's headers after `from`, `to`, `team`, `feature`.
pub const CSV_HEADERS: [&str; 6] = [
    "part",
    "by",
    "contributor",
    "contributor_team",
    "amount",
    "currency",
];

fn by_str(by: By) -> &'static str {
    match by {
        By::Team => "team",
        By::Feature => "feature",
        By::Key => "key",
        By::Model => "model",
        By::Category => "category",
        By::Commitment => "commitment",
        By::Others => "others",
    }
}
