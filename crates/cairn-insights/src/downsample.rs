//! Min/max bucket downsampling.
//!
//! The x range is cut into `buckets` equal-width buckets (one per pixel
//! column, say). Each non-empty bucket contributes its minimum and its
//! maximum point, in their original order, so the drawn line passes through
//! every extreme: a single spike among a million points survives. Non-finite
//! values (NaN, ±inf) cannot be drawn and are dropped.

/// One (x, y) point of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Abscissa (step, or time in ms).
    pub x: f64,
    /// Value.
    pub y: f64,
}

/// Downsample `points` (sorted by x, ascending) to at most `2 * buckets`
/// points, keeping each bucket's min and max. Series that already fit are
/// returned unchanged (minus non-finite values). `buckets == 0` is treated
/// as 1.
pub fn downsample_minmax(points: &[Point], buckets: usize) -> Vec<Point> {
    let buckets = buckets.max(1);
    let finite: Vec<Point> = points
        .iter()
        .copied()
        .filter(|p| p.y.is_finite() && p.x.is_finite())
        .collect();
    if finite.len() <= 2 * buckets {
        return finite;
    }
    let x0 = finite[0].x;
    let x1 = finite[finite.len() - 1].x;
    let width = (x1 - x0) / buckets as f64;
    let bucket_of = |x: f64| -> usize {
        if width <= 0.0 {
            0
        } else {
            (((x - x0) / width) as usize).min(buckets - 1)
        }
    };
    let mut out = Vec::with_capacity(2 * buckets);
    let mut start = 0;
    while start < finite.len() {
        let b = bucket_of(finite[start].x);
        let mut end = start;
        let (mut lo, mut hi) = (start, start);
        while end < finite.len() && bucket_of(finite[end].x) == b {
            if finite[end].y < finite[lo].y {
                lo = end;
            }
            if finite[end].y > finite[hi].y {
                hi = end;
            }
            end += 1;
        }
        let (first, second) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(finite[first]);
        if second != first {
            out.push(finite[second]);
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize, f: impl Fn(usize) -> f64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                x: i as f64,
                y: f(i),
            })
            .collect()
    }

    #[test]
    fn short_series_are_returned_whole() {
        let s = series(10, |i| i as f64);
        assert_eq!(downsample_minmax(&s, 5), s);
        assert_eq!(downsample_minmax(&[], 5), vec![]);
    }

    #[test]
    fn extremes_survive_a_million_points() {
        let mut s = series(1_000_000, |i| ((i as f64) / 1000.0).sin());
        s[123_457].y = 50.0; // one spike up
        s[876_543].y = -40.0; // one spike down
        let d = downsample_minmax(&s, 1000);
        assert!(d.len() <= 2000, "{} points", d.len());
        assert!(d.iter().any(|p| p.x == 123_457.0 && p.y == 50.0));
        assert!(d.iter().any(|p| p.x == 876_543.0 && p.y == -40.0));
        // first and last bucket are represented and order is preserved
        assert!(d.windows(2).all(|w| w[0].x < w[1].x));
        assert!(d[0].x < 1000.0 && d[d.len() - 1].x > 999_000.0);
    }

    #[test]
    fn every_bucket_keeps_its_min_and_max() {
        let s = series(10_000, |i| ((i * 7919) % 1013) as f64);
        let buckets = 100;
        let d = downsample_minmax(&s, buckets);
        // equal-width buckets of 100 points over x in [0, 9999]
        let width = 9999.0 / buckets as f64;
        let mut counts = vec![0usize; buckets];
        for p in &d {
            counts[((p.x / width) as usize).min(buckets - 1)] += 1;
        }
        assert!(counts.iter().all(|&c| c == 2), "{counts:?}");
        for b in 0..buckets {
            let in_bucket: Vec<&Point> = s
                .iter()
                .filter(|p| ((p.x / width) as usize).min(buckets - 1) == b)
                .collect();
            let min = in_bucket.iter().map(|p| p.y).fold(f64::INFINITY, f64::min);
            let max = in_bucket
                .iter()
                .map(|p| p.y)
                .fold(f64::NEG_INFINITY, f64::max);
            let kept: Vec<f64> = d
                .iter()
                .filter(|p| ((p.x / width) as usize).min(buckets - 1) == b)
                .map(|p| p.y)
                .collect();
            assert!(kept.contains(&min) && kept.contains(&max), "bucket {b}");
        }
    }

    #[test]
    fn flat_buckets_give_one_point_and_nan_is_dropped() {
        let mut s = series(1000, |_| 1.0);
        s[10].y = f64::NAN;
        s[20].y = f64::INFINITY;
        let d = downsample_minmax(&s, 10);
        assert_eq!(d.len(), 10);
        assert!(d.iter().all(|p| p.y == 1.0));
    }

    #[test]
    fn same_x_everywhere_is_one_bucket() {
        let s: Vec<Point> = (0..100)
            .map(|i| Point {
                x: 5.0,
                y: i as f64,
            })
            .collect();
        let d = downsample_minmax(&s, 10);
        assert_eq!(d, vec![Point { x: 5.0, y: 0.0 }, Point { x: 5.0, y: 99.0 }]);
    }
}
