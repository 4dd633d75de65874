//! Governance pages: alerts (with acknowledgement, evaluation and the webhook), budgets (with
//! their forecasts and the form), and waste flags.

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::budget::BudgetStatus;
use tokentally_domain::month::Month;
use tokentally_domain::waste::WasteFlag;

use crate::components::form::csrf;
use crate::components::month_picker;
use crate::format::money;
use crate::shell::{Nav, Viewer, document, render};

#[derive(Debug, Clone)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    /// The owner (team).
    pub team: String,
    pub period: String,
    pub detail: String,
    pub first_seen: String,
    pub acknowledged: Option<String>,
    pub may_acknowledge: bool,
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub alert_id: i64,
    pub status: String,
    pub attempts: i64,
    pub last: String,
}

#[derive(Debug, Clone)]
pub struct AlertsPage {
    pub alerts: Vec<AlertRow>,
    pub may_evaluate: bool,
    /// Admins only: the URL and the deliveries.
    pub webhook: Option<(String, Vec<DeliveryRow>)>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn messages(notice: &Option<String>, error: &Option<String>) -> impl IntoView + use<> {
    (
        notice
            .clone()
            .map(|n| view! { <p class="notice" role="status">{n}</p> }),
        error
            .clone()
            .map(|e| view! { <p class="alert" role="alert">{e}</p> }),
    )
}

pub fn alerts_page(viewer: &Viewer, p: AlertsPage) -> String {
    let rows = p
        .alerts
        .iter()
        .map(|a| {
            let ack = match (&a.acknowledged, a.may_acknowledge) {
                (Some(by), _) => view! { <span>{by.clone()}</span> }.into_any(),
                (None, true) => {
                    let action = format!("/alerts/{}/acknowledge", a.id);
                    view! {
                        <form method="post" action=action class="inline">
                            {csrf(&viewer.csrf)}
                            <button type="submit">"Acknowledge"</button>
                        </form>
                    }
                    .into_any()
                }
                (None, false) => view! { <span class="muted">"not yet"</span> }.into_any(),
            };
            view! {
                <tr>
                    <td>{a.kind.clone()}</td>
                    <th scope="row">{a.subject.clone()}</th>
                    <td>{a.team.clone()}</td>
                    <td>{a.period.clone()}</td>
                    <td>{a.detail.clone()}</td>
                    <td>{a.first_seen.clone()}</td>
                    <td>{ack}</td>
                </tr>
            }
        })
        .collect_view();
    let evaluate = p.may_evaluate.then(|| {
        view! {
            <form method="post" action="/alerts/evaluate" class="inline">
                {csrf(&viewer.csrf)}
                <button type="submit" class="secondary">"Evaluate now"</button>
            </form>
        }
    });
    let webhook = p.webhook.clone().map(|(url, deliveries)| {
        let rows = deliveries
            .into_iter()
            .map(|d| view! { <tr><td class="num">{d.alert_id}</td><td>{d.status}</td><td class="num">{d.attempts}</td><td>{d.last}</td></tr> })
            .collect_view();
        view! {
            <h2>"Webhook"</h2>
            <p class="muted">"Each new alert is POSTed once as JSON to this URL, retried with backoff until it answers 2xx."</p>
            <form method="post" action="/alerts/webhook" class="grid">
                {csrf(&viewer.csrf)}
                <label>"URL (http://, empty for none)"<input name="url" value=url/></label>
                <button type="submit">"Save webhook"</button>
            </form>
            <table class="data" id="deliveries">
                <thead><tr><th scope="col" class="num">"Alert"</th><th scope="col">"Status"</th><th scope="col" class="num">"Attempts"</th><th scope="col">"Last answer"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
    let body = render(view! {
        <h1>"Alerts"</h1>
        {messages(&p.notice, &p.error)}
        <p class="muted">"Budget thresholds crossed, forecasts over budget and anomalous days, evaluated every few minutes."</p>
        {evaluate}
        <table class="data" id="alerts">
            <thead><tr><th scope="col">"Kind"</th><th scope="col">"Subject"</th><th scope="col">"Owner"</th><th scope="col">"Period"</th><th scope="col">"Detail"</th><th scope="col">"First seen"</th><th scope="col">"Acknowledged by"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {webhook}
    });
    document("Alerts", Some(viewer), Nav::Alerts, body)
}

#[derive(Debug, Clone)]
pub struct BudgetsPage {
    pub month: Month,
    pub months: Vec<Month>,
    pub currency: String,
    pub budgets: Vec<BudgetStatus>,
    pub may_edit: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

pub fn budgets_page(viewer: &Viewer, p: BudgetsPage) -> String {
    let cur = p.currency.clone();
    let rows = p
        .budgets
        .iter()
        .map(|b| {
            let class = match b.status {
                tokentally_domain::budget::Status::OnTrack => "badge ok",
                _ => "badge warn",
            };
            let thresholds = b
                .budget
                .thresholds
                .iter()
                .map(|t| format!("{t}%"))
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <tr>
                    <td>{b.budget.scope.as_str()}</td>
                    <th scope="row">{b.budget.subject.clone()}</th>
                    <td class="num">{money(b.budget.amount, &cur)}</td>
                    <td class="num">{money(b.forecast.month_to_date.round_dp(2), &cur)}</td>
                    <td class="num">{money(b.forecast.month_end, &cur)}</td>
                    <td class="num">{format!("{}%", b.used_pct)}</td>
                    <td>{thresholds}</td>
                    <td><span class=class>{b.status.label()}</span></td>
                </tr>
            }
        })
        .collect_view();
    let form = p.may_edit.then(|| {
        let month = p.month.to_string();
        view! {
            <h2>"Set a budget"</h2>
            <form method="post" action="/budgets" class="grid" id="budget-form">
                {csrf(&viewer.csrf)}
                <input type="hidden" name="month" value=month/>
                <label>"For"<select name="scope"><option value="team">"a team"</option><option value="key">"an API key"</option></select></label>
                <label>"Team or key"<input name="subject" required/></label>
                <label>"Amount"<input name="amount" required/></label>
                <label>"Alert at (%), e.g. 50, 80, 100"<input name="thresholds" value="50, 80, 100"/></label>
                <button type="submit">"Save budget"</button>
            </form>
        }
    });
    let picker = month_picker("/budgets", p.month, &p.months);
    let body = render(view! {
        <h1>{format!("Budgets · {}", p.month)}</h1>
        {picker}
        {messages(&p.notice, &p.error)}
        <p class="muted">"Forecast = month to date + the last seven days' daily run rate × days left. Team budgets compare blended cost; key budgets token cost."</p>
        <table class="data" id="budgets">
            <thead><tr><th scope="col">"Scope"</th><th scope="col">"Team or key"</th><th scope="col" class="num">"Budget"</th><th scope="col" class="num">"Month to date"</th><th scope="col" class="num">"Forecast"</th><th scope="col" class="num">"Used"</th><th scope="col">"Alerts at"</th><th scope="col">"Status"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {form}
    });
    document("Budgets", Some(viewer), Nav::Alerts, body)
}

#[derive(Debug, Clone)]
pub struct WastePage {
    pub month: Month,
    pub months: Vec<Month>,
    pub currency: String,
    pub flags: Vec<WasteFlag>,
}

pub fn waste_page(viewer: &Viewer, p: WastePage) -> String {
    let cur = p.currency.clone();
    let total: Decimal = p.flags.iter().filter_map(|f| f.at_stake).sum();
    let rows = p
        .flags
        .iter()
        .map(|f| {
            let stake = f.at_stake.map_or("unknown".to_owned(), |m| money(m, &cur));
            view! {
                <tr>
                    <td>{f.kind.label()}</td>
                    <th scope="row">{f.subject.clone()}</th>
                    <td>{f.team.clone().unwrap_or_else(|| "organisation".into())}</td>
                    <td>{f.detail.clone()}</td>
                    <td class="num">{stake}</td>
                </tr>
            }
        })
        .collect_view();
    let picker = month_picker("/waste", p.month, &p.months);
    let body = render(view! {
        <h1>{format!("Waste flags · {}", p.month)}</h1>
        {picker}
        <p>{format!("Money at stake this month: {}", money(total, &cur))}</p>
        <table class="data" id="waste">
            <thead><tr><th scope="col">"Flag"</th><th scope="col">"Where"</th><th scope="col">"Owner"</th><th scope="col">"Detail"</th><th scope="col" class="num">"At stake / month"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    });
    document("Waste", Some(viewer), Nav::Alerts, body)
}
