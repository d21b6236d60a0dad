//! Deterministic weighted k-means (Lloyd) in CIELAB, the reference colour reduction.
//!
//! Why hand-written: the dataset hash depends on every tie and iteration of it (max-min
//! initialisation, ties to the lowest index, a fixed cap), which no k-means crate promises.

use super::lab::dist2;

/// Result of [`kmeans`].
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans {
    /// Cluster centres.
    pub centroids: Vec<[f64; 3]>,
    /// Cluster index of every point.
    pub labels: Vec<usize>,
    /// Lloyd iterations run.
    pub iterations: usize,
}

/// Deterministic weighted k-means (Lloyd) on 3-d points.
///
/// Initialisation: the heaviest point (ties → first), then repeatedly the point farthest from the
/// centres chosen so far (max-min, ties → first). With `points.len() <= k` every point is its own
/// centre. Iterates until assignments stop changing or `max_iterations` is reached; an empty
/// cluster keeps its centre. Distance ties go to the lowest cluster index.
pub fn kmeans(points: &[[f64; 3]], weights: &[f64], k: usize, max_iterations: usize) -> KMeans {
    let n = points.len();
    if n <= k {
        return KMeans {
            centroids: points.to_vec(),
            labels: (0..n).collect(),
            iterations: 0,
        };
    }
    let mut first = 0;
    for i in 1..n {
        if weights[i] > weights[first] {
            first = i;
        }
    }
    let mut centroids = vec![points[first]];
    let mut min_d: Vec<f64> = points.iter().map(|p| dist2(p, &points[first])).collect();
    while centroids.len() < k {
        let mut far = 0;
        for i in 1..n {
            if min_d[i] > min_d[far] {
                far = i;
            }
        }
        let c = points[far];
        centroids.push(c);
        for (d, p) in min_d.iter_mut().zip(points) {
            *d = d.min(dist2(p, &c));
        }
    }
    let nearest = |p: &[f64; 3], cs: &[[f64; 3]]| {
        let mut best = 0;
        let mut best_d = f64::INFINITY;
        for (j, c) in cs.iter().enumerate() {
            let d = dist2(p, c);
            if d < best_d {
                best_d = d;
                best = j;
            }
        }
        best
    };
    let mut labels: Vec<usize> = points.iter().map(|p| nearest(p, &centroids)).collect();
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let mut sums = vec![[0.0f64; 4]; k];
        for ((p, &w), &l) in points.iter().zip(weights).zip(&labels) {
            let s = &mut sums[l];
            s[0] += p[0] * w;
            s[1] += p[1] * w;
            s[2] += p[2] * w;
            s[3] += w;
        }
        for (c, s) in centroids.iter_mut().zip(&sums) {
            if s[3] > 0.0 {
                *c = [s[0] / s[3], s[1] / s[3], s[2] / s[3]];
            }
        }
        let new: Vec<usize> = points.iter().map(|p| nearest(p, &centroids)).collect();
        if new == labels {
            break;
        }
        labels = new;
    }
    KMeans {
        centroids,
        labels,
        iterations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmeans_small_input_is_identity() {
        let pts = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let r = kmeans(&pts, &[1.0, 1.0], 55, 10);
        assert_eq!(r.labels, vec![0, 1]);
        assert_eq!(r.centroids, pts.to_vec());
    }

    #[test]
    fn kmeans_two_clusters() {
        let pts = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [10.0, 0.0, 0.0],
            [11.0, 0.0, 0.0],
        ];
        let r = kmeans(&pts, &[1.0; 4], 2, 10);
        assert_eq!(r.labels[0], r.labels[1]);
        assert_eq!(r.labels[2], r.labels[3]);
        assert_ne!(r.labels[0], r.labels[2]);
        assert!((r.centroids[r.labels[0]][0] - 0.5).abs() < 1e-12);
    }
}
