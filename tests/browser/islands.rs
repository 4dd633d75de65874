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

/// Whether every shape of `series` in the first chart island is hidden (`true`) or every one
/// is drawn (`false`); `null` when they disagree.
async fn series_hidden(c: &Client, series: &str) -> serde_json::Value {
    c.execute(
        "const [s] = arguments;\
         const shapes = [...document.querySelector('.chart-island').querySelectorAll('svg [data-series]')]\
         .filter(e => e.getAttribute('data-series') === s);\
         if (shapes.length === 0) return 'none';\
         const hidden = shapes.map(e => getComputedStyle(e).display === 'none');\
         return hidden.every(h => h) ? true : (hidden.every(h => !h) ? false : null);",
        vec![serde_json::Value::from(series)],
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legend_hides_a_series_and_the_column_picker_hides_a_column() {
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
    let button = find(
        &c,
        Locator::Css(".chart-island[data-ready] ul.legend button.legend-toggle"),
    )
    .await;
    let series = button.attr("data-series").await.unwrap().unwrap();
    assert_eq!(series_hidden(&c, &series).await, false, "drawn at first");
    assert_eq!(
        button.attr("aria-pressed").await.unwrap().as_deref(),
        Some("true")
    );

    button.click().await.unwrap();
    assert_eq!(series_hidden(&c, &series).await, true, "{series} hidden");
    assert_eq!(
        button.attr("aria-pressed").await.unwrap().as_deref(),
        Some("false")
    );
    let readout = find(&c, Locator::Css(".chart-island .chart-readout"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(readout, format!("{series}: hidden"));
    // The keys step over a hidden series' figures.
    let stepped = js(
        &c,
        "const island = document.querySelector('.chart-island');\
         island.querySelector('[role=img]').focus();\
         return [...island.querySelectorAll('svg title')].map(t => t.parentElement)\
         .filter(m => m.classList.contains('series-off')).length",
    )
    .await;
    assert!(stepped.as_u64().unwrap() > 0);
    let shown = find(&c, Locator::Css(".chart-island .chart-readout"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !shown.contains(&format!("· {series}:")),
        "the first figure read is not the hidden series': {shown}"
    );
    // Pressed again, it is back; and the legend is reachable from the keyboard (a button).
    button.click().await.unwrap();
    assert_eq!(
        series_hidden(&c, &series).await,
        false,
        "{series} shown again"
    );

    // The team table's columns: untick one, it is gone from every row; tick it, it is back.
    find(&c, Locator::Css(".table-island .column-picker summary"))
        .await
        .click()
        .await
        .unwrap();
    let boxes = c
        .find_all(Locator::Css(
            ".table-island .column-picker input[data-column]",
        ))
        .await
        .unwrap();
    let headings: Vec<String> =
        serde_json::from_value(js(&c, "return [...document.querySelectorAll('#teams thead tr:first-child th')].map(th => th.textContent.trim())").await)
            .unwrap();
    assert_eq!(boxes.len(), headings.len() - 1, "every column but the name");
    let column = 2;
    let heading = headings[column].clone();
    let picked = &boxes[column - 1];
    assert_eq!(
        picked.attr("data-column").await.unwrap().as_deref(),
        Some("2")
    );
    picked.click().await.unwrap();
    let hidden_cells = "const rows = [...document.querySelectorAll('#teams thead tr:first-child, #teams tbody tr')];\
         return rows.map(r => r.cells[2] && r.cells[2].hidden)";
    let states: Vec<bool> = serde_json::from_value(js(&c, hidden_cells).await).unwrap();
    assert!(
        states.iter().all(|h| *h),
        "{heading} hidden in the heading and every row: {states:?}"
    );
    let visible: Vec<String> = serde_json::from_value(
        js(
            &c,
            "return [...document.querySelectorAll('#teams thead tr:first-child th')]\
             .filter(th => th.offsetParent !== null).map(th => th.textContent.trim())",
        )
        .await,
    )
    .unwrap();
    assert!(!visible.contains(&heading), "{visible:?}");
    assert_eq!(visible.len(), headings.len() - 1);
    screenshot(&c, "islands-legend-columns").await;
    picked.click().await.unwrap();
    let states: Vec<bool> = serde_json::from_value(js(&c, hidden_cells).await).unwrap();
    assert!(states.iter().all(|h| !*h), "{heading} back: {states:?}");
    c.close().await.unwrap();
}

/// The page's heading.
async fn heading(c: &Client) -> String {
    find(c, Locator::Css("main h1")).await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choosing_a_month_changes_the_page_in_place_and_the_address_gives_the_same_page() {
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
    find(&c, Locator::Css(".filter-island[data-ready] select#month")).await;
    js(&c, "window.stillHere = true; return null").await;
    assert!(heading(&c).await.contains(MONTH));

    // Choosing is enough: no "Show" pressed.
    let earlier = "2026-09";
    find(
        &c,
        Locator::Css(&format!("select#month option[value='{earlier}']")),
    )
    .await
    .click()
    .await
    .unwrap();
    let url = wait_for_url(&c, |u| u.query().unwrap_or("").contains("month=2026-09")).await;
    until(
        &c,
        "return document.querySelector('main h1').textContent.includes('2026-09')",
    )
    .await;
    assert_eq!(
        js(&c, "return window.stillHere === true").await,
        serde_json::Value::Bool(true),
        "no reload"
    );
    // The islands of the new page work: its table sorts in place.
    until(
        &c,
        "return document.documentElement.dataset.islands === 'hydrated' \
         && document.querySelector('.table-island[data-ready] #teams') !== null",
    )
    .await;
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
    assert_eq!(
        js(&c, "return window.stillHere === true").await,
        serde_json::Value::Bool(true),
        "sorting the new table did not reload either"
    );

    // The address, opened without JavaScript, is the same page: its heading and team rows.
    let shown = heading(&c).await;
    let rows: Vec<String> = serde_json::from_value(
        js(
            &c,
            "return [...document.querySelectorAll('#teams tbody tr th')].map(th => th.textContent.trim()).sort()",
        )
        .await,
    )
    .unwrap();
    let static_page = browser(&driver, false).await;
    login(&static_page, &app.base, "finance@example.test").await;
    static_page.goto(url.as_str()).await.unwrap();
    assert_eq!(heading(&static_page).await, shown);
    let mut static_rows = Vec::new();
    for th in static_page
        .find_all(Locator::Css("#teams tbody tr th"))
        .await
        .unwrap()
    {
        static_rows.push(th.text().await.unwrap());
    }
    static_rows.sort();
    assert_eq!(static_rows, rows);
    static_page.close().await.unwrap();

    // Back returns to the month before.
    c.back().await.unwrap();
    wait_for_url(&c, |u| u.query().unwrap_or("").contains(MONTH)).await;
    until(
        &c,
        &format!("return document.querySelector('main h1').textContent.includes('{MONTH}')"),
    )
    .await;
    screenshot(&c, "islands-month-in-place").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_overheads_and_recommendations_answer_inline() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    if !bundle_built() {
        return;
    }
    let app = app().await;
    let c = browser(&driver, true).await;
    login(&c, &app.base, "admin@example.test").await;
    let month: tokentally_domain::month::Month = MONTH.parse().unwrap();

    // A budget: first refused (no amount a budget can hold), then saved, each inline.
    c.goto(&format!("{}/budgets?month={MONTH}", app.base))
        .await
        .unwrap();
    find(&c, Locator::Css(".form-island[data-ready] #budget-form")).await;
    js(&c, "window.stillHere = true; return null").await;
    let before = app.store.list_budgets(month).await.unwrap();
    fill_in(&c, "#budget-form input[name=subject]", "search").await;
    fill_in(&c, "#budget-form input[name=amount]", "lots").await;
    find(&c, Locator::Css("#budget-form button"))
        .await
        .click()
        .await
        .unwrap();
    let alert = find(&c, Locator::Css(".form-island p.alert"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!alert.is_empty(), "the server's reason, inline");
    assert_eq!(app.store.list_budgets(month).await.unwrap(), before);
    fill_in(&c, "#budget-form input[name=subject]", "search").await;
    fill_in(&c, "#budget-form input[name=amount]", "1234.50").await;
    find(&c, Locator::Css("#budget-form button"))
        .await
        .click()
        .await
        .unwrap();
    find(&c, Locator::Css(".form-island p.notice")).await;
    until(
        &c,
        "return [...document.querySelectorAll('#budgets tbody tr')]\
         .some(tr => tr.textContent.includes('search') && tr.textContent.includes('$1,234.50'))",
    )
    .await;
    assert!(
        app.store
            .list_budgets(month)
            .await
            .unwrap()
            .iter()
            .any(|b| b.subject == "search" && b.amount == Decimal::new(123_450, 2))
    );

    // An overhead: saved inline, and the blended table above it takes it in.
    c.goto(&format!("{}/costs?month={MONTH}", app.base))
        .await
        .unwrap();
    find(
        &c,
        Locator::Css(".form-island[data-ready] form[action='/costs/overheads']"),
    )
    .await;
    js(&c, "window.stillHere = true; return null").await;
    let total_before = blended_total(&c).await;
    fill_in(
        &c,
        "form[action='/costs/overheads'] input[name=category]",
        "Browser support",
    )
    .await;
    fill_in(
        &c,
        "form[action='/costs/overheads'] input[name=amount]",
        "250.00",
    )
    .await;
    find(&c, Locator::Css("form[action='/costs/overheads'] button"))
        .await
        .click()
        .await
        .unwrap();
    find(&c, Locator::Css(".form-island p.notice")).await;
    until(
        &c,
        "return [...document.querySelectorAll('#overheads tbody th')]\
         .some(th => th.textContent.trim() === 'Browser support')",
    )
    .await;
    let mut total_after = blended_total(&c).await;
    for _ in 0..50 {
        if total_after != total_before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        total_after = blended_total(&c).await;
    }
    assert_eq!(total_after - total_before, Decimal::new(25_000, 2));
    assert!(
        app.store
            .list_overheads(month)
            .await
            .unwrap()
            .iter()
            .any(|o| o.category == "Browser support" && o.amount == Decimal::new(25_000, 2))
    );
    assert_eq!(
        js(&c, "return window.stillHere === true").await,
        serde_json::Value::Bool(true),
        "no reload"
    );

    // A recommendation dismissed inline: its row says so.
    c.goto(&format!("{}/recommendations?month={MONTH}", app.base))
        .await
        .unwrap();
    let dismiss = find(
        &c,
        Locator::Css(
            ".form-island[data-ready] #recommendations form.decision[action$='/dismiss'] button",
        ),
    )
    .await;
    let row_id: String = serde_json::from_value(
        js(
            &c,
            "return document.querySelector(\"#recommendations form.decision[action$='/dismiss']\").closest('tr').id",
        )
        .await,
    )
    .unwrap();
    dismiss.click().await.unwrap();
    find(&c, Locator::Css(".form-island p.notice")).await;
    until(
        &c,
        &format!(
            "const row = document.getElementById('{row_id}');\
             return row !== null && row.textContent.includes('dismissed by admin@example.test')"
        ),
    )
    .await;
    screenshot(&c, "islands-inline-forms").await;
    c.close().await.unwrap();
}

/// Types `text` into the field `selector` names, after clearing it.
async fn fill_in(c: &Client, selector: &str, text: &str) {
    let field = find(c, Locator::Css(selector)).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// The organisation total under the blended table of the costs page.
async fn blended_total(c: &Client) -> Decimal {
    let v = js(
        c,
        "const rows = [...document.querySelectorAll('#blended tfoot tr')];\
         const total = rows[rows.length - 1];\
         return total.cells[total.cells.length - 1].textContent.trim()",
    )
    .await;
    v.as_str().unwrap().replace(['$', ','], "").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_month_filter_and_a_budget_post_and_reload() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let app = app().await;
    let c = browser(&driver, false).await;
    login(&c, &app.base, "admin@example.test").await;
    c.goto(&format!("{}/?month={MONTH}", app.base))
        .await
        .unwrap();
    find(&c, Locator::Css("select#month option[value='2026-09']"))
        .await
        .click()
        .await
        .unwrap();
    find(&c, Locator::Css("form.month-picker button"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_url(&c, |u| u.query().unwrap_or("").contains("month=2026-09")).await;
    assert!(heading(&c).await.contains("2026-09"));

    c.goto(&format!("{}/budgets?month={MONTH}", app.base))
        .await
        .unwrap();
    fill_in(&c, "#budget-form input[name=subject]", "support").await;
    fill_in(&c, "#budget-form input[name=amount]", "99.00").await;
    find(&c, Locator::Css("#budget-form button"))
        .await
        .click()
        .await
        .unwrap();
    find(&c, Locator::Css("p.notice")).await;
    let month: tokentally_domain::month::Month = MONTH.parse().unwrap();
    let budgets = app.store.list_budgets(month).await.unwrap();
    assert!(
        budgets
            .iter()
            .any(|b| b.subject == "support" && b.amount == Decimal::new(9_900, 2))
    );
    let rows = find(&c, Locator::Css("#budgets tbody"))
        .await
        .text()
        .await
        .unwrap();
    assert!(rows.contains("support"), "{rows}");
    c.close().await.unwrap();
}
