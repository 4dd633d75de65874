//! Owners come from lists: a form cannot create a team by a typo, a team cannot be created
//! twice, a key never seen is mapped with a warning, and a rename onto a team that only key
//! mappings name is a clash.

use reqwest::StatusCode;
use serde_json::json;
use tokentally_server::auth::Role;

use super::{MONTH, seed};
use crate::browser_session::Browser;
use crate::storage_test;

storage_test!(a_form_cannot_create_a_team_by_a_typo, |app| {
    seed(&app).await;
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let page = admin.get("/admin/keys").await;
    assert!(
        page.body
            .contains(r#"<datalist id="team-names"><option value="search">"#),
        "the team field offers the teams that exist: {}",
        page.body
    );
    let csrf = page.csrf();
    let r = admin
        .post_form(
            "/admin/keys",
            &[
                ("csrf", &csrf),
                ("api_key", "key-orphan"),
                ("team", "mobil"),
                ("valid_from", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("No team is named `mobil`"), "{}", r.body);
    assert!(app.store.list_key_mappings().await.unwrap().is_empty());

    let csrf = admin.get(&format!("/costs?month={MONTH}")).await.csrf();
    let r = admin
        .post_form(
            "/costs/overheads",
            &[
                ("csrf", &csrf),
                ("month", MONTH),
                ("category", "support desk"),
                ("amount", "100"),
                ("allocation", "direct"),
                ("team", "suport"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("No team is named `suport`"), "{}", r.body);
    assert!(
        app.store
            .list_overheads(MONTH.parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    // An existing team is taken.
    let r = admin
        .post_form(
            "/costs/overheads",
            &[
                ("csrf", &csrf),
                ("month", MONTH),
                ("category", "support desk"),
                ("amount", "100"),
                ("allocation", "direct"),
                ("team", "support"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
});

storage_test!(a_team_cannot_be_created_twice_in_any_case, |app| {
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let csrf = admin.get("/admin/teams").await.csrf();
    let create = |name: &'static str| [("csrf", csrf.clone()), ("name", name.to_owned())];
    let first = create("support");
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = admin.post_form("/admin/teams", &first).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for name in ["support", "Support", " support "] {
        let again = create(name);
        let again: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.post_form("/admin/teams", &again).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        assert!(
            r.body.contains("A team named `support` exists"),
            "{name}: {}",
            r.body
        );
    }
    assert_eq!(app.store.list_teams().await.unwrap().len(), 1);
});

storage_test!(mapping_a_key_never_seen_warns, |app| {
    seed(&app).await;
    let (status, body) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "key-serch", "team": "search", "valid_from": "2026-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["warning"]
            .as_str()
            .unwrap()
            .contains("No usage has carried the key `key-serch`"),
        "{body}"
    );
    let (status, body) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "key-search", "team": "search", "valid_from": "2026-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("warning").is_none(), "{body}");
    // The form says so too.
    let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
    let csrf = admin.get("/admin/keys").await.csrf();
    let r = admin
        .post_form(
            "/admin/keys",
            &[
                ("csrf", &csrf),
                ("api_key", "key-nowhere"),
                ("team", "search"),
                ("valid_from", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get(r.location.as_deref().unwrap()).await;
    assert!(
        page.body.contains("No usage has carried the key"),
        "{}",
        page.body
    );
});

storage_test!(
    a_rename_onto_a_team_only_key_mappings_name_is_a_clash,
    |app| {
        seed(&app).await;
        // `mobile` exists only through a key mapping (the API may name a new team).
        let (status, body) = app
            .admin_post(
                "/api/v1/key-mappings",
                &json!({"api_key": "key-orphan", "team": "mobile", "valid_from": "2026-03-01"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let mut admin = Browser::signed_in(&app, Role::Admin, &[]).await;
        let csrf = admin.get("/admin/teams").await.csrf();
        let r = admin
            .post_form(
                "/admin/teams/rename",
                &[("csrf", &csrf), ("team", "support"), ("new_name", "mobile")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("exists"), "{}", r.body);
        let sb = app.showback(MONTH).await;
        let teams: Vec<&str> = sb["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["team"].as_str().unwrap())
            .collect();
        assert!(
            teams.contains(&"support") && teams.contains(&"mobile"),
            "the two teams stay apart: {teams:?}"
        );
    }
);

// The budget form offers the teams and features that exist and refuses a typo of either;
// a feature seen only in usage is one that exists.
storage_test!(
    a_budget_form_takes_teams_and_features_from_the_lists,
    |app| {
        seed(&app).await;
        let mut finance = Browser::signed_in(&app, Role::Finance, &[]).await;
        let page = finance.get(&format!("/budgets?month={MONTH}")).await;
        assert!(
            page.body
                .contains(r#"<datalist id="budget-teams"><option value="search">"#),
            "{}",
            page.body
        );
        assert!(
            page.body.contains(r#"<option value="chat">"#),
            "{}",
            page.body
        );
        let csrf = page.csrf();
        let post = |scope: &'static str, subject: &'static str, feature: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("month", MONTH.to_owned()),
                ("scope", scope.to_owned()),
                ("subject", subject.to_owned()),
                ("feature", feature.to_owned()),
                ("amount", "100".to_owned()),
                ("thresholds", "50, 80, 100".to_owned()),
            ]
        };
        for (form, reason) in [
            (post("team", "serach", ""), "No team is named `serach`"),
            (
                post("feature", "search", "caht"),
                "`search` has no feature named `caht`",
            ),
        ] {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = finance.post_form("/budgets", &form).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert!(r.body.contains(reason), "{}", r.body);
        }
        assert!(
            app.store
                .list_budgets(MONTH.parse().unwrap())
                .await
                .unwrap()
                .is_empty()
        );
        let form = post("feature", "search", "chat");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = finance.post_form("/budgets", &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let stored = app
            .store
            .list_budgets(MONTH.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            (stored[0].subject.as_str(), stored[0].feature.as_str()),
            ("search", "chat")
        );
    }
);
