//! Where the decode in progress keeps what it left out: a per-thread scope.
//!
//! A decode is synchronous (one `serde_json::from_slice`), so the scope lives in thread-local
//! cells for its duration: the mode (strict or tolerant), the fields left out so far, and the
//! path being read, one slot a level: each struct read through [`Record`](super::Record)
//! writes the key it is reading into its slot, each list the index. That is all the success
//! path does (one slot write a key or element, one depth change a struct or list); a field
//! left out copies the slots into its path, in the one pass that decodes the body.
//!
//! A key is kept as where it lies in the body being decoded (address and length), and read
//! back from the body when the scope hands over what was left out; a key the decoder had to
//! unescape is kept as the struct's own name for it.

use std::cell::{Cell, RefCell};

use super::DroppedField;

/// No scope: tolerant, each left-out field warned about at once, without its path.
const NONE: u8 = 0;
const TOLERANT: u8 = 1;
const STRICT: u8 = 2;

/// How many levels of a path are named; deeper levels show as `…`.
const LEVELS: usize = 32;

/// One level of the path being read.
#[derive(Clone, Copy)]
pub(super) enum Slot {
    /// A struct whose first key is not read yet, or a key that cannot be named.
    Unknown,
    /// A key as it lies in the body: its address and length.
    InBody(usize, usize),
    /// A key by the struct's own name for it.
    Name(&'static str),
    /// An element of a list.
    Index(usize),
}

/// The current decode's state, one thread-local (one address to compute a touch).
struct State {
    mode: Cell<u8>,
    /// How many levels are being read.
    depth: Cell<usize>,
    /// The current scope's first level.
    base: Cell<usize>,
    slots: [Cell<Slot>; LEVELS],
    left_out: RefCell<Vec<Pending>>,
}

thread_local! {
    static STATE: State = const {
        State {
            mode: Cell::new(NONE),
            depth: Cell::new(0),
            base: Cell::new(0),
            slots: [const { Cell::new(Slot::Unknown) }; LEVELS],
            left_out: RefCell::new(Vec::new()),
        }
    };
}

/// One level of the path (a struct or a list) while it is read: restores the depth when
/// dropped, also when its value fails halfway.
pub(super) struct Level {
    depth: usize,
}

impl Level {
    /// Enters a level below the current one.
    #[inline]
    pub(super) fn enter() -> Self {
        STATE.with(|s| {
            let depth = s.depth.replace(s.depth.get() + 1);
            if let Some(slot) = s.slots.get(depth) {
                slot.set(Slot::Unknown);
            }
            Self { depth }
        })
    }

    /// Notes what this level is reading now: a key or an index.
    #[inline]
    pub(super) fn set(&self, slot: Slot) {
        STATE.with(|s| {
            if let Some(cell) = s.slots.get(self.depth) {
                cell.set(slot);
            }
        })
    }
}

impl Drop for Level {
    #[inline]
    fn drop(&mut self) {
        STATE.with(|s| s.depth.set(self.depth));
    }
}

/// Whether the current scope is strict (a value that does not decode fails the decode).
pub(super) fn strict() -> bool {
    STATE.with(|s| s.mode.get()) == STRICT
}

/// Notes that a field expecting `expected` was left out because it held `found` (a JSON kind);
/// its path is the path being read.
#[cold]
pub(super) fn left_out(expected: &'static str, found: &'static str) {
    if STATE.with(|s| s.mode.get()) == NONE {
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
    STATE.with(|s| {
        let (base, depth) = (s.base.get(), s.depth.get());
        let slots = s.slots[base.min(LEVELS)..depth.min(LEVELS)]
            .iter()
            .map(Cell::get)
            .collect();
        s.left_out.borrow_mut().push(Pending {
            slots,
            deeper: depth > LEVELS,
            expected,
            found,
        });
    });
}

/// A left-out field, its path still as slots (keys as places in the body).
pub(super) struct Pending {
    slots: Vec<Slot>,
    /// The path went deeper than the levels kept.
    deeper: bool,
    expected: &'static str,
    found: &'static str,
}

impl Pending {
    /// The field, its path written with the keys read back from `body`.
    fn resolve(self, body: &[u8]) -> DroppedField {
        let body_addr = body.as_ptr() as usize;
        let mut path = String::from("$");
        for slot in self.slots {
            match slot {
                Slot::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
                Slot::Name(name) => {
                    path.push('.');
                    path.push_str(name);
                }
                Slot::InBody(addr, len) => {
                    path.push('.');
                    let key = addr
                        .checked_sub(body_addr)
                        .and_then(|start| body.get(start..start.checked_add(len)?));
                    match key {
                        Some(key) => path.push_str(&String::from_utf8_lossy(key)),
                        None => path.push('?'),
                    }
                }
                Slot::Unknown => path.push_str(".?"),
            }
        }
        if self.deeper {
            path.push_str(".…");
        }
        DroppedField {
            path,
            expected: super::short_type_name(self.expected),
            found: self.found,
        }
    }
}

/// A decode scope: set for one decode, restored on drop (also when the decode fails or
/// panics). A decode inside a decode (a type's own `Deserialize` calling
/// [`from_slice`](super::from_slice)) has its own.
pub(super) struct Scope {
    mode: u8,
    base: usize,
    depth: usize,
    /// What an outer scope had left out, kept aside while this one runs.
    outer: Vec<Pending>,
}

impl Scope {
    pub(super) fn enter(strict: bool) -> Self {
        STATE.with(|s| {
            let depth = s.depth.get();
            let mut left_out = s.left_out.borrow_mut();
            Self {
                mode: s.mode.replace(if strict { STRICT } else { TOLERANT }),
                base: s.base.replace(depth),
                depth,
                outer: if left_out.is_empty() {
                    Vec::new()
                } else {
                    std::mem::take(&mut *left_out)
                },
            }
        })
    }

    /// Whether this scope left a field out.
    pub(super) fn left_out_any(&self) -> bool {
        STATE.with(|s| !s.left_out.borrow().is_empty())
    }

    /// The fields this scope left out, with their paths (`body` is what it decoded).
    pub(super) fn take(&mut self, body: &[u8]) -> Vec<DroppedField> {
        STATE.with(|s| {
            let mut l = s.left_out.borrow_mut();
            if l.is_empty() {
                return Vec::new();
            }
            std::mem::take(&mut *l)
                .into_iter()
                .map(|p| p.resolve(body))
                .collect()
        })
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        STATE.with(|s| {
            s.mode.set(self.mode);
            s.base.set(self.base);
            s.depth.set(self.depth);
            let mut l = s.left_out.borrow_mut();
            // A decode that failed after leaving fields out did not take them.
            if !l.is_empty() || !self.outer.is_empty() {
                *l = std::mem::take(&mut self.outer);
            }
        });
    }
}
