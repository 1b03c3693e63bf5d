//! The demo end to end on a short render: `stemwise demo` (the CLI's own code) writes stems,
//! session and masters to disk; the parity render reads them back, runs the session through
//! the built CLAP bundles and must reproduce the CLI's full master bit for bit.

use stemwise_cli::demo::DEMO_SAMPLE_RATE_HZ;
use stemwise_cli::progress::Progress;
use stemwise_cli::stems::RENDER_BLOCK;
use stemwise_tests::checks::random_block_sizes;
use stemwise_tests::demo::{render_parity, render_parity_in_blocks};

#[test]
fn demo_session_through_the_bundles_matches_the_cli_master_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    stemwise_cli::demo::run(dir.path(), 4.0, false, Progress::new(false), 2).unwrap();
    let report = render_parity(dir.path()).unwrap();
    println!("{}", report.summary());
    assert_eq!(report.sample_rate_hz, DEMO_SAMPLE_RATE_HZ);
    assert_eq!(report.num_frames, 4 * DEMO_SAMPLE_RATE_HZ as usize);
    assert_eq!(report.stem_names.len(), 4);
    // Every CLI key of four strips and one bus was set and read back as the CLI's settings.
    assert!(report.num_params_checked > 4 * 40, "{report:?}");
    assert!(
        report.full.bit_exact(),
        "full master: {}",
        report.full.describe()
    );
    let instrumental = report.instrumental.expect("the demo has an instrumental");
    assert!(instrumental.max_abs_diff.is_finite());
    for file in &report.files {
        assert!(file.exists(), "{}", file.display());
    }

    // A DAW's buffers vary: random host block sizes give the very same master.
    let sizes = random_block_sizes(7, report.num_frames, RENDER_BLOCK);
    let random = render_parity_in_blocks(dir.path(), &sizes).unwrap();
    assert!(
        random.full.bit_exact(),
        "full master, random blocks: {}",
        random.full.describe()
    );
}
