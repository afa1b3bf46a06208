//! Reference values from SciPy 1.x (`scipy.stats.t.ppf`, `ttest_ind(equal_var=False)
//! .confidence_interval`, `spearmanr`) and `math.lgamma`.

use super::*;

fn close(a: f64, b: f64, tolerance: f64) {
    assert!((a - b).abs() < tolerance, "{a} vs {b}");
}

#[test]
fn t_quantiles_match_scipy() {
    close(student_t_quantile(0.975, 4.0), 2.776_445_105_197_793, 1e-9);
    close(student_t_quantile(0.975, 7.3), 2.345_066_736_547_703, 1e-9);
    close(student_t_quantile(0.975, 30.5), 2.040_869_445_186_32, 1e-9);
    close(student_t_quantile(0.9, 2.5), 1.730_250_928_807_176_6, 1e-9);
    close(student_t_cdf(-1.3, 3.7), 0.134_333_362_086_313_75, 1e-10);
    close(ln_gamma(0.3), 1.095_797_994_818_075_2, 1e-12);
    close(ln_gamma(12.5), 18.734_347_511_936_45, 1e-10);
}

#[test]
fn welchs_interval_matches_scipy() {
    let a = [6.0, 7.5, 8.0, 5.5, 7.0, 9.0];
    let b = [4.0, 5.0, 6.5, 3.0, 5.5, 4.5, 6.0];
    let w = welch(&a, &b, 0.95).unwrap();
    close(w.difference, 2.238_095_238_095_238, 1e-12);
    close(w.low, 0.694_324_049_284_104_3, 1e-8);
    close(w.high, 3.781_866_426_906_372, 1e-8);
    assert!(welch(&a, &[1.0], 0.95).is_none());
    let constant = welch(&[2.0, 2.0], &[1.0, 1.0], 0.95).unwrap();
    assert_eq!((constant.low, constant.high), (1.0, 1.0));
}

#[test]
fn spearman_averages_ties_as_scipy_does() {
    let x = [1.0, 2.0, 2.0, 3.0, 5.0, 4.0, 4.0, 1.0, 3.0, 5.0, 2.0];
    let y = [2.0, 3.5, 3.1, 5.0, 9.2, 6.1, 7.7, 2.2, 4.4, 8.8, 1.0];
    close(spearman(&x, &y).unwrap(), 0.935_345_580_553_003_1, 1e-12);
    assert_eq!(ranks(&[3.0, 1.0, 3.0]), [2.5, 1.0, 2.5]);
    assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
}
