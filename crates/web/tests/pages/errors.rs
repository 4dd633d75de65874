use tokentally_web::pages::error_page::error_page;

use crate::fixtures::admin;
use crate::snapshot;

#[test]
fn error_page_for_a_signed_in_user() {
    let html = error_page(
        Some(&admin()),
        403,
        "Forbidden",
        "you may not see team `<b>legal</b>`",
    );
    snapshot!("error_signed_in", html);
}

#[test]
fn error_page_for_a_visitor() {
    snapshot!(
        "error_visitor",
        error_page(None, 404, "Not found", "no such page")
    );
}
