use tokentally_web::pages::account_page::{AccountPage, account_page};
use tokentally_web::pages::login_page::{LoginPage, login_page};

use crate::fixtures::{admin, lead};
use crate::snapshot;

#[test]
fn login_page_with_an_error() {
    let page = LoginPage {
        email: "ada@example.test".into(),
        next: "/costs?month=2026-03".into(),
        error: Some("Wrong email or password.".into()),
    };
    snapshot!("login", login_page(page));
}

#[test]
fn account_page_of_a_lead_after_a_change() {
    let page = AccountPage {
        teams: vec!["search".into(), "support".into()],
        notice: Some("Password changed.".into()),
        error: None,
    };
    snapshot!("account_lead", account_page(&lead(), page));
}

#[test]
fn account_page_of_an_admin_with_an_error() {
    let page = AccountPage {
        teams: vec![],
        notice: None,
        error: Some("The new passwords differ.".into()),
    };
    snapshot!("account_admin", account_page(&admin(), page));
}
