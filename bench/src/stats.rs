//! Run count, median and spread (min–max) of a set of runs.

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Stat> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Some(Stat { n, median, min: v[0], max: v[n - 1] })
    }

    /// `median (min–max)`, rounded to what the size of the figure warrants.
    pub fn show(&self) -> String {
        if self.min == self.max {
            return num(self.median);
        }
        format!("{} ({}–{})", num(self.median), num(self.min), num(self.max))
    }
}

/// A figure rounded for a table: 3 significant digits, at least integers from 100 up.
pub fn num(x: f64) -> String {
    let a = x.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{:.0}", x)
    } else if a >= 10.0 {
        format!("{:.1}", x)
    } else if a >= 1.0 {
        format!("{:.2}", x)
    } else {
        format!("{:.3}", x)
    }
}

/// 200000 -> "200 000"
#[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        let s = Stat::of([5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.n, s.median, s.min, s.max), (3, 3.0, 1.0, 5.0));
        assert_eq!(Stat::of([1.0, 2.0, 3.0, 10.0]).unwrap().median, 2.5);
        assert!(Stat::of([]).is_none());
        assert_eq!(grouped(200000), "200 000");
    }
}
