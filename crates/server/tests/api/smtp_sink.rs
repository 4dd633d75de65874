//! A local SMTP server that keeps what it is sent: enough of SMTP for lettre (EHLO, STARTTLS,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT), with STARTTLS on the test CA's certificate (see
//! [`crate::https_fake::CA`]), which only the app under test trusts.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// One message received.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing undone.
    pub data: String,
    /// It came over TLS (after STARTTLS).
    pub secure: bool,
}

impl Received {
    /// The decoded body of the part of `content_type` (`text/plain`, `text/html`).
    pub fn part(&self, content_type: &str) -> String {
        let data = self.data.replace("\r\n", "\n");
        let start = data
            .find(&format!("Content-Type: {content_type}"))
            .unwrap_or_else(|| panic!("no {content_type} part in {data}"));
        let part = &data[start..];
        let (headers, rest) = part.split_once("\n\n").expect("a part's headers end");
        let body = rest.split("\n--").next().unwrap_or_default();
        let encoding = headers
            .lines()
            .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
            .unwrap_or("7bit")
            .trim()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => {
                use base64::Engine;
                let compact: String = body.split_whitespace().collect();
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(compact)
                        .expect("base64"),
                )
                .expect("utf-8")
            }
            "quoted-printable" => quoted_printable(body),
            _ => body.to_owned(),
        }
    }

    /// A header's value (the first line of it).
    pub fn header(&self, name: &str) -> Option<String> {
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

pub type Inbox = Arc<Mutex<Vec<Received>>>;

/// Serves SMTP on 127.0.0.1; answers its port and what it receives. With `starttls`, it
/// offers STARTTLS.
pub async fn smtp_sink(starttls: bool) -> (u16, Inbox) {
    let inbox: Inbox = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let port = listener.local_addr().expect("an address").port();
    let acceptor = starttls.then(tls_acceptor);
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, inbox) = (acceptor.clone(), kept.clone());
            tokio::spawn(async move {
                let Some(tcp) = session(tcp, acceptor.is_some(), false, &inbox).await else {
                    return;
                };
                if let Some(acceptor) = acceptor
                    && let Ok(tls) = acceptor.accept(tcp).await
                {
                    session(tls, false, true, &inbox).await;
                }
            });
        }
    });
    (port, inbox)
}

fn tls_acceptor() -> TlsAcceptor {
    let ca = &*crate::https_fake::CA;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![ca.leaf_cert()], ca.leaf_key())
    .expect("a server certificate");
    TlsAcceptor::from(Arc::new(config))
}

/// One SMTP conversation; answers the stream when the client asked for STARTTLS.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    offer_tls: bool,
    secure: bool,
    inbox: &Inbox,
) -> Option<S> {
    let mut io = BufReader::new(stream);
    if !secure {
        io.get_mut().write_all(b"220 sink ESMTP\r\n").await.ok()?;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if io.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            if offer_tls {
                b"250-sink\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
            } else {
                b"250-sink\r\n250 8BITMIME\r\n"
            }
        } else if upper == "STARTTLS" && offer_tls {
            io.get_mut().write_all(b"220 go ahead\r\n").await.ok()?;
            return Some(io.into_inner());
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line);
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line));
            b"250 ok\r\n"
        } else if upper == "DATA" {
            io.get_mut().write_all(b"354 send it\r\n").await.ok()?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if io.read_line(&mut l).await.ok()? == 0 {
                    return None;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(
                    l.strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(&l),
                );
            }
            inbox.lock().unwrap().push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
                secure,
            });
            b"250 kept\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 ok\r\n"
        } else if upper == "QUIT" {
            let _ = io.get_mut().write_all(b"221 bye\r\n").await;
            return None;
        } else {
            b"502 not here\r\n"
        };
        io.get_mut().write_all(reply).await.ok()?;
    }
}

fn address(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default()
}
