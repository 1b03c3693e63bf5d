//! Kaiser-window support shared by the FIR designs (oversampling, true peak, limiter).

/// Zeroth-order modified Bessel function of the first kind, by its power series (converges
/// for every `x`; <https://en.wikipedia.org/wiki/Bessel_function#Modified_Bessel_functions>).
/// The Kaiser windows of the oversampling and true-peak filters are built on it.
pub fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half_x = 0.5 * x;
    for k in 1..64 {
        term *= half_x / k as f64;
        let term_sq = term * term;
        sum += term_sq;
        if term_sq < sum * 1e-17 {
            break;
        }
    }
    sum
}
