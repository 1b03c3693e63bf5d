//! The `stemwise` offline tool as a library: audio file I/O and the commands, on the same
//! shared-dsp code as the plugins. `main.rs` is the command-line front end.

pub mod audio_file;
pub mod measure;
pub mod null_test;
