//! Standalone build of the Master Bus (used for GUI screenshots and quick auditioning).

fn main() {
    nice_plug::nice_export_standalone::<master_bus::MasterBus>();
}
