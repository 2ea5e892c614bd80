//! A small single-threaded executor for guest futures.
//!
//! The host's imports are synchronous: `database-proxy.recv` blocks until bytes arrive. So the
//! guest needs no reactor, only a loop that polls whatever was woken. [`block_on`] drives one
//! future plus every task started with [`spawn`] (database connection drivers such as
//! tokio-postgres' `Connection` or redis' multiplexed driver). Wakeups come from the IO
//! adapters in [`crate::db`]: a read is parked until the connection owes a reply, and a write
//! wakes it. If every task waits and nothing woke any of them, no progress is possible; that
//! is reported as a panic naming the situation instead of hanging the host's request.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// A wake flag: set by a waker, cleared by the executor just before it polls the task.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

struct Spawned {
    flag: Arc<Flag>,
    task: Task,
}

thread_local! {
    /// Tasks started by `spawn` that have not finished (one guest instance = one thread).
    static TASKS: RefCell<Vec<Spawned>> = const { RefCell::new(Vec::new()) };
    /// Tasks spawned while the executor is polling (moved into TASKS after each pass).
    static NEW_TASKS: RefCell<Vec<Spawned>> = const { RefCell::new(Vec::new()) };
}

/// Starts `future` as a background task; it runs while some [`block_on`] is running.
pub fn spawn<F: Future<Output = ()> + 'static>(future: F) {
    let flag = Arc::new(Flag(AtomicBool::new(true)));
    NEW_TASKS.with(|t| t.borrow_mut().push(Spawned { flag, task: Box::pin(future) }));
}

/// How many spawned tasks are still alive (finished ones are dropped).
pub fn task_count() -> usize {
    TASKS.with(|t| t.borrow().len()) + NEW_TASKS.with(|t| t.borrow().len())
}

/// Polls every woken spawned task once; returns whether any was polled.
fn poll_spawned() -> bool {
    let mut tasks = TASKS.with(|t| std::mem::take(&mut *t.borrow_mut()));
    tasks.extend(NEW_TASKS.with(|t| std::mem::take(&mut *t.borrow_mut())));
    let mut polled = false;
    tasks.retain_mut(|s| {
        if !s.flag.0.swap(false, Ordering::AcqRel) {
            return true;
        }
        polled = true;
        let waker = Waker::from(s.flag.clone());
        s.task.as_mut().poll(&mut Context::from_waker(&waker)).is_pending()
    });
    // Tasks spawned during this pass were pushed to NEW_TASKS; keep both.
    TASKS.with(|t| {
        let mut t = t.borrow_mut();
        tasks.append(&mut t);
        *t = tasks;
    });
    polled || NEW_TASKS.with(|t| !t.borrow().is_empty())
}

/// Runs `future` to completion on this thread, driving spawned tasks alongside it.
///
/// # Panics
/// When every task is waiting and none was woken (a deadlock: for example a database reply
/// that the connection does not owe), instead of blocking the host forever.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let flag = Arc::new(Flag(AtomicBool::new(true)));
    let waker = Waker::from(flag.clone());
    loop {
        if flag.0.swap(false, Ordering::AcqRel) {
            if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return out;
            }
        }
        let progressed = poll_spawned();
        if !progressed && !flag.0.load(Ordering::Acquire) {
            panic!(
                "warpgrid-sdk executor: all {} task(s) are waiting and none can be woken \
                 (a future awaits something that no import will deliver)",
                task_count() + 1
            );
        }
    }
}

/// Lets spawned tasks finish what they can (e.g. a database driver sending its goodbye after
/// its client was dropped), then drops the rest, which closes their connections.
pub fn drain() {
    while poll_spawned() {}
    TASKS.with(|t| t.borrow_mut().clear());
    NEW_TASKS.with(|t| t.borrow_mut().clear());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// A future that is pending until another task flips a shared cell, then wakes it.
    struct WaitFor(Rc<Cell<bool>>, Rc<RefCell<Option<Waker>>>);
    impl Future for WaitFor {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0.get() {
                Poll::Ready(())
            } else {
                *self.1.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    #[test]
    fn block_on_drives_spawned_tasks() {
        let done = Rc::new(Cell::new(false));
        let waker = Rc::new(RefCell::new(None::<Waker>));
        let (d, w) = (done.clone(), waker.clone());
        spawn(async move {
            d.set(true);
            if let Some(w) = w.borrow_mut().take() {
                w.wake();
            }
        });
        block_on(WaitFor(done.clone(), waker));
        assert!(done.get());
        assert_eq!(task_count(), 0);
    }

    #[test]
    fn spawned_task_can_spawn() {
        let hits = Rc::new(Cell::new(0));
        let h = hits.clone();
        let out = block_on(async move {
            spawn(async move {
                h.set(h.get() + 1);
                let h2 = h.clone();
                spawn(async move { h2.set(h2.get() + 10) });
            });
            7
        });
        assert_eq!(out, 7);
        drain();
        assert_eq!(hits.get(), 11);
        assert_eq!(task_count(), 0);
    }

    #[test]
    #[should_panic(expected = "none can be woken")]
    fn deadlock_is_reported() {
        block_on(WaitFor(Rc::new(Cell::new(false)), Rc::new(RefCell::new(None))));
    }
}
