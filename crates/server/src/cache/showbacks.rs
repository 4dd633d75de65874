//! Computed showbacks kept per month until the data version moves.
//!
//! A month's showback changes only when something it reads changes, and every such change
//! bumps the data version (see `storage::data_version`). So a showback computed at version
//! `v` answers every request that finds the version still at `v`, and requests that arrive
//! while it is being computed wait for that one computation instead of starting their own:
//! 32 concurrent page loads cost one month read, not 32.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokentally_domain::month::Month;
use tokentally_domain::showback::Showback;
use tokio::sync::OnceCell;

use crate::storage::StoreError;

/// Months kept at one version; past it the oldest-computed are forgotten (a page reads its
/// month and the twelve before it).
const MONTHS_KEPT: usize = 48;

type Slot = Arc<OnceCell<Arc<Showback>>>;

#[derive(Clone, Default)]
pub struct ShowbackCache {
    inner: Arc<Mutex<Kept>>,
}

#[derive(Default)]
struct Kept {
    version: i64,
    months: HashMap<Month, Slot>,
}

impl ShowbackCache {
    /// The month's showback at `version`: the kept one, or `compute`'s, which is then kept.
    /// A failed computation is not kept, so the next request tries again.
    pub async fn get_or_compute<F>(
        &self,
        version: i64,
        month: Month,
        compute: F,
    ) -> Result<Arc<Showback>, StoreError>
    where
        F: Future<Output = Result<Showback, StoreError>>,
    {
        let Some(slot) = self.slot(version, month) else {
            // A reader that saw an older version than the kept one: its data may be older
            // too, so it is not filed.
            return compute.await.map(Arc::new);
        };
        slot.get_or_try_init(|| async { compute.await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Forgets everything: when the version could not be bumped after a change.
    pub fn clear(&self) {
        self.lock().months.clear();
    }

    fn slot(&self, version: i64, month: Month) -> Option<Slot> {
        let mut kept = self.lock();
        if version < kept.version {
            return None;
        }
        if version > kept.version {
            kept.version = version;
            kept.months.clear();
        }
        if kept.months.len() >= MONTHS_KEPT && !kept.months.contains_key(&month) {
            kept.months.clear();
        }
        Some(kept.months.entry(month).or_default().clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Nothing is computed under the lock, so a poisoned one holds consistent data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn march() -> Month {
        "2026-03".parse().unwrap()
    }

    fn showback(total: i64) -> Showback {
        let mut sb = tokentally_domain::showback::showback(
            march(),
            "USD",
            &Default::default(),
            None,
            &tokentally_domain::catalog::PriceBook::new(Vec::new()),
            &tokentally_domain::attribution::Attributor::new(Vec::new(), Vec::new()),
        );
        sb.org_total = total.into();
        sb
    }

    #[tokio::test]
    async fn one_computation_per_month_and_version() {
        let cache = ShowbackCache::default();
        let runs = AtomicUsize::new(0);
        let compute = |total| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move { Ok(showback(total)) }
        };
        let a = cache.get_or_compute(1, march(), compute(1)).await.unwrap();
        let b = cache.get_or_compute(1, march(), compute(2)).await.unwrap();
        assert_eq!((a.org_total, b.org_total), (1.into(), 1.into()));
        // The version moved: computed again, and kept at the new version.
        let c = cache.get_or_compute(2, march(), compute(3)).await.unwrap();
        let d = cache.get_or_compute(2, march(), compute(4)).await.unwrap();
        assert_eq!((c.org_total, d.org_total), (3.into(), 3.into()));
        // A late reader of version 1 gets its own answer, which does not replace version 2's.
        let e = cache.get_or_compute(1, march(), compute(5)).await.unwrap();
        let f = cache.get_or_compute(2, march(), compute(6)).await.unwrap();
        assert_eq!((e.org_total, f.org_total), (5.into(), 3.into()));
        assert_eq!(runs.load(Ordering::SeqCst), 6, "every closure is built");
    }

    #[tokio::test]
    async fn concurrent_readers_share_one_computation_and_failures_are_not_kept() {
        let cache = ShowbackCache::default();
        let computed = Arc::new(AtomicUsize::new(0));
        let readers = (0..16).map(|_| {
            let cache = cache.clone();
            let computed = computed.clone();
            tokio::spawn(async move {
                cache
                    .get_or_compute(7, march(), async move {
                        computed.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok(showback(7))
                    })
                    .await
            })
        });
        for r in readers.collect::<Vec<_>>() {
            assert_eq!(r.await.unwrap().unwrap().org_total, 7.into());
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);

        let april: Month = "2026-04".parse().unwrap();
        let failed = cache
            .get_or_compute(7, april, async { Err(StoreError::Corrupt("test".into())) })
            .await;
        assert!(failed.is_err());
        let retried = cache
            .get_or_compute(7, april, async { Ok(showback(9)) })
            .await
            .unwrap();
        assert_eq!(retried.org_total, 9.into());
    }
}
