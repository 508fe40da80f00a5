//! The receiver's own input buffer, for [`crate::Receiver::receive_ref`]: reads land in it,
//! and a message that arrives as one frame is unmasked where it lies and lent to the caller
//! from there, with no copy.
//!
//! `futures::AsyncRead` reads only into initialised memory, and zeroing a buffer before
//! each read costs as much as the copy it saves. So the buffer is zeroed once and then kept
//! initialised: [`InBuf`] tracks which part holds unread input itself instead of truncating
//! the `Vec`. While a connection waits for input with nothing unread, its buffer goes back
//! to a small per-thread pool, so idle connections hold no input memory and busy ones
//! reuse memory that is already initialised.

use std::{cell::RefCell, fmt, ops::Range};

/// The most bytes of idle input buffers one thread keeps for reuse.
const POOL_MAX_BYTES: usize = 4 * 1024 * 1024;

/// The most idle input buffers one thread keeps for reuse.
const POOL_MAX_BUFFERS: usize = 16;

std::thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { buffers: Vec::new(), bytes: 0 }) };
}

/// Initialised buffers that no connection is using, for the next one that needs one.
struct Pool {
    buffers: Vec<Vec<u8>>,
    /// The capacity of all of `buffers`.
    bytes: usize,
}

// The small accessors below are `#[inline]`: the receiver calls them for every message, and
// being non-generic they are otherwise compiled once, possibly in another codegen unit, and
// called. With these and `Receiving::data_frame` and `Deadlines::on_read` marked, an echo
// server ran 3507 instead of 3563 user-space instructions per 16-byte message
// (`cargo xtask bench --only instructions`).

/// An input buffer that stays initialised: `buf[pos..end]` is input not yet used, and the
/// rest of `buf` is room for reads (its contents are stale bytes, never looked at).
#[derive(Default)]
pub(crate) struct InBuf {
    buf: Vec<u8>,
    pos: usize,
    end: usize,
}

impl fmt::Debug for InBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InBuf")
            .field("unread", &(self.end - self.pos))
            .field("size", &self.buf.len())
            .finish()
    }
}

impl InBuf {
    /// Whether no input is waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.end
    }

    /// The input not used yet.
    #[inline]
    pub(crate) fn unread(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// The input not used yet, to unmask in place.
    #[inline]
    pub(crate) fn unread_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.pos..self.end]
    }

    /// Where the unread input starts, for turning ranges within it into ranges of the buffer.
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Marks `n` bytes of the unread input as used.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.pos);
        self.pos += n;
    }

    /// Bytes of the buffer by absolute position (from [`InBuf::pos`]).
    #[inline]
    pub(crate) fn get(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// Room for `want` bytes after the unread input, for a read to fill (then call
    /// [`InBuf::filled`]). Moves the unread input to the front when that makes the room, and
    /// grows the buffer (zeroing only the new part) when it does not.
    pub(crate) fn room(&mut self, want: usize) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = take_from_pool();
            if self.buf.is_empty() {
                // Zeroed by the allocator: large sizes come as fresh zero pages, which take
                // memory only once a read writes them.
                self.buf = vec![0; want];
            }
        }
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < want {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            if self.buf.len() - self.end < want {
                self.buf.resize(self.end + want, 0);
            }
        }
        &mut self.buf[self.end..self.end + want]
    }

    /// Records that a read put `n` bytes at the start of the last [`InBuf::room`].
    #[inline]
    pub(crate) fn filled(&mut self, n: usize) {
        debug_assert!(self.end + n <= self.buf.len());
        self.end += n;
    }

    /// Appends `bytes` to the unread input.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.room(bytes.len()).copy_from_slice(bytes);
        self.filled(bytes.len());
    }

    /// Gives the memory back to this thread's pool if no input is waiting.
    pub(crate) fn release(&mut self) {
        if self.is_empty() && !self.buf.is_empty() {
            give_to_pool(std::mem::take(&mut self.buf));
            self.pos = 0;
            self.end = 0;
        }
    }

    /// Drops the unread input and gives the memory back to this thread's pool.
    pub(crate) fn clear(&mut self) {
        self.pos = self.end;
        self.release();
    }
}

/// An initialised buffer from this thread's pool, or an empty one.
fn take_from_pool() -> Vec<u8> {
    POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        let buf = pool.buffers.pop()?;
        pool.bytes -= buf.capacity();
        Some(buf)
    })
    .ok()
    .flatten()
    .unwrap_or_default()
}

/// Keeps `buf` for the next connection on this thread that needs one, within the pool's
/// bounds; drops it otherwise (also during thread teardown).
fn give_to_pool(buf: Vec<u8>) {
    let _ = POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.buffers.len() < POOL_MAX_BUFFERS && pool.bytes + buf.capacity() <= POOL_MAX_BYTES {
            pool.bytes += buf.capacity();
            pool.buffers.push(buf);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_keeps_the_unread_input_and_reuses_the_front() {
        let mut b = InBuf::default();
        b.extend_from_slice(b"abcdef");
        b.consume(4);
        assert_eq!(b.unread(), b"ef");
        let size = b.buf.len();
        // The buffer is full: the room comes from moving "ef" to the front.
        let room = b.room(size - 2);
        assert_eq!(room.len(), size - 2);
        room[..2].copy_from_slice(b"gh");
        b.filled(2);
        assert_eq!(b.unread(), b"efgh");
        assert_eq!((b.pos(), b.buf.len()), (0, size));
        // More than fits: it grows, keeping the input.
        b.room(size);
        assert_eq!(b.unread(), b"efgh");
        assert_eq!(b.buf.len(), 4 + size);
    }

    #[test]
    fn released_buffers_are_reused_initialised_within_the_pool_bounds() {
        let mut a = InBuf::default();
        a.extend_from_slice(&[7; 1000]);
        // Input is waiting: release keeps the buffer.
        a.release();
        assert_eq!(a.unread().len(), 1000);
        a.consume(1000);
        a.release();
        assert!(a.buf.is_empty());
        let mut b = InBuf::default();
        // The same memory, stale bytes and all: nothing was zeroed again.
        b.room(10);
        assert_eq!(b.buf.len(), 1000);
        assert_eq!(b.buf[999], 7);
        b.clear();
        // A buffer over the pool's size is dropped, not kept.
        let mut big = InBuf::default();
        big.room(POOL_MAX_BYTES + 1);
        big.release();
        let before = POOL.with(|p| p.borrow().bytes);
        assert!(before <= POOL_MAX_BYTES);
        assert!(POOL.with(|p| p.borrow().buffers.iter().all(|b| b.len() <= POOL_MAX_BYTES)));
    }
}
