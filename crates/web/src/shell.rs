//! The HTML document around every page: doctype, head, stylesheet, the islands' loader when
//! there is a client bundle, navigation, main.

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

impl Viewer {
    /// Whether a link to `href` leads somewhere for this viewer, as the navigation does: the
    /// administration pages answer only admins, costs and reconciliation finance and admins.
    /// A page shows others the text without the link.
    pub fn may_open(&self, href: &str) -> bool {
        let path = href.split('?').next().unwrap_or_default();
        if path.starts_with("/admin/") {
            self.is_admin
        } else if path == "/costs" || path == "/reconciliation" {
            self.sees_finance()
        } else {
            true
        }
    }

    /// Admins and finance: costs and reconciliation are theirs.
    pub fn sees_finance(&self) -> bool {
        self.is_admin || self.role == "finance"
    }
}

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Showback,
    Models,
    Scorecard,
    Alerts,
    Budgets,
    Recommendations,
    Planning,
    Costs,
    Statements,
    Reconciliation,
    Transactions,
    Teams,
    Keys,
    Rules,
    Prices,
    Users,
    Tokens,
    Audit,
    Import,
    Connections,
    Account,
    None,
}

/// The islands' loader, which the server serves beside the client bundle.
pub const ISLANDS_LOADER: &str = include_str!("../client/islands.js");

/// Where the server serves the client bundle (`/pkg/<hash>`), when it has one; set once at
/// start (see [`serve_client_bundle_at`]). The bundle is the process's, like the stylesheet.
static CLIENT_BUNDLE: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

/// Tells the documents where the client bundle is (`None`: there is none, and pages stay
/// static). The server calls it when it starts, after it has loaded the bundle.
pub fn serve_client_bundle_at(dir: Option<String>) {
    *CLIENT_BUNDLE
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = dir;
}

fn client_bundle() -> Option<String> {
    CLIENT_BUNDLE
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// The stylesheet, and the loader of the islands when there is a client bundle (`islands.js`,
/// a module: it runs after the page is parsed, and fetches the WebAssembly only on a page that
/// has an island). Two whole branches: an empty one would leave a `<!>` in every head.
#[component]
fn HeadAssets() -> impl IntoView {
    match client_bundle() {
        Some(dir) => leptos::either::Either::Left(view! {
            <link rel="stylesheet" href="/assets/tokentally.css"/>
            <script type="module" src=format!("{dir}/islands.js")></script>
        }),
        None => leptos::either::Either::Right(view! {
            <link rel="stylesheet" href="/assets/tokentally.css"/>
        }),
    }
}

/// Builds a view inside its own reactive owner and renders it to HTML.
pub fn render<V: IntoView>(build: impl FnOnce() -> V) -> String {
    let owner = Owner::new();
    owner.with(|| build().into_view().to_html())
}

/// A complete document: `<!DOCTYPE html>`, the head with `title`, the navigation for a
/// signed-in `viewer` (none on the login page) and the page in `<main>`.
#[component]
pub fn Shell(
    #[prop(into)] title: String,
    viewer: Option<Viewer>,
    active: Nav,
    children: Children,
) -> impl IntoView {
    let title = format!("{title} · tokentally");
    let navigation = viewer.map(|viewer| view! { <Navigation viewer active/> });
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{title}</title>
                <HeadAssets/>
            </head>
            <body>
                {navigation}
                <main id="main">{children()}</main>
            </body>
        </html>
    }
}

/// One entry of the navigation, marked current when it is the page shown.
#[component]
fn NavLink(href: &'static str, label: &'static str, me: Nav, active: Nav) -> impl IntoView {
    let current = (me == active).then_some("page");
    view! { <a href=href aria-current=current>{label}</a> }
}

/// The top bar: every page the viewer may open (a test follows these links and those of the
/// pages they lead to, and fails on a page route it cannot reach), who they are, and the
/// logout form. Administration sits on a line of its own.
#[component]
fn Navigation(viewer: Viewer, active: Nav) -> impl IntoView {
    let finance = viewer.sees_finance();
    let admin = viewer.is_admin.then(|| {
        view! {
            <nav aria-label="Administration" class="admin-nav">
                <span class="muted">"Admin"</span>
                <NavLink href="/admin/teams" label="Teams" me=Nav::Teams active/>
                <NavLink href="/admin/keys" label="Keys" me=Nav::Keys active/>
                <NavLink href="/admin/rules" label="Rules" me=Nav::Rules active/>
                <NavLink href="/admin/prices" label="Prices" me=Nav::Prices active/>
                <NavLink href="/admin/users" label="Users" me=Nav::Users active/>
                <NavLink href="/admin/tokens" label="Tokens" me=Nav::Tokens active/>
                <NavLink href="/admin/import" label="Import" me=Nav::Import active/>
                <NavLink href="/admin/connections" label="Connections" me=Nav::Connections active/>
                <NavLink href="/admin/audit" label="Audit log" me=Nav::Audit active/>
            </nav>
        }
    });
    let reconciliation = finance.then(|| {
        view! { <NavLink href="/reconciliation" label="Reconciliation" me=Nav::Reconciliation active/> }
    });
    let costs =
        finance.then(|| view! { <NavLink href="/costs" label="Costs" me=Nav::Costs active/> });
    let who = format!("{} · {}", viewer.email, viewer.role);
    let account_current = (active == Nav::Account).then_some("page");
    view! {
        <header class="top no-print">
            <a class="brand" href="/">"tokentally"</a>
            <nav aria-label="Main">
                <NavLink href="/" label="Showback" me=Nav::Showback active/>
                <NavLink href="/models" label="Models" me=Nav::Models active/>
                <NavLink href="/budgets" label="Budgets" me=Nav::Budgets active/>
                <NavLink href="/alerts" label="Alerts" me=Nav::Alerts active/>
                <NavLink href="/recommendations" label="Recommendations" me=Nav::Recommendations active/>
                <NavLink href="/planning" label="Planning" me=Nav::Planning active/>
                <NavLink href="/scorecard" label="Scorecard" me=Nav::Scorecard active/>
                <NavLink href="/statements" label="Statements" me=Nav::Statements active/>
                {reconciliation}
                <NavLink href="/transactions" label="Transactions" me=Nav::Transactions active/>
                {costs}
            </nav>
            <div class="who">
                <a href="/account" aria-current=account_current>{who}</a>
                <form method="post" action="/logout" class="inline">
                    <input type="hidden" name="csrf" value=viewer.csrf/>
                    <button type="submit" class="link">"Log out"</button>
                </form>
            </div>
            {admin}
        </header>
    }
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
        let html = render(|| {
            view! { <Shell title="<x>" viewer=Some(v) active=Nav::Keys><p>"hi"</p></Shell> }
        });
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("&lt;x&gt; · tokentally"), "{html}");
        assert!(
            html.contains(r#"href="/admin/keys" aria-current="page""#),
            "{html}"
        );
        assert!(html.contains(r#"name="csrf" value="tok""#));
        assert!(html.contains("<p>hi</p>"));
    }

    #[test]
    fn the_islands_loader_is_named_only_when_there_is_a_bundle() {
        let page =
            || render(|| view! { <Shell title="x" viewer=None active=Nav::None>"x"</Shell> });
        serve_client_bundle_at(Some("/pkg/0123abcd".into()));
        let with = page();
        serve_client_bundle_at(None);
        let without = page();
        assert!(
            with.contains(
                r#"<script type="module" src="/pkg/0123abcd/islands.js"></script></head>"#
            ),
            "{with}"
        );
        assert!(!without.contains("<script"), "{without}");
    }

    #[test]
    fn a_document_without_a_viewer_has_no_navigation() {
        let html =
            render(|| view! { <Shell title="Sign in" viewer=None active=Nav::None>"x"</Shell> });
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{html}"
        );
        assert!(!html.contains("<nav"), "{html}");
    }
}
