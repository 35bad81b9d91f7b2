//! Terminal formatting: compact numbers, sparklines, fixed-width columns, and the pager.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

/// A number in at most 7 characters: `0`, `0.125`, `-12.5`, `1.2e-05`.
pub fn number(x: f64) -> String {
    let magnitude = x.abs();
    if x == 0.0 {
        "0".into()
    } else if (0.01..1000.0).contains(&magnitude) {
        // At most four significant digits, so the text stays within 7 characters.
        let decimals = if magnitude < 10.0 {
            3
        } else if magnitude < 100.0 {
            2
        } else {
            1
        };
        let s = format!("{x:.decimals$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.1e}")
    }
}

/// A count with a metric suffix: `950`, `9.5K`, `11.7M`, `1.8G`.
pub fn count(n: u64) -> String {
    let x = n as f64;
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}K", x / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", x / 1e6),
        _ => format!("{:.1}G", x / 1e9),
    }
}

/// A byte size: `512 B`, `44.6 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Histogram counts as a sparkline of `width` characters (bins are summed in groups).
pub fn sparkline(counts: &[u64], width: usize) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if counts.is_empty() || width == 0 {
        return String::new();
    }
    let group = counts.len().div_ceil(width);
    let sums: Vec<u64> = counts.chunks(group).map(|c| c.iter().sum()).collect();
    let max = sums.iter().copied().max().unwrap_or(0).max(1);
    sums.iter()
        .map(|&s| match s {
            0 => ' ',
            s => LEVELS[((s * 7).div_ceil(max) as usize).min(7)],
        })
        .collect()
}

/// `text` cut to `width` characters, keeping its end (where node names differ) behind `…`.
pub fn fit_left(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("…{tail}")
}

/// `text` cut to `width` characters, keeping its start.
pub fn fit_right(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    let head: String = chars[..width.saturating_sub(1)].iter().collect();
    format!("{head}…")
}

/// Word-wraps `text` to `width` columns; lines after the first start with `indent` spaces.
/// Words longer than a line are split.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut done: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let fresh = used <= indent && !done.is_empty() || used == 0;
            let needed = word.len() + usize::from(!fresh);
            if used + needed <= width {
                if !fresh {
                    line.push(' ');
                }
                line.extend(word.iter());
                used += needed;
                break;
            }
            if !fresh {
                done.push(std::mem::replace(&mut line, " ".repeat(indent)));
                used = indent;
                continue;
            }
            let (head, tail) = word.split_at(width.saturating_sub(used).max(1).min(word.len()));
            line.extend(head.iter());
            word = tail.to_vec();
            done.push(std::mem::replace(&mut line, " ".repeat(indent)));
            used = indent;
            if word.is_empty() {
                break;
            }
        }
    }
    done.push(line);
    done.join("\n")
}

/// Header of the statistics tables (`inspect`'s weights, `run`'s tensors); 80 columns.
pub fn stats_header(first: &str) -> String {
    format!(
        "{first:<19} {:<13} {:>7} {:>7} {:>7} {:>7} {:>4} HISTOGRAM",
        "SHAPE", "MIN", "MAX", "MEAN", "STD", "0%"
    )
}

/// One row of a statistics table: name, shape, min/max/mean/std, percent zeros, sparkline,
/// and NaN/Inf counts when there are any.
pub fn stats_row(
    name: &str,
    shape: &str,
    stats: &glassbox_tensor::Moments,
    histogram: Option<&glassbox_tensor::Histogram>,
) -> String {
    let value = |v: Option<f64>| v.map(number).unwrap_or_else(|| "-".into());
    let mut line = format!(
        "{:<19} {:<13} {:>7} {:>7} {:>7} {:>7} {:>4} {:<8}",
        fit_left(name, 19),
        fit_right(shape, 13),
        value(stats.min()),
        value(stats.max()),
        value(stats.mean()),
        value(stats.std()),
        (stats.zero_fraction() * 100.0).round(),
        histogram
            .map(|h| sparkline(&h.counts, 8))
            .unwrap_or_default()
    );
    let nonfinite = stats.pos_inf + stats.neg_inf;
    if stats.nan + nonfinite > 0 {
        line.push_str(&format!(" NaN {} Inf {nonfinite}", stats.nan));
    }
    line.trim_end().to_string()
}

/// Writes `text` to stdout, through `$PAGER` (default `less -FRX`) when stdout is a terminal
/// and the text is taller than it, as git does.
pub fn page(text: &str, use_pager: bool) -> std::io::Result<()> {
    let rows: usize = std::env::var("LINES")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(40);
    let stdout = std::io::stdout();
    if use_pager && stdout.is_terminal() && text.lines().count() > rows {
        let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -FRX".into());
        let mut words = pager.split_whitespace();
        if let Some(program) = words.next() {
            if let Ok(mut child) = Command::new(program)
                .args(words)
                .stdin(Stdio::piped())
                .spawn()
            {
                if let Some(mut input) = child.stdin.take() {
                    // A pager closed early (q) is not an error.
                    let _ = input.write_all(text.as_bytes());
                }
                child.wait()?;
                return Ok(());
            }
        }
    }
    let mut out = stdout.lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fit_in_eight_characters() {
        for x in [
            0.0,
            0.125,
            -12.5,
            1.2e-5,
            -3.4e12,
            999.9,
            123456.0,
            f64::MIN_POSITIVE,
        ] {
            assert!(number(x).chars().count() <= 8, "{x} -> {}", number(x));
        }
        assert_eq!(number(0.125), "0.125");
        assert_eq!(number(-12.5), "-12.5");
        assert_eq!(count(11_689_512), "11.7M");
        assert_eq!(bytes(46_758_912), "44.6 MiB");
    }

    #[test]
    fn sparkline_scales_to_the_largest_group() {
        assert_eq!(sparkline(&[0, 1, 2, 8], 4), " ▂▃█");
        assert_eq!(sparkline(&[1; 32], 8).chars().count(), 8);
    }

    #[test]
    fn wrapped_text_stays_inside_the_width() {
        let text = "info rule: a long message with `/a/very/long/node/name/that/cannot/break/anywhere/at/all/Conv` inside";
        let wrapped = wrap(text, 30, 4);
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 30),
            "{wrapped}"
        );
        assert!(wrapped.lines().skip(1).all(|l| l.starts_with("    ")));
        let words: String = wrapped.split_whitespace().collect();
        assert_eq!(words, text.split_whitespace().collect::<String>());
    }

    #[test]
    fn names_are_cut_from_the_left() {
        assert_eq!(fit_left("/layer1/layer1.0/conv1/Conv", 12), "…/conv1/Conv");
        assert_eq!(fit_right("BatchNormalization", 8), "BatchNo…");
    }
}
