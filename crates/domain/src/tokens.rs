//! Token counts by class, the invariants between the classes, and the classes a call is
//! billed in (tokens per 1M, units one by one).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest count one event may carry in any class. Far above any real call, low enough
/// that sums over billions of events cannot overflow an `i64` column.
pub const MAX_TOKENS_PER_EVENT: u64 = 1_000_000_000_000;

/// Billable counts of one call or of an aggregate: tokens by class, and the units billed per
/// request (web searches, ...). `input` includes every input class (cached, cache-write,
/// audio, image tokens); `output` every output class (reasoning, audio, image): the event
/// contract in docs/ARCHITECTURE.md. The classes added after the first five serialize only
/// when not zero, so answers about usage without them are unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenCounts {
    pub input: u64,
    pub cached_input: u64,
    /// Every cache write, whatever its lifetime.
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
    /// The part of `cache_write` kept for one hour (the rest is kept 5 minutes).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_1h: u64,
    /// Audio input tokens, cached ones included (part of `input`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub audio_input: u64,
    /// Audio input tokens read from the cache (part of `audio_input` and of `cached_input`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached_audio_input: u64,
    /// Image input tokens (part of `input`, not cached).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub image_input: u64,
    /// Audio output tokens (part of `output`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub audio_output: u64,
    /// Image output tokens (part of `output`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub image_output: u64,
    /// Web search queries (a unit, not tokens).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub web_search: u64,
    /// File search calls.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub file_search: u64,
    /// Code interpreter sessions.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code_interpreter: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The units an event may count in its `units` map, by name, with their field.
pub const UNIT_NAMES: [&str; 3] = ["web_search", "file_search", "code_interpreter"];

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
    #[error("{part} ({part_count}) exceeds {whole} ({whole_count})")]
    PartExceedsWhole {
        part: &'static str,
        part_count: u64,
        whole: &'static str,
        whole_count: u64,
    },
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
            ..Self::default()
        })
    }

    /// Checks the classes added to [`TokenCounts::new`]'s five: each within its limit, and
    /// each part within its whole, so that no token is billed in two classes.
    pub fn checked(self) -> Result<Self, TokenCountsError> {
        for (field, value) in [
            ("cache_write_1h_tokens", self.cache_write_1h),
            ("audio_input_tokens", self.audio_input),
            ("cached_audio_input_tokens", self.cached_audio_input),
            ("image_input_tokens", self.image_input),
            ("audio_output_tokens", self.audio_output),
            ("image_output_tokens", self.image_output),
            ("units.web_search", self.web_search),
            ("units.file_search", self.file_search),
            ("units.code_interpreter", self.code_interpreter),
        ] {
            if value > MAX_TOKENS_PER_EVENT {
                return Err(TokenCountsError::TooLarge { field });
            }
        }
        let parts = [
            (
                "cache_write_1h_tokens",
                self.cache_write_1h,
                "cache_write_tokens",
                self.cache_write,
            ),
            (
                "cached_audio_input_tokens",
                self.cached_audio_input,
                "cached_input_tokens",
                self.cached_input,
            ),
            (
                "cached_audio_input_tokens",
                self.cached_audio_input,
                "audio_input_tokens",
                self.audio_input,
            ),
            (
                "cached_input_tokens + cache_write_tokens + uncached audio_input_tokens + image_input_tokens",
                self.cached_input
                    + self.cache_write
                    + self.audio_input.saturating_sub(self.cached_audio_input)
                    + self.image_input,
                "input_tokens",
                self.input,
            ),
            (
                "reasoning_tokens + audio_output_tokens + image_output_tokens",
                self.reasoning + self.audio_output + self.image_output,
                "output_tokens",
                self.output,
            ),
        ];
        for (part, part_count, whole, whole_count) in parts {
            if part_count > whole_count {
                return Err(TokenCountsError::PartExceedsWhole {
                    part,
                    part_count,
                    whole,
                    whole_count,
                });
            }
        }
        Ok(self)
    }

    /// Input billed at the plain (text) input rate: every other input class taken out.
    pub fn uncached_input(&self) -> u64 {
        self.input.saturating_sub(
            self.cached_input
                + self.cache_write
                + self.audio_input.saturating_sub(self.cached_audio_input)
                + self.image_input,
        )
    }

    /// Output billed at the plain (text) output rate (reasoning, audio and image excluded).
    pub fn visible_output(&self) -> u64 {
        self.output
            .saturating_sub(self.reasoning + self.audio_output + self.image_output)
    }

    /// Text tokens read from the cache (cached audio excluded).
    pub fn cached_text_input(&self) -> u64 {
        self.cached_input.saturating_sub(self.cached_audio_input)
    }

    /// Cache writes kept 5 minutes (the default lifetime).
    pub fn cache_write_5m(&self) -> u64 {
        self.cache_write.saturating_sub(self.cache_write_1h)
    }

    /// Audio input not read from the cache.
    pub fn uncached_audio_input(&self) -> u64 {
        self.audio_input.saturating_sub(self.cached_audio_input)
    }

    /// Whether any unit (not token) is counted.
    pub fn has_units(&self) -> bool {
        self.web_search + self.file_search + self.code_interpreter > 0
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
        self.cache_write_1h += other.cache_write_1h;
        self.audio_input += other.audio_input;
        self.cached_audio_input += other.cached_audio_input;
        self.image_input += other.image_input;
        self.audio_output += other.audio_output;
        self.image_output += other.image_output;
        self.web_search += other.web_search;
        self.file_search += other.file_search;
        self.code_interpreter += other.code_interpreter;
    }

    /// Takes `other` away class by class, stopping at zero: every class that [`Self::add`]
    /// adds, so a part taken out of a total (late usage out of a closed month) leaves no
    /// billable unit behind.
    pub fn saturating_sub(&mut self, other: &TokenCounts) {
        self.input = self.input.saturating_sub(other.input);
        self.cached_input = self.cached_input.saturating_sub(other.cached_input);
        self.cache_write = self.cache_write.saturating_sub(other.cache_write);
        self.output = self.output.saturating_sub(other.output);
        self.reasoning = self.reasoning.saturating_sub(other.reasoning);
        self.cache_write_1h = self.cache_write_1h.saturating_sub(other.cache_write_1h);
        self.audio_input = self.audio_input.saturating_sub(other.audio_input);
        self.cached_audio_input = self
            .cached_audio_input
            .saturating_sub(other.cached_audio_input);
        self.image_input = self.image_input.saturating_sub(other.image_input);
        self.audio_output = self.audio_output.saturating_sub(other.audio_output);
        self.image_output = self.image_output.saturating_sub(other.image_output);
        self.web_search = self.web_search.saturating_sub(other.web_search);
        self.file_search = self.file_search.saturating_sub(other.file_search);
        self.code_interpreter = self.code_interpreter.saturating_sub(other.code_interpreter);
    }
}

impl std::ops::AddAssign<&TokenCounts> for TokenCounts {
    fn add_assign(&mut self, rhs: &TokenCounts) {
        self.add(rhs);
    }
}

const PER_MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The classes a call is billed in: token classes (priced per 1,000,000 tokens) and units
/// (priced per unit). `input` and `output` are the plain text rates (uncached input; output
/// that is not reasoning, audio or image); `cache_write` is the 5-minute write. The first five
/// are the classes every event had before; their order is the order of statement lines.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TokenClass {
    Input,
    CachedInput,
    CacheWrite,
    Output,
    Reasoning,
    #[serde(rename = "cache_write_1h")]
    CacheWrite1h,
    AudioInput,
    CachedAudioInput,
    ImageInput,
    AudioOutput,
    ImageOutput,
    WebSearch,
    FileSearch,
    CodeInterpreter,
}

/// Where a class without a rate of its own takes its rate from (docs/DECISIONS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The rate of that class.
    Class(TokenClass),
    /// That class's rate times a factor (Anthropic's 1-hour cache write: 2 × input).
    Times(TokenClass, u32),
    /// None: quantities of the class go to Unpriced.
    Unpriced,
}

impl TokenClass {
    pub const COUNT: usize = 14;

    pub const ALL: [TokenClass; Self::COUNT] = [
        Self::Input,
        Self::CachedInput,
        Self::CacheWrite,
        Self::Output,
        Self::Reasoning,
        Self::CacheWrite1h,
        Self::AudioInput,
        Self::CachedAudioInput,
        Self::ImageInput,
        Self::AudioOutput,
        Self::ImageOutput,
        Self::WebSearch,
        Self::FileSearch,
        Self::CodeInterpreter,
    ];

    /// The classes every event had before audio, image, 1-hour writes and units: pages show
    /// these always, the others only when they hold something.
    pub const BASIC: [TokenClass; 5] = [
        Self::Input,
        Self::CachedInput,
        Self::CacheWrite,
        Self::Output,
        Self::Reasoning,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::CachedInput => "cached_input",
            Self::CacheWrite => "cache_write",
            Self::Output => "output",
            Self::Reasoning => "reasoning",
            Self::CacheWrite1h => "cache_write_1h",
            Self::AudioInput => "audio_input",
            Self::CachedAudioInput => "cached_audio_input",
            Self::ImageInput => "image_input",
            Self::AudioOutput => "audio_output",
            Self::ImageOutput => "image_output",
            Self::WebSearch => "web_search",
            Self::FileSearch => "file_search",
            Self::CodeInterpreter => "code_interpreter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Input => "Uncached input",
            Self::CachedInput => "Cached input",
            Self::CacheWrite => "Cache write",
            Self::Output => "Output",
            Self::Reasoning => "Reasoning",
            Self::CacheWrite1h => "Cache write (1 hour)",
            Self::AudioInput => "Audio input",
            Self::CachedAudioInput => "Cached audio input",
            Self::ImageInput => "Image input",
            Self::AudioOutput => "Audio output",
            Self::ImageOutput => "Image output",
            Self::WebSearch => "Web search",
            Self::FileSearch => "File search",
            Self::CodeInterpreter => "Code interpreter",
        }
    }

    /// The unit a class counts, for units that are not tokens (FOCUS `ConsumedUnit`).
    pub fn unit(self) -> Option<&'static str> {
        match self {
            Self::WebSearch => Some("Queries"),
            Self::FileSearch => Some("Calls"),
            Self::CodeInterpreter => Some("Sessions"),
            _ => None,
        }
    }

    pub fn is_unit(self) -> bool {
        self.unit().is_some()
    }

    /// LiteLLM's registry key of the class's rate, before any band or tier suffix.
    pub fn registry_key(self) -> &'static str {
        match self {
            Self::Input => "input_cost_per_token",
            Self::CachedInput => "cache_read_input_token_cost",
            Self::CacheWrite => "cache_creation_input_token_cost",
            Self::Output => "output_cost_per_token",
            Self::Reasoning => "output_cost_per_reasoning_token",
            Self::CacheWrite1h => "cache_creation_input_token_cost_above_1hr",
            Self::AudioInput => "input_cost_per_audio_token",
            Self::CachedAudioInput => "cache_read_input_audio_token_cost",
            Self::ImageInput => "input_cost_per_image_token",
            Self::AudioOutput => "output_cost_per_audio_token",
            Self::ImageOutput => "output_cost_per_image_token",
            Self::WebSearch => "search_context_cost_per_query",
            Self::FileSearch => "file_search_cost_per_1k_calls",
            Self::CodeInterpreter => "code_interpreter_cost_per_session",
        }
    }

    /// The documented fallback of a class the card does not price.
    pub fn fallback(self) -> Fallback {
        match self {
            Self::Input | Self::Output => Fallback::Unpriced,
            Self::CachedInput | Self::CacheWrite | Self::AudioInput | Self::ImageInput => {
                Fallback::Class(Self::Input)
            }
            Self::CacheWrite1h => Fallback::Times(Self::Input, 2),
            Self::CachedAudioInput => Fallback::Class(Self::AudioInput),
            Self::Reasoning | Self::AudioOutput | Self::ImageOutput => {
                Fallback::Class(Self::Output)
            }
            Self::WebSearch | Self::FileSearch | Self::CodeInterpreter => Fallback::Unpriced,
        }
    }

    /// How many of this class `t` holds (tokens, or units).
    pub fn quantity(self, t: &TokenCounts) -> u64 {
        match self {
            Self::Input => t.uncached_input(),
            Self::CachedInput => t.cached_text_input(),
            Self::CacheWrite => t.cache_write_5m(),
            Self::Output => t.visible_output(),
            Self::Reasoning => t.reasoning,
            Self::CacheWrite1h => t.cache_write_1h,
            Self::AudioInput => t.uncached_audio_input(),
            Self::CachedAudioInput => t.cached_audio_input,
            Self::ImageInput => t.image_input,
            Self::AudioOutput => t.audio_output,
            Self::ImageOutput => t.image_output,
            Self::WebSearch => t.web_search,
            Self::FileSearch => t.file_search,
            Self::CodeInterpreter => t.code_interpreter,
        }
    }

    /// What `quantity` of this class costs at `rate` (per 1M tokens, or per unit), exactly.
    pub fn cost(self, quantity: u64, rate: Decimal) -> Decimal {
        if self.is_unit() {
            Decimal::from(quantity) * rate
        } else {
            amount(quantity, rate)
        }
    }
}

/// `tokens` tokens at `rate` per million, exactly.
pub fn amount(tokens: u64, rate: Decimal) -> Decimal {
    Decimal::from(tokens) * rate / PER_MILLION
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
    fn taking_away_what_was_added_leaves_every_class_where_it_was() {
        let base = TokenCounts::new(1000, 300, 200, 500, 100).unwrap();
        let mut part = TokenCounts::new(40, 10, 20, 30, 5).unwrap();
        part.cache_write_1h = 7;
        part.audio_input = 6;
        part.cached_audio_input = 2;
        part.image_input = 3;
        part.audio_output = 4;
        part.image_output = 1;
        part.web_search = 11;
        part.file_search = 12;
        part.code_interpreter = 13;
        let mut sum = base;
        sum.add(&part);
        sum.saturating_sub(&part);
        assert_eq!(sum, base);
        // Stops at zero rather than wrapping.
        let mut small = TokenCounts::default();
        small.saturating_sub(&part);
        assert_eq!(small, TokenCounts::default());
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

    fn with(f: impl FnOnce(&mut TokenCounts)) -> Result<TokenCounts, TokenCountsError> {
        let mut t = TokenCounts::new(1000, 300, 200, 500, 100).unwrap();
        f(&mut t);
        t.checked()
    }

    #[test]
    fn new_classes_are_parts_of_input_and_output() {
        let t = with(|t| {
            t.cache_write_1h = 150;
            t.audio_input = 250;
            t.cached_audio_input = 50;
            t.image_input = 100;
            t.audio_output = 200;
            t.image_output = 100;
        })
        .unwrap();
        // 1000 = 250 cached text + 50 cached audio + 50 written 5m + 150 written 1h
        //        + 200 uncached audio + 100 image + 200 plain.
        assert_eq!(
            (
                t.uncached_input(),
                t.cached_text_input(),
                t.cache_write_5m(),
                t.uncached_audio_input()
            ),
            (200, 250, 50, 200)
        );
        assert_eq!(t.visible_output(), 100);
        assert_eq!(t.total(), 1500);
    }

    #[test]
    fn refuses_parts_larger_than_their_whole() {
        let err = with(|t| t.cache_write_1h = 201).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cache_write_1h_tokens (201) exceeds cache_write_tokens (200)"
        );
        assert!(with(|t| t.cached_audio_input = 301).is_err());
        assert!(
            with(|t| {
                t.audio_input = 10;
                t.cached_audio_input = 20;
            })
            .is_err()
        );
        // 300 cached + 200 written + 501 image > 1000 input.
        assert!(with(|t| t.image_input = 501).is_err());
        assert!(with(|t| t.image_input = 500).is_ok());
        assert!(with(|t| t.audio_output = 401).is_err());
        assert!(with(|t| t.web_search = MAX_TOKENS_PER_EVENT + 1).is_err());
    }
}
