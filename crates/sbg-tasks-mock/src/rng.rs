//! The one seeded random generator of the workspace (splitmix64): fleets' end times and ids
//! here, and the schedules and jitter of the virtual-time simulation in the benches.

use std::time::Duration;

/// A small seeded generator (splitmix64): the same seed gives the same sequence. Not for
/// anything secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo))
    }

    /// A duration in `lo..hi` seconds, to the millisecond.
    pub fn secs(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.range(lo.saturating_mul(1000), hi.saturating_mul(1000)))
    }

    /// A number in `(0, 1]`.
    pub fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = ((self.next_u64() >> 11) + 1) as f64;
        x / (1u64 << 53) as f64
    }

    /// A random (version 4) UUID, hyphenated.
    pub fn uuid(&mut self) -> String {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(b)
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_seeded_and_stays_in_range() {
        let draw = |seed| {
            let mut r = SplitMix::new(seed);
            (0..50).map(|_| r.range(10, 20)).collect::<Vec<_>>()
        };
        let a = draw(9);
        assert_eq!(a, draw(9));
        assert_ne!(a, draw(10));
        assert!(a.iter().all(|x| (10..20).contains(x)));
        let mut r = SplitMix::new(1);
        assert!((0..1000).map(|_| r.unit()).all(|u| u > 0.0 && u <= 1.0));
        assert_eq!(SplitMix::new(3).range(5, 5), 5);
        let id = SplitMix::new(4).uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
