//! Drill-downs cut their views by feature, model, key and outcome from the month's rows with
//! days merged (`Views::days_merged`), and only the view by day from the daily rows. Every
//! view must come out as it does from the daily rows, across a price change, a mapping
//! change and overheads and commitments shared by token cost and tokens.

use crate::demo::demo_october_with_changes;
use crate::storage_test;
use rust_decimal::Decimal;
use tokentally_domain::drilldown::{
    Line, Shares, Views, feature_drilldown, feature_of_team, team_drilldown,
};
use tokentally_domain::showback::{self, Point};

/// Every view of `keep`'s rows straight from the daily rows, as the drill-downs cut them
/// before they merged days.
fn from_days(
    views: &Views<'_>,
    keep: &dyn Fn(&Point<'_>) -> bool,
    by: &dyn Fn(&Point<'_>) -> String,
    shares: &Shares,
) -> Vec<Line> {
    views.lines(keep, by, Some(shares))
}

storage_test!(
    drill_downs_from_merged_days_equal_drill_downs_from_days,
    |app| {
        let month = demo_october_with_changes(&app, 3_000).await;

        let data = app.store.month_data(month).await.unwrap();
        let book =
            tokentally_domain::catalog::PriceBook::new(app.store.list_price_cards().await.unwrap());
        let attributor = tokentally_server::app::reports::attributor(&app.store)
            .await
            .unwrap();
        let sb = showback::showback(month, "USD", &data, None, &book, &attributor);
        let daily = Views::new(month, &data, &attributor, &book);
        let mut checked_users = 0;
        let mut checked_workflows = 0;
        for row in sb.teams.iter().filter(|t| t.blended_cost > Decimal::ZERO) {
            let team = &row.team;
            let drill = team_drilldown(row, month, "USD", &data, &book, &attributor);
            let mine = |p: &Point<'_>| p.owner.team == *team;
            let shares = Shares::of_team(row);
            let merged = daily.days_merged(&mine);
            let team_rows = daily
                .ledger
                .rows
                .iter()
                .filter(|r| mine(&r.point()))
                .count();
            assert!(
                merged.rows.len() * 3 < team_rows,
                "{team}: {} merged rows of {team_rows}",
                merged.rows.len()
            );
            let total = from_days(&daily, &mine, &|_| team.clone(), &shares).pop();
            assert_eq!(Some(&drill.total), total.as_ref(), "{team}: total");
            assert_eq!(
                drill.features,
                from_days(&daily, &mine, &|p| p.owner.feature.clone(), &shares),
                "{team}: features"
            );
            assert_eq!(
                drill.models,
                from_days(&daily, &mine, &|p| p.model.to_owned(), &shares),
                "{team}: models"
            );
            assert_eq!(
                drill.keys,
                from_days(&daily, &mine, &|p| p.api_key.to_owned(), &shares),
                "{team}: keys"
            );
            checked_users += drill.total.active_users;
            checked_workflows += drill.total.workflows;

            for line in &drill.features {
                let feature = &line.name;
                let Some(f) = feature_drilldown(&drill, feature, &data, &book, &attributor) else {
                    continue;
                };
                assert_eq!(
                    feature_of_team(row, feature, month, "USD", &data, &book, &attributor),
                    Some(f.clone()),
                    "{team}/{feature}: from the team's row"
                );
                let keep = |p: &Point<'_>| p.owner.team == *team && p.owner.feature == *feature;
                let shares = Shares::of_line(line);
                assert_eq!(
                    f.models,
                    from_days(&daily, &keep, &|p| p.model.to_owned(), &shares),
                    "{team}/{feature}: models"
                );
                assert_eq!(
                    f.keys,
                    from_days(&daily, &keep, &|p| p.api_key.to_owned(), &shares),
                    "{team}/{feature}: keys"
                );
                let mut outcomes =
                    from_days(&daily, &keep, &|p| p.outcome.as_str().to_owned(), &shares);
                outcomes.sort_by_key(|l| {
                    tokentally_domain::event::Outcome::ALL
                        .iter()
                        .position(|o| o.as_str() == l.name)
                });
                assert_eq!(f.outcomes, outcomes, "{team}/{feature}: outcomes");
            }
        }
        // The demo's month has users and workflows, so their merging was compared too.
        assert!(checked_users > 0 && checked_workflows > 0);
    }
);
