//! Computed answers kept per key until the data version moves: the same rule as
//! [`super::ShowbackCache`], for any key and value (the movement between two months, a
//! trend). Requests that arrive while an answer is being computed wait for that one
//! computation.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

type Slot<V> = Arc<OnceCell<Arc<V>>>;

/// Answers kept at one data version, at most `capacity` of them (past it, all are forgotten).
pub struct VersionedCache<K, V> {
    inner: Arc<Mutex<Kept<K, V>>>,
    capacity: usize,
}

impl<K, V> Clone for VersionedCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            capacity: self.capacity,
        }
    }
}

struct Kept<K, V> {
    version: i64,
    answers: HashMap<K, Slot<V>>,
}

impl<K: Eq + Hash + Clone, V> VersionedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Kept {
                version: 0,
                answers: HashMap::new(),
            })),
            capacity,
        }
    }

    /// The answer for `key` at `version`: the kept one, or `compute`'s, which is then kept.
    /// A failed computation is not kept.
    pub async fn get_or_compute<F, E>(&self, version: i64, key: K, compute: F) -> Result<Arc<V>, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let Some(slot) = self.slot(version, key) else {
            return compute.await.map(Arc::new);
        };
        slot.get_or_try_init(|| async { compute.await.map(Arc::new) })
            .await
            .cloned()
    }

    fn slot(&self, version: i64, key: K) -> Option<Slot<V>> {
        let mut kept = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if version < kept.version {
            return None;
        }
        if version > kept.version {
            kept.version = version;
            kept.answers.clear();
        }
        if kept.answers.len() >= self.capacity && !kept.answers.contains_key(&key) {
            kept.answers.clear();
        }
        Some(kept.answers.entry(key).or_default().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoreError;

    #[tokio::test]
    async fn kept_per_key_until_the_version_moves() {
        let cache: VersionedCache<&str, i32> = VersionedCache::new(2);
        let get = |v, k, x| {
            let cache = cache.clone();
            async move {
                *cache
                    .get_or_compute(v, k, async move { Ok::<_, StoreError>(x) })
                    .await
                    .unwrap()
            }
        };
        assert_eq!(get(1, "a", 1).await, 1);
        assert_eq!(get(1, "a", 2).await, 1, "kept");
        assert_eq!(get(1, "b", 3).await, 3);
        assert_eq!(get(2, "a", 4).await, 4, "a new version computes anew");
        assert_eq!(get(1, "a", 5).await, 5, "an older reader is not filed");
        assert_eq!(get(2, "a", 6).await, 4);
        let failed = cache
            .get_or_compute(2, "c", async { Err::<i32, _>(StoreError::NotFound) })
            .await;
        assert!(failed.is_err());
        assert_eq!(get(2, "c", 7).await, 7, "a failure is not kept");
    }
}
