//! The platform services around the API: the shared Redis link, rate limiting, the model-result
//! cache, health probes, metrics and telemetry hooks.
//!
//! - [`Platform::build`] runs inside `AppState::build` (after migrations): it creates the Redis
//!   link (connecting in the background), the limiter, the cache, and runs the first probe round.
//! - [`Platform::wrap_inference`] makes the inference client carry the trace context.
//! - [`Platform::layers`] wraps the API router with request ids and traces (outermost), metrics
//!   (so 429s are counted) and rate limiting; all run after routing, where `MatchedPath` is
//!   known.
//! - [`Platform::spawn_background`] starts the probe loop and the metrics listener; both stop
//!   when the shutdown drain starts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::{Router, middleware};

use crate::{
    StartError,
    auth::{AuthUser, JwtKeys},
    cache::ModelCache,
    config::Config,
    health::{self, HealthWatch, Probes},
    inference::InferenceClient,
    limit::{LimitSettings, Limiter, layer::RateLimit},
    redis_link::{RedisLink, RedisTimeouts},
    state::AppState,
    store::Db,
};

/// Platform services shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct Platform {
    /// The shared Redis connection; `None` without `REDIS_URL`.
    pub redis: Option<Arc<RedisLink>>,
    /// The rate limiter and how it recognises users.
    pub rate_limit: RateLimit,
    /// The model-result cache (`cache.get_or_compute(kind, version, text, || ...)`).
    pub cache: ModelCache,
    /// The latest health probe results.
    pub health: HealthWatch,
    /// The Prometheus registry that the metrics port serves.
    pub metrics: prometheus::Registry,
    /// When the process finished starting, for uptime.
    pub started: Instant,
    /// The metrics listener's bound address once serving (`METRICS_ADDR` may use port 0).
    pub metrics_addr: Arc<Mutex<Option<SocketAddr>>>,
    /// The probe loop, started by [`Platform::spawn_background`]; taken once.
    probe_loop: Arc<Mutex<Option<ProbeLoop>>>,
}

type ProbeLoop = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redis = self.redis.as_ref().map(|l| l.redacted_url().to_owned());
        f.debug_struct("Platform")
            .field("redis", &redis)
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// Creates the platform services; fails only on invalid settings.
    pub async fn build(
        config: &Config,
        db: &Db,
        _inference: &InferenceClient,
    ) -> Result<Self, StartError> {
        let metrics = crate::metrics::install();
        let redis = redis_link(config)?;
        let limiter = Limiter::new(limit_settings(config), redis.clone())
            .map_err(|e| StartError::Platform(e.to_string()))?;
        let cache = ModelCache::new(
            config.cache_type,
            redis.clone(),
            config.cache_default_timeout,
        );
        let probes = Probes::new(
            db.clone(),
            &config.inference_url,
            config.inference_connect_timeout,
        )
        .map_err(|e| StartError::Platform(format!("INFERENCE_URL: {e}")))?;
        let (health, probe_loop) = health::start(probes).await;
        Ok(Self {
            redis,
            rate_limit: RateLimit {
                limiter: Arc::new(limiter),
                identify: identify(config),
            },
            cache,
            health,
            metrics,
            started: Instant::now(),
            metrics_addr: Arc::default(),
            probe_loop: Arc::new(Mutex::new(Some(Box::pin(probe_loop)))),
        })
    }

    /// The inference client every handler uses: it injects the W3C trace context.
    pub fn wrap_inference(&self, client: InferenceClient) -> InferenceClient {
        client.with_trace_injector(Arc::new(crate::telemetry::inject_trace_context))
    }

    /// Layers around the API routes (inside CORS, security headers and the error envelope).
    pub fn layers(&self, router: Router) -> Router {
        let limited = router.layer(middleware::from_fn_with_state(
            self.rate_limit.clone(),
            crate::limit::layer::rate_limit,
        ));
        crate::telemetry::layers(limited.layer(middleware::from_fn(crate::metrics::track)))
    }

    /// Starts the probe loop and the metrics listener; both end when the drain starts.
    pub fn spawn_background(&self, state: &AppState) {
        if let Some(probe_loop) = self.probe_loop.lock().expect("probe loop").take() {
            let lifecycle = state.lifecycle.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = probe_loop => {}
                    () = lifecycle.draining() => {}
                }
            });
        }
        self.spawn_metrics(state);
    }

    fn spawn_metrics(&self, state: &AppState) {
        let addr = state.config.metrics_addr;
        // A taken port must not stop the API: metrics are an add-on.
        let listener = match std::net::TcpListener::bind(addr).and_then(|l| {
            l.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(l)
        }) {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(%addr, %err, "metrics listener not started");
                return;
            }
        };
        *self.metrics_addr.lock().expect("metrics addr") = listener.local_addr().ok();
        tracing::info!(addr = %listener.local_addr().map_or(addr, |a| a), "metrics listening");
        let lifecycle = state.lifecycle.clone();
        let handle = self.metrics.clone();
        tokio::spawn(async move {
            let shutdown = async move { lifecycle.draining().await };
            if let Err(err) = crate::metrics::serve(listener, handle, shutdown).await {
                tracing::warn!(%err, "metrics listener stopped");
            }
        });
    }
}

fn redis_link(config: &Config) -> Result<Option<Arc<RedisLink>>, StartError> {
    let Some(url) = &config.redis_url else {
        return Ok(None);
    };
    let timeouts = RedisTimeouts {
        // Connecting happens only in the background task, never on a request's path, so it may
        // take longer than one call (DNS in a cluster).
        connect: Duration::from_secs(1),
        response: config.redis_timeout,
        probe_interval: Duration::from_secs(1),
    };
    let password = config.redis_password.as_ref().map(|p| p.expose().as_str());
    let link = RedisLink::new(url.expose(), password, timeouts)
        .map_err(|e| StartError::Platform(e.to_string()))?;
    link.start();
    Ok(Some(link))
}

fn limit_settings(config: &Config) -> LimitSettings {
    LimitSettings {
        enabled: config.ratelimit_enabled,
        failure_mode: config.ratelimit_fail_mode,
        multiplier: config.ratelimit_multiplier,
        overrides: config.ratelimit_overrides.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
        key_prefix: config.ratelimit_key_prefix.clone(),
    }
}

/// The limiter's user recognition: a valid access token's user id, else a well-signed web
/// session cookie's, else anonymous.
fn identify(config: &Config) -> crate::limit::layer::Identify {
    let keys = JwtKeys::new(
        config.jwt_secret.expose().as_bytes(),
        config.access_token_ttl,
    );
    let web = crate::web::SessionKeys::new(config);
    Arc::new(move |headers| {
        AuthUser::from_headers(headers, &keys)
            .ok()
            .flatten()
            .map(|user| user.id)
            .or_else(|| crate::web::session::cookie_user(&web, headers))
    })
}

/// Installs the global tracing subscriber (JSON or text logs, OpenTelemetry export when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set). Called by `main` only.
pub fn init_telemetry(config: &Config) {
    crate::telemetry::init(config);
}
