//! Kernel-row buffers kept between SVC fits.
//!
//! A fit's row cache fills up to `cacheSize` (200 MB by default) with rows of
//! `n` `f32`s. Allocated fresh on every fit, that memory is first-touched
//! page by page: about 50,000 page faults and the kernel's page clearing per
//! fit, ~10 % of an rbf fit on 16,500 rows. Buffers freed by a finished fit
//! wait here for the next one (the folds of a cross-validation, the trials of
//! a search). Only memory is shared: every row is overwritten in full before
//! it is read, so no value passes from one fit to the next and results do not
//! depend on the pool. What it keeps is capped at [`KEEP_BYTES`]; beyond that,
//! freed buffers go back to the allocator as before.

use std::sync::Mutex;

/// At most this many bytes of idle buffers are kept (about two and a half
/// default-sized caches: enough for the fits that overlap in a parallel
/// search to find their memory here).
const KEEP_BYTES: usize = 512 << 20;

/// Idle buffers, and their total size in bytes.
static IDLE: Mutex<(Vec<Box<[f32]>>, usize)> = Mutex::new((Vec::new(), 0));

/// A buffer for a row of `n` values: an idle one of length `n..=2n` (the
/// caller uses its first `n` entries) or a new one. Its contents are
/// arbitrary.
pub(super) fn take(n: usize) -> Box<[f32]> {
    if let Ok(mut idle) = IDLE.lock()
        && let Some(pos) = idle.0.iter().rposition(|b| (n..=2 * n).contains(&b.len()))
    {
        let buf = idle.0.swap_remove(pos);
        idle.1 -= buf.len() * 4;
        return buf;
    }
    vec![0.0f32; n].into_boxed_slice()
}

/// Returns buffers that a finished fit no longer needs; those beyond the cap
/// are freed.
pub(super) fn give_back(bufs: impl IntoIterator<Item = Box<[f32]>>) {
    let Ok(mut idle) = IDLE.lock() else {
        return;
    };
    for buf in bufs {
        let bytes = buf.len() * 4;
        if idle.1 + bytes > KEEP_BYTES {
            break;
        }
        idle.1 += bytes;
        idle.0.push(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_up_to_the_cap() {
        // a length no other test uses, so parallel tests cannot take these
        let n = 1_234_567;
        let a = take(n);
        let ptr = a.as_ptr();
        give_back([a]);
        let b = take(n);
        assert_eq!(b.as_ptr(), ptr, "the idle buffer is handed out again");
        assert!(b.len() >= n && b.len() <= 2 * n);
        // nothing of a wrong size is handed out
        give_back([b]);
        assert_eq!(take(n / 3).len(), n / 3);
        assert_eq!(take(3 * n).len(), 3 * n);
        // the cap: more than KEEP_BYTES offered, at most KEEP_BYTES kept
        let many: Vec<Box<[f32]>> = (0..(KEEP_BYTES / (n * 4) + 3)).map(|_| take(n)).collect();
        give_back(many);
        assert!(IDLE.lock().unwrap().1 <= KEEP_BYTES);
    }
}
