//! `stemwise-demo [DEMO_DIR]`: the plugin parity render of a demo `stemwise demo` wrote into
//! `DEMO_DIR` (default `out/demo`): its session through the built CLAP bundles (found in
//! `$CARGO_TARGET_DIR/bundled`, else `target/bundled`), compared with the CLI's masters.
//! Prints the summary; exits non-zero unless the full master is bit-exact.
//! `cargo xtask demo` builds the bundles, runs `stemwise demo`, then this.

use std::process::ExitCode;
use stemwise_tests::demo::render_parity;

fn main() -> anyhow::Result<ExitCode> {
    let demo_dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| "out/demo".into(), std::path::PathBuf::from);
    let report = render_parity(&demo_dir)?;
    for file in &report.files {
        println!("wrote {}", file.display());
    }
    print!("{}", report.summary());
    Ok(if report.full.bit_exact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
