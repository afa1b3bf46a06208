//! Which quotas apply to which route: the contract's table (section 0.5), its defaults, and the
//! operator's overrides and multiplier.
//!
//! As in flask-limiter, a route with its own limit is not also subject to the defaults, and the
//! defaults count per route: 100/hour on the journal list does not eat into 100/hour on
//! analytics.

use std::collections::HashMap;
use std::time::Duration;

use http::Method;

/// `limit` requests per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests admitted per period.
    pub limit: u64,
    /// The window the limit applies to.
    pub period: Duration,
}

impl Quota {
    const fn per(limit: u64, secs: u64) -> Self {
        Self {
            limit,
            period: Duration::from_secs(secs),
        }
    }

    /// A short label for keys and logs, such as `5/60s`.
    pub fn label(self) -> String {
        format!("{}/{}s", self.limit, self.period.as_secs())
    }
}

/// A named set of quotas that must all admit a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Name used in keys, metrics and overrides (`login`, `predict`, `default`, ...).
    pub name: &'static str,
    /// Every quota of the policy; a request is admitted only when all admit it.
    pub quotas: Vec<Quota>,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The policy names an override may use, with the contract's quotas.
fn contract_policies() -> Vec<Policy> {
    let p = |name, quotas| Policy { name, quotas };
    vec![
        p("login", vec![Quota::per(5, MINUTE)]),
        p("register", vec![Quota::per(3, HOUR)]),
        p("oauth", vec![Quota::per(10, MINUTE)]),
        p("predict", vec![Quota::per(30, MINUTE)]),
        p("predict_both", vec![Quota::per(20, MINUTE)]),
        p("csv", vec![Quota::per(5, HOUR)]),
        p(
            "default",
            vec![Quota::per(100, HOUR), Quota::per(1000, DAY)],
        ),
    ]
}

/// The policy name for a route, by method and matched path; `None` means the defaults.
fn policy_name(method: &Method, path: &str) -> Option<&'static str> {
    if method != Method::POST {
        return None;
    }
    Some(match path {
        // The web app's forms count against the same quotas as the API calls they make.
        "/api/auth/login" | "/signin" => "login",
        "/api/auth/register" | "/signup" => "register",
        "/api/auth/google" | "/api/auth/github" => "oauth",
        "/api/predict/roberta" | "/api/predict/lstm" => "predict",
        // An explanation costs a pass over every word's variant: the heavier family.
        "/api/predict/both" | "/api/predict/explain" | "/analyze" | "/web/predict" => {
            "predict_both"
        }
        "/api/analyze/csv" | "/analyze/csv" => "csv",
        _ => return None,
    })
}

/// Routes whose purpose is to identify a caller: they are limited per client address whatever
/// token a request carries (any user's token would otherwise buy a fresh quota).
pub fn identifies_caller(method: &Method, path: &str) -> bool {
    matches!(
        policy_name(method, path),
        Some("login" | "register" | "oauth")
    )
}

/// Routes no quota applies to: probes poll them, CORS preflights carry no identity, and the web
/// app's stylesheet, script and icon come with every page view (limiting them would break pages
/// long before the page quota is spent).
pub fn is_exempt(method: &Method, path: &str) -> bool {
    method == Method::OPTIONS
        || matches!(
            path,
            "/livez" | "/readyz" | "/api/health" | "/static/{file}"
        )
}

/// An override or multiplier that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RulesError {
    /// `RATE_LIMIT_OVERRIDES` names a policy that does not exist.
    #[error(
        "RATE_LIMIT_OVERRIDES: unknown policy `{0}` (known: login, register, oauth, predict, predict_both, csv, default)"
    )]
    UnknownPolicy(String),
    /// `RATE_LIMIT_OVERRIDES` has a quota that is not `N/second|minute|hour|day`.
    #[error("RATE_LIMIT_OVERRIDES: `{0}` is not a quota like 5/minute or 100/hour")]
    BadQuota(String),
    /// `RATE_LIMIT_MULTIPLIER` is not a positive number.
    #[error("RATE_LIMIT_MULTIPLIER must be a positive number")]
    BadMultiplier,
}

/// The effective policies after overrides and the multiplier.
#[derive(Debug, Clone)]
pub struct Rules {
    by_name: HashMap<&'static str, Policy>,
}

impl Rules {
    /// The contract's policies, each replaced by its override (`login=100/minute;default=
    /// 1000/hour,10000/day`), then every limit multiplied (rounded, at least 1).
    pub fn new(overrides: &str, multiplier: f64) -> Result<Self, RulesError> {
        if !(multiplier.is_finite() && multiplier > 0.0) {
            return Err(RulesError::BadMultiplier);
        }
        let mut by_name: HashMap<_, _> = contract_policies()
            .into_iter()
            .map(|p| (p.name, p))
            .collect();
        for (name, quotas) in parse_overrides(overrides)? {
            let policy = by_name
                .get_mut(name.as_str())
                .ok_or(RulesError::UnknownPolicy(name))?;
            policy.quotas = quotas;
        }
        for quota in by_name.values_mut().flat_map(|p| p.quotas.iter_mut()) {
            quota.limit = ((quota.limit as f64 * multiplier).round() as u64).max(1);
        }
        Ok(Self { by_name })
    }

    /// The policy for a request, and whether its keys include the route (the defaults do).
    pub fn for_route(&self, method: &Method, path: &str) -> (&Policy, bool) {
        match policy_name(method, path) {
            Some(name) => (&self.by_name[name], false),
            None => (&self.by_name["default"], true),
        }
    }

    /// A policy by name (for tests and the health report).
    pub fn get(&self, name: &str) -> Option<&Policy> {
        self.by_name.get(name)
    }
}

fn parse_overrides(text: &str) -> Result<Vec<(String, Vec<Quota>)>, RulesError> {
    text.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (name, quotas) = item
                .split_once('=')
                .ok_or_else(|| RulesError::BadQuota(item.to_owned()))?;
            let quotas = quotas
                .split(',')
                .map(parse_quota)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((name.trim().to_owned(), quotas))
        })
        .collect()
}

fn parse_quota(text: &str) -> Result<Quota, RulesError> {
    let bad = || RulesError::BadQuota(text.trim().to_owned());
    let (limit, unit) = text.trim().split_once('/').ok_or_else(bad)?;
    let limit: u64 = limit.trim().parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "second" | "s" => 1,
        "minute" | "min" | "m" => MINUTE,
        "hour" | "h" => HOUR,
        "day" | "d" => DAY,
        _ => return Err(bad()),
    };
    if limit == 0 {
        return Err(bad());
    }
    Ok(Quota::per(limit, secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_get_the_contract_limits() {
        let rules = Rules::new("", 1.0).unwrap();
        let (login, per_route) = rules.for_route(&Method::POST, "/api/auth/login");
        assert_eq!(login.quotas, vec![Quota::per(5, 60)]);
        assert!(!per_route);
        let (both, _) = rules.for_route(&Method::POST, "/api/predict/both");
        assert_eq!(both.quotas, vec![Quota::per(20, 60)]);
        let (explain, _) = rules.for_route(&Method::POST, "/api/predict/explain");
        assert_eq!(explain.quotas, vec![Quota::per(20, 60)]);
        let (default, per_route) = rules.for_route(&Method::GET, "/api/journal/entries");
        assert_eq!(
            default.quotas,
            vec![Quota::per(100, HOUR), Quota::per(1000, DAY)]
        );
        assert!(per_route);
    }

    #[test]
    fn overrides_replace_a_policy_and_the_multiplier_scales_every_limit() {
        let rules = Rules::new("login = 7/minute; default=10/hour,20/day", 2.0).unwrap();
        assert_eq!(rules.get("login").unwrap().quotas, vec![Quota::per(14, 60)]);
        assert_eq!(
            rules.get("default").unwrap().quotas,
            vec![Quota::per(20, HOUR), Quota::per(40, DAY)]
        );
        assert_eq!(rules.get("csv").unwrap().quotas, vec![Quota::per(10, HOUR)]);
    }

    #[test]
    fn bad_overrides_are_refused_with_the_reason() {
        assert_eq!(
            Rules::new("logn=5/minute", 1.0).unwrap_err(),
            RulesError::UnknownPolicy("logn".into())
        );
        assert!(matches!(
            Rules::new("login=5/fortnight", 1.0),
            Err(RulesError::BadQuota(_))
        ));
        assert!(matches!(
            Rules::new("", 0.0),
            Err(RulesError::BadMultiplier)
        ));
    }

    #[test]
    fn sign_in_routes_identify_the_caller_and_others_do_not() {
        for path in [
            "/api/auth/login",
            "/api/auth/register",
            "/api/auth/google",
            "/api/auth/github",
        ] {
            assert!(identifies_caller(&Method::POST, path), "{path}");
        }
        assert!(identifies_caller(&Method::POST, "/signin"));
        assert!(identifies_caller(&Method::POST, "/signup"));
        assert!(!identifies_caller(&Method::POST, "/api/analyze/csv"));
        assert!(!identifies_caller(&Method::GET, "/api/journal/entries"));
    }

    #[test]
    fn probes_and_preflights_are_exempt() {
        assert!(is_exempt(&Method::GET, "/livez"));
        assert!(is_exempt(&Method::GET, "/static/{file}"));
        assert!(is_exempt(&Method::OPTIONS, "/api/auth/login"));
        assert!(!is_exempt(&Method::POST, "/api/auth/login"));
    }
}
