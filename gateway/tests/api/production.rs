//! Production refuses unsafe settings before binding a port, naming each variable and never
//! its value: the real binary, with a clean environment.

use std::process::Stdio;

use crate::helpers::free_port;

#[tokio::test]
async fn production_with_a_weak_secret_exits_nonzero_naming_the_variable_not_the_value() {
    let port = free_port();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_moodtracker-gateway"))
        .env_clear()
        .env("APP_ENV", "production")
        .env("PORT", port.to_string())
        .env("JWT_SECRET_KEY", "hunter2-weak")
        .env("CORS_ORIGINS", "*")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run the gateway binary");
    assert!(!output.status.success(), "it must refuse to start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in [
        "JWT_SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "CORS_ORIGINS",
    ] {
        assert!(
            stderr.contains(variable),
            "{variable} is named in: {stderr}"
        );
    }
    assert!(
        !stderr.contains("hunter2"),
        "the secret's value leaked: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("hunter2"));
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "it never bound its port"
    );
}

#[tokio::test]
async fn production_with_safe_settings_passes_the_checks() {
    let vars = [
        ("APP_ENV", "production"),
        (
            "JWT_SECRET_KEY",
            "a-long-random-secret-of-more-than-32-bytes-7f3a9c",
        ),
        ("DATABASE_URL", "postgres://app@db/moodtracker"),
        ("REDIS_URL", "redis://redis:6379"),
        ("FRONTEND_URL", "https://moodtracker.example"),
    ];
    let config =
        moodtracker_gateway::Config::from_iter(vars.map(|(k, v)| (k.to_owned(), v.to_owned())));
    let config = config.expect("a safe production configuration is accepted");
    assert_eq!(
        config.cors_origins,
        ["https://moodtracker.example"],
        "no dev origins in production"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_named_by_its_variable_with_the_cause_and_never_its_url() {
    let port = free_port();
    // Nothing listens on the database port: connecting is refused.
    let url = format!(
        "postgres://app:s3cret-pw@127.0.0.1:{}/moodtracker",
        free_port()
    );
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_moodtracker-gateway"))
        .env_clear()
        .env("APP_ENV", "testing")
        .env("PORT", port.to_string())
        .env("METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("DATABASE_URL", &url)
        .env("LOG_FORMAT", "text")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run the gateway binary");
    assert!(!output.status.success(), "it must not start");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("DATABASE_URL"), "{printed}");
    assert!(printed.contains("postgres database"), "{printed}");
    assert!(
        !printed.contains("pool timed out"),
        "the cause, not the pool's timeout: {printed}"
    );
    assert!(printed.to_lowercase().contains("refused"), "{printed}");
    for secret in ["s3cret-pw", url.as_str()] {
        assert!(!printed.contains(secret), "the URL leaked: {printed}");
    }
}
