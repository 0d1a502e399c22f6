//! Security headers on every response (a strict Content-Security-Policy without inline script,
//! no framing except for the embed widget), CORS for the read-only API, the anti-forgery token
//! of the error-report form (double submit: a SameSite=Strict cookie and a keyed hash of it in
//! the form) and the rate limit of that form.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use tower_http::cors::{Any, CorsLayer};

pub const CSRF_COOKIE: &str = "maillage_jeton";

/// Per-process secrets and counters.
pub struct Security {
    secret: [u8; 32],
    counter: AtomicU64,
    reports: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

/// At most this many reports per address and window.
const REPORTS_PER_WINDOW: usize = 5;
const REPORT_WINDOW: Duration = Duration::from_secs(600);

impl Security {
    pub fn new() -> Security {
        let mut secret = [0u8; 32];
        for chunk in secret.chunks_mut(8) {
            // RandomState is seeded from the operating system's randomness.
            let v = RandomState::new().hash_one(Instant::now());
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        Security {
            secret,
            counter: AtomicU64::new(0),
            reports: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh random value for the anti-forgery cookie.
    pub fn new_cookie_value(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let a = RandomState::new().hash_one(n);
        let b = RandomState::new().hash_one((n, Instant::now()));
        format!("{a:016x}{b:016x}")
    }

    /// The form token that goes with a cookie value.
    pub fn form_token(&self, cookie: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(cookie.as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// Whether a form token matches its cookie (constant-time comparison).
    pub fn check(&self, cookie: &str, token: &str) -> bool {
        if cookie.len() != 32 || token.len() != 32 {
            return false;
        }
        let expected = self.form_token(cookie);
        expected
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// Records one report from `ip`; `false` when that address sent too many lately.
    pub fn allow_report(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = match self.reports.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if map.len() > 10_000 {
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < REPORT_WINDOW));
        }
        let times = map.entry(ip).or_default();
        times.retain(|t| now.duration_since(*t) < REPORT_WINDOW);
        if times.len() >= REPORTS_PER_WINDOW {
            return false;
        }
        times.push(now);
        true
    }
}

impl Default for Security {
    fn default() -> Self {
        Security::new()
    }
}

/// The cookie value of a request, if any.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
const CSP_EMBED: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

/// Adds the security headers. `/embed` may be framed by any site (that is its purpose); every
/// other page refuses to be framed.
pub async fn headers(request: Request, next: Next) -> Response {
    let embed = request.uri().path() == "/embed";
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if embed { CSP_EMBED } else { CSP }),
    );
    if !embed {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("geolocation=(self), camera=(), microphone=()"),
    );
    response
}

/// CORS for the API: any origin may read, nobody may write.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any)
        .max_age(Duration::from_secs(86400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_only_fits_its_own_cookie() {
        let s = Security::new();
        let c1 = s.new_cookie_value();
        let c2 = s.new_cookie_value();
        assert_ne!(c1, c2);
        assert!(s.check(&c1, &s.form_token(&c1)));
        assert!(!s.check(&c2, &s.form_token(&c1)));
        assert!(!s.check(&c1, ""));
    }

    #[test]
    fn reports_are_rate_limited_per_address() {
        let s = Security::new();
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..REPORTS_PER_WINDOW {
            assert!(s.allow_report(ip));
        }
        assert!(!s.allow_report(ip));
        assert!(s.allow_report("192.0.2.2".parse().expect("ip")));
    }
}
