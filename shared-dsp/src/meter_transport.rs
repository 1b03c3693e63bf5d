//! Audio → GUI meter transport: lock-free, allocation-free on the audio side, published once
//! per block.
//!
//! Scalars travel as [`ScalarMeter`] (`atomic_float::AtomicF32`, relaxed ordering: each
//! value is independent and only the latest matters). Arrays and multi-field readings travel
//! as a `Copy` value through a `triple_buffer` (wait-free; the reader always gets the newest
//! complete value, never a torn mix of two blocks). <https://docs.rs/triple_buffer/9.0.1>

use std::sync::atomic::Ordering;

use atomic_float::AtomicF32;

/// One scalar reading shared between the audio thread (writer) and the GUI (reader), e.g.
/// in an `Arc` held by both.
#[derive(Debug, Default)]
pub struct ScalarMeter {
    /// The latest published value (written by the audio thread).
    value: AtomicF32,
}

impl ScalarMeter {
    /// A meter holding `initial`.
    pub fn new(initial: f32) -> Self {
        Self {
            value: AtomicF32::new(initial),
        }
    }

    /// Publishes `value` (audio thread; never blocks or allocates).
    #[inline]
    pub fn publish(&self, value: f32) {
        self.value.store(value, Ordering::Relaxed);
    }

    /// The latest published value (GUI thread).
    #[inline]
    pub fn read(&self) -> f32 {
        self.value.load(Ordering::Relaxed)
    }
}

/// Audio-thread end of an array/readings meter.
pub struct ReadingsWriter<T: Copy + Send> {
    /// Triple-buffer input.
    input: triple_buffer::Input<T>,
}

/// GUI end of an array/readings meter.
pub struct ReadingsReader<T: Copy + Send> {
    /// Triple-buffer output.
    output: triple_buffer::Output<T>,
}

/// Creates a connected writer/reader pair holding `initial` (allocates the three buffers).
pub fn readings_channel<T: Copy + Send>(initial: T) -> (ReadingsWriter<T>, ReadingsReader<T>) {
    let (input, output) = triple_buffer::triple_buffer(&initial);
    (ReadingsWriter { input }, ReadingsReader { output })
}

impl<T: Copy + Send> ReadingsWriter<T> {
    /// Publishes one block's readings (wait-free; never allocates).
    #[inline]
    pub fn publish(&mut self, readings: T) {
        self.input.write(readings);
    }
}

impl<T: Copy + Send> ReadingsReader<T> {
    /// The newest published readings (wait-free).
    #[inline]
    pub fn read(&mut self) -> T {
        *self.output.read()
    }

    /// True when the writer has published since the last `read`.
    pub fn has_update(&self) -> bool {
        self.output.updated()
    }
}
