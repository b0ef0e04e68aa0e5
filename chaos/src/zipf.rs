//! Zipf-distributed choices: rank `k` (from 1) is drawn with probability proportional to
//! `1 / k^s`, as product popularity is in shops (a few products draw most of the views).

use rand::Rng;

/// A sampler over ranks `0..n` (rank 0 the most popular).
#[derive(Clone, Debug)]
pub struct Zipf {
    /// Cumulative weights, ending at 1.
    cumulative: Vec<f64>,
}

impl Zipf {
    /// `n` ranks with exponent `s` (about 1 for web shops); `n` at least 1.
    pub fn new(n: usize, s: f64) -> Self {
        let weights: Vec<f64> = (1..=n.max(1)).map(|k| 1.0 / (k as f64).powf(s)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        Self { cumulative }
    }

    /// A rank.
    pub fn sample(&self, rng: &mut impl Rng) -> usize {
        let u: f64 = rng.random();
        self.cumulative.partition_point(|&c| c < u).min(self.cumulative.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_first_ranks_draw_most() {
        let zipf = Zipf::new(100, 1.0);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0u32; 100];
        for _ in 0..100_000 {
            counts[zipf.sample(&mut rng)] += 1;
        }
        // Rank 1 has weight 1/H(100) ≈ 19 %, rank 2 half of it.
        assert!((17_000..21_500).contains(&counts[0]), "{}", counts[0]);
        assert!((8_000..11_000).contains(&counts[1]), "{}", counts[1]);
        assert!(counts[99] > 0 && counts[99] < 500);
        assert_eq!(Zipf::new(1, 1.0).sample(&mut rng), 0);
    }
}
