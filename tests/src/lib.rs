//! Stemwise's host-level test harness: loads the built bundles in a real CLAP host.
