//! Paging of the paginated routes: the `pageIndex`/`pageSize` query parameters, the
//! `{"data", "metadata"}` envelope, and paging faults that tests inject through
//! [`crate::FakeControl::inject_paging`].
//!
//! Paging faults apply to successful page responses only (after authentication and
//! validation), of both paginated routes, in the order queued:
//! * [`PagingFault::RepeatPreviousPage`] serves the page before the requested one again (page 1
//!   for page 1), as a stale cache or an off-by-one server would;
//! * [`PagingFault::TotalCountOffset`] reports `totalCount` shifted by a number (never below
//!   zero) without changing the data, as a count that changes during a walk would.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;

use avepoint_graph_raw::types::PageMetadata;

/// The default `pageIndex`.
pub const DEFAULT_PAGE_INDEX: u32 = 1;
/// The default `pageSize`.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest `pageSize` accepted.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The paging parameters of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageParams {
    /// 1-based page index.
    pub(crate) index: u32,
    /// Items per page.
    pub(crate) size: u32,
}

impl PageParams {
    /// The position of the first item of the page.
    pub(crate) fn offset(self) -> u64 {
        u64::from(self.index - 1) * u64::from(self.size)
    }
}

/// Parses `pageIndex` (default 1, from 1 to `i32::MAX`) and `pageSize` (default 50,
/// 1..=100) from the raw query: decimal digits only, each given at most once.
pub(crate) fn parse_page_params(query: Option<&str>) -> Result<PageParams, String> {
    let mut index = None;
    let mut size = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match name.as_ref() {
            "pageIndex" => &mut index,
            "pageSize" => &mut size,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("`{name}` is given more than once"));
        }
        *slot = Some(value.into_owned());
    }
    let number = |name: &str, raw: Option<String>, default: u32, max: u32| match raw {
        None => Ok(default),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|v| raw.bytes().all(|b| b.is_ascii_digit()) && (1..=max).contains(v))
            .ok_or_else(|| format!("`{name}` must be an integer from 1 to {max}, not `{raw}`")),
    };
    Ok(PageParams {
        index: number("pageIndex", index, DEFAULT_PAGE_INDEX, i32::MAX as u32)?,
        size: number("pageSize", size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?,
    })
}

/// A paging misbehaviour to inject; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingFault {
    /// Serve the page before the requested one (page 1 for page 1), with its index.
    RepeatPreviousPage,
    /// Report `totalCount` plus this number (at least zero), with the right data.
    TotalCountOffset(i64),
}

/// A paging fault for the next `times` page responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptedPagingFault {
    /// The fault.
    pub fault: PagingFault,
    /// How many consecutive page responses get it.
    pub times: u32,
}

/// The queue of paging faults of a server.
#[derive(Debug, Default)]
pub(crate) struct PagingFaults {
    queue: Mutex<VecDeque<ScriptedPagingFault>>,
}

impl PagingFaults {
    pub(crate) fn new(script: &[ScriptedPagingFault]) -> Self {
        let faults = Self::default();
        for s in script {
            faults.inject(s.fault, s.times);
        }
        faults
    }

    pub(crate) fn inject(&self, fault: PagingFault, times: u32) {
        if times > 0 {
            self.lock().push_back(ScriptedPagingFault { fault, times });
        }
    }

    /// The fault for the next page response, if any.
    pub(crate) fn next(&self) -> Option<PagingFault> {
        let mut queue = self.lock();
        let front = queue.front_mut()?;
        let fault = front.fault;
        front.times -= 1;
        if front.times == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    pub(crate) fn pending(&self) -> u64 {
        self.lock().iter().map(|s| u64::from(s.times)).sum()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ScriptedPagingFault>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The page to serve for `requested` under `fault`.
pub(crate) fn served_page(requested: PageParams, fault: Option<PagingFault>) -> PageParams {
    match fault {
        Some(PagingFault::RepeatPreviousPage) => PageParams {
            index: requested.index.saturating_sub(1).max(1),
            ..requested
        },
        _ => requested,
    }
}

/// The metadata of page `page` of a listing of `total` items, under `fault`.
pub(crate) fn metadata(page: PageParams, total: u64, fault: Option<PagingFault>) -> PageMetadata {
    let total = match fault {
        Some(PagingFault::TotalCountOffset(offset)) => total.saturating_add_signed(offset),
        _ => total,
    };
    PageMetadata {
        // Both are at least 1 (parse_page_params, served_page).
        page_index: NonZeroU32::new(page.index).unwrap_or(NonZeroU32::MIN),
        page_size: NonZeroU32::new(page.size).unwrap_or(NonZeroU32::MIN),
        total_count: i64::try_from(total).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_params() {
        assert_eq!(
            parse_page_params(None),
            Ok(PageParams { index: 1, size: 50 })
        );
        assert_eq!(
            parse_page_params(Some("pageIndex=3&pageSize=100&x=1")),
            Ok(PageParams {
                index: 3,
                size: 100
            })
        );
        for bad in [
            "pageIndex=0",
            "pageIndex=-1",
            "pageIndex=1.5",
            "pageIndex=abc",
            "pageIndex=",
            "pageIndex=%2B1",
            "pageIndex=2147483648",
            "pageSize=0",
            "pageSize=101",
            "pageSize=-5",
            "pageSize=ten",
            "pageSize=1&pageSize=2",
        ] {
            assert!(parse_page_params(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn faults_are_taken_in_order() {
        let faults = PagingFaults::new(&[ScriptedPagingFault {
            fault: PagingFault::RepeatPreviousPage,
            times: 2,
        }]);
        faults.inject(PagingFault::TotalCountOffset(-3), 1);
        assert_eq!(faults.pending(), 3);
        assert_eq!(faults.next(), Some(PagingFault::RepeatPreviousPage));
        assert_eq!(faults.next(), Some(PagingFault::RepeatPreviousPage));
        assert_eq!(faults.next(), Some(PagingFault::TotalCountOffset(-3)));
        assert_eq!(faults.next(), None);
        let p = PageParams { index: 1, size: 10 };
        assert_eq!(served_page(p, Some(PagingFault::RepeatPreviousPage)), p);
        assert_eq!(
            metadata(p, 2, Some(PagingFault::TotalCountOffset(-5))).total_count,
            0
        );
    }
}
