//! For tests: the records one test makes, as the EMF lines production
//! writes. The first capture attaches a sink to [`LedgerMetrics`] that hands
//! each record to the capture of the test that made it: the one of the tokio
//! runtime it was made on (a `#[tokio::test]`'s own), else of its thread. A
//! record no capture claims is dropped. Production never captures: `init`
//! attaches stdout instead, once per process.
//!
//! This is metrique's `test-util` routing, kept here rather than turned on
//! as that feature: a feature the tests' build alone enables would give
//! every crate above metrique, the functions among them, a second build for
//! `make run` (the workspace's Cargo.toml).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::{self, ThreadId};

use metrique::writer::sink::{FlushImmediately, FlushWait};
use metrique::writer::{AttachGlobalEntrySink, BoxEntry, BoxEntrySink, EntrySink, FormatExt};

use super::{LedgerMetrics, emf};

/// The EMF lines of the records made while [`Records::capture`]'s guard lives.
pub type Records = crate::captured_lines::CapturedLines;

/// Who made a record: the runtime a task ran on, or the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Maker {
    Runtime(tokio::runtime::Id),
    Thread(ThreadId),
}

impl Maker {
    fn current() -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => Maker::Runtime(runtime.id()),
            Err(_) => Maker::Thread(thread::current().id()),
        }
    }
}

fn captures() -> MutexGuard<'static, HashMap<Maker, BoxEntrySink>> {
    static CAPTURES: OnceLock<Mutex<HashMap<Maker, BoxEntrySink>>> = OnceLock::new();
    CAPTURES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The sink attached to [`LedgerMetrics`] while tests capture.
struct ByMaker;

impl EntrySink<BoxEntry> for ByMaker {
    fn append(&self, entry: BoxEntry) {
        let sink = captures().get(&Maker::current()).cloned();
        if let Some(sink) = sink {
            sink.append(entry);
        }
    }

    fn flush_async(&self) -> FlushWait {
        FlushWait::ready()
    }
}

/// Ends a capture when dropped.
pub struct Capture(Maker);

impl Drop for Capture {
    fn drop(&mut self) {
        captures().remove(&self.0);
    }
}

impl Records {
    /// Sends the records made on the calling test's runtime (or thread) here
    /// until the guard drops.
    pub fn capture() -> (Self, Capture) {
        static ATTACHED: OnceLock<()> = OnceLock::new();
        ATTACHED.get_or_init(|| LedgerMetrics::attach((ByMaker, ())).forget());
        let records = Records::default();
        let maker = Maker::current();
        let sink = FlushImmediately::new_boxed(emf().output_to(records.clone()));
        let earlier = captures().insert(maker, sink);
        assert!(earlier.is_none(), "one capture at a time per test");
        (records, Capture(maker))
    }
}
