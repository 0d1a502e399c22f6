//! Responses that cost real CPU to compute (the observatory's coverage of a département, its
//! map and tables, its downloads), computed once off the async executor and served from
//! memory until the store changes.
//!
//! Why: coverage of a département takes about a hundred milliseconds of CPU at national scale.
//! Computed on the async workers for every request, eight visitors of `/observatoire` made the
//! search unusable for everyone (p50 312 ms). Here the work runs in `spawn_blocking`, once per
//! key even when many requests ask at the same time (they wait for the same computation), and
//! the handler only reads the result. [`PageCache::clear`] is called when the store changes
//! (the index reload), so a new import or a new tour publication is seen at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OnceCell, Semaphore};

use crate::error::WebError;

/// A computed response: its body and the headers that describe it.
#[derive(Debug, Clone)]
pub struct CachedBody {
    pub content_type: &'static str,
    /// `Content-Disposition` for a download.
    pub disposition: Option<String>,
    pub body: Bytes,
}

impl CachedBody {
    pub fn html(body: String) -> CachedBody {
        CachedBody {
            content_type: "text/html; charset=utf-8",
            disposition: None,
            body: Bytes::from(body),
        }
    }

    pub fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> CachedBody {
        CachedBody {
            content_type,
            disposition: Some(format!("attachment; filename=\"{file_name}\"")),
            body: Bytes::from(body),
        }
    }
}

impl IntoResponse for CachedBody {
    fn into_response(self) -> Response {
        let mut response = self.body.into_response();
        let h = response.headers_mut();
        if let Ok(v) = header::HeaderValue::from_str(self.content_type) {
            h.insert(header::CONTENT_TYPE, v);
        }
        if let Some(v) = self
            .disposition
            .and_then(|d| header::HeaderValue::from_str(&d).ok())
        {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        response
    }
}

type Slot = Arc<OnceCell<CachedBody>>;

/// Computed responses by key (the normalised query). Bounded: past `capacity` keys the
/// cache starts again empty, so hostile query strings cannot grow it without end.
pub struct PageCache {
    slots: Mutex<HashMap<String, Slot>>,
    capacity: usize,
    /// At most this many computations at once, so that a burst of cold pages (eight visitors
    /// on eight départements) leaves CPU for the search: half the cores, at least one.
    workers: Semaphore,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::new(512)
    }
}

impl PageCache {
    pub fn new(capacity: usize) -> PageCache {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PageCache {
            slots: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            workers: Semaphore::new((cores / 2).max(1)),
        }
    }

    /// The response for `key`, computed by `compute` on a blocking thread if it is not known
    /// yet. Concurrent callers with the same key share one computation. Errors are not kept
    /// (the next request tries again).
    pub async fn get_or_compute<F>(&self, key: String, compute: F) -> Result<CachedBody, WebError>
    where
        F: FnOnce() -> Result<CachedBody, WebError> + Send + 'static,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if !slots.contains_key(&key) && slots.len() >= self.capacity {
                slots.clear();
            }
            slots.entry(key).or_default().clone()
        };
        // The page is drawn with the identity of the request that computes it.
        let identity = crate::identity::current();
        slot.get_or_try_init(|| async move {
            let _permit = self
                .workers
                .acquire()
                .await
                .map_err(|e| WebError::Unavailable(format!("calcul impossible : {e}")))?;
            tokio::task::spawn_blocking(move || crate::identity::within(identity, compute))
                .await
                .map_err(|e| WebError::Unavailable(format!("calcul interrompu : {e}")))?
        })
        .await
        .cloned()
    }

    /// Forgets every response: called when the store changed.
    pub fn clear(&self) {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_for_one_key_compute_once() {
        let cache = Arc::new(PageCache::new(8));
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, runs) = (cache.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_compute("k".into(), move || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(CachedBody::html("x".into()))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().body, Bytes::from("x"));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_error_is_not_kept_and_clear_forgets() {
        let cache = PageCache::new(8);
        let err = cache
            .get_or_compute("k".into(), || Err(WebError::BadRequest("non".into())))
            .await;
        assert!(err.is_err());
        let ok = cache
            .get_or_compute("k".into(), || Ok(CachedBody::html("oui".into())))
            .await
            .unwrap();
        assert_eq!(ok.body, Bytes::from("oui"));
        cache.clear();
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn the_cache_is_bounded() {
        let cache = PageCache::new(3);
        for i in 0..10 {
            cache
                .get_or_compute(format!("k{i}"), || Ok(CachedBody::html(String::new())))
                .await
                .unwrap();
            assert!(cache.len() <= 3);
        }
    }
}
