//! Budgets for the payout runs the tests start in-process.

use ledger_app::payout_run::Budget;

/// A run that may take as long as it likes.
pub struct Unlimited;

impl Budget for Unlimited {
    fn exhausted(&self) -> bool {
        false
    }
}
