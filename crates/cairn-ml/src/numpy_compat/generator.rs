//! `numpy.random.default_rng(seed)` for a non-negative integer seed: numpy's
//! `SeedSequence` turns the seed into 256 bits of state, which seed a PCG64
//! (128-bit LCG, XSL-RR output); `random()` is the top 53 bits of one output
//! scaled to `[0, 1)`.
//!
//! `SeedSequence` (O'Neill's `seed_seq_fe` hash with a 4-word pool) is
//! written here from the algorithm as numpy documents it; PCG64 (XSL-RR
//! 128/64) is `rand_pcg::Pcg64`. Both are checked against numpy 2.4 output.

use rand::RngCore;

/// `SeedSequence` constants (numpy's names).
const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;
const POOL_SIZE: usize = 4;

/// The seed's 32-bit words, least significant first (`0` is one zero word),
/// as numpy coerces an integer entropy.
fn entropy_words(seed: u64) -> Vec<u32> {
    let (lo, hi) = (seed as u32, (seed >> 32) as u32);
    if hi == 0 { vec![lo] } else { vec![lo, hi] }
}

/// The mixed entropy pool of `SeedSequence(seed)` (no spawn key).
fn pool(seed: u64) -> [u32; POOL_SIZE] {
    let entropy = entropy_words(seed);
    let mut hash_const = INIT_A;
    let mut hashmix = |value: u32| {
        let mut v = value ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_A);
        v = v.wrapping_mul(hash_const);
        v ^ (v >> XSHIFT)
    };
    let mix = |x: u32, y: u32| {
        let r = MIX_MULT_L
            .wrapping_mul(x)
            .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
        r ^ (r >> XSHIFT)
    };
    let mut pool = [0u32; POOL_SIZE];
    for (i, slot) in pool.iter_mut().enumerate() {
        *slot = hashmix(entropy.get(i).copied().unwrap_or(0));
    }
    for src in 0..POOL_SIZE {
        for dst in 0..POOL_SIZE {
            if src != dst {
                let h = hashmix(pool[src]);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    // Entropy longer than the pool is folded in word by word (at most two
    // words here, so this never runs; kept for the algorithm's shape).
    for &word in entropy.iter().skip(POOL_SIZE) {
        for slot in pool.iter_mut() {
            let h = hashmix(word);
            *slot = mix(*slot, h);
        }
    }
    pool
}

/// `SeedSequence(seed).generate_state(N, uint64)`.
fn generate_state<const N: usize>(seed: u64) -> [u64; N] {
    let pool = pool(seed);
    let mut hash_const = INIT_B;
    let mut words = pool.iter().cycle().map(|&p| {
        let mut v = p ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_B);
        v = v.wrapping_mul(hash_const);
        v ^ (v >> XSHIFT)
    });
    let mut out = [0u64; N];
    for slot in &mut out {
        // Two 32-bit words viewed as one little-endian u64.
        let lo = u64::from(words.next().unwrap_or(0));
        let hi = u64::from(words.next().unwrap_or(0));
        *slot = lo | (hi << 32);
    }
    out
}

/// `numpy.random.default_rng(seed)`: a PCG64 seeded through `SeedSequence`.
#[derive(Clone, Debug)]
pub(crate) struct Generator {
    pcg: rand_pcg::Pcg64,
}

impl Generator {
    /// `default_rng(seed)` for an integer seed (numpy takes any non-negative
    /// integer; every `u64` is covered).
    pub(crate) fn new(seed: u64) -> Self {
        let s = generate_state::<4>(seed);
        // numpy seeds PCG64 with (state, sequence) = (words 0-1, words 2-3),
        // high word first; `rand_pcg`'s `new` is the same `pcg_setseq_128`
        // seeding and output order (checked against numpy's values below).
        let init_state = (u128::from(s[0]) << 64) | u128::from(s[1]);
        let init_seq = (u128::from(s[2]) << 64) | u128::from(s[3]);
        Generator {
            pcg: rand_pcg::Pcg64::new(init_state, init_seq),
        }
    }

    /// `Generator.random()`: a double uniform in `[0, 1)` (the top 53 bits
    /// of one 64-bit output).
    pub(crate) fn random(&mut self) -> f64 {
        (self.pcg.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values printed by numpy 2.4.6:
    // `np.random.SeedSequence(s).generate_state(4, np.uint64)` and
    // `np.random.default_rng(s).random(3)`.
    #[test]
    fn seed_sequence_state_matches_numpy() {
        assert_eq!(
            generate_state::<4>(0),
            [
                0xdb2c_d7e7_b0f4_78be,
                0xabf4_641a_2c71_ba49,
                0x20c6_ed6d_9d7b_8d41,
                0x2c40_99de_223c_39d4
            ]
        );
        assert_eq!(
            generate_state::<4>(42),
            [
                0x9f1e_2e6d_cd54_0ab7,
                0xd578_73dc_79fb_94b6,
                0x7d28_2a1b_64d4_20b7,
                0x3365_7971_4692_d5ff
            ]
        );
        // A seed wider than 32 bits is two entropy words.
        assert_eq!(
            generate_state::<4>((1 << 32) + 5),
            [
                0xf9c1_5bd6_e249_d9ac,
                0xb202_1b40_3632_0ed7,
                0x9388_b47f_e6dc_f739,
                0x5eeb_a8d9_ad64_39e1
            ]
        );
    }

    #[test]
    fn random_matches_numpy_default_rng() {
        let cases: [(u64, [f64; 3]); 3] = [
            (
                0,
                [0.6369616873214543, 0.2697867137638703, 0.04097352393619469],
            ),
            (
                42,
                [0.7739560485559633, 0.4388784397520523, 0.8585979199113825],
            ),
            (
                (1 << 32) + 5,
                [0.7742041803738812, 0.47072268318809307, 0.6958803443421149],
            ),
        ];
        for (seed, want) in cases {
            let mut g = Generator::new(seed);
            let got = [g.random(), g.random(), g.random()];
            assert_eq!(got, want, "seed {seed}");
        }
    }
}
