//! Amounts as people type them into forms: `1200`, `1,200`, `$1,200.50`, `USD 1,200`.
//!
//! Only the forms read this; the APIs take plain decimals. A comma is read as a thousands
//! separator only where it groups three digits (`1,200`, `12,345,678.9`); anything else with
//! a comma (`1,2`, `12,34`: a decimal comma in many locales) is refused rather than guessed,
//! since a misread amount is worse than a message.

use rust_decimal::Decimal;

/// Currency signs and codes accepted around a typed amount.
const SIGNS: [&str; 6] = ["US$", "$", "€", "£", "USD", "EUR"];

/// Parses a typed amount; the error says what was not understood.
pub fn parse_typed_amount(typed: &str) -> Result<Decimal, String> {
    let refuse = || format!("`{typed}` is not an amount (write e.g. 1200, 1,200 or $1,200.50)");
    let mut s = typed.trim();
    let negative = s.starts_with('-');
    if negative {
        s = s[1..].trim_start();
    }
    for sign in SIGNS {
        if let Some(rest) = s.strip_prefix(sign) {
            s = rest.trim_start();
            break;
        }
        if let Some(rest) = s.strip_suffix(sign) {
            s = rest.trim_end();
            break;
        }
    }
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if whole.contains(',') {
        let mut groups = whole.split(',');
        let first = groups.next().unwrap_or_default();
        let grouped = (1..=3).contains(&first.len())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
        if !grouped {
            return Err(refuse());
        }
    }
    if fraction.is_some_and(|f| f.contains(',')) {
        return Err(refuse());
    }
    let plain: String = s.chars().filter(|c| *c != ',').collect();
    // Digits and one point only: no exponent (`1e3`), no sign after the currency.
    if plain.is_empty() || !plain.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(refuse());
    }
    let amount: Decimal = plain.parse().map_err(|_| refuse())?;
    Ok(if negative { -amount } else { amount })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn reads_what_people_type() {
        for (typed, amount) in [
            ("1200", dec!(1200)),
            ("1,200", dec!(1200)),
            ("$1,200", dec!(1200)),
            (" $ 1,200.50 ", dec!(1200.50)),
            ("USD 12,345,678.9", dec!(12345678.9)),
            ("1200 EUR", dec!(1200)),
            ("€0.05", dec!(0.05)),
            ("-$3.10", dec!(-3.10)),
            ("0", dec!(0)),
        ] {
            assert_eq!(parse_typed_amount(typed), Ok(amount), "{typed}");
        }
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for typed in [
            "",
            "$",
            "1,2",
            "12,34",
            "1,2000",
            ",100",
            "1.200,50",
            "1,200.5,0",
            "abc",
            "--1",
            "1e3",
            "$-5",
        ] {
            let e = parse_typed_amount(typed).unwrap_err();
            assert!(e.contains("is not an amount"), "{typed}: {e}");
        }
    }
}
