//! Admin: virtual-tag rules in order, with what each moves this month, and a form to add one
//! (with a preview before saving).

use leptos::prelude::*;
use rust_decimal::Decimal;
use tokentally_domain::month::Month;

use crate::components::{Alert, Column, Csrf, DataTable, Field, FieldErrors, Notice};
use crate::format::money;
use crate::shell::{Nav, Shell, Viewer, render};

#[derive(Debug, Clone)]
pub struct RuleRow {
    pub priority: i64,
    pub conditions: String,
    pub target: String,
    /// This month's token cost the rule attributes (spend with no key mapping or team tag).
    pub moves: Decimal,
}

#[derive(Debug, Clone, Default)]
pub struct RuleForm {
    pub priority: String,
    pub provider: String,
    pub model: String,
    pub key_prefix: String,
    pub tag: String,
    pub tag_value: String,
    pub team: String,
    pub feature: String,
}

#[derive(Debug, Clone)]
pub struct RulesPage {
    pub month: Month,
    pub currency: String,
    pub rules: Vec<RuleRow>,
    pub form: RuleForm,
    pub errors: FieldErrors,
    /// A new rule's preview: the spend it would move.
    pub preview: Option<Decimal>,
    pub notice: Option<String>,
}

#[component]
fn RuleEntry(rule: RuleRow, currency: String) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{rule.priority}</th>
            <td>{rule.conditions}</td>
            <td>{rule.target}</td>
            <td class="num">{money(rule.moves, &currency)}</td>
        </tr>
    }
}

pub fn rules_page(viewer: &Viewer, p: RulesPage) -> String {
    let RulesPage {
        month,
        currency,
        rules,
        form: f,
        errors,
        preview,
        notice,
    } = p;
    let rows = rules
        .into_iter()
        .map(|rule| view! { <RuleEntry rule currency=currency.clone()/> })
        .collect_view();
    let preview = preview.map(|m| {
        let text = format!(
            "This rule would attribute {} of {month}'s spend. Not saved yet.",
            money(m, &currency),
        );
        view! { <p class="notice" role="status" id="rule-preview">{text}</p> }
    });
    let columns = vec![
        Column::text("Priority"),
        Column::text("When"),
        Column::text("Then"),
        Column::num(format!("Attributes in {month}")),
    ];
    let general = errors.get("rule").cloned();
    let error = move |name: &str| errors.get(name).cloned();
    let viewer = viewer.clone();
    render(move || {
        view! {
            <Shell title="Rules" viewer=Some(viewer.clone()) active=Nav::Rules>
                <h1>"Rules"</h1>
                <p class="muted">"Rules attribute spend that has neither a key mapping nor a team tag. They run in priority order (lowest first); the first that matches names the team, and the first that names a feature names the feature."</p>
                <Notice message=notice/>
                <DataTable id="rules" columns>{rows}</DataTable>
                <h2>"Add a rule"</h2>
                <Alert message=general/>
                {preview}
                <form method="post" action="/admin/rules" class="grid">
                    <Csrf token=viewer.csrf/>
                    <Field label="Priority" name="priority" kind="number" value=f.priority error=error("priority")/>
                    <Field label="Provider is" name="provider" value=f.provider error=error("provider")/>
                    <Field label="Model is (end with * for a prefix)" name="model" value=f.model error=error("model")/>
                    <Field label="Key starts with" name="key_prefix" value=f.key_prefix error=error("key_prefix")/>
                    <Field label="Tag name" name="tag" value=f.tag error=error("tag")/>
                    <Field label="Tag value" name="tag_value" value=f.tag_value error=error("tag_value")/>
                    <Field label="Then team" name="team" value=f.team error=error("team")/>
                    <Field label="Then feature" name="feature" value=f.feature error=error("feature")/>
                    <button type="submit" name="action" value="preview" class="secondary">"Preview"</button>
                    <button type="submit" name="action" value="save">"Save rule"</button>
                </form>
            </Shell>
        }
    })
}
