//! Planning: what a feature would cost at a planned volume (three scenarios, priced on the
//! model's real card), and what commitment size would have cost least over the last 90 days.
//! Both forms are GET forms: they change nothing, so a plan can be bookmarked and shared.

use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::components::{Alert, Choices, Column, DataTable, Field, FieldErrors, Select};
use crate::format::{count, money, pct, tokens, unit_money};
use crate::shell::{Nav, Shell, Viewer, render};

/// The scenario form as entered (kept as text, so a refused value comes back as typed).
#[derive(Debug, Clone, Default)]
pub struct ScenarioForm {
    pub team: String,
    pub feature: String,
    /// `provider/model`.
    pub model: String,
    pub volume: String,
    pub tokens_per_interaction: String,
    pub overhead_multiplier: String,
    pub spread_pct: String,
}

#[derive(Debug, Clone)]
pub struct ScenarioRow {
    pub name: String,
    pub volume: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub token_cost: Decimal,
    pub blended_cost: Decimal,
    pub cost_per_interaction: Option<Decimal>,
}

#[derive(Debug, Clone, Default)]
pub struct SizingForm {
    /// `provider/model`.
    pub model: String,
    pub fee_per_million: String,
}

#[derive(Debug, Clone)]
pub struct SizingView {
    pub model: String,
    pub from: String,
    pub to: String,
    pub days: u32,
    pub days_with_usage: u32,
    pub steady: bool,
    pub tokens: u64,
    pub on_demand_cost: Decimal,
    pub on_demand_per_million: Decimal,
    pub fee_per_million: Decimal,
    /// Where the fee came from: entered, or the model's latest commitment.
    pub fee_source: String,
    pub daily_capacity: u64,
    pub monthly_capacity: u64,
    pub fee: Decimal,
    pub overflow_cost: Decimal,
    pub committed_cost: Decimal,
    pub saving: Decimal,
    pub utilisation_pct: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct PlanningPage {
    pub currency: String,
    /// Priced models, as (`provider/model`, label).
    pub models: Vec<(String, String)>,
    pub teams: Vec<String>,
    pub features: Vec<String>,
    pub scenario_form: ScenarioForm,
    pub scenarios: Vec<ScenarioRow>,
    /// Where the token mix came from (`the feature's 2026-11 mix: …`).
    pub mix_note: Option<String>,
    pub sizing_form: SizingForm,
    pub sizing: Option<SizingView>,
    pub errors: FieldErrors,
    /// Whether the viewer may size commitments (the whole organisation's traffic).
    pub may_size: bool,
}

#[component]
fn ScenarioEntry(r: ScenarioRow, currency: String) -> impl IntoView {
    let per = r
        .cost_per_interaction
        .map(|c| unit_money(c, &currency))
        .unwrap_or_default();
    view! {
        <tr>
            <th scope="row">{r.name}</th>
            <td class="num">{count(r.volume)}</td>
            <td class="num">{tokens(r.input_tokens)}</td>
            <td class="num">{tokens(r.output_tokens)}</td>
            <td class="num">{money(r.token_cost, &currency)}</td>
            <td class="num">{money(r.blended_cost, &currency)}</td>
            <td class="num">{per}</td>
        </tr>
    }
}

#[component]
fn SizingResult(s: SizingView, currency: String) -> impl IntoView {
    let c = |d: Decimal| money(d, &currency);
    let verdict = if s.daily_capacity == 0 {
        format!(
            "At {} per 1M tokens of capacity no commitment would have cost less than paying on demand ({} per 1M).",
            unit_money(s.fee_per_million, &currency),
            unit_money(s.on_demand_per_million, &currency)
        )
    } else {
        format!(
            "A commitment of {} tokens a day ({} a 30-day month) would have cost {} instead of {}: {} less.",
            tokens(s.daily_capacity),
            tokens(s.monthly_capacity),
            c(s.committed_cost),
            c(s.on_demand_cost),
            c(s.saving)
        )
    };
    let steady = if s.steady {
        "steady traffic"
    } else {
        "traffic is not steady: fewer than 9 days in 10 had usage, so a commitment is a bet"
    };
    let utilisation = s.utilisation_pct.map(pct).unwrap_or_else(|| "—".into());
    view! {
        <section class="card" id="sizing-result">
            <h3>{s.model}</h3>
            <p><strong>{verdict}</strong></p>
            <dl class="facts">
                <dt>"Window"</dt><dd>{format!("{} to {} ({} days, {} with usage: {steady})", s.from, s.to, s.days, s.days_with_usage)}</dd>
                <dt>"Tokens"</dt><dd>{tokens(s.tokens)}</dd>
                <dt>"On demand"</dt><dd>{format!("{} ({} per 1M tokens)", c(s.on_demand_cost), unit_money(s.on_demand_per_million, &currency))}</dd>
                <dt>"Capacity price"</dt><dd>{format!("{} per 1M tokens ({})", unit_money(s.fee_per_million, &currency), s.fee_source)}</dd>
                <dt>"Fee"</dt><dd>{c(s.fee)}</dd>
                <dt>"Overflow on demand"</dt><dd>{c(s.overflow_cost)}</dd>
                <dt>"Utilisation"</dt><dd>{utilisation}</dd>
            </dl>
        </section>
    }
}

pub fn planning_page(viewer: &Viewer, p: PlanningPage) -> String {
    let PlanningPage {
        currency,
        models,
        teams,
        features,
        scenario_form: f,
        scenarios,
        mix_note,
        sizing_form: sf,
        sizing,
        errors,
        may_size,
    } = p;
    let error = move |name: &str| errors.get(name).cloned();
    let scenario_error = error("scenario");
    let sizing_error = error("sizing");
    let columns = vec![
        Column::text("Scenario"),
        Column::num("Interactions"),
        Column::num("Input tokens"),
        Column::num("Output tokens"),
        Column::num("Token cost"),
        Column::num("Blended cost"),
        Column::num("Per interaction"),
    ];
    let has_scenarios = !scenarios.is_empty();
    let rows = scenarios
        .into_iter()
        .map(|r| view! { <ScenarioEntry r currency=currency.clone()/> })
        .collect_view();
    let table = has_scenarios.then(|| {
        view! {
            <DataTable id="scenarios" columns>{rows}</DataTable>
        }
    });
    let multiplier = if f.overhead_multiplier.is_empty() {
        "1".to_owned()
    } else {
        f.overhead_multiplier.clone()
    };
    let spread = if f.spread_pct.is_empty() {
        "25".to_owned()
    } else {
        f.spread_pct.clone()
    };
    let sizing_section = may_size.then(|| {
        let result = sizing.map(|s| view! { <SizingResult s currency=currency.clone()/> });
        view! {
            <h2 id="sizing">"Commitment sizing"</h2>
            <p class="muted">"For a model with steady traffic: the daily capacity that would have cost least over the last 90 full days, paying the fee for the capacity and the on-demand price (the window's actual token cost per token) for anything above it. Leave the price empty to use the model's latest commitment."</p>
            <Alert message=sizing_error/>
            <form method="get" action="/planning#sizing" class="grid">
                <input type="hidden" name="form" value="sizing"/>
                <Select label="Model" name="sizing_model" options=models.clone() selected=sf.model error=error("sizing_model")/>
                <Field label="Capacity price per 1M tokens" name="fee_per_million" value=sf.fee_per_million error=error("fee_per_million")/>
                <button type="submit">"Size"</button>
            </form>
            {result}
        }
    });
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Planning" viewer=Some(viewer.clone()) active=Nav::Planning>
                <h1>"Planning"</h1>
                <h2 id="scenarios-form">"Scenarios for a feature"</h2>
                <p class="muted">"A month of the plan's tokens, split like the feature's observed mix of input, cached, cache-write, output and reasoning tokens, priced once on the model's current card. Low and high move the volume by the spread either side. The overhead multiplier turns token cost into blended cost (1.15 adds 15%)."</p>
                <Alert message=scenario_error/>
                <Choices id="teams" values=teams/>
                <Choices id="features" values=features/>
                <form method="get" action="/planning" class="grid">
                    <input type="hidden" name="form" value="scenario"/>
                    <Field label="Team" name="team" value=f.team list="teams" error=error("team")/>
                    <Field label="Feature" name="feature" value=f.feature list="features" error=error("feature")/>
                    <Select label="Model" name="model" options=models selected=f.model error=error("model")/>
                    <Field label="Interactions a month" name="volume" kind="number" value=f.volume error=error("volume")/>
                    <Field label="Tokens per interaction" name="tokens_per_interaction" kind="number" value=f.tokens_per_interaction error=error("tokens_per_interaction")/>
                    <Field label="Overhead multiplier" name="overhead_multiplier" value=multiplier error=error("overhead_multiplier")/>
                    <Field label="Spread, %" name="spread_pct" kind="number" value=spread error=error("spread_pct")/>
                    <button type="submit">"Price the plan"</button>
                </form>
                {mix_note.map(|n| view! { <p class="muted">{n}</p> })}
                {table}
                {sizing_section}
            </Shell>
        }
    })
}
