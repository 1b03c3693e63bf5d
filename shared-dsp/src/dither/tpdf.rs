//! The TPDF dither values of a block, drawn ahead of the quantiser: each value is the sum of
//! two consecutive draws of the channel's [`Rng`](crate::signals::Rng), exactly as drawn one
//! sample at a time, but [`LANES`] stretches of the sequence are generated side by side (the
//! xorshift chain is serial, one stretch at a time would wait on it), each lane started
//! [`SEGMENT_FRAMES`] samples further on by a precomputed jump of the linear xorshift map.

use crate::signals::{xorshift, RNG_MULTIPLIER};

/// Independent stretches of the generator's sequence run side by side.
const LANES: usize = 16;
/// Samples (two draws each) per lane and chunk.
const SEGMENT_FRAMES: usize = 32;
/// Samples of dither generated per chunk.
pub(super) const CHUNK_FRAMES: usize = LANES * SEGMENT_FRAMES;

/// The xorshift map applied `2 · SEGMENT_FRAMES` times, as a table per state byte: the
/// state `SEGMENT_FRAMES` samples on is the XOR of `JUMP[b][byte b of the state]`.
static JUMP: [[u64; 256]; 8] = jump_table(2 * SEGMENT_FRAMES);

/// The tables of the linear map `xorshift^steps`: its image of every byte value at every
/// byte position.
const fn jump_table(steps: usize) -> [[u64; 256]; 8] {
    let mut columns = [0u64; 64];
    let mut bit = 0;
    while bit < 64 {
        let mut state = 1u64 << bit;
        let mut i = 0;
        while i < steps {
            state = xorshift(state);
            i += 1;
        }
        columns[bit] = state;
        bit += 1;
    }
    let mut table = [[0u64; 256]; 8];
    let mut byte = 0;
    while byte < 8 {
        let mut value = 0;
        while value < 256 {
            let mut image = 0;
            let mut b = 0;
            while b < 8 {
                if (value >> b) & 1 == 1 {
                    image ^= columns[8 * byte + b];
                }
                b += 1;
            }
            table[byte][value] = image;
            value += 1;
        }
        byte += 1;
    }
    table
}

/// The state `SEGMENT_FRAMES` samples (twice as many draws) after `state`.
#[inline(always)]
fn jump(state: u64) -> u64 {
    (0..8).fold(0, |image, byte| {
        image ^ JUMP[byte][((state >> (8 * byte)) & 0xFF) as usize]
    })
}

/// `2^52`'s bit pattern: OR-ed onto an integer below 2^52 it gives the double `2^52 + n`.
const EXPONENT_2_52: u64 = 0x4330_0000_0000_0000;
/// `2^52 + 2^24`: subtracting it from `2^52 + u₁ + u₂` gives `u₁ + u₂ − 2^24` exactly.
const OFFSET: f64 = 4_503_599_644_147_712.0;

/// Fills `out` with the next dither values of the generator at `state` (advanced past them),
/// for the step `q`: `out[n] = q/2 · (bipolar draw 2n + bipolar draw 2n+1)`. A whole chunk
/// is generated in lanes; shorter ones one sample after another.
///
/// A draw is `u = (xorshift(s) · RNG_MULTIPLIER) >> 40`, a 24-bit integer, and its bipolar
/// value `u·2^-23 − 1` (exact in `f32`); so a dither value is `(u₁ + u₂ − 2^24) · q/2^24`, an
/// integer below 2^25 times a power of two, computed exactly as the bit pattern of `2^52 +
/// u₁ + u₂` minus `2^52 + 2^24`, scaled.
#[inline(always)]
pub(super) fn fill(state: &mut u64, q: f64, out: &mut [f64]) {
    let scale = q / f64::from(1u32 << 24);
    let value = |sum: u64| (f64::from_bits(sum | EXPONENT_2_52) - OFFSET) * scale;
    let draw = |s: u64| s.wrapping_mul(RNG_MULTIPLIER) >> 40;
    if let Ok(out) = <&mut [f64; CHUNK_FRAMES]>::try_from(&mut *out) {
        let mut lanes = [*state; LANES];
        for k in 1..LANES {
            lanes[k] = jump(lanes[k - 1]);
        }
        // Frame `j` of every lane, side by side (each step is one vector operation).
        let mut by_frame = [[0.0; LANES]; SEGMENT_FRAMES];
        for frame in &mut by_frame {
            let a = lanes.map(xorshift);
            let b = a.map(xorshift);
            lanes = b;
            let (da, db) = (a.map(draw), b.map(draw));
            *frame = std::array::from_fn(|k| value(da[k] + db[k]));
        }
        for (k, segment) in out.chunks_exact_mut(SEGMENT_FRAMES).enumerate() {
            for (d, frame) in segment.iter_mut().zip(&by_frame) {
                *d = frame[k];
            }
        }
        *state = lanes[LANES - 1];
        return;
    }
    for d in out {
        let a = xorshift(*state);
        let b = xorshift(a);
        *state = b;
        *d = value(draw(a) + draw(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::Rng;

    #[test]
    fn chunks_and_single_samples_equal_the_generator_drawn_one_at_a_time() {
        for (seed, q) in [(7u64, 2f64.powi(-23)), (0, 2f64.powi(-15)), (u64::MAX, 0.5)] {
            let mut rng = Rng::new(seed);
            let mut state = rng.state();
            let mut out = vec![0.0; 3 * CHUNK_FRAMES + 100];
            // A whole chunk, a few single samples, another chunk, a partial one, a chunk.
            let (a, rest) = out.split_at_mut(CHUNK_FRAMES);
            fill(&mut state, q, a);
            let (b, rest) = rest.split_at_mut(7);
            fill(&mut state, q, b);
            let (c, rest) = rest.split_at_mut(CHUNK_FRAMES);
            fill(&mut state, q, c);
            let (d, e) = rest.split_at_mut(93);
            fill(&mut state, q, d);
            fill(&mut state, q, e);
            for (n, &d) in out.iter().enumerate() {
                let expected = 0.5 * q * (rng.next_bipolar() as f64 + rng.next_bipolar() as f64);
                assert_eq!(d.to_bits(), expected.to_bits(), "seed {seed}, sample {n}");
            }
            assert_eq!(state, rng.state());
        }
    }
}
