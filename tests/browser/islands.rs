//! The islands in the browser: the team table sorts and filters without a reload and keeps
//! the address and the CSV link in step; a chart reads out the figure under the pointer and
//! the arrow keys. The same tasks with JavaScript off go through links, a GET form and the
//! SVG's own tooltips.
//!
//! With JavaScript on they need the client bundle (`.ci/client` builds it into
//! `target/client`); without it they say they were skipped, unless
//! `TOKENTALLY_REQUIRE_ISLANDS=1` (`.ci/run` sets it), which turns that into a failure.

use fantoccini::{Client, Locator};
use rust_decimal::Decimal;

use super::{
    App, MONTH, app, browser, chromedriver, client_dir, find, login, screenshot, wait_for_url,
};

/// Whether the islands can be tested here: the bundle has been built.
fn bundle_built() -> bool {
    let built = client_dir().join("tokentally_web_bg.wasm").is_file();
    let required = std::env::var("TOKENTALLY_REQUIRE_ISLANDS").is_ok_and(|v| v == "1");
    assert!(
        built || !required,
        "TOKENTALLY_REQUIRE_ISLANDS=1 but there is no client bundle in {} (run .ci/client)",
        client_dir().display()
    );
    if !built {
        eprintln!(
            "note: island tests skipped: no client bundle in {} (.ci/client builds it)",
            client_dir().display()
        );
    }
    built
}

/// Runs a script in the page and answers its value.
async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Waits (up to 10 s) until a script answers `true`.
async fn until(c: &Client, script: &str) {
    for _ in 0..100 {
        if js(c, script).await == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never true: {script}");
}

/// The names of the team table's rows shown, in order.
async fn shown_teams(c: &Client) -> Vec<String> {
    let v = js(
        c,
        "return [...document.querySelectorAll('#teams tbody tr:not([hidden]):not(.idle) th')]\
         .map(th => th.textContent.trim())",
    )
    .await;
    serde_json::from_value(v).unwrap()
}

/// The blended cost of each shown row, in order.
async fn shown_blended(c: &Client) -> Vec<Decimal> {
    let v = js(
        c,
        "return [...document.querySelectorAll('#teams tbody tr:not([hidden]):not(.idle)')]\
         .map(tr => tr.cells[1].textContent.trim())",
    )
    .await;
    let cells: Vec<String> = serde_json::from_value(v).unwrap();
    cells
        .iter()
        .map(|c| c.replace(['$', ','], "").parse().unwrap())
        .collect()
}

/// Team names as the server orders them by name: case aside, Unallocated last.
fn by_name(mut names: Vec<String>) -> Vec<String> {
    names.sort_by_key(|n| (n == "Unallocated", n.to_lowercase()));
    names
}

async fn csv_teams(app: &App, c: &Client, href: &str) -> Vec<String> {
    let session = c.get_named_cookie("tt_session").await.unwrap();
    let csv = reqwest::Client::new()
        .get(format!("{}{href}", app.base))
        .header("cookie", format!("tt_session={}", session.value()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_owned())
        .filter(|t| t != "Idle commitment")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_table_sorts_and_filters_in_place_and_the_address_follows() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    if !bundle_built() {
        return;
    }
    let app = app().await;
    let c = browser(&driver, true).await;
    login(&c, &app.base, "finance@example.test").await;
    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    find(&c, Locator::Css(".table-island[data-ready] #teams")).await;
    // A reload would forget this.
    js(&c, "window.stillHere = true; return null").await;
    let first = shown_teams(&c).await;

    find(
        &c,
        Locator::XPath("//table[@id='teams']//th/a[starts-with(normalize-space(), 'Team')]"),
    )
    .await
    .click()
    .await
    .unwrap();
    until(
        &c,
        "return document.querySelector('#teams th[aria-sort=ascending] a') !== null",
    )
    .await;
    assert_eq!(shown_teams(&c).await, by_name(first.clone()));
    let url = c.current_url().await.unwrap();
    assert!(
        url.query().unwrap().contains("sort=team&dir=asc"),
        "the address gives the same order: {url}"
    );
    // The same address without JavaScript: the server's order is the island's.
    let server = reqwest::Client::new()
        .get(url.as_str())
        .header(
            "cookie",
            format!(
                "tt_session={}",
                c.get_named_cookie("tt_session").await.unwrap().value()
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let positions: Vec<usize> = shown_teams(&c)
        .await
        .iter()
        .map(|t| server.find(&format!(">{t}</a></th>")).unwrap())
        .collect();
    assert!(
        positions.is_sorted(),
        "server and island agree on the order"
    );

    find(
        &c,
        Locator::XPath(
            "//table[@id='teams']//th/a[starts-with(normalize-space(), 'Blended cost')]",
        ),
    )
    .await
    .click()
    .await
    .unwrap();
    until(
        &c,
        "return document.querySelector('#teams th[aria-sort=descending] a') !== null",
    )
    .await;
    let blended = shown_blended(&c).await;
    let teams_only = &blended[..blended.len() - 1]; // Unallocated stays last
    assert!(
        teams_only.windows(2).all(|w| w[0] >= w[1]),
        "highest first: {blended:?}"
    );

    // A column the server does not sort by sorts in the browser alone.
    find(
        &c,
        Locator::XPath("//table[@id='teams']//th/button[normalize-space()='Successful outcomes']"),
    )
    .await
    .click()
    .await
    .unwrap();
    until(
        &c,
        "return document.querySelector('#teams th[aria-sort=descending] button') !== null",
    )
    .await;

    // Filtering: the rows whose name holds the text, the count beside the box, the address
    // and the CSV link with the filter.
    find(&c, Locator::Id("team-filter"))
        .await
        .send_keys("SUP")
        .await
        .unwrap();
    until(
        &c,
        "return document.querySelector('#teams tbody tr:not([hidden]):not(.idle) th') !== null \
         && [...document.querySelectorAll('#teams tbody tr:not([hidden]):not(.idle) th')]\
         .every(th => th.textContent.toLowerCase().includes('sup'))",
    )
    .await;
    let shown = shown_teams(&c).await;
    assert!(shown.contains(&"support".to_owned()), "{shown:?}");
    let status = find(&c, Locator::Css(".filter-status"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        status,
        format!("{} of {} rows match “SUP”", shown.len(), first.len())
    );
    let url = c.current_url().await.unwrap();
    assert!(url.query().unwrap().contains("q=SUP"), "{url}");
    let csv = find(&c, Locator::Css("#teams-h ~ a.download"))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(csv.contains("q=SUP"), "{csv}");
    let mut listed = csv_teams(&app, &c, &csv).await;
    listed.sort();
    let mut expected = shown.clone();
    expected.sort();
    assert_eq!(listed, expected, "the CSV downloads what is shown");
    assert_eq!(
        js(&c, "return window.stillHere === true").await,
        serde_json::Value::Bool(true),
        "no reload"
    );
    screenshot(&c, "islands-team-table").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_reads_out_the_figure_under_the_pointer_and_the_arrow_keys() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    if !bundle_built() {
        return;
    }
    let app = app().await;
    let c = browser(&driver, true).await;
    login(&c, &app.base, "finance@example.test").await;
    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    find(&c, Locator::Css(".chart-island[data-ready]")).await;
    // The largest mark of the first chart, easy to point at; every mark's figure.
    let marks = js(
        &c,
        "const marks = [...document.querySelector('.chart-island').querySelectorAll('svg title')]\
         .map(t => t.parentElement);\
         const area = m => { const b = m.getBBox(); return b.width * b.height; };\
         const big = marks.reduce((a, m) => area(m) > area(a) ? m : a);\
         big.id = 'probe';\
         return { probe: marks.indexOf(big), titles: marks.map(m => m.querySelector('title').textContent) };",
    )
    .await;
    let titles: Vec<String> = serde_json::from_value(marks["titles"].clone()).unwrap();
    let probe = usize::try_from(marks["probe"].as_u64().unwrap()).unwrap();

    // Pointing at the mark (WebDriver moves the pointer onto it to click it).
    find(&c, Locator::Id("probe")).await.click().await.unwrap();
    let readout = find(&c, Locator::Css(".chart-island .chart-readout")).await;
    let mut read = String::new();
    for _ in 0..50 {
        read = readout.text().await.unwrap();
        if read == titles[probe] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        read, titles[probe],
        "the figure under the pointer is read out"
    );
    assert!(read.contains('$'), "{read}");

    // The chart is one tab stop; the arrow keys step through its figures.
    let chart = find(&c, Locator::Css(".chart-island [role=img]")).await;
    assert_eq!(chart.attr("tabindex").await.unwrap().as_deref(), Some("0"));
    let step = if probe + 1 < titles.len() {
        "\u{E014}" // ArrowRight
    } else {
        "\u{E012}" // ArrowLeft
    };
    let next = if probe + 1 < titles.len() {
        probe + 1
    } else {
        probe - 1
    };
    chart.send_keys(step).await.unwrap();
    for _ in 0..50 {
        read = readout.text().await.unwrap();
        if read == titles[next] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(read, titles[next], "the next figure after an arrow key");
    screenshot(&c, "islands-chart").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_table_sorts_and_filters_by_links_and_a_form() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "finance@example.test").await;
    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    let first = shown_names(&c).await;
    find(
        &c,
        Locator::XPath("//table[@id='teams']//th/a[starts-with(normalize-space(), 'Team')]"),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for_url(&c, |u| u.query().unwrap_or("").contains("sort=team")).await;
    assert_eq!(shown_names(&c).await, by_name(first.clone()));

    find(&c, Locator::Id("team-filter"))
        .await
        .send_keys("sup")
        .await
        .unwrap();
    find(&c, Locator::Css("form.table-filter button"))
        .await
        .click()
        .await
        .unwrap();
    let url = wait_for_url(&c, |u| u.query().unwrap_or("").contains("q=sup")).await;
    assert!(
        url.query().unwrap().contains("sort=team"),
        "the order stays: {url}"
    );
    let shown = shown_names(&c).await;
    assert!(!shown.is_empty() && shown.iter().all(|t| t.to_lowercase().contains("sup")));
    assert!(shown.len() < first.len(), "{shown:?} of {first:?}");
    let status = find(&c, Locator::Css(".filter-status"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        status,
        format!("{} of {} rows match “sup”", shown.len(), first.len())
    );

    // A chart's figures are its marks' tooltips (SVG titles).
    let mark = find(&c, Locator::Css(".chart-island svg rect title")).await;
    let tooltip = mark.html(true).await.unwrap();
    assert!(tooltip.contains('$'), "{tooltip}");
    c.close().await.unwrap();
}

/// The team table's row names, read without a script (JavaScript may be off).
async fn shown_names(c: &Client) -> Vec<String> {
    let mut names = Vec::new();
    for th in c
        .find_all(Locator::Css("#teams tbody tr:not(.idle) th"))
        .await
        .unwrap()
    {
        names.push(th.text().await.unwrap());
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_maps_a_key_inline_with_the_servers_answer_on_the_page() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    if !bundle_built() {
        return;
    }
    let app = app().await;
    let c = browser(&driver, true).await;
    login(&c, &app.base, "admin@example.test").await;
    c.goto(&format!("{}/admin/keys?month={MONTH}", app.base))
        .await
        .unwrap();
    find(&c, Locator::Css(".form-island[data-ready]")).await;
    js(&c, "window.stillHere = true; return null").await;

    // A team that does not exist: the server's message, inline, and nothing stored.
    find(&c, Locator::Id("team-key-hackathon-01"))
        .await
        .send_keys("no-such-team")
        .await
        .unwrap();
    find(&c, Locator::Css("#map-key-hackathon-01 button"))
        .await
        .click()
        .await
        .unwrap();
    let alert = find(&c, Locator::Css(".form-island p.alert"))
        .await
        .text()
        .await
        .unwrap();
    assert!(alert.contains("No team is named `no-such-team`"), "{alert}");
    assert!(
        !app.store
            .list_key_mappings()
            .await
            .unwrap()
            .iter()
            .any(|m| m.api_key == "key-hackathon-01")
    );

    // A real team: the notice inline, the row now says its owner, the mapping stored.
    let team = find(&c, Locator::Id("team-key-hackathon-01")).await;
    team.clear().await.unwrap();
    team.send_keys("growth").await.unwrap();
    find(&c, Locator::Css("#map-key-hackathon-01 button"))
        .await
        .click()
        .await
        .unwrap();
    let notice = find(&c, Locator::Css(".form-island p.notice"))
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Mapped key-hackathon-01"), "{notice}");
    until(
        &c,
        "return [...document.querySelectorAll('#keys tbody tr')]\
         .some(tr => tr.cells[0].textContent.trim() === 'key-hackathon-01' \
                    && tr.cells[1].textContent.startsWith('growth'))",
    )
    .await;
    assert!(
        app.store
            .list_key_mappings()
            .await
            .unwrap()
            .iter()
            .any(|m| m.api_key == "key-hackathon-01" && m.team == "growth")
    );
    assert_eq!(
        js(&c, "return window.stillHere === true").await,
        serde_json::Value::Bool(true),
        "no reload"
    );
    screenshot(&c, "islands-keys").await;
    c.close().await.unwrap();
}
