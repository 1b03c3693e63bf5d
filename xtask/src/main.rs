//! `cargo xtask`: nice-plug's bundler plus the project commands `demo` and `test`.

fn main() -> anyhow::Result<()> {
    nice_plug_xtask::main()
}
