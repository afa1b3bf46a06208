//! Probes as the kubelet runs them. HTTP: `GET path` with the kubelet's headers, success for a
//! status from 200 to 399. gRPC: `grpc.health.v1.Health/Check` with the probe's service name,
//! success only for SERVING. TCP: the connection opens. Each attempt is bounded by the probe's
//! `timeoutSeconds`. The address is 127.0.0.1 where the kubelet uses the pod's IP.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client};

/// One attempt's verdict; a failure says why, as the kubelet's event would.
pub type Outcome = Result<(), String>;

/// What to probe, with the port already mapped to this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Http { port: u16, path: String },
    Grpc { port: u16, service: String },
    Tcp { port: u16 },
}

/// Runs one attempt of `target`, failing past `timeout`.
pub async fn attempt(target: &Target, timeout: Duration) -> Outcome {
    match tokio::time::timeout(timeout, run(target)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("timed out after {timeout:?}")),
    }
}

async fn run(target: &Target) -> Outcome {
    match target {
        Target::Http { port, path } => http_get(*port, path).await.map(|_| ()),
        Target::Grpc { port, service } => grpc_check(*port, service).await,
        Target::Tcp { port } => connect(*port).await.map(drop),
    }
}

async fn connect(port: u16) -> Result<TcpStream, String> {
    TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect 127.0.0.1:{port}: {e}"))
}

/// `GET path` over HTTP/1.1; the body when the status is 200..=399.
pub async fn http_get(port: u16, path: &str) -> Result<String, String> {
    let mut stream = connect(port).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: kube-probe/1.29\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {path}: no HTTP status in {text:?}"))?;
    match status {
        200..=399 => Ok(text
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_owned()),
        _ => Err(format!("GET {path}: HTTP {status}")),
    }
}

async fn grpc_check(port: u16, service: &str) -> Outcome {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .map_err(|e| e.to_string())?;
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("connect 127.0.0.1:{port}: {e}"))?;
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    let response = health_client::HealthClient::new(channel)
        .check(request)
        .await
        .map_err(|s| format!("Health/Check({service:?}): {:?} {}", s.code(), s.message()))?;
    match response.into_inner().status() {
        ServingStatus::Serving => Ok(()),
        other => Err(format!(
            "Health/Check({service:?}): {}",
            other.as_str_name()
        )),
    }
}
