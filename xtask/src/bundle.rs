//! `cargo xtask bundle`: nice-plug's bundler, also accepting several package names in a row.

/// The plugin packages of the workspace, in bundling order.
pub const PLUGINS: [&str; 2] = ["stem-strip", "master-bus"];

/// Runs nice-plug-xtask's `bundle` with `args` (starting with `bundle`).
pub fn run(args: Vec<String>) -> anyhow::Result<()> {
    nice_plug_xtask::main_with_args("cargo xtask", with_package_flags(args))
}

/// Rewrites `bundle a b --release` into `bundle -p a -p b --release`.
///
/// nice-plug-xtask takes either one bare package name or a run of `-p NAME` pairs; the README and
/// CI name both plugins bare. Arguments from the first one starting with `-` on pass unchanged.
fn with_package_flags(args: Vec<String>) -> Vec<String> {
    let mut args = args.into_iter();
    let mut out: Vec<String> = args.next().into_iter().collect();
    let mut rest = args.peekable();
    while let Some(name) = rest.next_if(|arg| !arg.starts_with('-')) {
        out.push("-p".to_owned());
        out.push(name);
    }
    out.extend(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::with_package_flags;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn bare_names_become_package_flags() {
        let args = strings(&["bundle", "stem-strip", "master-bus", "--profile", "harness"]);
        let expected = strings(&[
            "bundle",
            "-p",
            "stem-strip",
            "-p",
            "master-bus",
            "--profile",
            "harness",
        ]);
        assert_eq!(with_package_flags(args), expected);
    }

    #[test]
    fn package_flags_pass_unchanged() {
        let args = strings(&[
            "bundle",
            "-p",
            "stem-strip",
            "-p",
            "master-bus",
            "--release",
        ]);
        assert_eq!(with_package_flags(args.clone()), args);
    }
}
