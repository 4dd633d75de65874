//! Bad input gets a 4xx with a reason, stores nothing it refused, and never a 500.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::json_of;
use crate::storage_test;

fn good(id: &str) -> Value {
    json!({"id": id, "timestamp": "2026-03-01T00:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 100, "output_tokens": 10})
}

fn with(id: &str, field: &str, v: Value) -> Value {
    let mut e = good(id);
    e[field] = v;
    e
}

storage_test!(each_kind_of_bad_event_is_refused_with_its_reason, |app| {
    let future = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let cases = [
        (
            with("neg", "input_tokens", json!(-5)),
            "`input_tokens` must be an integer ≥ 0",
        ),
        (
            with("cached", "cached_input_tokens", json!(500)),
            "exceeds input_tokens",
        ),
        (
            with("reason", "reasoning_tokens", json!(11)),
            "reasoning_tokens (11) exceeds output_tokens (10)",
        ),
        (with("future", "timestamp", json!(future)), "in the future"),
        (
            with("tier", "service_tier", json!("turbo")),
            "unknown service_tier",
        ),
        (
            json!({"id": "nomodel", "timestamp": "2026-03-01T00:00:00Z", "provider": "openai"}),
            "`model` is required",
        ),
    ];
    for (event, reason) in &cases {
        let (status, body) = app.post_events(&json!([event])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["accepted"], 0);
        let error = body["rejected"][0]["error"].as_str().unwrap();
        assert!(error.contains(reason), "{error:?} should say {reason:?}");
        assert_eq!(body["rejected"][0]["index"], 0);
    }
    assert_eq!(app.count_events().await, 0, "nothing refused is stored");

    // In a mixed batch the good events are stored and the bad ones named by index.
    let (status, body) = app
        .post_events(&json!([good("ok-1"), cases[0].0.clone(), good("ok-2")]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"][0]["index"], 1);
    assert_eq!(body["rejected"][0]["id"], "neg");
    assert_eq!(app.count_events().await, 2);
});

storage_test!(
    malformed_bodies_and_wrong_content_types_are_refused_whole,
    |app| {
        let post = |body: &'static str, ct: &'static str| {
            app.post("/api/v1/events", &app.ingest_token)
                .header("content-type", ct)
                .body(body)
                .send()
        };
        let (status, body) = json_of(post("[{\"id\": ", "application/json").await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("not valid JSON"),
            "{body}"
        );
        let (status, body) = json_of(
            post("{\"not_events\": 1}", "application/json")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("expected a JSON array"),
            "{body}"
        );
        let (status, body) = json_of(post("[]", "text/plain").await.unwrap()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(
            body["error"].as_str().unwrap().contains("text/plain"),
            "{body}"
        );
        assert_eq!(app.count_events().await, 0);
    }
);

/// Sends `len` bytes of JSON with a raw socket and answers the response head and body. The
/// server may answer before the body is fully sent (and then close), so writing stops at the
/// first byte of an answer and write errors are expected.
async fn post_raw(app: &crate::helpers::TestApp, len: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n",
        app.ingest_token
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < len {
            let n = chunk.len().min(len - sent);
            wr.write_all(&chunk[..n]).await?;
            sent += n;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if String::from_utf8_lossy(&answer).contains("}") {
                    break;
                }
            }
        }
    }
    writer.abort();
    String::from_utf8_lossy(&answer).into_owned()
}

storage_test!(a_body_over_the_limit_gets_413, |app| {
    let answer = post_raw(&app, 20 * 1024 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larger than the limit"), "{answer}");
    assert_eq!(app.count_events().await, 0);
    // The server is still up.
    assert_eq!(
        app.post_events(&json!([good("after")])).await.0,
        StatusCode::OK
    );
});

storage_test!(a_missing_or_wrong_token_gets_401, |app| {
    let no_token = app
        .client
        .post(app.url("/api/v1/events"))
        .json(&json!([good("a")]))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(no_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    let wrong = app
        .post("/api/v1/events", "tt_not-a-real-token")
        .json(&json!([good("a")]))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let reader = app
        .post("/api/v1/events", &app.finance_token)
        .json(&json!([good("a")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        reader.status(),
        StatusCode::FORBIDDEN,
        "only ingest tokens send usage"
    );
    assert_eq!(app.count_events().await, 0);
});

storage_test!(bad_queries_and_admin_bodies_get_reasons, |app| {
    let (status, body) = json_of(
        app.get("/api/v1/showback?month=2026-13", &app.finance_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("YYYY-MM"),
        "{body}"
    );
    let (status, body) = app
        .admin_post(
            "/api/v1/overheads",
            &json!({"month": "2026-03", "category": "retrieval", "amount": "10.005"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("two decimal places"),
        "{body}"
    );
    let (status, _) = app
        .admin_post(
            "/api/v1/key-mappings",
            &json!({"api_key": "k", "team": "Unallocated"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post("/api/v1/prices/import", &app.admin_token)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
});
