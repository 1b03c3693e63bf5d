//! Inter-sample peak estimate of the limiter's side chain: 16× polyphase interpolation with a
//! short Lanczos kernel, evaluated on the same 16× grid as the oracle-grade meter of
//! [`crate::true_peak`].
//!
//! Phase 0 is the sample itself (exact). Phases 1..16 interpolate with the Lanczos kernel
//! `sinc(t)·sinc(t/a)`, `a = TAPS / 2`
//! (<https://en.wikipedia.org/wiki/Lanczos_resampling>), each normalised to unity gain at DC
//! and then scaled up by [`INTERPOLATION_MARGIN_DB`], which bounds how far a 12-tap kernel can
//! read below the long oracle filter (the `limiter_overs` test measures the remaining headroom).
//! The 16 phases are computed together as lanes of one array, so the inner loop vectorises.

/// Oversampling factor of the estimate (the grid of the 16× oracle meter).
pub const OVERSAMPLING: usize = 16;
/// Taps per phase of the interpolation kernel (input samples the estimate looks at).
pub const TAPS: usize = 12;
/// Headroom added to every interpolated phase (not to phase 0), in dB.
pub const INTERPOLATION_MARGIN_DB: f64 = 0.02;
/// Input magnitudes below this are read as 0 by the estimate, so denormal input never reaches
/// the multiplier (the audio path itself is untouched).
const DENORMAL_FLOOR: f32 = 1e-30;

/// Kernel coefficients: `taps[k][p]` weights the sample `TAPS - 1 - k` frames ago for phase `p`.
#[derive(Debug, Clone)]
pub struct PeakKernel {
    /// Coefficient table, computed once by `new`.
    taps: [[f32; OVERSAMPLING]; TAPS],
}

/// Normalised sinc `sin(πt)/(πt)`.
fn sinc(t: f64) -> f64 {
    if t.abs() < 1e-12 {
        1.0
    } else {
        let x = std::f64::consts::PI * t;
        x.sin() / x
    }
}

impl PeakKernel {
    /// Designs the kernel (phase 0 exact; margin on the others).
    pub fn new() -> Self {
        let half_span = (TAPS / 2) as f64;
        let margin_gain = 10f64.powf(INTERPOLATION_MARGIN_DB / 20.0);
        let mut taps = [[0.0f32; OVERSAMPLING]; TAPS];
        for p in 0..OVERSAMPLING {
            // Output time is `TAPS/2 - p/16` frames ago; tap k sees `TAPS-1-k` frames ago.
            let dist =
                |k: usize| (TAPS / 2) as f64 - 1.0 - k as f64 + p as f64 / OVERSAMPLING as f64;
            let raw: Vec<f64> = (0..TAPS)
                .map(|k| sinc(dist(k)) * sinc(dist(k) / half_span))
                .collect();
            let dc: f64 = raw.iter().sum();
            let scale = if p == 0 { 1.0 } else { margin_gain / dc };
            for (k, c) in raw.iter().enumerate() {
                taps[k][p] = (c * scale) as f32;
            }
        }
        Self { taps }
    }

    /// Smallest and largest gain (linear, over phases 1..16) of the kernel for a sine at
    /// `freq_norm` cycles per sample: a sine of amplitude `A` reads between `A·min` and `A·max`
    /// at those phases (phase 0 reads the sample).
    pub fn response_range(&self, freq_norm: f64) -> (f64, f64) {
        let omega = std::f64::consts::TAU * freq_norm;
        let (mut lo, mut hi) = (f64::MAX, 0.0f64);
        for p in 1..OVERSAMPLING {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (k, row) in self.taps.iter().enumerate() {
                let ago = (TAPS - 1 - k) as f64;
                re += row[p] as f64 * (omega * ago).cos();
                im -= row[p] as f64 * (omega * ago).sin();
            }
            let mag = re.hypot(im);
            lo = lo.min(mag);
            hi = hi.max(mag);
        }
        (lo, hi)
    }
}

impl Default for PeakKernel {
    fn default() -> Self {
        Self::new()
    }
}

/// One channel's interpolator history.
#[derive(Debug, Clone, Copy)]
pub struct PeakHistory {
    /// The last `TAPS` inputs, stored twice so a contiguous window always exists.
    samples: [f32; 2 * TAPS],
    /// Index of the oldest sample of the current window (0..TAPS).
    start: usize,
}

impl PeakHistory {
    /// Silent history.
    pub fn new() -> Self {
        Self {
            samples: [0.0; 2 * TAPS],
            start: 0,
        }
    }

    /// Clears the history.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Pushes one input sample and returns the largest `|x|` of the interpolated signal
    /// between `TAPS/2` and `TAPS/2 - 1` frames ago (16 points, phase 0 included).
    #[inline]
    pub fn push(&mut self, kernel: &PeakKernel, input: f32) -> f32 {
        let x = if input.abs() < DENORMAL_FLOOR {
            0.0
        } else {
            input
        };
        self.samples[self.start] = x;
        self.samples[self.start + TAPS] = x;
        self.start += 1;
        if self.start == TAPS {
            self.start = 0;
        }
        let window: &[f32; TAPS] = self.samples[self.start..self.start + TAPS]
            .try_into()
            .expect("window is TAPS long");
        let mut acc = [0.0f32; OVERSAMPLING];
        for (row, &s) in kernel.taps.iter().zip(window) {
            for (a, &c) in acc.iter_mut().zip(row) {
                *a += c * s;
            }
        }
        acc.iter().fold(0.0f32, |m, a| m.max(a.abs()))
    }
}

impl Default for PeakHistory {
    fn default() -> Self {
        Self::new()
    }
}
