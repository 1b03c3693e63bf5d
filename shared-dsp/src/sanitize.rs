//! Input guard: non-finite samples (NaN, ±Inf) become silence before any processing, so a
//! corrupt sample from a host or file can never poison filter or envelope state.
//! Finite samples, including denormals, pass unchanged (default settings stay bit-exact).

/// Replaces every non-finite sample with 0.0 in place. Returns how many were replaced.
pub fn sanitize_block(channels: &mut [&mut [f32]]) -> usize {
    let mut replaced = 0;
    for samples in channels.iter_mut() {
        for s in samples.iter_mut() {
            if !s.is_finite() {
                *s = 0.0;
                replaced += 1;
            }
        }
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_non_finite() {
        let mut x = vec![
            0.5,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e-40,
            -0.25,
        ];
        assert_eq!(sanitize_block(&mut [&mut x]), 3);
        assert_eq!(x, vec![0.5, 0.0, 0.0, 0.0, 1e-40, -0.25]);
    }
}
