//! The HTML document around every page: head, stylesheet, navigation, main.

use leptos::prelude::*;

/// Who is looking, for the navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub email: String,
    pub role: String,
    pub is_admin: bool,
    /// May see org-wide pages (admin, finance, viewer); a lead may not.
    pub sees_everything: bool,
    /// For the logout form.
    pub csrf: String,
}

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Showback,
    Scorecard,
    Alerts,
    Costs,
    Statements,
    Transactions,
    Teams,
    Keys,
    Rules,
    Prices,
    Users,
    Tokens,
    Audit,
    Import,
    Account,
    None,
}

/// Renders a view to HTML inside its own reactive owner.
pub fn render(view: impl IntoView + 'static) -> String {
    let owner = Owner::new();
    owner.with(|| view.into_view().to_html())
}

fn nav_link(href: &'static str, label: &'static str, me: Nav, active: Nav) -> impl IntoView {
    let current = (me == active).then_some("page");
    view! { <a href=href aria-current=current>{label}</a> }
}

fn navigation(viewer: &Viewer, active: Nav) -> impl IntoView + use<> {
    let admin = viewer.is_admin.then(|| {
        view! {
            {nav_link("/admin/teams", "Teams", Nav::Teams, active)}
            {nav_link("/admin/keys", "Keys", Nav::Keys, active)}
            {nav_link("/admin/rules", "Rules", Nav::Rules, active)}
            {nav_link("/admin/prices", "Prices", Nav::Prices, active)}
            {nav_link("/admin/users", "Users", Nav::Users, active)}
            {nav_link("/admin/tokens", "Tokens", Nav::Tokens, active)}
            {nav_link("/admin/import", "Import", Nav::Import, active)}
            {nav_link("/admin/audit", "Audit log", Nav::Audit, active)}
        }
    });
    let finance = (viewer.is_admin || viewer.role == "finance")
        .then(|| nav_link("/costs", "Costs", Nav::Costs, active));
    let reporter = (viewer.role != "viewer")
        .then(|| nav_link("/transactions", "Transactions", Nav::Transactions, active));
    let who = format!("{} · {}", viewer.email, viewer.role);
    let csrf = viewer.csrf.clone();
    view! {
        <header class="top no-print">
            <a class="brand" href="/">"tokentally"</a>
            <nav aria-label="Main">
                {nav_link("/", "Showback", Nav::Showback, active)}
                {nav_link("/statements", "Statements", Nav::Statements, active)}
                {nav_link("/scorecard", "Scorecard", Nav::Scorecard, active)}
                {nav_link("/alerts", "Alerts", Nav::Alerts, active)}
                {finance}
                {reporter}
                {admin}
            </nav>
            <div class="who">
                <a href="/account" aria-current=(active == Nav::Account).then_some("page")>{who}</a>
                <form method="post" action="/logout" class="inline">
                    <input type="hidden" name="csrf" value=csrf/>
                    <button type="submit" class="link">"Log out"</button>
                </form>
            </div>
        </header>
    }
}

/// A complete document. `body` is already-rendered HTML of the page's main content.
pub fn document(title: &str, viewer: Option<&Viewer>, active: Nav, body: String) -> String {
    let header = viewer
        .map(|v| render(navigation(v, active)))
        .unwrap_or_default();
    let title = render(view! { <title>{format!("{title} · tokentally")}</title> });
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{title}\
         <link rel=\"stylesheet\" href=\"/assets/tokentally.css\"></head>\
         <body>{header}<main id=\"main\">{body}</main></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_escape_titles_and_mark_the_current_page() {
        let v = Viewer {
            email: "a@b".into(),
            role: "admin".into(),
            is_admin: true,
            sees_everything: true,
            csrf: "tok".into(),
        };
        let html = document("<x>", Some(&v), Nav::Keys, "<p>hi</p>".into());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("&lt;x&gt; · tokentally"), "{html}");
        assert!(
            html.contains(r#"href="/admin/keys" aria-current="page""#),
            "{html}"
        );
        assert!(html.contains(r#"name="csrf" value="tok""#));
        assert!(html.contains("<p>hi</p>"));
    }
}
