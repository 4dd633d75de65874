//! Computed reports kept per key (a month, a team's month, ...) until the data version moves.
//!
//! A report changes only when something it reads changes, and every such change bumps the
//! data version (see `storage::data_version`). So a report computed at version `v` answers
//! every request that finds the version still at `v`, and requests that arrive while it is
//! being computed wait for that one computation instead of starting their own: 32 concurrent
//! page loads cost one month read, not 32.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokentally_domain::drilldown::{FeatureDrilldown, TeamDrilldown};
use tokentally_domain::month::Month;
use tokentally_domain::movement::Movement;
use tokentally_domain::recommendation::MonthRecommendations;
use tokentally_domain::showback::{MonthData, Showback};
use tokentally_domain::trend::TrendPoint;
use tokio::sync::OnceCell;

/// Showbacks kept per month (a page reads its month and the twelve before it).
pub type ShowbackCache = Kept<Month, Showback, 48>;

/// Months as the drill-down pages read them (users included); a few, as each holds a month's
/// daily rows.
pub type MonthDataCache = Kept<Month, MonthData, 3>;

/// Team drill-downs kept per month and team; `None` when the team had nothing in the month.
pub type TeamCache = Kept<(Month, String), Option<TeamDrilldown>, 256>;

/// Feature drill-downs kept per month, team and feature.
pub type FeatureCache = Kept<(Month, String, String), Option<FeatureDrilldown>, 1024>;

/// A movement's months and scope: `from`, `to`, and the team and feature, if any.
pub type MovementKey = (Month, Month, Option<String>, Option<String>);

/// Movements between two months per scope (see `app::movement`): a page for each team and
/// feature of a month or two.
pub type MovementCache = Kept<MovementKey, Movement, 512>;

/// A feature's trend: its last month, team and feature.
pub type TrendKey = (Month, String, String);

/// Features' trends (see `app::trends`): twelve months of reads each.
pub type TrendCache = Kept<TrendKey, Vec<TrendPoint>, 512>;

/// The (team, environment) pairs with usage in a month (see `app::environments`).
pub type EnvironmentCache = Kept<Month, std::collections::BTreeSet<(String, String)>, 24>;

/// The month's recommendations for everyone (see `app::recommendations`).
pub type RecommendationCache = Kept<Month, MonthRecommendations, 24>;

type Slot<V> = Arc<OnceCell<Arc<V>>>;

/// Answers of type `V` kept per key `K` at one data version; past `N` keys all are forgotten
/// (the next reads compute them again), which bounds the memory they hold.
pub struct Kept<K, V, const N: usize> {
    inner: Arc<Mutex<Versioned<K, V>>>,
}

impl<K, V, const N: usize> Clone for Kept<K, V, N> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K, V, const N: usize> Default for Kept<K, V, N> {
    fn default() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Versioned {
                version: 0,
                kept: HashMap::new(),
            })),
        }
    }
}

struct Versioned<K, V> {
    version: i64,
    kept: HashMap<K, Slot<V>>,
}

impl<K: Eq + Hash + Clone, V, const N: usize> Kept<K, V, N> {
    /// The answer for `key` at `version`: the kept one, or `compute`'s, which is then kept.
    /// A failed computation is not kept, so the next request tries again.
    pub async fn get_or_compute<F, E>(&self, version: i64, key: K, compute: F) -> Result<Arc<V>, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let Some(slot) = self.slot(version, key) else {
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
        self.lock().kept.clear();
    }

    fn slot(&self, version: i64, key: K) -> Option<Slot<V>> {
        let mut kept = self.lock();
        if version < kept.version {
            return None;
        }
        if version > kept.version {
            kept.version = version;
            kept.kept.clear();
        }
        if kept.kept.len() >= N && !kept.kept.contains_key(&key) {
            kept.kept.clear();
        }
        Some(kept.kept.entry(key).or_default().clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Versioned<K, V>> {
        // Nothing is computed under the lock, so a poisoned one holds consistent data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::storage::StoreError;

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
            async move { Ok::<_, StoreError>(showback(total)) }
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
                        Ok::<_, StoreError>(showback(7))
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
            .get_or_compute(7, april, async { Ok::<_, StoreError>(showback(9)) })
            .await
            .unwrap();
        assert_eq!(retried.org_total, 9.into());
    }
}
