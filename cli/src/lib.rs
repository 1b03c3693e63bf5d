//! The `stemwise` offline tool as a library: audio file I/O, session files and the commands,
//! on the same shared-dsp code as the plugins. `main.rs` is the command-line front end.

pub mod album;
pub mod audio_file;
pub mod audio_reader;
pub mod block_meters;
pub mod cd;
pub mod contribution;
pub mod deliver;
pub mod demo;
pub mod interrupt;
pub mod mastering;
pub mod measure;
pub mod null_test;
pub mod parallel;
pub mod png;
pub mod progress;
pub mod render;
pub mod rf64;
pub mod rf64_writer;
pub mod session;
pub mod spill;
pub mod spilled_track;
pub mod staging;
pub mod stems;
pub mod wav_stream;
