//! Connections: a connect gives the pool one turn first, and is dropped when the request
//! that asked for it was served by the pool meanwhile.
//!
//! hyper-util's pool (`client/legacy/client.rs`, `one_connection_for`) races a request's pool
//! checkout against a new connect. An HTTP/1.1 connection goes back to the pool only when a
//! task hyper spawned sees it idle, so a caller that sends its next request at once often
//! finds no idle connection and starts a connect; when the returning connection then wins the
//! race, hyper finishes the connect in a task of its own and parks the surplus connection in
//! the pool. Under steady concurrency the count creeps up to the concurrency plus the
//! connections on their way back.
//!
//! [`PoolFirst`] wraps the connector: a connect first yields a few times to the scheduler (the
//! task goes to the back of the run queue, behind hyper's task returning a connection) and
//! then goes ahead only if it is still polled by the task that asked for it. When the checkout won,
//! hyper polls the connect from the task it spawned for it, and the connect ends there with an
//! error hyper discards: no surplus socket. Only connects pay (a yield); a request served by
//! the pool never reaches the connector.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

/// The turns of the scheduler a connect leaves to the pool first. One is often too few under
/// heavy concurrency (the connection's way back takes more than one task); four kept the
/// benchmark's connections at the concurrency, at the cost of four task switches per
/// connection made (never per request).
const TURNS: usize = 4;

/// The error of a connect the pool made unnecessary.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The connector layer (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PoolFirst;

impl<S> Layer<S> for PoolFirst {
    type Service = PoolFirstConnector<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PoolFirstConnector { inner }
    }
}

/// A connector wrapped by [`PoolFirst`].
#[derive(Clone, Debug)]
pub(crate) struct PoolFirstConnector<S> {
    inner: S,
}

impl<S, R> Service<R> for PoolFirstConnector<S>
where
    S: Service<R, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, destination: R) -> Self::Future {
        // The connector made ready by `poll_ready` serves this call; a clone takes its place.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let asked_by = tokio::task::try_id();
        Box::pin(async move {
            for _ in 0..TURNS {
                YieldOnce::default().await;
                // `None` outside a task (`block_on`); hyper's own connect task always has an id.
                if tokio::task::try_id() != asked_by {
                    return Err(Unneeded.into());
                }
            }
            inner.call(destination).await
        })
    }
}

/// A connect the pool made unnecessary (hyper discards it).
#[derive(Debug)]
struct Unneeded;

impl std::fmt::Display for Unneeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connect dropped: the request was served by a pooled connection")
    }
}

impl std::error::Error for Unneeded {}

/// Yields once: the task wakes itself, so the runtime queues it behind the tasks already
/// waiting (without polling its I/O driver first, as `tokio::task::yield_now` does).
#[derive(Default)]
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A connector that counts the connects it was asked to make.
    #[derive(Clone, Default)]
    struct Counting(Arc<AtomicUsize>);

    impl Service<&'static str> for Counting {
        type Response = &'static str;
        type Error = BoxError;
        type Future = std::future::Ready<Result<&'static str, BoxError>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, destination: &'static str) -> Self::Future {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(destination))
        }
    }

    #[tokio::test]
    async fn a_connect_still_wanted_by_its_request_goes_ahead() {
        let inner = Counting::default();
        let mut connector = PoolFirst.layer(inner.clone());
        let connected = tokio::spawn(async move { connector.call("http://127.0.0.1:1").await })
            .await
            .expect("task")
            .expect("connects");
        assert_eq!(connected, "http://127.0.0.1:1");
        assert_eq!(inner.0.load(Ordering::SeqCst), 1);
    }

    /// What hyper does when the pool checkout wins the race: the started connect is finished
    /// in a task of its own. The connect is then dropped without reaching the connector.
    #[tokio::test]
    async fn a_connect_left_to_another_task_is_dropped() {
        let inner = Counting::default();
        let mut connector = PoolFirst.layer(inner.clone());
        let mut connect = connector.call("http://127.0.0.1:1");
        // Polled once by the requesting task: it yields to the pool first.
        let first = futures::poll!(connect.as_mut());
        assert!(first.is_pending());
        let error = tokio::spawn(connect)
            .await
            .expect("task")
            .expect_err("dropped");
        assert!(error.is::<Unneeded>(), "{error}");
        assert_eq!(inner.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn outside_a_task_a_connect_goes_ahead() {
        let inner = Counting::default();
        let mut connector = PoolFirst.layer(inner.clone());
        let connected = futures::executor::block_on(connector.call("http://127.0.0.1:1"));
        assert_eq!(connected.expect("connects"), "http://127.0.0.1:1");
        assert_eq!(inner.0.load(Ordering::SeqCst), 1);
    }
}
