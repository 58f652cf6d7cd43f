//! Byte sinks: where serializers and the signature-base builder write their output.
//!
//! Writing into a [`Sink`] never fails from the writer's point of view; a bounded sink records
//! overflow and reports it when the caller asks ([`SliceSink::finish`]). This keeps serializers
//! simple and lets the base stream straight into the Ed25519 hash with no buffer at all.

/// A destination for bytes.
pub trait Sink {
    /// Appends `bytes`.
    fn write(&mut self, bytes: &[u8]);
}

/// A sink that writes into a caller-provided slice and remembers whether it overflowed.
#[derive(Debug)]
pub struct SliceSink<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: bool,
}

impl<'b> SliceSink<'b> {
    /// A sink over `buf`, initially empty.
    pub fn new(buf: &'b mut [u8]) -> Self {
        SliceSink {
            buf,
            len: 0,
            overflow: false,
        }
    }

    /// Bytes written so far (excluding anything that did not fit).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether a write did not fit.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// The written bytes, or `None` if anything did not fit.
    pub fn finish(self) -> Option<&'b [u8]> {
        if self.overflow {
            None
        } else {
            let len = self.len;
            self.buf.get(..len)
        }
    }
}

impl Sink for SliceSink<'_> {
    fn write(&mut self, bytes: &[u8]) {
        if self.overflow {
            return;
        }
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
    }
}

/// A sink that only counts bytes (used to size buffers).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingSink {
    /// Bytes written so far.
    pub count: usize,
}

impl Sink for CountingSink {
    fn write(&mut self, bytes: &[u8]) {
        self.count = self.count.saturating_add(bytes.len());
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn write(&mut self, bytes: &[u8]) {
        (**self).write(bytes)
    }
}
