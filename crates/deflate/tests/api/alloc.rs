//! A global allocator that counts live heap bytes per thread and remembers the peak, so a
//! test on a current-thread runtime can measure what it allocated while other tests run on
//! their own threads.
//!
//! The only `unsafe` in this crate's tests: `GlobalAlloc` is an unsafe trait, and each method
//! forwards to the system allocator with the caller's own arguments.
#![allow(unsafe_code)]

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

/// The counting allocator; install it with `#[global_allocator]`.
#[derive(Debug)]
pub(crate) struct Counting;

fn grow(bytes: usize) {
    // `try_with`: during thread teardown the counters may already be gone.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + bytes;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrink(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: every method forwards to `System` with the arguments it was given, so `System`'s
// guarantees carry over; the bookkeeping touches only const-initialised thread-locals, which
// never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which is `System::alloc`'s.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if new == ptr {
            // Resized in place: only the difference was ever live.
            grow(new_size.saturating_sub(layout.size()));
            shrink(layout.size().saturating_sub(new_size));
        } else if !new.is_null() {
            // Moved: the old block and the new one coexisted while the bytes were copied.
            grow(new_size);
            shrink(layout.size());
        }
        new
    }
}

/// Live heap bytes on this thread right now.
pub(crate) fn live() -> usize {
    LIVE.with(Cell::get)
}

/// Starts a measurement: the peak is reset to what is live now.
pub(crate) fn reset_peak() {
    PEAK.with(|peak| peak.set(live()));
}

/// The most heap this thread had live since [`reset_peak`].
pub(crate) fn peak() -> usize {
    PEAK.with(Cell::get)
}
