//! Small vendored datasets (no network at run time).
//!
//! [`digits`]: the 1,797 8×8 handwritten digits of the UCI "Optical Recognition of Handwritten
//! Digits" set (Alpaydin and Kaynak, 1998; CC BY 4.0), as shipped by scikit-learn's
//! `load_digits`; see `kernels/data/README.md` for the source and the file format.

/// A labelled dataset with features in rows.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub x: Vec<f32>,
    pub y: Vec<usize>,
    pub features: usize,
    pub classes: usize,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.y.len()
    }
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// The rows at `idx`, in that order.
    pub fn rows(&self, idx: &[usize]) -> Dataset {
        let f = self.features;
        Dataset {
            x: idx
                .iter()
                .flat_map(|&i| self.x[i * f..(i + 1) * f].iter().copied())
                .collect(),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            features: f,
            classes: self.classes,
        }
    }
}

/// The 8×8 digits, pixel values 0..16 scaled to [0, 1].
pub fn digits() -> Dataset {
    let text = include_str!("../data/digits.txt");
    let mut x = Vec::with_capacity(1797 * 64);
    let mut y = Vec::with_capacity(1797);
    for line in text.lines() {
        let (label, pixels) = line.split_once(' ').expect("digits.txt: label and pixels");
        y.push(label.parse().expect("digits.txt: label"));
        assert_eq!(pixels.len(), 64, "digits.txt: 64 pixels per row");
        x.extend(
            pixels
                .chars()
                .map(|c| c.to_digit(17).expect("digits.txt: pixel") as f32 / 16.0),
        );
    }
    Dataset {
        x,
        y,
        features: 64,
        classes: 10,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_has_the_published_size_and_class_counts() {
        let d = super::digits();
        assert_eq!(d.len(), 1797);
        let mut counts = [0; 10];
        d.y.iter().for_each(|&c| counts[c] += 1);
        // scikit-learn's load_digits: 178, 182, 177, 183, 181, 182, 181, 179, 174, 180.
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        assert!(d.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(d.x.contains(&1.0));
    }
}
