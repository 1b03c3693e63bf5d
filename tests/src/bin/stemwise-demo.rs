//! `stemwise-demo [OUT_DIR]`: renders the foundation demo (four synthesized stems through
//! the Stem Strip bundles, summed, through the Master Bus bundle) into `OUT_DIR`
//! (default `out/demo`) and prints the master's loudness and the stem null residual.
//! `cargo xtask demo` builds the bundles and runs this.

use stemwise_tests::demo::{render_demo, DEMO_DURATION_S};

fn main() -> anyhow::Result<()> {
    let out_dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| "out/demo".into(), std::path::PathBuf::from);
    let report = render_demo(&out_dir, DEMO_DURATION_S)?;
    for file in &report.files {
        println!("wrote {}", file.display());
    }
    println!(
        "master integrated loudness: {:.2} LUFS",
        report.integrated_lufs
    );
    println!(
        "master true peak:           {:.2} dBTP",
        report.true_peak_dbtp
    );
    println!("master loudness range:      {:.2} LU", report.lra_lu);
    println!(
        "stem null (default strips vs plain sum): max |diff| {:e}, residual peak {:.1} dBFS",
        report.null_max_abs, report.null_residual_peak_dbfs
    );
    Ok(())
}
