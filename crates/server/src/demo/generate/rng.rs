//! Randomness: SplitMix64 streams derived from the seed, one per part of the data.

/// SplitMix64: tiny, fast, and good enough for demo data.
pub(super) struct Rng(u64);

impl Rng {
    /// An independent stream for one part of the data, derived from the seed.
    pub(super) fn stream(seed: u64, parts: &[u64]) -> Self {
        let mut state = Rng(seed);
        let mut h = state.next_u64();
        for &p in parts {
            state = Rng(h ^ p.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            h = state.next_u64();
        }
        Rng(h)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(super) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform in [0, n), 0 when n is 0.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in [lo, hi].
    pub(super) fn range_u64(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    pub(super) fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Log-uniform in [lo, hi]: many small values, a long tail of large ones.
    pub(super) fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo || lo == 0 {
            return self.range_u64(lo, hi);
        }
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        (self.range_f64(l, h).exp().round() as u64).clamp(lo, hi)
    }

    /// An index drawn in proportion to `weights` (which must not all be 0).
    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len().saturating_sub(1)
    }
}
