//! QR codes: reading pictures (PNG/JPEG, through `rqrr`) and drawing a card as one
//! QR with the segments the specification asks for (byte `shc:/` + numeric).

use qrcode::bits::Bits;
use qrcode::{EcLevel, QrCode, Version};

use crate::ShcError;

/// Largest QR version the specification allows.
pub const MAX_QR_VERSION: usize = 22;
/// Bound on picture size, so a hostile picture cannot exhaust memory.
const MAX_PIXELS: u64 = 25_000_000;

/// Reads the one QR code in a picture and returns its text. Refuses versions above
/// 22.
pub fn decode_image(bytes: &[u8]) -> Result<String, ShcError> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ShcError::QrImage(e.to_string()))?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| ShcError::QrImage(e.to_string()))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ShcError::QrImage(format!("{w}x{h} pixels is too large")));
    }
    let img = image::load_from_memory(bytes)
        .map_err(|e| ShcError::QrImage(e.to_string()))?
        .to_luma8();
    // Small pictures (a code scaled down to 1-3 pixels per module) defeat the
    // detector; pixel replication by an integer factor restores them.
    let mut first_err = None;
    for factor in 1..=MAX_UPSCALE {
        if factor > 1 && (w.max(h) * factor > UPSCALE_LIMIT) {
            break;
        }
        let attempt = if factor == 1 {
            img.clone()
        } else {
            image::imageops::resize(
                &img,
                w * factor,
                h * factor,
                image::imageops::FilterType::Nearest,
            )
        };
        match decode_luma(attempt) {
            Ok(text) => return Ok(text),
            Err(e @ ShcError::QrVersion(_)) => return Err(e),
            Err(e) => {
                // A found-but-undecodable code says more than "not found".
                if first_err.is_none()
                    || matches!(e, ShcError::QrDecode(_))
                        && matches!(first_err, Some(ShcError::QrNotFound))
                {
                    first_err = Some(e);
                }
            }
        }
    }
    Err(first_err.unwrap_or(ShcError::QrNotFound))
}

/// Upscaling attempts for small pictures.
const MAX_UPSCALE: u32 = 6;
/// No upscaled attempt beyond this many pixels a side.
const UPSCALE_LIMIT: u32 = 2400;

fn decode_luma(img: image::GrayImage) -> Result<String, ShcError> {
    // The detector works on hostile pictures; a panic inside it must not take the
    // verifier down, so it is contained and reported as a decoding failure.
    let decoded = std::panic::catch_unwind(move || {
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        grids.first().map(|g| g.decode().map_err(|e| e.to_string()))
    })
    .map_err(|_| ShcError::QrDecode("the QR decoder failed on this picture".into()))?;
    let Some(decoded) = decoded else {
        return Err(ShcError::QrNotFound);
    };
    let (meta, text) = decoded.map_err(ShcError::QrDecode)?;
    if meta.version.0 > MAX_QR_VERSION {
        return Err(ShcError::QrVersion(meta.version.0));
    }
    Ok(text)
}

/// Builds the QR code of a numeric text `shc:/<digits>`: a byte segment for the
/// prefix and a numeric segment for the digits, at error correction L, in the
/// smallest version that holds it (at most 22).
pub fn encode_numeric(text: &str) -> Result<QrCode, ShcError> {
    let Some(digits) = text.strip_prefix("shc:/") else {
        return Err(ShcError::QrHeader);
    };
    for v in 1..=i16::try_from(MAX_QR_VERSION).unwrap_or(22) {
        let mut bits = Bits::new(Version::Normal(v));
        let ok = bits.push_byte_data(b"shc:/").is_ok()
            && bits.push_numeric_data(digits.as_bytes()).is_ok()
            && bits.push_terminator(EcLevel::L).is_ok();
        if ok && let Ok(code) = QrCode::with_bits(bits, EcLevel::L) {
            return Ok(code);
        }
    }
    Err(ShcError::IssueTooLarge(digits.len() / 2))
}

/// Renders a QR code as SVG (for web pages and printing).
pub fn to_svg(code: &QrCode) -> String {
    code.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(400, 400)
        .build()
}

/// Renders a QR code as a grey image (`scale` pixels per module, 4-module quiet
/// zone), e.g. for PNG export or tests that read the picture back.
pub fn to_luma(code: &QrCode, scale: u32) -> image::GrayImage {
    let width = u32::try_from(code.width()).unwrap_or(0);
    let colors = code.to_colors();
    let quiet = 4;
    let size = (width + 2 * quiet) * scale;
    image::GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= quiet
            && my >= quiet
            && mx - quiet < width
            && my - quiet < width
            && colors
                .get(((my - quiet) * width + (mx - quiet)) as usize)
                .is_some_and(|c| *c == qrcode::Color::Dark);
        image::Luma([if dark { 0 } else { 255 }])
    })
}
