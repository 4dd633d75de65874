//! Unit tests of the movement's private pieces.

use super::*;
use crate::allocation::from_cents;
use proptest::prelude::*;
use rust_decimal_macros::dec;

#[test]
fn signed_amounts_round_onto_their_total() {
    // −3.225 and −2.475 are half a cent each: floors −323 and −248 with 60 + 600 make
    // 89; the cent left goes to the earlier of the two equal fractions.
    assert_eq!(
        round_signed_to(90, &[dec!(0.60), dec!(6.00), dec!(-3.225), dec!(-2.475)]),
        vec![60, 600, -322, -248]
    );
    // Moves between owners that net to zero stay zero.
    assert_eq!(
        round_signed_to(0, &[dec!(1.234), dec!(-1.234)]),
        vec![123, -123]
    );
    // A cent to take away comes off the smallest fraction.
    assert_eq!(round_signed_to(0, &[dec!(0.004), dec!(0.009)]), vec![0, 0]);
    assert_eq!(
        round_signed_to(-1, &[dec!(0.004), dec!(0.002)]),
        vec![0, -1]
    );
    // A total far from the floors is reached in whole rounds.
    assert_eq!(round_signed_to(7, &[dec!(0), dec!(0)]), vec![4, 3]);
    assert_eq!(round_signed_to(-7, &[dec!(0), dec!(0)]), vec![-4, -3]);
    // What did not move takes no cent while something else did.
    assert_eq!(round_signed_to(2, &[dec!(0), dec!(0.001)]), vec![0, 2]);
}

#[test]
fn a_feature_needs_its_team() {
    assert_eq!(Scope::parse(None, None), Ok(Scope::Org));
    assert_eq!(
        Scope::parse(Some("search"), Some("chat")),
        Ok(Scope::Feature {
            team: "search".into(),
            feature: "chat".into()
        })
    );
    assert_eq!(
        Scope::parse(None, Some("chat")),
        Err(ScopeError::FeatureWithoutTeam)
    );
    assert_eq!(
        Scope::parse(Some(" "), None),
        Err(ScopeError::Empty("team"))
    );
}

proptest! {
    #[test]
    fn signed_rounding_always_reaches_its_total(
        raw in proptest::collection::vec(-10_000_000_000i64..10_000_000_000, 1..20),
        drift in -40i64..40,
    ) {
        let exact: Vec<Decimal> = raw.iter().map(|x| Decimal::new(*x, 7)).collect();
        let total = cents(exact.iter().sum()) + drift;
        let parts = round_signed_to(total, &exact);
        prop_assert_eq!(parts.iter().sum::<i64>(), total);
        for (p, x) in parts.iter().zip(&exact) {
            if drift == 0 {
                prop_assert!((from_cents(*p) - x).abs() < dec!(0.01), "{} for {}", p, x);
            }
            if x.is_zero() && exact.iter().any(|y| !y.is_zero()) {
                prop_assert_eq!(*p, 0);
            }
        }
    }
}
