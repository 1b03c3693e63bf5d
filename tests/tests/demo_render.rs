//! The foundation demo (`cargo xtask demo`) end to end on a short render: real WAV files
//! written and read back, the default strips null exactly, the master is measured.

use stemwise_tests::demo::{render_demo, DEMO_SAMPLE_RATE_HZ};
use stemwise_tests::wav::read_wav;

#[test]
fn short_demo_writes_readable_files_and_nulls_exactly() {
    let dir = std::env::temp_dir().join(format!("stemwise-demo-test-{}", std::process::id()));
    let report = render_demo(&dir, 4.0).unwrap();
    assert_eq!(report.files.len(), 6, "{:?}", report.files);
    for file in &report.files {
        let (spec, audio) = read_wav(file).unwrap();
        assert_eq!(spec.sample_rate, DEMO_SAMPLE_RATE_HZ, "{}", file.display());
        assert_eq!(spec.bits_per_sample, 24);
        assert_eq!(audio.len(), 2);
        assert_eq!(audio[0].len(), report.num_frames, "{}", file.display());
        assert!(
            audio[0].iter().any(|&s| s != 0.0),
            "{} is silent",
            file.display()
        );
    }
    println!("{report:?}");
    assert_eq!(report.null_max_abs, 0.0);
    assert!(report.null_residual_peak_dbfs < -120.0);
    assert!(report.integrated_lufs.is_finite() && report.true_peak_dbtp < 0.0);
    std::fs::remove_dir_all(&dir).unwrap();
}
