//! Prerequisites of the test steps: what each needs, how to probe it, and how to install it.

use crate::run::{cargo, output_of, quietly_succeeds};
use std::process::Command;

/// How to tell whether a prerequisite is present.
#[derive(Clone, Copy)]
enum Probe {
    /// `cargo <subcommand> --version` runs.
    CargoSubcommand(&'static str),
    /// The program runs with these arguments and exits successfully.
    Runs(&'static str, &'static [&'static str]),
    /// `pkg-config --exists <module>` succeeds.
    PkgConfig(&'static str),
    /// The program's output (stdout and stderr) with these arguments contains the text.
    OutputHas(&'static str, &'static [&'static str], &'static str),
}

/// One thing a step needs from the machine.
#[derive(Clone, Copy)]
pub struct Prerequisite {
    /// What is needed, as a user would name it.
    what: &'static str,
    /// How its presence is checked.
    probe: Probe,
    /// The Debian package that provides it, or `None` when it is not a Debian package.
    debian: Option<&'static str>,
    /// How to install it when there is no Debian package.
    other_install: &'static str,
}

const fn debian(what: &'static str, probe: Probe, package: &'static str) -> Prerequisite {
    Prerequisite {
        what,
        probe,
        debian: Some(package),
        other_install: "",
    }
}

/// rustfmt, for the format check.
pub const RUSTFMT: &[Prerequisite] = &[Prerequisite {
    what: "rustfmt",
    probe: Probe::CargoSubcommand("fmt"),
    debian: None,
    other_install: "rustup component add rustfmt",
}];

/// clippy, for the lint step.
pub const CLIPPY: &[Prerequisite] = &[Prerequisite {
    what: "clippy",
    probe: Probe::CargoSubcommand("clippy"),
    debian: None,
    other_install: "rustup component add clippy",
}];

/// The system libraries the plugins, their GUIs and the standalone binaries link against.
pub const NATIVE_LIBS: &[Prerequisite] = &[
    debian(
        "pkg-config",
        Probe::Runs("pkg-config", &["--version"]),
        "pkg-config",
    ),
    debian("ALSA headers", Probe::PkgConfig("alsa"), "libasound2-dev"),
    debian(
        "JACK headers",
        Probe::PkgConfig("jack"),
        "libjack-jackd2-dev",
    ),
    debian("Xlib headers", Probe::PkgConfig("x11"), "libx11-dev"),
    debian(
        "Xlib-XCB headers",
        Probe::PkgConfig("x11-xcb"),
        "libx11-xcb-dev",
    ),
    debian(
        "Xcursor headers",
        Probe::PkgConfig("xcursor"),
        "libxcursor-dev",
    ),
    debian("XCB headers", Probe::PkgConfig("xcb"), "libxcb1-dev"),
    debian(
        "XCB ICCCM headers",
        Probe::PkgConfig("xcb-icccm"),
        "libxcb-icccm4-dev",
    ),
    debian(
        "XCB DRI2 headers",
        Probe::PkgConfig("xcb-dri2"),
        "libxcb-dri2-0-dev",
    ),
    debian("OpenGL headers", Probe::PkgConfig("gl"), "libgl-dev"),
];

/// Command-line tools the Rust tests use as independent oracles (cue sheet parsing, ffmpeg's
/// phase meter).
pub const ORACLE_TOOLS: &[Prerequisite] = &[
    debian(
        "cuebreakpoints (cuetools)",
        Probe::Runs("sh", &["-c", "command -v cuebreakpoints"]),
        "cuetools",
    ),
    debian("ffmpeg", Probe::Runs("ffmpeg", &["-version"]), "ffmpeg"),
];

/// Python with a working `venv` (pip comes from it), for the pytest-based steps.
pub const PYTHON: &[Prerequisite] = &[debian(
    "python3 with venv and ensurepip",
    Probe::Runs("python3", &["-c", "import venv, ensurepip"]),
    "python3-venv",
)];

/// The X server, screenshot and OCR tools of the GUI checks.
pub const GUI_TOOLS: &[Prerequisite] = &[
    debian("Xvfb", Probe::Runs("Xvfb", &["-help"]), "xvfb"),
    debian(
        "xwininfo",
        Probe::Runs("xwininfo", &["-version"]),
        "x11-utils",
    ),
    debian(
        "ImageMagick import",
        Probe::Runs("import", &["-version"]),
        "imagemagick",
    ),
    debian(
        "ImageMagick identify",
        Probe::Runs("identify", &["-version"]),
        "imagemagick",
    ),
    debian(
        "tesseract",
        Probe::Runs("tesseract", &["--version"]),
        "tesseract-ocr",
    ),
    debian(
        "tesseract English data",
        Probe::OutputHas("tesseract", &["--list-langs"], "\neng"),
        "tesseract-ocr-eng",
    ),
    debian(
        "libXtst (typed keyboard entry)",
        Probe::OutputHas("ldconfig", &["-p"], "libXtst.so.6"),
        "libxtst6",
    ),
];

impl Prerequisite {
    fn is_present(&self) -> bool {
        match self.probe {
            Probe::CargoSubcommand(sub) => quietly_succeeds(cargo().args([sub, "--version"])),
            Probe::Runs(program, args) => quietly_succeeds(Command::new(program).args(args)),
            Probe::PkgConfig(module) => {
                quietly_succeeds(Command::new("pkg-config").args(["--exists", module]))
            }
            Probe::OutputHas(program, args, text) => {
                output_of(Command::new(program).args(args)).is_some_and(|out| out.contains(text))
            }
        }
    }

    fn install_hint(&self) -> String {
        match self.debian {
            Some(package) => format!("apt-get install {package}"),
            None => self.other_install.to_owned(),
        }
    }
}

/// The prerequisites in `needed` that are missing.
pub fn missing(needed: &[&[Prerequisite]]) -> Vec<Prerequisite> {
    needed
        .iter()
        .flat_map(|group| group.iter())
        .filter(|prerequisite| !prerequisite.is_present())
        .copied()
        .collect()
}

/// Prints what is missing for `step` and how to install it.
pub fn explain(step: &str, missing: &[Prerequisite]) {
    eprintln!("\n[xtask] cannot run step `{step}`: missing prerequisites");
    for prerequisite in missing {
        eprintln!(
            "    {:<34} install: {}",
            prerequisite.what,
            prerequisite.install_hint()
        );
    }
    let mut packages: Vec<&str> = missing.iter().filter_map(|p| p.debian).collect();
    packages.dedup();
    if !packages.is_empty() {
        eprintln!(
            "    all at once (Debian/Ubuntu, as root): apt-get install -y {}",
            packages.join(" ")
        );
    }
}
