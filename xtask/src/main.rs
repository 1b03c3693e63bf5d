//! `cargo xtask`: nice-plug's bundler plus the project commands `demo`, `test`, `validate` and
//! `bench-render`.

mod bench_render;
mod bundle;
mod demo;
mod prereq;
mod python;
mod run;
mod summary;
mod test;
mod validate;

use std::process::ExitCode;

/// The usage text for the project commands; `bundle` prints its own on errors.
const USAGE: &str = "Usage:
  cargo xtask test     fmt, clippy, bundles, Rust tests, VST3 tests, GUI screenshots
  cargo xtask demo     release bundles, then renders the demo into out/demo
  cargo xtask validate clap-validator, Steinberg's VST3 validator and pluginval on the
                       bundles in target/bundled (installed in $PREFIX, default
                       /opt/plugin-validators)
  cargo xtask bench-render [--bin <stemwise>]
                       CPU of a 6-stem, 64 s `stemwise render` (1 and 2 threads) next to
                       ffmpeg's two-pass loudnorm on the same mix (ffmpeg from apt)
  cargo xtask bundle <package>... [--release | --profile <name>]
                       nice-plug's bundler (CLAP + VST3 into target/bundled)";

fn main() -> anyhow::Result<ExitCode> {
    nice_plug_xtask::chdir_workspace_root()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test::run(),
        Some("demo") => demo::run().map(|()| ExitCode::SUCCESS),
        Some("validate") => validate::run(),
        Some("bench-render") => bench_render::run(&args[1..]).map(|()| ExitCode::SUCCESS),
        Some("bundle") => bundle::run(args).map(|()| ExitCode::SUCCESS),
        None | Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(_) => nice_plug_xtask::main_with_args("cargo xtask", args).map(|()| ExitCode::SUCCESS),
    }
}
