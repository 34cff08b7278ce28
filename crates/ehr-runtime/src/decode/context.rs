//! Where the decode in progress keeps what it left out: a per-thread scope.
//!
//! A decode is synchronous (one `serde_json::from_slice`), so the scope lives in thread-local
//! cells for its duration: the mode (strict, tolerant, or tolerant and naming paths), and the
//! fields left out so far, each with the path segments its ancestors have added on their way
//! back up.
//!
//! A tolerant decode first runs without naming anything: the only cells read on its success
//! path are the mode (once per struct, by [`Record`](super::Record)) and, in lists inside
//! tolerant values, [`dropped_count`]. Only when it left a field out is the body decoded a
//! second time, in [`NAMING`] mode, where each struct and list adds its key or index to the
//! path of what its values left out ([`Scope::name_paths`]).

use std::cell::{Cell, RefCell};

use super::DroppedField;

/// No scope: tolerant, each left-out field warned about at once, without its path.
const NONE: u8 = 0;
/// Tolerant; what is left out is counted, its path not named (the first pass).
const TOLERANT: u8 = 1;
const STRICT: u8 = 2;
/// Tolerant, and each struct and list names the path of what its values left out (the second
/// pass, run only when the first left something out).
const NAMING: u8 = 3;

thread_local! {
    static MODE: Cell<u8> = const { Cell::new(NONE) };
    /// How many fields the current scope has left out (the length of `LEFT_OUT`).
    static DROPPED: Cell<u32> = const { Cell::new(0) };
    static LEFT_OUT: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
}

/// A left-out field whose path is still being written, innermost segment first.
pub(super) struct Pending {
    segments: Vec<Segment>,
    expected: &'static str,
    found: &'static str,
}

/// One step of a JSON path.
pub(super) enum Segment {
    Key(Box<str>),
    Index(usize),
}

/// How many fields the current scope has left out so far.
#[inline]
pub(super) fn dropped_count() -> u32 {
    DROPPED.with(Cell::get)
}

/// Whether the current decode names the paths of what it leaves out (see [`NAMING`]).
#[inline]
pub(super) fn naming() -> bool {
    MODE.with(Cell::get) == NAMING
}

/// Whether the current scope is strict (a value that does not decode fails the decode).
pub(super) fn strict() -> bool {
    MODE.with(Cell::get) == STRICT
}

/// Notes that a field expecting `expected` was left out because it held `found` (a JSON kind).
pub(super) fn left_out(expected: &'static str, found: &'static str) {
    if MODE.with(Cell::get) == NONE {
        // Decoded outside the SDK's calls (`serde_json` straight into a generated type): no
        // scope collects paths, so say what was left out now.
        tracing::warn!(
            target: "ehr_runtime::decode",
            expected = super::short_type_name(expected),
            found,
            "a field of a decoded value was left out: it does not have the type the spec says \
             (decode with `ehr_runtime::decode::from_slice` for its path)"
        );
        return;
    }
    LEFT_OUT.with(|l| {
        l.borrow_mut().push(Pending {
            segments: Vec::new(),
            expected,
            found,
        })
    });
    DROPPED.with(|d| d.set(d.get() + 1));
}

/// Adds `segment` to the path of every field left out since `since` (a [`dropped_count`]).
#[cold]
pub(super) fn label(since: u32, segment: impl Fn() -> Segment) {
    LEFT_OUT.with(|l| {
        for pending in l.borrow_mut().iter_mut().skip(since as usize) {
            pending.segments.push(segment());
        }
    });
}

/// A decode scope: set for one decode, restored on drop (also when the decode fails or
/// panics). Entering and leaving touch two counters only, unless a field is left out (or an
/// outer scope, decoding something else around this decode, has left one out).
pub(super) struct Scope {
    mode: u8,
    dropped: u32,
    /// What an outer scope had left out, kept aside while this one runs.
    outer: Vec<Pending>,
}

impl Scope {
    pub(super) fn enter(strict: bool) -> Self {
        let mode = MODE.with(|m| m.replace(if strict { STRICT } else { TOLERANT }));
        let dropped = DROPPED.with(|d| d.replace(0));
        let outer = if dropped == 0 {
            Vec::new()
        } else {
            LEFT_OUT.with(|l| std::mem::take(&mut *l.borrow_mut()))
        };
        Self {
            mode,
            dropped,
            outer,
        }
    }

    /// How many fields this scope has left out so far.
    pub(super) fn dropped(&self) -> u32 {
        dropped_count()
    }

    /// Forgets what the first pass left out and makes the next decode in this scope name the
    /// path of each field it leaves out.
    pub(super) fn name_paths(&mut self) {
        MODE.with(|m| m.set(NAMING));
        DROPPED.with(|d| d.set(0));
        LEFT_OUT.with(|l| l.borrow_mut().clear());
    }

    /// The fields this scope left out, with their paths.
    pub(super) fn take(&mut self) -> Vec<DroppedField> {
        if dropped_count() == 0 {
            return Vec::new();
        }
        DROPPED.with(|d| d.set(0));
        LEFT_OUT
            .with(|l| std::mem::take(&mut *l.borrow_mut()))
            .into_iter()
            .map(|p| {
                let mut path = String::from("$");
                for segment in p.segments.iter().rev() {
                    match segment {
                        Segment::Key(key) => {
                            path.push('.');
                            path.push_str(key);
                        }
                        Segment::Index(i) => {
                            path.push('[');
                            path.push_str(&i.to_string());
                            path.push(']');
                        }
                    }
                }
                DroppedField {
                    path,
                    expected: super::short_type_name(p.expected),
                    found: p.found,
                }
            })
            .collect()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        MODE.with(|m| m.set(self.mode));
        // A decode that failed after leaving fields out did not take them.
        let own = DROPPED.with(|d| d.replace(self.dropped));
        if own != 0 || !self.outer.is_empty() {
            let outer = std::mem::take(&mut self.outer);
            LEFT_OUT.with(|l| *l.borrow_mut() = outer);
        }
    }
}
