//! Token counts by class, and the invariants between the classes.

use serde::{Deserialize, Serialize};

/// The largest count one event may carry in any class. Far above any real call, low enough
/// that sums over billions of events cannot overflow an `i64` column.
pub const MAX_TOKENS_PER_EVENT: u64 = 1_000_000_000_000;

/// Token counts of one call or of an aggregate. `input` includes cached and cache-write
/// tokens; `output` includes reasoning tokens (the event contract in docs/ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenCounts {
    pub input: u64,
    pub cached_input: u64,
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenCountsError {
    #[error(
        "cached_input_tokens + cache_write_tokens ({cached} + {written}) exceeds input_tokens ({input})"
    )]
    CachedExceedsInput {
        cached: u64,
        written: u64,
        input: u64,
    },
    #[error("reasoning_tokens ({reasoning}) exceeds output_tokens ({output})")]
    ReasoningExceedsOutput { reasoning: u64, output: u64 },
    #[error("{field} is larger than {MAX_TOKENS_PER_EVENT}")]
    TooLarge { field: &'static str },
}

impl TokenCounts {
    /// Checks the relations between classes of one call.
    pub fn new(
        input: u64,
        cached_input: u64,
        cache_write: u64,
        output: u64,
        reasoning: u64,
    ) -> Result<Self, TokenCountsError> {
        for (field, value) in [
            ("input_tokens", input),
            ("cached_input_tokens", cached_input),
            ("cache_write_tokens", cache_write),
            ("output_tokens", output),
            ("reasoning_tokens", reasoning),
        ] {
            if value > MAX_TOKENS_PER_EVENT {
                return Err(TokenCountsError::TooLarge { field });
            }
        }
        if cached_input + cache_write > input {
            return Err(TokenCountsError::CachedExceedsInput {
                cached: cached_input,
                written: cache_write,
                input,
            });
        }
        if reasoning > output {
            return Err(TokenCountsError::ReasoningExceedsOutput { reasoning, output });
        }
        Ok(Self {
            input,
            cached_input,
            cache_write,
            output,
            reasoning,
        })
    }

    /// Input billed at the plain input rate.
    pub fn uncached_input(&self) -> u64 {
        self.input
            .saturating_sub(self.cached_input + self.cache_write)
    }

    /// Output billed at the plain output rate (reasoning excluded).
    pub fn visible_output(&self) -> u64 {
        self.output.saturating_sub(self.reasoning)
    }

    pub fn total(&self) -> u64 {
        self.input + self.output
    }

    pub fn add(&mut self, other: &TokenCounts) {
        self.input += other.input;
        self.cached_input += other.cached_input;
        self.cache_write += other.cache_write;
        self.output += other.output;
        self.reasoning += other.reasoning;
    }
}

impl std::ops::AddAssign<&TokenCounts> for TokenCounts {
    fn add_assign(&mut self, rhs: &TokenCounts) {
        self.add(rhs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_input_and_output_into_billed_classes() {
        let t = TokenCounts::new(1000, 600, 100, 500, 200).unwrap();
        assert_eq!(t.uncached_input(), 300);
        assert_eq!(t.visible_output(), 300);
        assert_eq!(t.total(), 1500);
    }

    #[test]
    fn refuses_impossible_counts() {
        assert!(matches!(
            TokenCounts::new(10, 8, 3, 0, 0),
            Err(TokenCountsError::CachedExceedsInput { .. })
        ));
        assert!(matches!(
            TokenCounts::new(10, 0, 0, 5, 6),
            Err(TokenCountsError::ReasoningExceedsOutput { .. })
        ));
        assert!(TokenCounts::new(MAX_TOKENS_PER_EVENT + 1, 0, 0, 0, 0).is_err());
    }
}
