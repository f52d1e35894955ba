//! What a run costs: the `price` member.

use serde_json::{json, Value};

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

pub(super) fn price(cents: u64) -> Value {
    json!({
        "currency": "USD",
        "amount": money(cents),
        "breakdown": {
            "storage": "0.00",
            "computation": money(cents),
            "data_transfer": "0.00",
        }
    })
}

/// The cost of a run that completed `steps` steps.
pub(super) fn cents_of(steps: u64) -> u64 {
    2 + 7 * steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(230), "2.30");
        assert_eq!(money(5), "0.05");
    }
}
