//! Snapshot tests of every page, rendered from small fixed view models: no database, no
//! server. A change of markup shows up as a diff of the `.snap` files under `snapshots/`;
//! review it, then accept it with `INSTA_UPDATE=always cargo test -p tokentally-web`.

mod fixtures;

mod account;
mod admin;
mod breakdown;
mod costs;
mod errors;
mod governance;
mod planning;
mod recommendations;
mod scorecard;
mod showback;
mod statements;
mod transactions;
