//! Any computed answer kept per data version: statements drafts, reconciliation,
//! scorecards, workflow listings, the key and model pages' tables.
//!
//! One store for answers of many types: each is filed under its type and a key the caller
//! writes (the month, the scope, what the caller may see), so two kinds of answer never
//! meet. A request that asks for a fresh read (`Cache-Control: no-cache`) runs inside
//! [`computed_anew`], and every answer it asks for is then computed from the database, past
//! what is kept, and not filed.

use std::any::{Any, TypeId};
use std::future::Future;

use super::Kept;

type Kind = (TypeId, String);
type Boxed = Box<dyn Any + Send + Sync>;

/// Answers of any type, kept per type and key at one data version (at most 1,024).
#[derive(Clone, Default)]
pub struct Answers {
    kept: Kept<Kind, Boxed, 1024>,
}

tokio::task_local! {
    /// Set for the requests that asked to be computed anew.
    static FRESH: bool;
}

/// Runs `f` as a request that asked to be computed anew when `fresh`: the answers it asks
/// for are computed from the database and not kept.
pub async fn computed_anew<F: Future>(fresh: bool, f: F) -> F::Output {
    FRESH.scope(fresh, f).await
}

/// Whether the running request asked to be computed anew.
pub fn is_fresh() -> bool {
    FRESH.try_with(|f| *f).unwrap_or(false)
}

impl Answers {
    /// The answer of type `T` for `key` at `version`: the kept one, or `compute`'s, which is
    /// then kept (unless the request asked to be computed anew).
    pub async fn get_or_compute<T, E, F>(
        &self,
        version: i64,
        key: String,
        compute: F,
    ) -> Result<T, E>
    where
        T: Any + Clone + Send + Sync,
        F: Future<Output = Result<T, E>>,
    {
        if is_fresh() {
            return compute.await;
        }
        let kept = self
            .kept
            .get_or_compute(version, (TypeId::of::<T>(), key), async {
                compute.await.map(|v| Box::new(v) as Boxed)
            })
            .await?;
        // Filed under its own type, so the cast holds.
        Ok(kept
            .downcast_ref::<T>()
            .expect("an answer is filed under its own type")
            .clone())
    }

    pub fn clear(&self) {
        self.kept.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn answers_are_kept_per_type_key_and_version_and_fresh_requests_skip_them() {
        let answers = Answers::default();
        let runs = AtomicUsize::new(0);
        let number = |n: u32| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, ()>(n) }
        };
        assert_eq!(
            answers.get_or_compute(1, "a".into(), number(1)).await,
            Ok(1)
        );
        assert_eq!(
            answers.get_or_compute(1, "a".into(), number(2)).await,
            Ok(1)
        );
        // Another type under the same key is another answer.
        let text = answers
            .get_or_compute(1, "a".into(), async { Ok::<_, ()>("text".to_owned()) })
            .await;
        assert_eq!(text.as_deref(), Ok("text"));
        // A fresh request computes anew and files nothing.
        let fresh = computed_anew(true, answers.get_or_compute(1, "a".into(), number(3))).await;
        assert_eq!(fresh, Ok(3));
        assert_eq!(
            answers.get_or_compute(1, "a".into(), number(4)).await,
            Ok(1)
        );
        // The version moved: computed again.
        assert_eq!(
            answers.get_or_compute(2, "a".into(), number(5)).await,
            Ok(5)
        );
        assert_eq!(runs.load(Ordering::SeqCst), 5);
    }
}
