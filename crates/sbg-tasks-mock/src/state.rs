//! The state the server's connections and the control handle share: the platform, the
//! faults, the journal, and what the listener is.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::fault::FaultTable;
use crate::journal::{Journal, JournalEntry};
use crate::platform::MockPlatform;
use crate::sync::lock;

/// State shared by the connections and the control handle.
pub(crate) struct Shared {
    pub(crate) started: Instant,
    pub(crate) addr: SocketAddr,
    pub(crate) cert_pem: Option<String>,
    pub(crate) platform: MockPlatform,
    pub(crate) faults: FaultTable,
    pub(crate) journal: Mutex<Journal>,
}

impl Shared {
    pub(crate) fn record(&self, entry: JournalEntry) {
        lock(&self.journal).push(entry);
    }
}
