//! A server's claim on a connection, kept alive while its pull runs.
//!
//! A claim holds for a short lease (`Config::pull_lease`, [`super::LEASE`] by default); a task
//! renews it every third of that while the pull runs, and stops when the pull ends. So the
//! claim of a server that died (or whose pull was dropped) lapses within one lease, and
//! another server, or an admin's "pull now", takes the connection; the claim of a live pull
//! never lapses. A renewal takes only where the claim is still the one this server wrote (the
//! exact `lease_until_ms`), so a server whose claim lapsed and was taken by another learns it
//! ([`Heartbeat::lost`]) and stores nothing more.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::storage::{Store, now_ms_pub};

/// The end of a lease taken now.
pub fn lease_from_now(lease: Duration) -> i64 {
    now_ms_pub() + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Renews a claim until stopped (or dropped).
pub struct Heartbeat {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<i64>>,
    lost: Arc<AtomicBool>,
    held_at_start: i64,
}

impl Heartbeat {
    /// Starts renewing the claim on connection `id` that this server took until `held`.
    pub fn start(store: Store, id: i64, held: i64, lease: Duration) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let flag = lost.clone();
        let every = (lease / 3).max(Duration::from_millis(10));
        let task = tokio::spawn(async move {
            let mut held = held;
            loop {
                tokio::select! {
                    _ = &mut stopped => return held,
                    () = tokio::time::sleep(every) => {}
                }
                let until = lease_from_now(lease);
                match store.renew_connection_claim(id, held, until).await {
                    Ok(true) => held = until,
                    Ok(false) => {
                        tracing::warn!(
                            connection = id,
                            "this server's claim on the connection lapsed and was taken"
                        );
                        flag.store(true, Ordering::SeqCst);
                        return held;
                    }
                    // The next beat tries again; the lease leaves time for two more.
                    Err(e) => {
                        tracing::warn!(connection = id, error = %e, "renewing a claim failed")
                    }
                }
            }
        });
        Heartbeat {
            stop: Some(stop),
            task: Some(task),
            lost,
            held_at_start: held,
        }
    }

    /// Another server took the connection: this server's claim lapsed.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Stops renewing; answers the end of the lease held now, `None` when the claim was lost.
    pub async fn stop(mut self) -> Option<i64> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let held = match self.task.take() {
            Some(task) => task.await.unwrap_or(self.held_at_start),
            None => self.held_at_start,
        };
        (!self.lost()).then_some(held)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        // A pull dropped half way (its request hung up): the claim lapses within a lease.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
