//! The limiter against the real Redis on 127.0.0.1:6379 (each test under its own key prefix),
//! and its fallbacks against a Redis that is not there.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Method;

use super::*;
use crate::redis_link::{RedisLink, RedisTimeouts};

const LOCAL_REDIS: &str = "redis://127.0.0.1:6379";

fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test:{test}:{nanos}:")
}

/// A started link to the local Redis, or `None` (with a loud message) when it is not running;
/// under CI=true a missing Redis fails the test instead.
async fn local_redis() -> Option<Arc<RedisLink>> {
    // Generous timeouts: exactness is what these tests check, and on a loaded machine a reply
    // can take longer than the production 100 ms (which would rightly switch to memory).
    let timeouts = RedisTimeouts {
        connect: Duration::from_secs(2),
        response: Duration::from_secs(2),
        ..RedisTimeouts::default()
    };
    let link = RedisLink::new(LOCAL_REDIS, None, timeouts).unwrap();
    link.start();
    for _ in 0..40 {
        if link.is_up() {
            return Some(link);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "Redis is required under CI=true but {LOCAL_REDIS} is unreachable"
    );
    eprintln!(
        "SKIPPED: Redis is not reachable at {LOCAL_REDIS}; start it with scripts/services.sh"
    );
    None
}

fn settings(prefix: String, overrides: &str) -> LimitSettings {
    LimitSettings {
        overrides: overrides.into(),
        key_prefix: prefix,
        ..LimitSettings::default()
    }
}

fn client(last: u8) -> Subject {
    Subject::Client(IpAddr::V4(Ipv4Addr::new(198, 51, 100, last)))
}

async fn login(limiter: &Limiter, subject: &Subject) -> Decision {
    limiter
        .check(subject, &Method::POST, "/api/auth/login")
        .await
}

fn admitted(d: &Decision, storage: Storage) -> bool {
    matches!(d, Decision::Decided { outcome, storage: s } if outcome.allowed && *s == storage)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_limiters_sharing_redis_admit_exactly_the_limit_of_concurrent_requests() {
    let Some(link) = local_redis().await else {
        return;
    };
    let prefix = unique_prefix("exact");
    let a = Arc::new(
        Limiter::new(
            settings(prefix.clone(), "login=17/minute"),
            Some(link.clone()),
        )
        .unwrap(),
    );
    let b = Arc::new(Limiter::new(settings(prefix, "login=17/minute"), Some(link)).unwrap());
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let limiter = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { login(&limiter, &client(1)).await })
        })
        .collect();
    let mut allowed = 0;
    for task in tasks {
        let decision = task.await.unwrap();
        let Decision::Decided { outcome, storage } = decision else {
            panic!("{decision:?}")
        };
        assert_eq!(storage, Storage::Redis);
        allowed += usize::from(outcome.allowed);
    }
    assert_eq!(allowed, 17);
}

#[tokio::test]
async fn redis_reports_remaining_and_retry_after_like_the_memory_store() {
    let Some(link) = local_redis().await else {
        return;
    };
    let redis = Limiter::new(settings(unique_prefix("headers"), ""), Some(link)).unwrap();
    let memory = Limiter::new(settings(unique_prefix("headers"), ""), None).unwrap();
    for limiter in [&redis, &memory] {
        let mut remaining = Vec::new();
        for _ in 0..6 {
            match login(limiter, &client(2)).await {
                Decision::Decided { outcome, .. } if outcome.allowed => {
                    remaining.push(outcome.remaining)
                }
                Decision::Decided { outcome, .. } => {
                    assert_eq!(outcome.limit, 5);
                    let retry = outcome.retry_after.as_secs_f64();
                    assert!((11.0..=12.0).contains(&retry), "retry after {retry}s");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(remaining, vec![4, 3, 2, 1, 0]);
    }
}

#[tokio::test]
async fn a_refused_request_consumes_no_quota_of_the_other_windows() {
    let Some(link) = local_redis().await else {
        return;
    };
    let prefix = unique_prefix("windows");
    let limiter = Limiter::new(
        settings(prefix.clone(), "default=2/minute,3/day"),
        Some(link.clone()),
    )
    .unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        let decision = limiter
            .check(&client(3), &Method::GET, "/api/journal/entries")
            .await;
        let Decision::Decided { outcome, .. } = decision else {
            panic!("{decision:?}")
        };
        outcomes.push((outcome.allowed, outcome.limit, outcome.remaining));
    }
    assert_eq!(
        outcomes,
        vec![(true, 2, 1), (true, 2, 0), (false, 2, 0), (false, 2, 0)]
    );
    // The day window holds two requests' worth (2 x 8 h), not four.
    let day_key = format!("{prefix}{{ip:198.51.100.3}}:default:GET /api/journal/entries:3/86400s");
    let mut conn = link.connection().unwrap();
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(&day_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let two_intervals = 2 * 86_400_000 / 3;
    assert!(
        (two_intervals - 5_000..=two_intervals).contains(&ttl_ms),
        "{ttl_ms}"
    );
}

#[tokio::test]
async fn the_script_is_reloaded_after_redis_forgets_it() {
    let Some(link) = local_redis().await else {
        return;
    };
    let limiter =
        Limiter::new(settings(unique_prefix("noscript"), ""), Some(link.clone())).unwrap();
    let mut conn = link.connection().unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(admitted(&login(&limiter, &client(4)).await, Storage::Redis));
    assert!(admitted(&login(&limiter, &client(4)).await, Storage::Redis));
}

#[tokio::test]
async fn users_and_addresses_have_separate_quotas() {
    let limiter =
        Limiter::new(settings(unique_prefix("subjects"), "login=1/minute"), None).unwrap();
    assert!(admitted(
        &login(&limiter, &client(5)).await,
        Storage::Memory
    ));
    assert!(admitted(
        &login(&limiter, &Subject::User("ab12".into())).await,
        Storage::Memory
    ));
    assert!(admitted(
        &login(&limiter, &client(6)).await,
        Storage::Memory
    ));
    assert!(!admitted(
        &login(&limiter, &client(5)).await,
        Storage::Memory
    ));
}

/// A link to a port nothing listens on: the circuit never closes.
fn dead_link() -> Arc<RedisLink> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    RedisLink::new(
        &format!("redis://127.0.0.1:{port}"),
        None,
        RedisTimeouts::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_dead_redis_falls_back_by_mode_without_waiting() {
    let dead = dead_link();
    dead.start();
    let with_mode = |mode| {
        let mut s = settings(unique_prefix("dead"), "login=1/minute");
        s.failure_mode = mode;
        Limiter::new(s, Some(dead.clone())).unwrap()
    };
    let started = std::time::Instant::now();
    let memory = with_mode(FailureMode::Memory);
    assert!(admitted(&login(&memory, &client(7)).await, Storage::Memory));
    assert!(!admitted(
        &login(&memory, &client(7)).await,
        Storage::Memory
    ));
    assert_eq!(
        memory.storage_status(),
        ("memory (redis unavailable)".into(), true)
    );
    assert_eq!(
        login(&with_mode(FailureMode::Open), &client(7)).await,
        Decision::Unlimited
    );
    assert_eq!(
        login(&with_mode(FailureMode::Closed), &client(7)).await,
        Decision::Unavailable
    );
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn exempt_routes_and_a_disabled_limiter_are_unlimited() {
    let limiter = Limiter::new(settings(unique_prefix("exempt"), ""), None).unwrap();
    let probe = limiter.check(&client(8), &Method::GET, "/livez").await;
    assert_eq!(probe, Decision::Unlimited);
    let mut off = settings(unique_prefix("off"), "");
    off.enabled = false;
    let off = Limiter::new(off, None).unwrap();
    for _ in 0..10 {
        assert_eq!(login(&off, &client(8)).await, Decision::Unlimited);
    }
}
