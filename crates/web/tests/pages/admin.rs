use rust_decimal_macros::dec;
use tokentally_web::components::form::FieldErrors;
use tokentally_web::pages::audit_page::{AuditRow, audit_page};
use tokentally_web::pages::import_page::{
    ColumnMap, ImportPage, Imported, Preview, PreviewRow, import_page,
};
use tokentally_web::pages::keys_page::{KeyRow, KeysPage, MapForm, keys_page};
use tokentally_web::pages::prices_page::{CardForm, CardRow, PricesPage, prices_page};
use tokentally_web::pages::rules_page::{RuleForm, RuleRow, RulesPage, rules_page};
use tokentally_web::pages::teams_page::{FeatureRow, TeamRow, TeamsPage, teams_page};
use tokentally_web::pages::tokens_page::{TokenRow, tokens_page};
use tokentally_web::pages::users_page::{UserForm, UserRow, users_page};

use tokentally_web::money::Money;

use crate::fixtures::{admin, at, day, errors, month};
use crate::snapshot;

#[test]
fn audit_page_filtered() {
    let rows = vec![AuditRow {
        at: at(14, 9, 30),
        actor: "ada@example.test".into(),
        action: "key.map".into(),
        subject: "key:key-search-prod-01".into(),
        before: String::new(),
        after: r#"{"team":"search","valid_from":"2026-03-01"}"#.into(),
    }];
    snapshot!(
        "audit",
        audit_page(&admin(), "key:key-search-prod-01", rows)
    );
}

fn preview() -> Preview {
    Preview {
        file_name: "usage.csv".into(),
        content: "dGltZXN0YW1w".into(),
        columns: vec![
            ColumnMap {
                header: "timestamp".into(),
                target: "timestamp".into(),
            },
            ColumnMap {
                header: "project".into(),
                target: "tags.proj".into(),
            },
        ],
        fields: vec!["timestamp".into(), "team".into()],
        missing: vec!["model".into()],
        rows: vec![
            PreviewRow {
                row: 1,
                cells: vec![
                    "2026-03-02T10:00:00+00:00".into(),
                    "openai".into(),
                    "gpt-4o".into(),
                    "key-1".into(),
                    "search".into(),
                    "chat".into(),
                    "1200".into(),
                    "0".into(),
                    "300".into(),
                    "1".into(),
                ],
                error: None,
            },
            PreviewRow {
                row: 2,
                cells: vec![],
                error: Some("model is missing".into()),
            },
        ],
        total: 2,
        valid: 1,
        errors: vec![(2, "model is missing".into())],
    }
}

#[test]
fn import_page_with_a_preview() {
    let page = ImportPage {
        error: None,
        preview: Some(preview()),
        imported: None,
    };
    snapshot!("import_preview", import_page(&admin(), page));
}

#[test]
fn import_page_after_an_import() {
    let page = ImportPage {
        error: Some("The file cannot be read as CSV.".into()),
        preview: None,
        imported: Some(Imported {
            file_name: "usage.csv".into(),
            accepted: 10,
            duplicates: 2,
            errors: vec![(3, "bad timestamp".into())],
        }),
    };
    snapshot!("import_done", import_page(&admin(), page));
}

#[test]
fn keys_page_with_mapped_and_unmapped_keys() {
    let page = KeysPage {
        month: month(),
        currency: "USD".into(),
        keys: vec![
            KeyRow {
                api_key: "key unmapped/1".into(),
                owner: None,
                basis: "unallocated".into(),
                cost: dec!(12.5),
                unallocated: dec!(12.5),
                requests: 1_000,
                last_day: day(14),
            },
            KeyRow {
                api_key: "key-search-prod-01".into(),
                owner: Some("search / chat".into()),
                basis: "key mapping".into(),
                cost: dec!(1200),
                unallocated: dec!(0),
                requests: 123_456,
                last_day: day(15),
            },
        ],
        form: MapForm {
            api_key: "key unmapped/1".into(),
            team: "Unallocated".into(),
            ..MapForm::default()
        },
        errors: errors("team", "`Unallocated` is reserved; name a real team."),
        notice: Some("Mapped key-x.".into()),
        team_names: vec!["search".into(), "support".into()],
    };
    snapshot!("keys", keys_page(&admin(), page));
}

#[test]
fn prices_page_with_cards() {
    let page = PricesPage {
        query: "gpt".into(),
        total: 3,
        cards: vec![CardRow {
            provider: "openai".into(),
            model: "gpt-4o".into(),
            effective_from: day(1),
            input: Some(Money::new(dec!(2.5), "USD")),
            cached_input: Some(Money::new(dec!(1.25), "USD")),
            cache_write: None,
            output: Some(Money::new(dec!(10), "USD")),
            tiers: vec!["batch".into()],
            long_context_above: Some(128_000),
            origin: "litellm".into(),
        }],
        form: CardForm::default(),
        errors: errors("card", "a card needs an input rate"),
        notice: None,
    };
    snapshot!("prices", prices_page(&admin(), page));
}

#[test]
fn rules_page_with_a_preview() {
    let page = RulesPage {
        month: month(),
        currency: "USD".into(),
        rules: vec![RuleRow {
            priority: 10,
            conditions: "provider = openai, key starts with key-s".into(),
            target: "team search".into(),
            moves: dec!(42.424),
        }],
        form: RuleForm {
            priority: "20".into(),
            model: "gpt-*".into(),
            team: "support".into(),
            ..RuleForm::default()
        },
        errors: FieldErrors::new(),
        preview: Some(dec!(12.3)),
        notice: None,
    };
    snapshot!("rules", rules_page(&admin(), page));
}

#[test]
fn teams_page_with_features_and_leads() {
    let page = TeamsPage {
        month: month(),
        currency: "USD".into(),
        teams: vec![
            TeamRow {
                name: "search & co".into(),
                archived: false,
                spend: dec!(1336.85),
                features: vec![
                    FeatureRow {
                        name: "chat".into(),
                        archived: false,
                        registered: true,
                        spend: dec!(1000),
                    },
                    FeatureRow {
                        name: "seen".into(),
                        archived: false,
                        registered: false,
                        spend: dec!(0.5),
                    },
                ],
                leads: vec!["lin@example.test".into()],
            },
            TeamRow {
                name: "legacy".into(),
                archived: true,
                spend: dec!(0),
                features: vec![],
                leads: vec![],
            },
        ],
        errors: errors("name", "A team named `legal` exists."),
        notice: Some("Created team search.".into()),
    };
    snapshot!("teams", teams_page(&admin(), page));
}

#[test]
fn tokens_page_with_a_new_token() {
    let tokens = vec![
        TokenRow {
            id: 1,
            name: "collector".into(),
            role: "ingest".into(),
            teams: String::new(),
            created: at(1, 8, 0),
            last_used: None,
            revoked: None,
            owner: None,
        },
        TokenRow {
            id: 2,
            name: "old".into(),
            role: "viewer".into(),
            teams: "search".into(),
            created: at(1, 8, 0),
            last_used: Some(at(2, 8, 0)),
            revoked: Some(at(3, 8, 0)),
            owner: Some("lin@example.test".into()),
        },
    ];
    let html = tokens_page(
        &admin(),
        tokens,
        UserForm::default(),
        FieldErrors::new(),
        Some("tt_secret".into()),
        vec!["lin@example.test".into()],
    );
    snapshot!("tokens", html);
}

#[test]
fn users_page_with_an_invalid_form() {
    let users = vec![
        UserRow {
            id: 1,
            email: "lin@example.test".into(),
            role: "lead".into(),
            teams: "search, support".into(),
            disabled: false,
        },
        UserRow {
            id: 2,
            email: "old@example.test".into(),
            role: "viewer".into(),
            teams: String::new(),
            disabled: true,
        },
    ];
    let form = UserForm {
        email: "new@example.test".into(),
        role: "lead".into(),
        teams: "search".into(),
        ..UserForm::default()
    };
    let html = users_page(
        &admin(),
        users,
        form,
        errors("password", "at least 8 characters"),
        None,
        Some("this is the last enabled admin".into()),
    );
    snapshot!("users", html);
}
