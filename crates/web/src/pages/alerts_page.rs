//! Governance pages: alerts (with acknowledgement, evaluation and the webhook), budgets (with
//! their forecasts and the form).

use chrono::{DateTime, Utc};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use tokentally_domain::anomaly::AnomalySettings;
use tokentally_domain::budget::{BudgetStatus, Status};
use tokentally_domain::month::Month;

use crate::components::{
    Alert, Choices, Column, Csrf, DataTable, InlineForms, MonthPicker, Notice,
};
use crate::format::{money, when_utc};
use crate::shell::{Nav, Shell, Viewer, render};
use crate::stamp::Stamp;

#[derive(Debug, Clone)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    /// The owner (team).
    pub team: String,
    pub period: String,
    pub detail: String,
    pub first_seen: DateTime<Utc>,
    pub acknowledged: Option<Stamp>,
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
    /// Admins and finance: evaluate now, and send the digest.
    pub may_evaluate: bool,
    /// The month the digest form offers (the last full month).
    pub digest_month: Month,
    /// Admins only: the URL and the deliveries.
    pub webhook: Option<(String, Vec<DeliveryRow>)>,
    /// Admins only: the anomaly thresholds, to change.
    pub anomaly: Option<AnomalySettings>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[component]
fn AlertEntry(alert: AlertRow, csrf: String) -> impl IntoView {
    let ack = match (alert.acknowledged, alert.may_acknowledge) {
        (Some(ack), _) => {
            EitherOf3::A(view! { <span>{format!("{}, {}", ack.by, when_utc(ack.at))}</span> })
        }
        (None, true) => EitherOf3::B(view! {
            <form method="post" action=format!("/alerts/{}/acknowledge", alert.id) class="inline">
                <Csrf token=csrf/>
                <button type="submit">"Acknowledge"</button>
            </form>
        }),
        (None, false) => EitherOf3::C(view! { <span class="muted">"not yet"</span> }),
    };
    view! {
        <tr>
            <td>{alert.kind}</td>
            <th scope="row">{alert.subject}</th>
            <td>{alert.team}</td>
            <td>{alert.period}</td>
            <td>{alert.detail}</td>
            <td>{when_utc(alert.first_seen)}</td>
            <td>{ack}</td>
        </tr>
    }
}

/// Admins only: where new alerts are POSTed, and how the last deliveries went.
#[component]
fn Webhook(url: String, deliveries: Vec<DeliveryRow>, csrf: String) -> impl IntoView {
    let rows = deliveries
        .into_iter()
        .map(|d| view! { <tr><td class="num">{d.alert_id}</td><td>{d.status}</td><td class="num">{d.attempts}</td><td>{d.last}</td></tr> })
        .collect_view();
    let columns = vec![
        Column::num("Alert"),
        Column::text("Status"),
        Column::num("Attempts"),
        Column::text("Last answer"),
    ];
    view! {
        <h2>"Webhook"</h2>
        <p class="muted">"Each new alert is POSTed once as JSON to this URL, retried with backoff until it answers 2xx."</p>
        <form method="post" action="/alerts/webhook" class="grid">
            <Csrf token=csrf/>
            <label>"URL (http://, empty for none)"<input name="url" value=url/></label>
            <button type="submit">"Save webhook"</button>
        </form>
        <DataTable id="deliveries" columns>{rows}</DataTable>
    }
}

/// Admins only: when a day's spend counts as anomalous.
#[component]
fn AnomalyThresholds(settings: AnomalySettings, csrf: String) -> impl IntoView {
    view! {
        <h2 id="anomaly-h">"Anomaly thresholds"</h2>
        <p class="muted">"A day is flagged when its robust z-score against the 28 days before exceeds the threshold, its spend is at least the minimum, and the baseline has enough days with spend."</p>
        <form method="post" action="/alerts/anomaly" class="grid" id="anomaly">
            <Csrf token=csrf/>
            <label>"Robust z-score threshold (above 0, at most 100)"<input id="f-z_threshold" name="z_threshold" inputmode="decimal" required value=settings.z_threshold.to_string()/></label>
            <label>"Smallest day flagged (amount)"<input id="f-min_amount" name="min_amount" inputmode="decimal" required value=settings.min_amount.to_string()/></label>
            <label>"Days with spend needed in the baseline (1 to 28)"<input id="f-min_days" name="min_days" inputmode="numeric" required value=settings.min_days.to_string()/></label>
            <button type="submit">"Save anomaly thresholds"</button>
        </form>
    }
}

pub fn alerts_page(viewer: &Viewer, p: AlertsPage) -> String {
    let csrf = viewer.csrf.clone();
    let rows = p
        .alerts
        .into_iter()
        .map(|alert| view! { <AlertEntry alert csrf=csrf.clone()/> })
        .collect_view();
    let evaluate = p.may_evaluate.then(|| {
        view! {
            <form method="post" action="/alerts/evaluate" class="inline">
                <Csrf token=csrf.clone()/>
                <button type="submit" class="secondary">"Evaluate now"</button>
            </form>
        }
    });
    let digest = p.may_evaluate.then(|| {
        view! {
            <h2>"Monthly digest"</h2>
            <p class="muted">"By email, after each month ends: every lead gets their teams' spend, its change, the top features and models and the budgets; finance gets the organisation's. Send a month now:"</p>
            <form method="post" action="/alerts/digest" class="inline" id="digest-form">
                <Csrf token=csrf.clone()/>
                <label>"Month"<input name="month" type="month" value=p.digest_month.to_string()/></label>
                <button type="submit" class="secondary">"Send the digest"</button>
            </form>
        }
    });
    let webhook = p
        .webhook
        .map(|(url, deliveries)| view! { <Webhook url deliveries csrf=csrf.clone()/> });
    let anomaly = p
        .anomaly
        .map(|settings| view! { <AnomalyThresholds settings csrf=csrf.clone()/> });
    let columns = [
        "Kind",
        "Subject",
        "Owner",
        "Period",
        "Detail",
        "First seen",
        "Acknowledged by",
    ]
    .map(Column::text)
    .to_vec();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Alerts" viewer=Some(viewer) active=Nav::Alerts>
                <h1>"Alerts"</h1>
                <Notice message=p.notice/>
                <Alert message=p.error/>
                <p class="muted">"Budget thresholds crossed, forecasts over budget and anomalous days, evaluated every few minutes."</p>
                {evaluate}
                <DataTable id="alerts" columns>{rows}</DataTable>
                {digest}
                {webhook}
                {anomaly}
            </Shell>
        }
    })
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
    /// What the form's team and feature fields offer.
    pub team_names: Vec<String>,
    pub feature_names: Vec<String>,
}

#[component]
fn BudgetEntry(budget: BudgetStatus, currency: String) -> impl IntoView {
    let b = budget;
    let class = match b.status {
        Status::OnTrack => "badge ok",
        _ => "badge warn",
    };
    let recurring = match (b.budget.recurring, b.budget.carried_from) {
        (true, Some(from)) => Some(format!(" (every month since {from})")),
        (true, None) => Some(" (every month from this one)".to_owned()),
        _ => None,
    }
    .map(|t| view! { <span class="muted">{t}</span> });
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
            <th scope="row">{b.budget.label()}{recurring}</th>
            <td class="num">{money(b.budget.amount, &currency)}</td>
            <td class="num">{money(b.forecast.month_to_date, &currency)}</td>
            <td class="num">{money(b.forecast.month_end, &currency)}</td>
            <td class="num">{format!("{}%", b.used_pct)}</td>
            <td>{thresholds}</td>
            <td><span class=class>{b.status.label()}</span></td>
        </tr>
    }
}

#[component]
fn BudgetForm(
    month: Month,
    csrf: String,
    team_names: Vec<String>,
    feature_names: Vec<String>,
) -> impl IntoView {
    let copy_csrf = csrf.clone();
    view! {
        <h2>"Set a budget"</h2>
        <Choices id="budget-teams" values=team_names/>
        <Choices id="budget-features" values=feature_names/>
        <form method="post" action="/budgets" class="grid" id="budget-form">
            <Csrf token=csrf/>
            <input type="hidden" name="month" value=month.to_string()/>
            <label>"For"<select name="scope"><option value="team">"a team"</option><option value="feature">"a feature of a team"</option><option value="key">"an API key"</option></select></label>
            <label>"Team or key"<input name="subject" required list="budget-teams"/></label>
            <label>"Feature (for a feature budget)"<input name="feature" list="budget-features"/></label>
            <label>"Amount"<input name="amount" required/></label>
            <label>"Alert at (%), e.g. 50, 80, 100"<input name="thresholds" value="50, 80, 100"/></label>
            <label class="check"><input type="checkbox" name="recurring" value="yes"/>"Every month from this one, until changed"</label>
            <button type="submit">"Save budget"</button>
        </form>
        <h2>"Copy last month's budgets"</h2>
        <form method="post" action="/budgets/copy" class="inline" id="copy-budgets">
            <Csrf token=copy_csrf/>
            <input type="hidden" name="to" value=month.to_string()/>
            <input type="hidden" name="from" value=month.previous().to_string()/>
            <button type="submit" class="secondary">{format!("Copy {}'s budgets into {month}", month.previous())}</button>
        </form>
    }
}

pub fn budgets_page(viewer: &Viewer, p: BudgetsPage) -> String {
    let BudgetsPage {
        month,
        months,
        currency,
        budgets,
        may_edit,
        notice,
        error,
        team_names,
        feature_names,
    } = p;
    let rows = budgets
        .into_iter()
        .map(|budget| view! { <BudgetEntry budget currency=currency.clone()/> })
        .collect_view();
    let form = may_edit.then(|| {
        view! { <BudgetForm month csrf=viewer.csrf.clone() team_names feature_names/> }
    });
    let columns = vec![
        Column::text("Scope"),
        Column::text("Team or key"),
        Column::num("Budget"),
        Column::num("Month to date"),
        Column::num("Forecast"),
        Column::num("Used"),
        Column::text("Alerts at"),
        Column::text("Status"),
    ];
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Budgets" viewer=Some(viewer) active=Nav::Budgets>
                <h1>{format!("Budgets · {month}")}</h1>
                <MonthPicker action="/budgets" current=month months/>
                <Notice message=notice/>
                <Alert message=error/>
                <p class="muted">"The forecast is the month to date plus each day left at its weekday's usual spend over the last 28 days (anomalous days left out), with the month's fixed costs. Team budgets compare blended cost; feature and key budgets token cost. A recurring budget holds every month until its team, feature or key gets another."</p>
                <InlineForms>
                    <DataTable id="budgets" columns>{rows}</DataTable>
                    {form}
                </InlineForms>
            </Shell>
        }
    })
}
