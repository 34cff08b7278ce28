//! Where the decode in progress keeps what it left out: a per-thread scope.
//!
//! A decode is synchronous (one `serde_json::from_slice`), so the scope lives in thread-local
//! cells for its duration: the mode (strict or tolerant), and the fields left out so far, each
//! with the path segments its ancestors have added on their way back up. The only cell read on
//! the success path is [`dropped_count`] (once per field of a struct and once per element of a
//! list the struct holds); the rest is touched only when a value does not decode.

use std::cell::{Cell, RefCell};

use super::DroppedField;

/// No scope: tolerant, each left-out field warned about at once, without its path.
const NONE: u8 = 0;
const TOLERANT: u8 = 1;
const STRICT: u8 = 2;

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

/// A decode scope: set for one decode, restored on drop (also when the decode panics).
pub(super) struct Scope {
    mode: u8,
    dropped: u32,
    left_out: Vec<Pending>,
}

impl Scope {
    pub(super) fn enter(strict: bool) -> Self {
        let mode = MODE.with(|m| m.replace(if strict { STRICT } else { TOLERANT }));
        let dropped = DROPPED.with(|d| d.replace(0));
        let left_out = LEFT_OUT.with(|l| std::mem::take(&mut *l.borrow_mut()));
        Self {
            mode,
            dropped,
            left_out,
        }
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
        DROPPED.with(|d| d.set(self.dropped));
        let outer = std::mem::take(&mut self.left_out);
        LEFT_OUT.with(|l| *l.borrow_mut() = outer);
    }
}
