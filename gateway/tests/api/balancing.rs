//! Client-side balancing over every inference replica: two real inference binaries behind one
//! name, which a resolver (standing in for a Kubernetes headless Service's DNS) answers with
//! both addresses; each server's own `/metrics` says how many calls it served.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use moodtracker_gateway::inference::{InferenceClient, Model, Resolver};

use crate::helpers::{Inference, spawn_inference};

/// Re-resolved this often, so a changed answer is picked up within the test's patience.
const RESOLVE_EVERY: Duration = Duration::from_millis(100);

/// A resolver whose answer the test changes, like DNS as pods become ready or go away.
fn resolver(answer: Arc<Mutex<Vec<SocketAddr>>>) -> Resolver {
    Arc::new(move |_host, _port| {
        let addrs = answer.lock().expect("answer lock").clone();
        Box::pin(async move { Ok(addrs) })
    })
}

fn addr(inference: &Inference) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], inference.port))
}

/// `Classify` calls this server answered, from its `moodtracker_inference_requests_total`.
async fn classify_count(inference: &Inference) -> u64 {
    let url = format!("http://127.0.0.1:{}/metrics", inference.metrics_port);
    let body = reqwest::get(&url)
        .await
        .expect("inference /metrics")
        .text()
        .await
        .expect("metrics body");
    body.lines()
        .filter(|l| l.starts_with("moodtracker_inference_requests_total{"))
        .filter(|l| l.contains("rpc=\"Classify\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn classify_times(client: &InferenceClient, times: usize) {
    for i in 0..times {
        let text = format!("a calm and lovely morning number {i}");
        let result = client.classify(vec![text], &[Model::Lstm]).await;
        assert!(result.is_ok(), "call {i} failed: {result:?}");
    }
}

fn client(answer: &Arc<Mutex<Vec<SocketAddr>>>) -> InferenceClient {
    InferenceClient::with_resolver(
        // Not resolvable by DNS: every address comes from the injected resolver.
        "http://inference-headless.test:50051",
        Duration::from_millis(500),
        Duration::from_secs(5),
        RESOLVE_EVERY,
        resolver(answer.clone()),
    )
    .expect("client")
}

#[tokio::test]
async fn calls_spread_over_every_resolved_replica() {
    let (a, b) = (spawn_inference().await, spawn_inference().await);
    let answer = Arc::new(Mutex::new(vec![addr(&a), addr(&b)]));
    let client = client(&answer);

    classify_times(&client, 20).await;

    let (served_a, served_b) = (classify_count(&a).await, classify_count(&b).await);
    assert_eq!(served_a + served_b, 20, "every call was served once");
    assert!(
        served_a > 0 && served_b > 0,
        "both replicas served calls: a={served_a}, b={served_b}"
    );
}

#[tokio::test]
async fn a_replica_dropped_from_the_answer_gets_no_more_calls() {
    let (a, b) = (spawn_inference().await, spawn_inference().await);
    let answer = Arc::new(Mutex::new(vec![addr(&a), addr(&b)]));
    let client = client(&answer);
    classify_times(&client, 10).await;

    // The pod behind `b` stops being ready: DNS no longer lists it.
    *answer.lock().unwrap() = vec![addr(&a)];
    tokio::time::sleep(RESOLVE_EVERY * 5).await;
    let (before_a, before_b) = (classify_count(&a).await, classify_count(&b).await);
    classify_times(&client, 10).await;

    assert_eq!(classify_count(&b).await, before_b, "b got no calls");
    assert_eq!(classify_count(&a).await, before_a + 10, "a got them all");

    // It comes back: traffic reaches it again.
    *answer.lock().unwrap() = vec![addr(&a), addr(&b)];
    tokio::time::sleep(RESOLVE_EVERY * 5).await;
    classify_times(&client, 20).await;
    assert!(classify_count(&b).await > before_b, "b is balanced again");
}
