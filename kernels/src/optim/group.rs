//! Parameter groups: different optimizers (or settings) for different tensors of one buffer.

use super::{Layout, Optimizer, Slot, check_len};
use std::ops::Range;

/// One group: where its tensors lie in the full buffer, its optimizer, and (when the tensors
/// are not adjacent) the gathered copies its optimizer steps.
struct Part {
    ranges: Vec<Range<usize>>,
    opt: Box<dyn Optimizer>,
    params: Vec<f32>,
    grads: Vec<f32>,
}

/// Optimizers applied to sets of a layout's tensors, as torch's parameter groups: e.g. SGD with
/// weight decay on a backbone and a Riemannian method on a classifier head, or Muon on the
/// hidden matrices and AdamW on everything else. Every tensor belongs to exactly one group, and
/// each group's optimizer sees its tensors, in the order given, with offsets rebased to zero. A
/// group of adjacent tensors is stepped in place; any other is gathered into a buffer of its
/// own and scattered back (a copy of its parameters and gradients per step).
pub struct Grouped {
    layout: Layout,
    parts: Vec<Part>,
}

impl Grouped {
    pub fn new(layout: Layout) -> Self {
        Self {
            layout,
            parts: Vec::new(),
        }
    }

    /// Adds a group: the named tensors and a constructor that receives their sub-layout.
    ///
    /// # Panics
    /// If a name is unknown or a tensor is already in a group.
    pub fn group(
        mut self,
        names: &[&str],
        make: impl FnOnce(Layout) -> Box<dyn Optimizer>,
    ) -> Self {
        let mut offset = 0;
        let mut slots = Vec::new();
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for n in names {
            let s = self
                .layout
                .slots
                .iter()
                .find(|s| s.name == *n)
                .unwrap_or_else(|| panic!("no tensor named {n}"));
            let r = s.offset..s.offset + s.len;
            assert!(
                self.parts
                    .iter()
                    .flat_map(|p| &p.ranges)
                    .chain(&ranges)
                    .all(|q| q.end <= r.start || q.start >= r.end),
                "tensor {n} is in two groups"
            );
            slots.push(Slot {
                offset,
                ..s.clone()
            });
            offset += s.len;
            match ranges.last_mut() {
                Some(last) if last.end == r.start => last.end = r.end,
                _ => ranges.push(r),
            }
        }
        let gathered = if ranges.len() > 1 { offset } else { 0 };
        self.parts.push(Part {
            ranges,
            opt: make(Layout {
                slots,
                total: offset,
            }),
            params: vec![0.0; gathered],
            grads: vec![0.0; gathered],
        });
        self
    }
}

impl Part {
    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        if let [r] = self.ranges.as_slice() {
            return self.opt.step(&mut params[r.clone()], &grads[r.clone()]);
        }
        let mut at = 0;
        for r in &self.ranges {
            self.params[at..at + r.len()].copy_from_slice(&params[r.clone()]);
            self.grads[at..at + r.len()].copy_from_slice(&grads[r.clone()]);
            at += r.len();
        }
        self.opt.step(&mut self.params, &self.grads);
        let mut at = 0;
        for r in &self.ranges {
            params[r.clone()].copy_from_slice(&self.params[at..at + r.len()]);
            at += r.len();
        }
    }
}

impl Optimizer for Grouped {
    fn name(&self) -> String {
        let names: Vec<String> = self.parts.iter().map(|p| p.opt.name()).collect();
        names.join(" + ")
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let covered: usize = self
            .parts
            .iter()
            .flat_map(|p| &p.ranges)
            .map(|r| r.len())
            .sum();
        assert_eq!(
            covered, self.layout.total,
            "some tensors belong to no group"
        );
        for part in &mut self.parts {
            part.step(params, grads);
        }
    }

    /// The groups' optimizer state (the gather buffers are scratch, not state).
    fn state_bytes(&self) -> usize {
        self.parts.iter().map(|p| p.opt.state_bytes()).sum()
    }

    /// The groups' traffic plus, for gathered groups, the copies in and out.
    fn bytes_per_step(&self) -> usize {
        self.parts
            .iter()
            .map(|p| {
                p.opt.bytes_per_step()
                    + if p.params.is_empty() {
                        0
                    } else {
                        16 * p.params.len()
                    }
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adam, Sgd};

    #[test]
    fn scattered_groups_step_like_their_optimizers_alone() {
        let layout = Layout::new(&[("w1", &[2, 3]), ("b1", &[2]), ("w2", &[1, 2]), ("b2", &[1])]);
        let p0: Vec<f32> = (0..layout.total).map(|i| i as f32 * 0.1).collect();
        let g: Vec<f32> = (0..layout.total).map(|i| (i % 4) as f32 - 1.5).collect();
        let mut grouped = Grouped::new(layout.clone())
            .group(&["w1", "w2"], |l| Box::new(Adam::new(l, 0.01)))
            .group(&["b1", "b2"], |l| Box::new(Sgd::new(l, 0.5)));
        let mut p = p0.clone();
        for _ in 0..3 {
            grouped.step(&mut p, &g);
        }
        // The same steps on the gathered buffers by hand.
        let take = |v: &[f32], idx: &[Range<usize>]| -> Vec<f32> {
            idx.iter()
                .flat_map(|r| v[r.clone()].iter().copied())
                .collect()
        };
        let (w, b) = ([0..6, 8..10], [6..8, 10..11]);
        let (mut pw, mut pb) = (take(&p0, &w), take(&p0, &b));
        let mut adam = Adam::new(Layout::flat(8), 0.01);
        let mut sgd = Sgd::new(Layout::flat(3), 0.5);
        for _ in 0..3 {
            adam.step(&mut pw, &take(&g, &w));
            sgd.step(&mut pb, &take(&g, &b));
        }
        assert_eq!(take(&p, &w), pw);
        assert_eq!(take(&p, &b), pb);
        assert_eq!(grouped.state_bytes(), adam.state_bytes());
    }

    #[test]
    #[should_panic(expected = "in two groups")]
    fn a_tensor_in_two_groups_is_refused() {
        let layout = Layout::new(&[("a", &[2]), ("b", &[2])]);
        let _ = Grouped::new(layout)
            .group(&["a", "b"], |l| Box::new(Sgd::new(l, 0.1)))
            .group(&["b"], |l| Box::new(Sgd::new(l, 0.1)));
    }
}
