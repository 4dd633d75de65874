//! Every page can be reached from the navigation: for each role, following the links of the
//! navigation and of the pages they lead to reaches every page route the role may open.

use std::collections::{BTreeSet, VecDeque};

use tokentally_server::auth::Role;

use super::{MONTH, seed};
use crate::browser_session::Browser;
use crate::storage_test;

/// The router's GET page routes, read from `routes.rs` so that a page added there is checked
/// here without anyone remembering to: not the CSV downloads, the stylesheet or the sign-in.
fn page_routes() -> Vec<&'static str> {
    include_str!("../../../src/http/pages/routes.rs")
        .split(".route(")
        .skip(1)
        .filter(|call| call.contains("get("))
        .filter_map(|call| call.trim_start().strip_prefix('"')?.split('"').next())
        .filter(|path| !path.ends_with(".csv") && !path.starts_with("/assets/"))
        .filter(|path| *path != "/login")
        .collect()
}

/// A page route with its parameters filled in from the seeded month.
fn concrete(route: &str) -> String {
    let path = route
        .replace("{team}", "search")
        .replace("{feature}", "chat")
        .replace("{key}", "key-search")
        .replace("{model}", "gpt-4o-mini")
        .replace("{month}", MONTH);
    if route.contains("{month}") {
        path
    } else {
        format!("{path}?month={MONTH}")
    }
}

/// Whether `path` is an instance of `route` (a `{name}` stands for any one segment).
fn matches(route: &str, path: &str) -> bool {
    let r: Vec<&str> = route.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    r.len() == p.len()
        && r.iter()
            .zip(&p)
            .all(|(r, p)| r == p || (r.starts_with('{') && !p.is_empty()))
}

/// The links of a page that lead to pages: same site, not a download, no fragment.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .filter(|href| href.starts_with('/') && !href.starts_with("/assets/"))
        .filter(|href| !href.contains(".csv") && !href.starts_with("/api/"))
        .collect()
}

/// The links of the page's navigation bar.
fn nav_links(html: &str) -> Vec<String> {
    let start = html.find("<header class=\"top").expect("a navigation bar");
    let end = start + html[start..].find("</header>").expect("its end");
    links(&html[start..end])
}

/// What following the links from the navigation found: the navigation's links, the pages
/// reached, and the links that lead to a page refused to this user (with the page they are on).
struct Crawl {
    nav: Vec<String>,
    seen: BTreeSet<String>,
    refused: Vec<(String, String)>,
}

/// Follows links from the navigation, breadth first. Every page has a month picker, so a link
/// without a month is followed at the seeded month.
async fn reachable(b: &mut Browser<'_>) -> Crawl {
    let landing = b.get(&format!("/?month={MONTH}")).await;
    let nav = nav_links(&landing.body);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut refused = Vec::new();
    let mut queue: VecDeque<(String, String)> = nav
        .iter()
        .map(|l| (l.clone(), "the navigation".to_owned()))
        .collect();
    while let Some((href, from)) = queue.pop_front() {
        let path = href.split('?').next().unwrap_or_default().to_owned();
        if !seen.insert(path.clone()) || seen.len() > 400 {
            continue;
        }
        let url = if href.contains("month=") {
            href
        } else if href.contains('?') {
            format!("{href}&month={MONTH}")
        } else {
            format!("{href}?month={MONTH}")
        };
        let page = b.get(&url).await;
        if page.status.is_success() {
            queue.extend(links(&page.body).into_iter().map(|l| (l, url.clone())));
        } else if page.status.as_u16() == 403 {
            refused.push((path, from));
        }
    }
    Crawl { nav, seen, refused }
}

storage_test!(
    every_page_a_role_may_open_is_reached_from_the_navigation,
    |app| {
        seed(&app).await;
        let routes = page_routes();
        assert!(
            routes.len() > 20 && routes.contains(&"/budgets"),
            "{routes:?}"
        );
        let roles = [
            (Role::Admin, vec![]),
            (Role::Finance, vec![]),
            (Role::Viewer, vec![]),
            (Role::Lead, vec!["search"]),
        ];
        for (role, teams) in &roles {
            let mut b = Browser::signed_in(&app, *role, teams).await;
            let Crawl { nav, seen, refused } = reachable(&mut b).await;
            assert!(
                refused.is_empty(),
                "{role} is shown links to pages they may not open: {refused:?}"
            );
            for direct in [
                "/",
                "/budgets",
                "/alerts",
                "/recommendations",
                "/scorecard",
                "/statements",
            ] {
                assert!(
                    nav.iter().any(|l| l == direct),
                    "{role}: {direct} in the navigation {nav:?}"
                );
            }
            let mut missing = Vec::new();
            for route in &routes {
                let page = b.get(&concrete(route)).await;
                if page.status.as_u16() != 200 {
                    continue; // not this role's page (403), or a redirect to one (`/waste`)
                }
                if !seen.iter().any(|p| matches(route, p)) {
                    missing.push(*route);
                }
            }
            assert!(
                missing.is_empty(),
                "{role} may open {missing:?} but no link leads there; reached {seen:?}"
            );
        }
        // Reconciliation is finance's: in their navigation, not in a viewer's.
        let mut finance = Browser::signed_in(&app, Role::Finance, &["x"]).await;
        let landing = finance.get("/").await.body;
        assert!(nav_links(&landing).iter().any(|l| l == "/reconciliation"));
        let mut viewer = Browser::signed_in(&app, Role::Viewer, &["y"]).await;
        let landing = viewer.get("/").await.body;
        assert!(!nav_links(&landing).iter().any(|l| l == "/reconciliation"));
    }
);

#[test]
fn routes_are_read_from_the_router_and_matched_by_segment() {
    let routes = page_routes();
    for r in [
        "/",
        "/teams/{team}/features/{feature}",
        "/admin/connections",
        "/reconciliation",
    ] {
        assert!(routes.contains(&r), "{r} in {routes:?}");
    }
    assert!(
        !routes
            .iter()
            .any(|r| r.ends_with(".csv") || *r == "/logout")
    );
    assert!(matches("/teams/{team}", "/teams/search"));
    assert!(!matches("/teams/{team}", "/teams/search/features/chat"));
    assert_eq!(
        concrete("/statements/{team}/{month}"),
        "/statements/search/2026-03"
    );
    assert_eq!(concrete("/budgets"), "/budgets?month=2026-03");
}
