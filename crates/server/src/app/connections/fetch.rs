//! One provider request, retried: 429 waits what `Retry-After` asks (up to a bound), 5xx
//! and connection failures back off exponentially, anything else fails at once. Errors name
//! the status and a clip of the answer, never the request's headers (the admin key).

use std::time::Duration;

/// Tries of one request before the pull stops with an error.
pub const MAX_TRIES: u32 = 5;
/// The longest `Retry-After` honoured; a provider asking for more ends the pull (the next
/// scheduled run resumes it).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

pub struct Fetcher<'a> {
    pub client: &'a reqwest::Client,
    pub headers: Vec<(&'static str, String)>,
    /// The first wait after a failure, doubled with each further one.
    pub backoff: Duration,
}

/// How long a 429 asks to wait: seconds, or an HTTP date.
pub fn retry_after(value: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(
        (when.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
}

fn clip(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_owned(),
    }
}

impl Fetcher<'_> {
    /// The body of a 2xx answer to `GET url`.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut last = String::new();
        for attempt in 0..MAX_TRIES {
            let mut req = self.client.get(url);
            for (name, value) in &self.headers {
                req = req.header(*name, value.as_str());
            }
            let wait = match req.send().await {
                Ok(r) if r.status().is_success() => {
                    return r
                        .bytes()
                        .await
                        .map(|b| b.to_vec())
                        .map_err(|e| format!("reading the answer of {}: {e}", path_of(url)));
                }
                Ok(r) if r.status().as_u16() == 429 => {
                    let asked = retry_after(
                        r.headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok()),
                        chrono::Utc::now(),
                    );
                    last = format!("{} answered 429 (rate limited)", path_of(url));
                    match asked {
                        Some(d) if d > MAX_RETRY_AFTER => {
                            return Err(format!(
                                "{last} and asked to wait {} s; the next run resumes",
                                d.as_secs()
                            ));
                        }
                        Some(d) => d,
                        None => self.backoff * 2u32.pow(attempt),
                    }
                }
                Ok(r) if r.status().is_server_error() => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    last = format!("{} answered {status}: {}", path_of(url), clip(&body));
                    self.backoff * 2u32.pow(attempt)
                }
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    return Err(format!(
                        "{} answered {status}: {}",
                        path_of(url),
                        clip(&body)
                    ));
                }
                Err(e) => {
                    last = format!("{}: {}", path_of(url), error_chain(&e));
                    self.backoff * 2u32.pow(attempt)
                }
            };
            if attempt + 1 < MAX_TRIES {
                tokio::time::sleep(wait).await;
            }
        }
        Err(format!("{last} ({MAX_TRIES} tries)"))
    }
}

/// The URL without its query, for messages.
fn path_of(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now: chrono::DateTime<chrono::Utc> = "2026-03-10T00:00:00Z".parse().unwrap();
        assert_eq!(retry_after(Some("7"), now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(Some("Tue, 10 Mar 2026 00:00:30 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after(Some("soon"), now), None);
        assert_eq!(retry_after(None, now), None);
    }
}
