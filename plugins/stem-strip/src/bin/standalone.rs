//! Standalone build of the Stem Strip (used for GUI screenshots and quick auditioning).

fn main() {
    nice_plug::nice_export_standalone::<stem_strip::StemStrip>();
}
