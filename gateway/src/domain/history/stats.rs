//! The statistics the history needs, written out: means and variances, Welch's interval for a
//! difference of means (Student's t quantile from the regularized incomplete beta function)
//! and Spearman's rank correlation. Checked against SciPy's values in the tests.

/// The mean, `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The sample variance (n - 1), `None` below two values.
pub fn sample_variance(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    (values.len() > 1)
        .then(|| values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64)
}

/// Welch's comparison of two samples' means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    pub mean_a: f64,
    pub mean_b: f64,
    /// `mean_a - mean_b`.
    pub difference: f64,
    pub low: f64,
    pub high: f64,
}

/// The difference of the means of `a` and `b` with its `level` (0.95) confidence interval,
/// without assuming equal variances; `None` when either sample has fewer than two values.
pub fn welch(a: &[f64], b: &[f64], level: f64) -> Option<Welch> {
    let (mean_a, mean_b) = (mean(a)?, mean(b)?);
    let (va, vb) = (
        sample_variance(a)? / a.len() as f64,
        sample_variance(b)? / b.len() as f64,
    );
    let difference = mean_a - mean_b;
    let se = (va + vb).sqrt();
    // Both samples constant: the difference is known exactly.
    let half = match se > 0.0 {
        true => {
            let df = (va + vb).powi(2)
                / (va.powi(2) / (a.len() - 1) as f64 + vb.powi(2) / (b.len() - 1) as f64);
            student_t_quantile(0.5 + level / 2.0, df) * se
        }
        false => 0.0,
    };
    Some(Welch {
        mean_a,
        mean_b,
        difference,
        low: difference - half,
        high: difference + half,
    })
}

/// The `p` quantile (p > 0.5) of Student's t with `df` degrees of freedom, by bisection on the
/// distribution function (60 halvings reach double precision).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let (mut low, mut high) = (0.0, 1.0);
    while student_t_cdf(high, df) < p {
        high *= 2.0;
    }
    for _ in 0..60 {
        let mid = (low + high) / 2.0;
        match student_t_cdf(mid, df) < p {
            true => low = mid,
            false => high = mid,
        }
    }
    (low + high) / 2.0
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    // The fraction converges fast only below the mean; use the symmetry above it.
    match x < (a + 1.0) / (a + b + 2.0) {
        true => ln_front.exp() * beta_fraction(a, b, x) / a,
        false => 1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b,
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + aa / c;
            c = if c.abs() < TINY { TINY } else { c };
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms: about 15 significant digits).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 - x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..]
        .iter()
        .enumerate()
        .fold(G[0], |s, (i, g)| s + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Ranks from 1, ties sharing their mean rank.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = rank);
        start = end;
    }
    ranks
}

/// Pearson's correlation, `None` when either side is constant or the lengths differ.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mx, my) = (mean(x)?, mean(y)?);
    if x.len() != y.len() {
        return None;
    }
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let sy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    (sx > 0.0 && sy > 0.0).then(|| cov / (sx * sy).sqrt())
}

/// Spearman's rank correlation: Pearson's on the ranks, ties averaged.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&ranks(x), &ranks(y))
}

#[cfg(test)]
mod tests;
