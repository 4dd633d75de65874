//! A TCP proxy in front of PostgreSQL that the test can cut (every connection dropped, new
//! ones refused at once) and restore: the database "stopped" without stopping the server
//! that other tests share.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

pub struct Proxy {
    pub port: u16,
    down: Arc<AtomicBool>,
    cut: broadcast::Sender<()>,
}

impl Proxy {
    pub async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let (cut, _) = broadcast::channel::<()>(4);
        let (d, c) = (down.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut stop = c.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = stop.recv() => {}
                    }
                });
            }
        });
        Proxy { port, down, cut }
    }

    /// Drops every open connection and refuses new ones.
    pub async fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        let _ = self.cut.send(());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    pub async fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}
