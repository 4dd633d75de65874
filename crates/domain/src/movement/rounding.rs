//! Rounding signed parts to cents so that they sum exactly to a rounded total.

use rust_decimal::Decimal;

/// Rounds signed exact amounts to cents that add up to `total` cents, by largest remainder:
/// each is floored to the cent; if cents are left to add, they go to the largest fractions
/// first; if cents must be taken away, from the smallest fractions first (ties: the earlier
/// amount). An amount that is exactly zero takes no cent unless every amount is zero, so a
/// part or contributor that did not move never shows one. `total` need not be the rounded
/// sum of `exact` (showback rounds each team on its own), so the cents left may exceed the
/// number of amounts: the rounds then repeat.
pub fn round_signed_to(total: i64, exact: &[Decimal]) -> Vec<i64> {
    if exact.is_empty() {
        return Vec::new();
    }
    let hundred = Decimal::ONE_HUNDRED;
    let floors: Vec<i64> = exact.iter().map(|x| cents_floor(x * hundred)).collect();
    let frac: Vec<Decimal> = exact
        .iter()
        .zip(&floors)
        .map(|(x, f)| x * hundred - Decimal::from(*f))
        .collect();
    let mut out = floors.clone();
    let mut left = total - floors.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..exact.len()).filter(|&i| !exact[i].is_zero()).collect();
    if order.is_empty() {
        order = (0..exact.len()).collect();
    }
    if left >= 0 {
        order.sort_by(|&i, &j| frac[j].cmp(&frac[i]).then(i.cmp(&j)));
    } else {
        order.sort_by(|&i, &j| frac[i].cmp(&frac[j]).then(i.cmp(&j)));
    }
    let step = left.signum();
    let n = order.len() as i64;
    // Whole rounds first, so a large gap costs no more than a small one.
    let rounds = left / n;
    if rounds != 0 {
        order.iter().for_each(|&i| out[i] += rounds);
        left -= rounds * n;
    }
    for &i in order.iter().take(left.unsigned_abs() as usize) {
        out[i] += step;
    }
    out
}

pub(super) fn cents_floor(x: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    x.floor().to_i64().unwrap_or(if x.is_sign_negative() {
        i64::MIN / 4
    } else {
        i64::MAX / 4
    })
}
