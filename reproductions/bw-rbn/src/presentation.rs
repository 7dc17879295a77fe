//! Tables and figures: every number cites a metric.

use crate::claims::run_key;
use crate::experiment::{BIMAP_VARIANTS, Plan, Results, SHARED, VARIANTS};
use harness::{Cell, Figure, Report, Series, Table, stats};

/// One column of a table per κ: its label and the metric `<prefix><stem>.<variant>.k<κ index>`.
struct Column {
    label: String,
    prefix: &'static str,
    stem: &'static str,
    variant: String,
}

pub fn tables(report: &mut Report, plan: &Plan) {
    for (pre, title, variants) in [
        ("", "card's design", &VARIANTS[..]),
        ("hard.", "shared design", &VARIANTS[..]),
        (
            "bimap.",
            "shared design, BiMap trained",
            &BIMAP_VARIANTS[..],
        ),
    ] {
        for (stem, key, what) in [
            ("acc", "accuracy", "Test accuracy"),
            ("loss", "loss", "Final-epoch training loss"),
        ] {
            let cols: Vec<Column> = variants
                .iter()
                .map(|v| Column {
                    label: v.label(),
                    prefix: pre,
                    stem,
                    variant: v.key(),
                })
                .collect();
            kappa_table(
                report,
                &plan.kappas,
                &format!("{pre}{key}"),
                &format!("{what}, {title} (mean ± sd over seeds)"),
                &cols,
            );
        }
    }
    let cols: Vec<Column> = [
        ("bdist", "airm", "AIRM-RBN: d(B, I)"),
        ("shift", "bw", "BW-RBN: s"),
        ("bdist", "bw", "BW-RBN: d(B, I)"),
        ("shift", "gbw", "GBW-RBN: s"),
        ("bdist", "gbw", "GBW-RBN: d(B, I)"),
        ("mdist", "gbw", "GBW-RBN: d(M, I)"),
        ("mdist", "gbw0.5", "GBW-RBN θ = 0.5: d(M, I)"),
    ]
    .iter()
    .map(|&(stem, v, label)| Column {
        label: label.to_string(),
        prefix: "hard.",
        stem,
        variant: v.to_string(),
    })
    .collect();
    kappa_table(
        report,
        &plan.kappas,
        "hard.learned",
        "Learned normalisation parameters after training, shared design (θ = 1 unless said; d = AIRM distance; mean ± sd over seeds)",
        &cols,
    );
}

/// A table with one row per κ and one column per [`Column`]; the cell of κ index `ki` is the
/// column's metric at `ki`.
fn kappa_table(report: &mut Report, kappas: &[f64], key: &str, title: &str, cols: &[Column]) {
    let rows = kappas
        .iter()
        .enumerate()
        .map(|(ki, k)| {
            let mut r = vec![Cell::text(format!("{k:e}"))];
            r.extend(
                cols.iter()
                    .map(|c| Cell::metric(&run_key(c.prefix, c.stem, &c.variant, ki))),
            );
            r
        })
        .collect();
    let mut columns = vec!["κ".to_string()];
    columns.extend(cols.iter().map(|c| c.label.clone()));
    report.tables.push(Table {
        key: key.into(),
        title: title.into(),
        columns,
        rows,
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let series: Vec<Series> = VARIANTS
        .iter()
        .map(|&v| {
            Series::with_err(
                &v.label(),
                plan.kappas.iter().enumerate().map(|(ki, &k)| {
                    let a = results.per_seed(&SHARED, v, ki, |r| r.accuracy);
                    (k, stats::mean(&a), stats::sd(&a))
                }),
            )
            // The title says "shared design": the points must be its accuracy metrics.
            .from_metrics(
                (0..plan.kappas.len()).map(|ki| run_key(SHARED.prefix, "acc", &v.key(), ki)),
            )
        })
        .collect();
    report.figures.push(Figure {
        key: "accuracy".into(),
        title: "Test accuracy against the condition number (shared design)".into(),
        x_label: "κ".into(),
        y_label: "test accuracy".into(),
        x_log: true,
        y_log: false,
        series,
        guides: vec![harness::Guide { vertical: false, y: 0.25, label: "chance".into() }],
        caption: "Mean ± sd over seeds; every variant sees the same data and the same frozen BiMap per seed.".into(),
    });
}
