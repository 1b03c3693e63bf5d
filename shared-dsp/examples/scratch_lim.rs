use shared_dsp::limiter::peak::PeakKernel;
use shared_dsp::signals::sine;
use shared_dsp::true_peak::{measure_true_peak_db, TruePeakDetector};
fn main() {
    let k = PeakKernel::new();
    let fs = 44_100.0;
    let det = TruePeakDetector::new(fs, 1, 16);
    for f in [0.1, 0.2, 0.3, 0.33, 0.4, 0.45, 0.47, 0.49] {
        let (lo, hi) = k.response_range(f);
        let (olo, ohi) = det.response_range_db(f * fs);
        let x = sine(f * fs, 1.0, fs, 44100, 0.0);
        let sp = x.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        println!(
            "f={f}: kernel {:.4}..{:.4} dB  oracle {:.4}..{:.4} dB  oracle TP of sine {:.4} dB, sample peak {:.4}",
            20.0 * lo.log10(), 20.0 * hi.log10(), olo, ohi,
            measure_true_peak_db(&[&x], fs, 16), 20.0 * sp.log10()
        );
    }
}
