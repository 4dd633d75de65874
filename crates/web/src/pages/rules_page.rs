//! Admin: virtual-tag rules in order, with what each moves this month, and a form to add one
//! (with a preview before saving).

use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::components::form::{FieldErrors, csrf, field};
use crate::format::money;
use crate::shell::{Nav, Viewer, document, render};

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
    pub month: String,
    pub currency: String,
    pub rules: Vec<RuleRow>,
    pub form: RuleForm,
    pub errors: FieldErrors,
    /// A new rule's preview: the spend it would move.
    pub preview: Option<Decimal>,
    pub notice: Option<String>,
}

pub fn rules_page(viewer: &Viewer, p: RulesPage) -> String {
    let cur = p.currency.clone();
    let rows = p
        .rules
        .iter()
        .map(|r| view! { <tr><th scope="row">{r.priority}</th><td>{r.conditions.clone()}</td><td>{r.target.clone()}</td><td class="num">{money(r.moves, &cur)}</td></tr> })
        .collect_view();
    let preview = p.preview.map(|m| {
        let text = format!(
            "This rule would attribute {} of {}'s spend. Not saved yet.",
            money(m, &cur),
            p.month
        );
        view! { <p class="notice" role="status" id="rule-preview">{text}</p> }
    });
    let notice = p
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let general = p
        .errors
        .get("rule")
        .cloned()
        .map(|e| view! { <p class="alert" role="alert">{e}</p> });
    let f = &p.form;
    let body = render(view! {
        <h1>"Rules"</h1>
        <p class="muted">"Rules attribute spend that has neither a key mapping nor a team tag. They run in priority order (lowest first); the first that matches names the team, and the first that names a feature names the feature."</p>
        {notice}
        <table class="data" id="rules">
            <thead><tr><th scope="col">"Priority"</th><th scope="col">"When"</th><th scope="col">"Then"</th><th scope="col" class="num">{format!("Attributes in {}", p.month)}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <h2>"Add a rule"</h2>
        {general}
        {preview}
        <form method="post" action="/admin/rules" class="grid">
            {csrf(&viewer.csrf)}
            {field("Priority", "priority", "number", f.priority.clone(), false, &p.errors)}
            {field("Provider is", "provider", "text", f.provider.clone(), false, &p.errors)}
            {field("Model is (end with * for a prefix)", "model", "text", f.model.clone(), false, &p.errors)}
            {field("Key starts with", "key_prefix", "text", f.key_prefix.clone(), false, &p.errors)}
            {field("Tag name", "tag", "text", f.tag.clone(), false, &p.errors)}
            {field("Tag value", "tag_value", "text", f.tag_value.clone(), false, &p.errors)}
            {field("Then team", "team", "text", f.team.clone(), false, &p.errors)}
            {field("Then feature", "feature", "text", f.feature.clone(), false, &p.errors)}
            <button type="submit" name="action" value="preview" class="secondary">"Preview"</button>
            <button type="submit" name="action" value="save">"Save rule"</button>
        </form>
    });
    document("Rules", Some(viewer), Nav::Rules, body)
}
