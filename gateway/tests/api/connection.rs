//! A kept-alive connection survives an answer given before the request's body was read: the
//! body is drained, or the answer says `Connection: close`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, spawn_app};

/// One response read off `stream`: its status line and headers (lower-cased), body skipped.
async fn read_response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await;
        match read {
            Ok(Ok(1)) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap_or(0));
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some((status, head))
}

const BODY: &str = r#"{"text": "an entry sent without a token"}"#;

fn unauthenticated_post(host: &str) -> String {
    format!(
        "POST /api/journal/entries HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        BODY.len()
    )
}

fn next_request(host: &str) -> String {
    format!("GET /livez HTTP/1.1\r\nHost: {host}\r\n\r\n")
}

#[tokio::test]
async fn the_next_request_on_the_connection_works_after_a_401_with_the_body_sent() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let host = app.address.trim_start_matches("http://").to_owned();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(&host).await.unwrap();
        let request = format!("{}{BODY}", unauthenticated_post(&host));
        stream.write_all(request.as_bytes()).await.unwrap();
        let (status, head) = read_response(&mut stream).await.expect("the 401");
        assert_eq!(status, 401);
        if head.contains("connection: close") {
            continue;
        }
        stream
            .write_all(next_request(&host).as_bytes())
            .await
            .unwrap();
        let next = read_response(&mut stream).await;
        assert_eq!(
            next.map(|(s, _)| s),
            Some(200),
            "the kept-alive connection broke"
        );
    }
}

#[tokio::test]
async fn a_body_held_back_until_the_answer_closes_the_connection_or_is_drained() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&host).await.unwrap();
    stream
        .write_all(unauthenticated_post(&host).as_bytes())
        .await
        .unwrap();
    let (status, head) = read_response(&mut stream).await.expect("the 401");
    assert_eq!(status, 401);
    if head.contains("connection: close") {
        return;
    }
    // Without `Connection: close` the connection must still be usable once the body follows.
    let rest = format!("{BODY}{}", next_request(&host));
    stream.write_all(rest.as_bytes()).await.unwrap();
    let next = read_response(&mut stream).await;
    assert_eq!(
        next.map(|(s, _)| s),
        Some(200),
        "the kept-alive connection broke"
    );
}
