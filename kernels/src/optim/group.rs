//! Parameter groups: different optimizers (or settings) for different tensors of one buffer.

use super::{Layout, Optimizer, Slot, check_len};
use std::ops::Range;

/// Optimizers applied to contiguous runs of a layout's tensors, e.g. SGD with weight decay on a
/// backbone and a Riemannian method on a classifier head. Every tensor belongs to exactly one
/// group, and each group's optimizer sees its tensors with offsets rebased to zero.
pub struct Grouped {
    layout: Layout,
    parts: Vec<(Range<usize>, Box<dyn Optimizer>)>,
}

impl Grouped {
    pub fn new(layout: Layout) -> Self {
        Self {
            layout,
            parts: Vec::new(),
        }
    }

    /// Adds a group: the named tensors (adjacent in the layout, in layout order) and a
    /// constructor that receives their sub-layout.
    ///
    /// # Panics
    /// If a name is unknown, the tensors are not adjacent, or one is already in a group.
    pub fn group(
        mut self,
        names: &[&str],
        make: impl FnOnce(Layout) -> Box<dyn Optimizer>,
    ) -> Self {
        let idx: Vec<usize> = names
            .iter()
            .map(|n| {
                self.layout
                    .slots
                    .iter()
                    .position(|s| s.name == *n)
                    .unwrap_or_else(|| panic!("no tensor named {n}"))
            })
            .collect();
        assert!(
            idx.windows(2).all(|w| w[1] == w[0] + 1),
            "a group's tensors must be adjacent in the layout, in order"
        );
        let start = self.layout.slots[idx[0]].offset;
        let last = &self.layout.slots[*idx.last().unwrap()];
        let range = start..last.offset + last.len;
        assert!(
            self.parts
                .iter()
                .all(|(r, _)| r.end <= range.start || r.start >= range.end),
            "a tensor is in two groups"
        );
        let slots: Vec<Slot> = idx
            .iter()
            .map(|&i| Slot {
                offset: self.layout.slots[i].offset - start,
                ..self.layout.slots[i].clone()
            })
            .collect();
        let sub = Layout {
            slots,
            total: range.len(),
        };
        self.parts.push((range, make(sub)));
        self
    }
}

impl Optimizer for Grouped {
    fn name(&self) -> String {
        let names: Vec<String> = self.parts.iter().map(|(_, o)| o.name()).collect();
        names.join(" + ")
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let covered: usize = self.parts.iter().map(|(r, _)| r.len()).sum();
        assert_eq!(
            covered, self.layout.total,
            "some tensors belong to no group"
        );
        for (r, opt) in &mut self.parts {
            opt.step(&mut params[r.clone()], &grads[r.clone()]);
        }
    }

    fn state_bytes(&self) -> usize {
        self.parts.iter().map(|(_, o)| o.state_bytes()).sum()
    }

    fn bytes_per_step(&self) -> usize {
        self.parts.iter().map(|(_, o)| o.bytes_per_step()).sum()
    }
}
