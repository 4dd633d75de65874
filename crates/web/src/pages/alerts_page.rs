//! Governance pages: alerts (with acknowledgement, evaluation and the webhook), budgets (with
//! their forecasts and the form).

use chrono::{DateTime, Utc};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use tokentally_domain::budget::{BudgetStatus, Status};
use tokentally_domain::month::Month;

use crate::components::{Alert, Column, Csrf, DataTable, MonthPicker, Notice};
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
    pub may_evaluate: bool,
    /// Admins only: the URL and the deliveries.
    pub webhook: Option<(String, Vec<DeliveryRow>)>,
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
    let webhook = p
        .webhook
        .map(|(url, deliveries)| view! { <Webhook url deliveries csrf=csrf.clone()/> });
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
                {webhook}
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
}

#[component]
fn BudgetEntry(budget: BudgetStatus, currency: String) -> impl IntoView {
    let b = budget;
    let class = match b.status {
        Status::OnTrack => "badge ok",
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
            <th scope="row">{b.budget.subject}</th>
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
fn BudgetForm(month: Month, csrf: String) -> impl IntoView {
    view! {
        <h2>"Set a budget"</h2>
        <form method="post" action="/budgets" class="grid" id="budget-form">
            <Csrf token=csrf/>
            <input type="hidden" name="month" value=month.to_string()/>
            <label>"For"<select name="scope"><option value="team">"a team"</option><option value="key">"an API key"</option></select></label>
            <label>"Team or key"<input name="subject" required/></label>
            <label>"Amount"<input name="amount" required/></label>
            <label>"Alert at (%), e.g. 50, 80, 100"<input name="thresholds" value="50, 80, 100"/></label>
            <button type="submit">"Save budget"</button>
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
    } = p;
    let rows = budgets
        .into_iter()
        .map(|budget| view! { <BudgetEntry budget currency=currency.clone()/> })
        .collect_view();
    let form = may_edit.then(|| view! { <BudgetForm month csrf=viewer.csrf.clone()/> });
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
                <p class="muted">"Forecast = month to date + the last seven days' daily run rate × days left. Team budgets compare blended cost; key budgets token cost."</p>
                <DataTable id="budgets" columns>{rows}</DataTable>
                {form}
            </Shell>
        }
    })
}
