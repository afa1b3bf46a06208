//! The fault drills of the outside review, as bounded tests: a dependency (or the gateway
//! itself) is killed while requests are in flight, and no request fails that should not, no
//! entry is lost, and everything recovers without a restart.

use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};

use crate::helpers::{
    Backend, PASSWORD, TestApp, eventually, free_port, spawn_app_with, spawn_inference,
};
use crate::limits::OwnRedis;

/// One journal write and one read, as a user under load does; the statuses.
async fn write_and_read(app: &TestApp, token: &str, i: usize) -> (StatusCode, Option<i64>) {
    let body = json!({ "text": format!("entry {i} written under load") });
    let created = app
        .client
        .post(app.url("/api/journal/entries"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await;
    let Ok(created) = created else {
        return (StatusCode::IM_A_TEAPOT, None);
    };
    let status = created.status();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(
            created.headers().contains_key("retry-after"),
            "a 503 says when to retry"
        );
    }
    let id = created
        .json::<Value>()
        .await
        .ok()
        .and_then(|b| b["entry"]["id"].as_i64());
    (status, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_connections_terminated_under_load_cost_503s_at_most_and_recover() {
    let Some(app) = spawn_app_with(Backend::Postgres, &[("DATABASE_MAX_CONNECTIONS", "4")]).await
    else {
        return;
    };
    let user = app.register("drill-pg@example.com").await;
    let mut admin = PgConnection::connect(&app.database_url).await.unwrap();
    let database = app.database_url.rsplit('/').next().unwrap().to_owned();
    let kill = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let terminator = tokio::spawn(async move {
        let mut rounds = 0;
        while !*stopped.borrow() {
            admin.execute(kill.as_str()).await.unwrap();
            rounds += 1;
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        rounds
    });
    let load = (0..4).map(|worker| {
        let (app, token) = (&app, user.token.as_str());
        async move {
            let mut seen = Vec::new();
            for i in 0..25 {
                seen.push(write_and_read(app, token, worker * 100 + i).await);
            }
            seen
        }
    });
    let seen: Vec<_> = join_all(load).await.into_iter().flatten().collect();
    stop.send_replace(true);
    assert!(
        terminator.await.unwrap() > 5,
        "connections were terminated throughout"
    );

    let statuses: Vec<StatusCode> = seen.iter().map(|(s, _)| *s).collect();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::SERVICE_UNAVAILABLE),
        "only 201 or 503: {statuses:?}"
    );
    // Recovery without a restart, and every entry answered 201 is there.
    let recovered = eventually(Duration::from_secs(10), || async {
        app.get("/api/journal/entries?per_page=500", Some(&user.token))
            .await
            .status()
            == StatusCode::OK
    })
    .await;
    assert!(recovered, "the gateway recovered on its own");
    let listed: Value = app
        .get_json("/api/journal/entries?per_page=500", Some(&user.token))
        .await;
    let ids: Vec<i64> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    for (_, id) in seen.iter().filter(|(s, _)| *s == StatusCode::CREATED) {
        assert!(
            ids.contains(&id.unwrap()),
            "entry {id:?} was answered 201 but is gone"
        );
    }
}

async fn failed_login(app: &TestApp) -> Option<StatusCode> {
    let body = json!({ "email": "drill@example.com", "password": "wrong password" });
    let sent = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&body)
        .send()
        .await;
    sent.ok().map(|r| r.status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_and_restarted_under_load_fails_no_request_and_keeps_the_limits() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let app = crate::limits::spawn_limited_on(&redis, "10/minute").await;
    let load = async {
        let mut seen = Vec::new();
        for _ in 0..20 {
            let wave = join_all((0..4).map(|_| failed_login(&app))).await;
            seen.extend(wave);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen
    };
    let outage = async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        redis.kill().await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        redis.restart().await;
    };
    let (seen, ()) = tokio::join!(load, outage);
    assert!(
        seen.iter().all(Option::is_some),
        "every request was answered: {seen:?}"
    );
    let admitted = seen
        .iter()
        .filter(|s| **s == Some(StatusCode::UNAUTHORIZED))
        .count();
    let limited = seen
        .iter()
        .filter(|s| **s == Some(StatusCode::TOO_MANY_REQUESTS))
        .count();
    assert_eq!(admitted + limited, seen.len(), "only 401 or 429: {seen:?}");
    // Three stores can each admit the quota once: Redis, memory while it is down, the emptied
    // Redis after its restart.
    assert!(
        (10..=30).contains(&admitted),
        "{admitted} admitted of {}",
        seen.len()
    );
    assert!(limited >= 50, "the limit held: {limited} limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn inference_killed_under_load_loses_no_entry_and_scores_every_one_after_it_returns() {
    let mut inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let user = app.register("drill-inference@example.com").await;
    let load = async {
        let mut seen = Vec::new();
        for wave in 0..10 {
            let writes = (0..4).map(|i| write_and_read(&app, &user.token, wave * 10 + i));
            seen.extend(join_all(writes).await);
        }
        seen
    };
    let outage = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        inference.stop().await;
    };
    let (seen, ()) = tokio::join!(load, outage);
    assert!(
        seen.iter().all(|(s, _)| *s == StatusCode::CREATED),
        "every write was saved: {seen:?}"
    );
    inference.restart().await;
    let path = "/api/journal/entries?per_page=500";
    let all_scored = eventually(Duration::from_secs(60), || async {
        let listed: Value = app.get_json(path, Some(&user.token)).await;
        let entries = listed["entries"].as_array().cloned().unwrap_or_default();
        entries.len() == 40 && entries.iter().all(|e| e["status"] == "scored")
    })
    .await;
    let listed: Value = app.get_json(path, Some(&user.token)).await;
    assert!(
        all_scored,
        "every entry scored after inference returned: {}",
        listed["total"]
    );
}

/// The real binary on a port of its own with `SHUTDOWN_GRACE_SECS=10`; the child and its URL.
async fn gateway_process(dir: &std::path::Path) -> (tokio::process::Child, String) {
    let port = free_port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_moodtracker-gateway"))
        .env_clear()
        .env("APP_ENV", "testing")
        .env("PORT", port.to_string())
        .env("METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("g.db").display()),
        )
        .env("JWT_SECRET_KEY", crate::helpers::TEST_JWT_SECRET)
        .env("INFERENCE_URL", format!("http://127.0.0.1:{}", free_port()))
        .env("SHUTDOWN_GRACE_SECS", "10")
        .env("LOG_LEVEL", "warn")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the gateway binary");
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let ready = eventually(Duration::from_secs(30), || async {
        let r = client.get(format!("{url}/readyz")).send().await;
        r.is_ok_and(|r| r.status() == StatusCode::OK)
    });
    assert!(ready.await, "the gateway binary never became ready");
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_fails_no_in_flight_request_and_exits_within_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = gateway_process(dir.path()).await;
    let client = reqwest::Client::new();
    // Registrations hash a password (Argon2, slow in a debug build): in flight when the
    // signal comes, and done well within the grace.
    let in_flight: Vec<_> = (0..4)
        .map(|i| {
            let body = json!({ "firstName": "T", "email": format!("t{i}@example.com"), "password": PASSWORD });
            let request = client.post(format!("{url}/api/auth/register")).json(&body).send();
            tokio::spawn(request)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().expect("a running child").to_string();
    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    for request in in_flight {
        let response = request
            .await
            .unwrap()
            .expect("an in-flight request was answered");
        assert_eq!(response.status(), StatusCode::OK);
    }
    let exited = tokio::time::timeout(Duration::from_secs(13), child.wait()).await;
    let exit = exited.expect("exited within the grace").unwrap();
    assert!(exit.success(), "a clean exit: {exit:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(12),
        "{:?}",
        signalled.elapsed()
    );
}
