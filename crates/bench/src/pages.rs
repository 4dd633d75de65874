//! Every read a reader opens besides showback (issue 24): the drill-downs (team, feature, key,
//! model), workflows, statements, reconciliation and the scorecard. Each is timed computed
//! anew (`Cache-Control: no-cache`, one request at a time), then as a reader gets it (kept
//! where the server keeps it), and its page under wrk.

use std::fmt::Write as _;

use crate::generate::MONTH;
use crate::reads::{self, Auth, Timed};
use crate::report::{PAGE_P99_TARGET_MS, SHOWBACK_TARGET_MS};
use crate::wrk::WrkRun;

/// One read: a name, the request timed computed anew (an API where there is one, or the
/// page), and the page a reader opens.
pub struct Read {
    pub name: &'static str,
    pub fresh: String,
    pub fresh_is_page: bool,
    pub page: String,
}

/// The reads of the benchmark's month, on its largest team (`research`) and one of its
/// features, one key and one model.
pub fn reads() -> Vec<Read> {
    let m = MONTH;
    let api = |name, fresh: String, page: String| Read {
        name,
        fresh,
        fresh_is_page: false,
        page,
    };
    vec![
        api(
            "team",
            format!("/api/v1/teams/research?month={m}"),
            format!("/teams/research?month={m}"),
        ),
        api(
            "feature",
            format!("/api/v1/teams/research/features/extract?month={m}"),
            format!("/teams/research/features/extract?month={m}"),
        ),
        Read {
            name: "key",
            fresh: format!("/keys/key-07?month={m}"),
            fresh_is_page: true,
            page: format!("/keys/key-07?month={m}"),
        },
        Read {
            name: "model",
            fresh: format!("/models/gpt-4o?month={m}"),
            fresh_is_page: true,
            page: format!("/models/gpt-4o?month={m}"),
        },
        api(
            "workflows",
            format!("/api/v1/workflows?month={m}"),
            format!("/api/v1/workflows?month={m}"),
        ),
        api(
            "statements",
            format!("/api/v1/statements/research/{m}"),
            format!("/statements/research/{m}"),
        ),
        api(
            "reconciliation",
            format!("/api/v1/reconciliation?month={m}"),
            format!("/reconciliation?month={m}"),
        ),
        api(
            "scorecard",
            format!("/api/v1/scorecard?month={m}"),
            format!("/scorecard?month={m}"),
        ),
    ]
}

/// What one read measured.
pub struct ReadResult {
    pub name: &'static str,
    pub fresh_path: String,
    pub page_path: String,
    pub fresh: Result<Timed, String>,
    pub page: Result<Timed, String>,
    pub wrk: Result<WrkRun, String>,
}

/// Times every read: `fresh` with `no-cache` (bearer for APIs, the session for pages), the
/// page as a reader opens it, and `wrk` on the page.
pub async fn measure(
    base: &str,
    bearer: &Auth,
    cookie: &Auth,
    warm_up: usize,
    n: usize,
    wrk: impl Fn(&str, &Auth) -> Result<WrkRun, String>,
) -> Vec<ReadResult> {
    let mut out = Vec::new();
    for r in reads() {
        let auth = if r.fresh_is_page { cookie } else { bearer };
        let fresh = reads::time_gets(&format!("{base}{}", r.fresh), auth, true, 1, n)
            .await
            .map_err(|e| format!("{e:#}"));
        let page_auth = if r.page.starts_with("/api/") {
            bearer
        } else {
            cookie
        };
        let page = reads::time_gets(&format!("{base}{}", r.page), page_auth, false, warm_up, n)
            .await
            .map_err(|e| format!("{e:#}"));
        if let Ok(f) = &fresh {
            eprintln!(
                "  {}: computed anew median {:.1} ms",
                r.name,
                f.quantile_ms(0.5)
            );
        }
        let wrk = wrk(&r.page, page_auth);
        out.push(ReadResult {
            name: r.name,
            fresh_path: r.fresh,
            page_path: r.page,
            fresh,
            page,
            wrk,
        });
    }
    out
}

/// One table per database and size: every read with its three measurements and verdicts.
pub fn table(db: &str, events: usize, results: &[ReadResult], connections: u32) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\n#### Every read, {db}, {} events\n",
        crate::report::count(events as u64)
    );
    t.push_str("| read | computed anew (`no-cache`), median / p95 | as a reader gets it, median | page under wrk, ");
    let _ = writeln!(
        t,
        "{connections} connections | verdict (anew < {SHOWBACK_TARGET_MS} ms, p99 < {PAGE_P99_TARGET_MS} ms) |"
    );
    t.push_str("|---|---|---|---|---|\n");
    for r in results {
        let fresh = match &r.fresh {
            Ok(f) => format!("{:.1} / {:.1} ms", f.quantile_ms(0.5), f.quantile_ms(0.95)),
            Err(e) => format!("not measured: {e}"),
        };
        let page = match &r.page {
            Ok(p) => format!("{:.1} ms", p.quantile_ms(0.5)),
            Err(e) => format!("not measured: {e}"),
        };
        let wrk = match &r.wrk {
            Ok(w) => format!(
                "{:.0} req/s, p50 {:.1} ms, p99 {:.1} ms{}",
                w.requests_per_s,
                w.p50_ms,
                w.p99_ms,
                if w.non_2xx + w.timeouts > 0 {
                    format!(" ({} non-2xx, {} timeouts)", w.non_2xx, w.timeouts)
                } else {
                    String::new()
                }
            ),
            Err(e) => format!("not measured: {e}"),
        };
        let fresh_ok = r
            .fresh
            .as_ref()
            .is_ok_and(|f| f.quantile_ms(0.5) < SHOWBACK_TARGET_MS);
        let wrk_ok = r
            .wrk
            .as_ref()
            .is_ok_and(|w| w.requests > 0 && w.non_2xx == 0 && w.p99_ms < PAGE_P99_TARGET_MS);
        let verdict = match (fresh_ok, wrk_ok) {
            (true, true) => "met".to_owned(),
            (false, true) => "**missed**: anew".to_owned(),
            (true, false) => "**missed**: p99".to_owned(),
            (false, false) => "**missed**: anew and p99".to_owned(),
        };
        let _ = writeln!(
            t,
            "| {} `{}` (page `{}`) | {fresh} | {page} | {wrk} | {verdict} |",
            r.name, r.fresh_path, r.page_path
        );
    }
    t
}
