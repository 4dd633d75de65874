//! `tokentally demo`: a realistic, seeded organisation on an embedded SQLite file.

pub mod generate;

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;

use crate::auth::Role;
use crate::config::Config;
use crate::startup::{Application, ensure_default_catalog};
use crate::storage::Store;

pub const ADMIN_EMAIL: &str = "admin@demo.tokentally";
pub const ADMIN_PASSWORD: &str = "tokentally-demo";

/// Writes the generated organisation into an empty store.
pub async fn seed(store: &Store, spec: &generate::DemoSpec) -> anyhow::Result<usize> {
    let data = generate::generate(spec);
    for chunk in data.events.chunks(5_000) {
        store.add_events(chunk).await?;
    }
    for m in &data.mappings {
        store.set_key_mapping(m, "demo").await?;
    }
    for r in &data.rules {
        store.add_rule(r).await?;
    }
    for o in &data.overheads {
        store.set_overhead(o).await?;
    }
    for c in &data.commitments {
        store.set_commitment(c).await?;
    }
    for d in &data.discounts {
        store.set_discount(d).await?;
    }
    for t in &data.transactions {
        store.set_transactions(t).await?;
    }
    if !data.not_latency_bound.is_empty() {
        let mut settings = crate::app::recommendations::settings(store).await?;
        settings.not_latency_bound = data.not_latency_bound.clone();
        store
            .set_setting(crate::app::recommendations::SETTINGS, &settings)
            .await?;
    }
    seed_budgets(store, spec).await?;
    Ok(data.events.len())
}

/// Budgets for every team in the last two months: most with room, the largest team tight
/// (90% of its previous month's spend), so the demo shows each status.
async fn seed_budgets(store: &Store, spec: &generate::DemoSpec) -> anyhow::Result<()> {
    use rust_decimal::Decimal;
    let prices = crate::cache::PriceBookCache::default();
    let last = spec.last_month;
    for month in [last.previous(), last] {
        let basis = crate::app::reports::showback(
            store,
            &prices,
            &crate::cache::ShowbackCache::default(),
            month.previous(),
            "USD",
            true,
        )
        .await?;
        for (i, t) in basis
            .teams
            .iter()
            .filter(|t| t.team != tokentally_domain::attribution::UNALLOCATED)
            .enumerate()
        {
            let factor = if i == 0 {
                Decimal::new(9, 1)
            } else {
                Decimal::new(12, 1)
            };
            let amount = (t.blended_cost * factor).round_dp(0).max(Decimal::ONE);
            let b = tokentally_domain::budget::Budget {
                month,
                scope: tokentally_domain::budget::Scope::Team,
                subject: t.team.clone(),
                feature: String::new(),
                amount,
                thresholds: vec![],
                recurring: false,
                carried_from: None,
            }
            .validated()?;
            store.set_budget(&b).await?;
        }
    }
    Ok(())
}

pub async fn run(file: &Path, bind: SocketAddr, client_dir: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", file.display());
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    ensure_default_catalog(&store).await?;
    if store.count_events().await? == 0 {
        println!("seeding the demo into {} ...", file.display());
        let n = seed(&store, &generate::DemoSpec::ending(chrono::Utc::now())).await?;
        crate::app::accounts::add_user(&store, ADMIN_EMAIL, ADMIN_PASSWORD, Role::Admin, &[])
            .await?;
        println!("seeded {n} usage events over 6 months");
    } else {
        println!(
            "reusing the demo in {} (delete the file to start afresh)",
            file.display()
        );
    }
    let token = crate::app::accounts::create_token(&store, "demo", Role::Finance, &[]).await?;
    let mut config = Config::new(url, bind);
    config.client_dir = Some(client_dir.to_owned());
    let app = Application::with_store(store, config).await?;
    let base = format!("http://{}:{}", bind.ip(), app.port());
    let month = crate::app::reports::last_full_month();
    println!();
    println!("tokentally demo is running at {base}/");
    println!("  log in as {ADMIN_EMAIL} with password {ADMIN_PASSWORD}");
    println!(
        "  API (finance token, shown once): curl -H 'Authorization: Bearer {token}' '{base}/api/v1/showback?month={month}'"
    );
    if !app.has_client_bundle() {
        println!(
            "  the pages are static: no client bundle in {} (`.ci/client --install` builds the islands: sortable tables, chart read-outs)",
            client_dir.display()
        );
    }
    app.run_until_stopped().await
}
