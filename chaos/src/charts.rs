//! The charts of a scenario, as SVG: p99 latency and the share of unserved operations per
//! second for each journey, the fault window shaded.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::history::Journey;
use crate::series::Bucket;
use crate::slo::Phases;

fn colour(journey: Journey) -> RGBColor {
    match journey {
        Journey::Browse => RGBColor(31, 119, 180),
        Journey::Cart => RGBColor(44, 160, 44),
        Journey::Checkout => RGBColor(214, 39, 40),
        Journey::Tracking => RGBColor(148, 103, 189),
        Journey::Returns => RGBColor(140, 86, 75),
        Journey::Other => RGBColor(127, 127, 127),
    }
}

/// The fault window's shade.
const FAULT: RGBColor = RGBColor(255, 200, 200);

/// Draws `series` of a scenario with `phases` into `path` (SVG), titled `title`.
pub fn draw(path: &Path, title: &str, phases: Phases, series: &BTreeMap<Journey, Vec<Bucket>>) -> Result<()> {
    let seconds = (phases.end_ms.saturating_sub(phases.start_ms) / 1000).max(1) as f64;
    let inject = phases.inject_ms.saturating_sub(phases.start_ms) as f64 / 1000.0;
    let heal = phases.heal_ms.saturating_sub(phases.start_ms) as f64 / 1000.0;
    let worst_ms = series.values().flatten().map(|b| b.p99_ms).max().unwrap_or(0).max(100) as f64;

    let root = SVGBackend::new(path, (960, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let root = root.titled(title, ("sans-serif", 18)).map_err(|e| anyhow!("{e:?}"))?;
    let (top, bottom) = root.split_vertically(330);

    let mut latency = ChartBuilder::on(&top)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .caption("p99 latency per second (ms); the fault window shaded", ("sans-serif", 14))
        .build_cartesian_2d(0f64..seconds, (1f64..worst_ms * 1.2).log_scale())
        .map_err(|e| anyhow!("{e:?}"))?;
    latency.configure_mesh().x_desc("seconds since the start").y_desc("ms").draw().map_err(|e| anyhow!("{e:?}"))?;
    latency
        .draw_series(std::iter::once(Rectangle::new([(inject, 1.0), (heal, worst_ms * 1.2)], FAULT.filled())))
        .map_err(|e| anyhow!("{e:?}"))?;
    for (journey, buckets) in series {
        let points = buckets.iter().filter(|b| b.ops > 0).map(|b| (b.second as f64 + 0.5, (b.p99_ms as f64).max(1.0)));
        latency
            .draw_series(LineSeries::new(points, colour(*journey).stroke_width(2)))
            .map_err(|e| anyhow!("{e:?}"))?
            .label(journey.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour(*journey).stroke_width(2)));
    }
    latency
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;

    let mut errors = ChartBuilder::on(&bottom)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .caption("unserved operations per second (share: 5xx, 429, no answer)", ("sans-serif", 14))
        .build_cartesian_2d(0f64..seconds, 0f64..1.05f64)
        .map_err(|e| anyhow!("{e:?}"))?;
    errors.configure_mesh().x_desc("seconds since the start").y_desc("share").draw().map_err(|e| anyhow!("{e:?}"))?;
    errors
        .draw_series(std::iter::once(Rectangle::new([(inject, 0.0), (heal, 1.05)], FAULT.filled())))
        .map_err(|e| anyhow!("{e:?}"))?;
    for (journey, buckets) in series {
        let points = buckets.iter().map(|b| (b.second as f64 + 0.5, 1.0 - b.availability()));
        errors.draw_series(LineSeries::new(points, colour(*journey).stroke_width(2))).map_err(|e| anyhow!("{e:?}"))?;
    }
    root.present().map_err(|e| anyhow!("{e:?}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_svg_with_the_fault_window_and_every_journey() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.svg");
        let phases = Phases { start_ms: 0, inject_ms: 10_000, heal_ms: 20_000, end_ms: 30_000 };
        let mut series = BTreeMap::new();
        for journey in Journey::SLO {
            let buckets: Vec<Bucket> = (0..30)
                .map(|s| Bucket {
                    second: s,
                    ops: 10,
                    unavailable: u64::from(s == 11),
                    p50_ms: 10,
                    p99_ms: 20 + s * 10,
                })
                .collect();
            series.insert(journey, buckets);
        }
        draw(&path, "core_kill", phases, &series).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("checkout") && svg.contains("browse"), "legend");
        assert!(
            svg.contains("#FFC8C8") || svg.contains("rgb(255,200,200)") || svg.to_lowercase().contains("ffc8c8"),
            "shade"
        );
    }
}
