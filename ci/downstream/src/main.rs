//! One offline call through the SDK, beside the application's own `reqwest` client: a server on
//! 127.0.0.1 answers both; the process exits non-zero if either fails. Empego: the smallest
//! generated client, so the check costs CI little beyond the application's own reqwest.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ehr_sdk::empego::GetEmbeddableUrl as _;

const URL: &str = "https://app.empego.example/embed/one-time";

/// Answers `count` requests with an embeddable URL (text/plain), returning each request's head.
async fn serve(listener: tokio::net::TcpListener, count: usize) -> Vec<String> {
    let mut heads = Vec::new();
    for _ in 0..count {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut chunk).await.expect("read");
            assert!(n > 0, "the client closed before its request's end");
            buf.extend_from_slice(&chunk[..n]);
        }
        heads.push(String::from_utf8_lossy(&buf).to_lowercase());
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{URL}",
            URL.len()
        );
        socket.write_all(response.as_bytes()).await.expect("write");
    }
    heads
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(serve(listener, 2));

    // The application's own client, built before the SDK builds any (the TLS provider case).
    let own = reqwest::Client::new();
    let answer = own
        .get(format!("{base_url}/ping"))
        .send()
        .await
        .expect("the application's own client works");
    assert!(answer.status().is_success());

    let client = ehr_sdk::empego::Client::builder()
        .base_url(&base_url)
        .api_key("downstream-key")
        .build()
        .expect("the SDK client builds");
    let url = client
        .statistics_dashboard()
        .url()
        .await
        .expect("the SDK's call works");
    assert_eq!(url.as_str(), URL);

    let heads = server.await.expect("server");
    assert!(
        heads[1].contains("api-key: downstream-key"),
        "the SDK sent its key: {}",
        heads[1]
    );
    println!("downstream check: the application's client and the SDK's call both answered");
}
