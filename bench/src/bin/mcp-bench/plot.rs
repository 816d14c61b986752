//! The plot (`--plot FILE.svg`): two panels drawn with `plotters` from the
//! run's figures. On the left, HTTP `tools/call` requests per second against
//! the connection count, a line per server (the median of the wrk runs); on
//! the right, the median stdio `tools/call` round trip, a bar per server.

use std::path::Path;

use anyhow::anyhow;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::RangedCoordusize;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::Report;
use crate::servers::Server;
use crate::stats::median;

/// The size of the image, in pixels.
const SIZE: (u32, u32) = (1200, 520);

/// The font of every text.
const FONT: &str = "sans-serif";

/// The colour of `server`'s line and bar.
fn colour(server: Server) -> RGBColor {
    match server {
        Server::Moat => RGBColor(31, 119, 180),
        Server::Baseline => RGBColor(148, 103, 189),
        Server::Native => RGBColor(44, 160, 44),
        Server::Python => RGBColor(255, 127, 14),
        Server::MoatPy => RGBColor(214, 39, 40),
        Server::MoatJs => RGBColor(188, 189, 34),
        Server::MoatPyPlain => RGBColor(227, 119, 194),
        Server::MoatJsPlain => RGBColor(23, 190, 207),
    }
}

/// Draws the plot of `report` into the SVG file `path`.
pub fn draw(report: &Report, path: &Path) -> anyhow::Result<()> {
    draw_panels(report, path).map_err(|error| anyhow!("cannot draw {}: {error}", path.display()))
}

/// Draws both panels; any error is plotters' own.
fn draw_panels(report: &Report, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let names: Vec<&str> = report.servers.iter().map(|server| server.name()).collect();
    let title = format!(
        "mcp-bench: tools/call of the math plugin's mul on {}{}",
        names.join(", "),
        if report.quick {
            " (--quick: a smoke check)"
        } else {
            ""
        }
    );
    let root = root.titled(&title, (FONT, 22))?;
    let (left, right) = root.split_horizontally(SIZE.0 * 3 / 5);
    http_panel(report, &left)?;
    stdio_panel(report, &right)?;
    root.present()?;
    Ok(())
}

/// `count` evenly spaced positions on the x axis, a segment each, labelled
/// at their centres. (plotters' integer ranges include their end: `0..n`
/// would make `n + 1` segments.)
fn positions(count: usize) -> SegmentedCoord<RangedCoordusize> {
    (0..count.saturating_sub(1)).into_segmented()
}

/// The drawing area of one panel.
type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// HTTP requests per second at each connection count, a line per server.
fn http_panel(report: &Report, area: &Area) -> Result<(), Box<dyn std::error::Error>> {
    let levels = &report.http;
    let rate = |server: Server, level: usize| {
        let runs = levels[level].runs.get(&server)?;
        Some(median(
            &runs.iter().map(|run| run.per_second).collect::<Vec<_>>(),
        ))
    };
    let top = (0..levels.len())
        .flat_map(|level| report.servers.iter().filter_map(move |&s| rate(s, level)))
        .fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Streamable HTTP, stateless, wrk -t1 (median of the runs)",
            (FONT, 16),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(positions(levels.len()), 0.0..top * 1.15)?;
    let connections = |value: &SegmentValue<usize>| match value {
        SegmentValue::CenterOf(level) => levels
            .get(*level)
            .map_or(String::new(), |level| level.connections.to_string()),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(levels.len())
        .x_label_formatter(&connections)
        .y_label_formatter(&|rate| format!("{rate:.0}"))
        .x_desc("concurrent connections")
        .y_desc("requests/s")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 15))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    for &server in report.servers {
        let points: Vec<(SegmentValue<usize>, f64)> = (0..levels.len())
            .filter_map(|level| Some((SegmentValue::CenterOf(level), rate(server, level)?)))
            .collect();
        let style = colour(server).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.clone(), style))?
            .label(server.name())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        chart.draw_series(
            points
                .into_iter()
                .map(|point| Circle::new(point, 4, colour(server).filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The median stdio `tools/call` round trip, a bar per server.
fn stdio_panel(report: &Report, area: &Area) -> Result<(), Box<dyn std::error::Error>> {
    let servers = report.servers;
    let medians: Vec<f64> = servers
        .iter()
        .map(|server| {
            report
                .calls
                .get(server)
                .map_or(0.0, |samples| samples.summary().median.as_secs_f64() * 1e6)
        })
        .collect();
    let top = medians.iter().copied().fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption("stdio, sequential, one connection", (FONT, 16))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(positions(servers.len()), 0.0..top * 1.15)?;
    let names = |value: &SegmentValue<usize>| match value {
        SegmentValue::CenterOf(i) => servers.get(*i).map_or(String::new(), |s| s.name().into()),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(servers.len())
        .x_label_formatter(&names)
        .y_label_formatter(&|micros| format!("{micros:.0}"))
        .x_desc("server")
        .y_desc("median round trip (µs)")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 15))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    chart.draw_series(servers.iter().zip(&medians).enumerate().map(
        |(i, (&server, &median))| {
            let corners = [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), median),
            ];
            let mut bar = Rectangle::new(corners, colour(server).filled());
            bar.set_margin(0, 0, 12, 12);
            bar
        },
    ))?;
    let above = TextStyle::from((FONT, 14)).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(medians.iter().enumerate().map(|(i, &median)| {
        Text::new(
            format!("{median:.0} µs"),
            (SegmentValue::CenterOf(i), median),
            above.clone(),
        )
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::Samples;
    use crate::wrk::{HttpLevel, WrkRun};
    use crate::{Plan, Workload};

    #[test]
    fn draws_both_panels() {
        let servers = [Server::Moat, Server::Baseline, Server::Native];
        let run = |per_second: f64| WrkRun {
            per_second,
            median: Duration::from_micros(500),
            p99: Duration::from_millis(2),
            requests: 1000,
            errors: 0,
            server_cpu: None,
        };
        let http = [1, 4, 16, 64]
            .into_iter()
            .map(|connections| HttpLevel {
                connections,
                runs: servers
                    .iter()
                    .map(|&server| (server, vec![run(1000.0 * connections as f64)]))
                    .collect(),
            })
            .collect();
        let calls = servers
            .iter()
            .map(|&server| {
                let samples = Samples {
                    latencies: vec![Duration::from_micros(150)],
                    busy: Duration::from_micros(150),
                    cpu: None,
                };
                (server, samples)
            })
            .collect();
        let report = Report {
            calls,
            http,
            ..Report::new(
                &Plan::QUICK,
                true,
                &servers,
                &[],
                &[Workload::Stdio, Workload::Http],
            )
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plot.svg");
        draw(&report, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for text in [
            "requests/s",
            "concurrent connections",
            "150 µs",
            "64",
            "baseline",
        ] {
            assert!(svg.contains(text), "no {text:?} in the plot");
        }
    }
}
