//! QR rendering for code payloads, at error-correction level M.
//!
//! Level M (~15% recovery) is the usual compromise for codes shown on phone screens:
//! it survives glare and cracked screens while keeping the version, and so the module
//! size at a given display size, small enough for cheap scanners.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode, Version};

/// Width of the light border around the symbol, in modules (the QR standard asks for 4).
pub const QUIET_ZONE: usize = 4;

/// Rendered pixels per module in the SVG's nominal `width`/`height`; the `viewBox`
/// lets it scale to any size.
const PIXELS_PER_MODULE: usize = 6;

/// Why a payload could not be rendered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    /// The payload does not fit in any QR version at level M, or cannot be encoded.
    #[error("cannot encode payload as a QR code: {0}")]
    Encode(String),
}

fn encode(payload: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| QrError::Encode(e.to_string()))
}

/// The QR version (1–40) a payload needs at level M, to keep codes scannable.
pub fn version(payload: &str) -> Result<i16, QrError> {
    match encode(payload)?.version() {
        Version::Normal(v) | Version::Micro(v) => Ok(v),
    }
}

/// Renders the payload as a compact, scalable SVG: black modules on white with a
/// 4-module quiet zone, drawn in module units as one stroked `<path>` of horizontal
/// runs (about 5 KB for a version-9 code).
pub fn svg(payload: &str) -> Result<String, QrError> {
    let code = encode(payload)?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let pixels = size * PIXELS_PER_MODULE;

    let mut out = String::with_capacity(256 + width * width);
    // `write!` into a String cannot fail; the Results are ignored on purpose.
    let _ = write!(
        out,
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s} {s}" "#,
            r#"width="{p}" height="{p}" shape-rendering="crispEdges">"#,
            r##"<rect width="{s}" height="{s}" fill="#fff"/><path stroke="#000" d=""##
        ),
        s = size,
        p = pixels
    );
    for (y, row) in colors.chunks(width.max(1)).enumerate() {
        // Each run of dark modules is a 1-wide stroke along the row's centre line:
        // the first with an absolute move, the rest relative to the previous run's end.
        let mut pen: Option<usize> = None;
        let mut x = 0;
        while x < row.len() {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] == Color::Dark {
                x += 1;
            }
            let run = x - start;
            let _ = match pen {
                None => write!(out, "M{} {}.5h{run}", start + QUIET_ZONE, y + QUIET_ZONE),
                Some(end) => write!(out, "m{} 0h{run}", start - end),
            };
            pen = Some(x);
        }
    }
    out.push_str(r#""/></svg>"#);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_well_formed_and_scalable() {
        let svg = svg("HCP1:HELLO WORLD").expect("render");
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains(r#"viewBox="0 0 29 29""#), "{svg}"); // v1 = 21 + 2*4
        assert!(svg.ends_with("\"/></svg>"));
        assert!(svg.contains("M4 4.5h7m"), "top-left finder pattern row");
    }

    /// Draws the path back onto a grid and compares it with the symbol's modules.
    #[test]
    fn svg_path_reproduces_the_modules() {
        let payload = format!("HCP1:{}", "0123456789ABCDEF $%*+-./:".repeat(10));
        let code = encode(&payload).expect("encode");
        let svg = svg(&payload).expect("render");
        let size = code.width() + 2 * QUIET_ZONE;
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("path data");

        let mut grid = vec![false; size * size];
        let (mut x, mut y) = (0usize, 0usize);
        let mut chars = d.chars().peekable();
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n = String::new();
            while let Some(c) = chars
                .peek()
                .copied()
                .filter(|c| c.is_ascii_digit() || *c == '.')
            {
                n.push(c);
                chars.next();
            }
            if chars.peek() == Some(&' ') {
                chars.next();
            }
            n
        };
        while let Some(cmd) = chars.next() {
            match cmd {
                'M' => {
                    x = number(&mut chars).parse().expect("x");
                    let row = number(&mut chars);
                    y = row
                        .strip_suffix(".5")
                        .expect("centre line")
                        .parse()
                        .expect("y");
                }
                'm' => {
                    x += number(&mut chars).parse::<usize>().expect("dx");
                    assert_eq!(number(&mut chars), "0");
                }
                'h' => {
                    let run: usize = number(&mut chars).parse().expect("run");
                    for cell in &mut grid[y * size + x..y * size + x + run] {
                        *cell = true;
                    }
                    x += run;
                }
                other => panic!("unexpected path command {other:?}"),
            }
        }

        let expected: Vec<bool> = (0..size * size)
            .map(|i| {
                let (gx, gy) = (i % size, i / size);
                gx >= QUIET_ZONE
                    && gy >= QUIET_ZONE
                    && gx < size - QUIET_ZONE
                    && gy < size - QUIET_ZONE
                    && code[(gx - QUIET_ZONE, gy - QUIET_ZONE)] == Color::Dark
            })
            .collect();
        assert!(grid == expected, "rendered modules differ from the symbol");
    }

    #[test]
    fn version_grows_with_payload() {
        assert_eq!(version("HCP1:").expect("v"), 1);
        let long = "A".repeat(300);
        assert_eq!(version(&long).expect("v"), 10);
        assert!(matches!(
            version(&"A".repeat(5000)),
            Err(QrError::Encode(_))
        ));
    }
}
