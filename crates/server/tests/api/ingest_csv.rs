//! CSV imports through the API, the admin page (preview, then import) and the CLI: priced into
//! showback, never counted twice, every import in the audit log.

use clap::Parser;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use reqwest::multipart::{Form, Part};
use rust_decimal_macros::dec;
use tokentally_server::auth::Role;
use tokentally_server::cli::{Cli, run};
use tokentally_server::storage::Store;

use crate::browser_session::Browser;
use crate::helpers::{TestApp, money, team};
use crate::ingest_adapters::{fixture, post_body};
use crate::storage_test;

const API: &str = "/api/v1/ingest/csv?name=usage.csv&map.Cost%20Center=tags.cost_center";

/// usage.csv, hand-computed: gpt-4o 100,000 × 2.5 + 10,000 × 10 = 0.35; two equal
/// claude-3-5-haiku rows of 100,000 × 0.80 + 100,000 cached × 0.08 + 20,000 × 4 = 0.168 each.
/// Total 0.686, over 4 + 1 + 1 requests; the fourth row has negative tokens and is refused.
async fn assert_finance_bot(app: &TestApp) {
    let sb = app.showback("2026-03").await;
    let t = team(&sb, "finance-bot");
    assert_eq!(money(&t["token_cost_exact"]), dec!(0.686));
    assert_eq!(t["requests"], 6);
    assert_eq!(t["events"], 3);
}

storage_test!(ingest_csv_api_maps_columns_and_reimports_nothing, |app| {
    let (status, report) = post_body(&app, API, "text/csv", fixture("usage.csv")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], 3);
    assert_eq!(report["rejected"][0]["index"], 3);
    assert!(
        report["rejected"][0]["error"]
            .as_str()
            .unwrap()
            .contains("`input_tokens` must be a whole number"),
        "{report}"
    );
    assert_finance_bot(&app).await;

    let (_, again) = post_body(&app, API, "text/csv", fixture("usage.csv")).await;
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(3))
    );
    assert_finance_bot(&app).await;

    let audit = app
        .store
        .list_audit(Some("import:usage.csv"), 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    let after: serde_json::Value =
        serde_json::from_str(audit[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["mapping"]["Cost Center"], "tags.cost_center");
    assert_eq!(after["mapping"]["prompt_tokens"], "input_tokens");
    assert_eq!(after["duplicates"], 3);
    assert_eq!(audit[0].actor, "token:ingest");

    let (status, body) = post_body(
        &app,
        "/api/v1/ingest/csv?map.x=nonsense",
        "text/csv",
        fixture("usage.csv"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
});

async fn post_multipart(app: &TestApp, b: &Browser<'_>, form: Form) -> (StatusCode, String) {
    let r = reqwest::Client::new()
        .post(app.url("/admin/import"))
        .header(
            COOKIE,
            format!("tt_session={}", b.cookie.as_deref().unwrap()),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The value of the first `<input ... name="NAME" value="...">`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

storage_test!(ingest_csv_admin_page_previews_then_imports, |app| {
    let mut b = Browser::signed_in(&app, Role::Admin, &[]).await;
    let page = b.get("/admin/import").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();

    let upload = Form::new()
        .text("csrf", csrf.clone())
        .text("action", "preview")
        .part(
            "file",
            Part::bytes(fixture("usage.csv")).file_name("usage.csv"),
        );
    let (status, html) = post_multipart(&app, &b, upload).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("usage.csv: 4 rows, 3 valid, 1 refused"),
        "{html}"
    );
    assert!(
        html.contains("Row 4: `input_tokens` must be a whole number"),
        "{html}"
    );
    assert!(
        html.contains("claude-3-5-haiku-20241022"),
        "the preview shows the first rows"
    );
    assert_eq!(app.count_events().await, 0, "a preview stores nothing");

    // Import with `Cost Center` sent to a tag (column 9) and Region (10) ignored.
    let import = |content: String| {
        Form::new()
            .text("csrf", csrf.clone())
            .text("action", "import")
            .text("name", "usage.csv")
            .text("content", content)
            .text("map_9", "tags.Cost Center")
            .text("map_10", "")
    };
    let content = hidden(&html, "content");
    let (status, html) = post_multipart(&app, &b, import(content.clone())).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Imported usage.csv: 3 new events, 0 already imported, 1 rows refused."),
        "{html}"
    );
    assert_finance_bot(&app).await;

    let (_, html) = post_multipart(&app, &b, import(content)).await;
    assert!(html.contains("0 new events, 3 already imported"), "{html}");
    assert_finance_bot(&app).await;
    let audit = app
        .store
        .list_audit(Some("import:usage.csv"), 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit[0].actor.starts_with("admin-"), "{}", audit[0].actor);
    assert!(
        audit[0]
            .after
            .as_deref()
            .unwrap()
            .contains("\"Cost Center\":\"tags.Cost Center\"")
    );

    // Without a CSRF token nothing happens; non-admins may not open the page.
    let forged = Form::new()
        .text("action", "import")
        .text("name", "usage.csv")
        .text("content", "x");
    assert_eq!(
        post_multipart(&app, &b, forged).await.0,
        StatusCode::FORBIDDEN
    );
    let mut viewer = Browser::signed_in(&app, Role::Viewer, &[]).await;
    assert_eq!(
        viewer.get("/admin/import").await.status,
        StatusCode::FORBIDDEN
    );
});

#[tokio::test]
async fn ingest_csv_cli_imports_once_and_dry_runs_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let csv = dir.path().join("usage.csv");
    std::fs::write(&csv, fixture("usage.csv")).unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "tokentally",
            "--database-url",
            &url,
            "import",
            csv.to_str().unwrap(),
            "--format",
            "csv",
            "--map",
            "Cost Center=tags.cost_center",
        ];
        args.extend_from_slice(extra);
        Cli::try_parse_from(args).unwrap()
    };
    run(import(&["--dry-run"])).await.unwrap();
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.count_events().await.unwrap(), 0);
    run(import(&[])).await.unwrap();
    run(import(&[])).await.unwrap();
    assert_eq!(store.count_events().await.unwrap(), 3);
    let audit = store
        .list_audit(Some("import:usage.csv"), 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].actor, "cli");

    // The other adapters from the command line: an OpenAI usage page, twice.
    let page = dir.path().join("page.json");
    std::fs::write(&page, fixture("openai_usage_completions.json")).unwrap();
    for _ in 0..2 {
        let args = [
            "tokentally",
            "--database-url",
            &url,
            "import",
            page.to_str().unwrap(),
            "--format",
            "openai-usage",
        ];
        run(Cli::try_parse_from(args).unwrap()).await.unwrap();
    }
    assert_eq!(store.count_events().await.unwrap(), 6);
}
