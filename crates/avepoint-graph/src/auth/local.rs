//! Each thread's copy of the token caches' current tokens.
//!
//! Every call takes the current token. Were every call to clone the one shared token (and its
//! `Authorization` header), calls running on different cores would all write the same
//! reference counts, and each such write moves the cache line from the other core: on a busy
//! multi-threaded runtime that costs more than the rest of the lookup. So each thread keeps
//! its own copy of a cache's token, tagged with the cache's generation (bumped whenever the
//! cache stores a token), and makes a new one when the generation moves on.

use std::cell::RefCell;
use std::time::Instant;

use super::AccessToken;

/// Copies kept per thread (one per token cache in use on it; the oldest goes first).
const MAX_COPIES: usize = 4;

/// A thread's copy of the token of the cache `cache` at `generation`.
struct Copy {
    cache: u64,
    generation: u64,
    token: AccessToken,
    expires_at: Option<Instant>,
}

thread_local! {
    static COPIES: RefCell<Vec<Copy>> = const { RefCell::new(Vec::new()) };
}

/// This thread's copy of cache `cache`'s token at `generation` and when it expires, if it
/// has one.
pub(super) fn get(cache: u64, generation: u64) -> Option<(AccessToken, Option<Instant>)> {
    COPIES
        .try_with(|copies| {
            let copies = copies.try_borrow().ok()?;
            copies
                .iter()
                .find(|c| c.cache == cache && c.generation == generation)
                .map(|c| (c.token.clone(), c.expires_at))
        })
        .ok()
        .flatten()
}

/// Keeps `token` (a [`AccessToken::thread_copy`]) as this thread's copy of cache `cache`'s
/// token at `generation`, in place of any older one of that cache.
pub(super) fn put(cache: u64, generation: u64, token: AccessToken, expires_at: Option<Instant>) {
    // Nothing is kept while the thread is being torn down (the next call makes a copy again).
    let _ = COPIES.try_with(|copies| {
        let Ok(mut copies) = copies.try_borrow_mut() else {
            return;
        };
        copies.retain(|c| c.cache != cache);
        if copies.len() >= MAX_COPIES {
            copies.remove(0);
        }
        copies.push(Copy {
            cache,
            generation,
            token,
            expires_at,
        });
    });
}
