//! Per-stem time alignment: each stem is cross-correlated against what the reference holds of
//! it (the reference minus the other stems as currently aligned), so one late stem, even the
//! loudest, is found on its own instead of dragging the whole delivery with it.
//!
//! Both sides are pre-emphasised (first difference, +6 dB/octave) so music's broad low-frequency
//! autocorrelation does not blunt the peak. A lag is taken when it correlates better than lag
//! 0 with a normalised correlation above [`MIN_CORRELATION`]; the transfer-function fit
//! (`transfer.rs`) then confirms it to the sample, and corrects it when a periodic stem's
//! peak was a period off.

use super::delivery::Delivery;
use super::track::Track;
use super::{block_energies, correlate, loudest_window, CrossCorrelator};

/// Normalised correlation a stem's lag needs to be taken.
const MIN_CORRELATION: f64 = 0.05;
/// Share of the peak correlation at which a stem's delivered position is preferred.
const HOME_SHARE: f64 = 0.9;
/// Passes over the stems (each pass sees the lags the previous one found).
const PASSES: usize = 2;

/// Moves each stem's shift in `delivery` to where it correlates best with the reference
/// minus the other stems, within the correlator's lag range, over `range`.
pub(crate) fn align_stems(
    correlator: &mut CrossCorrelator,
    reference: &dyn Track,
    delivery: &mut Delivery,
    range: std::ops::Range<usize>,
) {
    let num_channels = reference.num_channels();
    let window = correlator.window_samples();
    let max_lag = correlator.max_lag_samples();
    let span = window + 2 * max_lag;
    let mut others = vec![0.0f64; window];
    let mut own = vec![0.0f64; span];
    let mut buffer = vec![0.0f64; span];
    for _ in 0..PASSES {
        for i in 0..delivery.stems.len() {
            if delivery.is_silent(i) {
                continue;
            }
            let w0 = loudest_window(range.end, window, || {
                block_energies(range.end, |start, out, scratch| {
                    delivery.mono_into(Some(i), num_channels, start, out, scratch)
                })
            });
            // The reference minus every other stem over the window (zero outside `range`).
            others.fill(0.0);
            for ch in 0..num_channels {
                reference.read(ch, w0 as isize, &mut buffer[..window]);
                for (m, (v, r)) in others.iter_mut().zip(&buffer[..window]).enumerate() {
                    if range.contains(&(w0 + m)) {
                        *v += r;
                    }
                }
                for j in (0..delivery.stems.len()).filter(|&j| j != i) {
                    delivery.copy_stem(j, ch, w0 as isize, &mut buffer[..window]);
                    for (m, (v, s)) in others.iter_mut().zip(&buffer[..window]).enumerate() {
                        if range.contains(&(w0 + m)) {
                            *v -= s;
                        }
                    }
                }
            }
            own.fill(0.0);
            for ch in 0..num_channels {
                delivery.copy_stem(i, ch, w0 as isize - max_lag as isize, &mut buffer);
                own.iter_mut().zip(&buffer).for_each(|(v, s)| *v += s);
            }
            pre_emphasise(&mut others);
            pre_emphasise(&mut own);
            let peak = correlate(correlator, &others, &own);
            // Prior: stems are exported from one start, so the stem's position as delivered
            // (absolute shift 0) wins when it correlates almost as well as the peak (a
            // periodic stem correlates well a few periods away too).
            let home = -delivery.shifts_samples[i];
            let lag = if home.unsigned_abs() <= max_lag
                && correlator.correlation_at(home).abs() >= HOME_SHARE * peak.correlation.abs()
            {
                home
            } else {
                peak.lag_samples
            };
            if lag != 0
                && peak.normalized > MIN_CORRELATION
                && correlator.correlation_at(lag).abs() > peak.correlation_at_zero.abs()
            {
                delivery.shifts_samples[i] += lag;
            }
        }
    }
}

/// First difference in place (`x[n] − x[n−1]`, with `x[−1] = 0`).
fn pre_emphasise(x: &mut [f64]) {
    for n in (1..x.len()).rev() {
        x[n] -= x[n - 1];
    }
}
