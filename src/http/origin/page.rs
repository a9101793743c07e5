//! The origin page as HTML: one small document, its style inline (allowed
//! by hash, not by `unsafe-inline`), no script, every catalogue text
//! escaped. A phone on a slow network gets it in one round trip.

use std::fmt::Write;
use std::sync::LazyLock;

use base64::Engine;
use chrono::NaiveDate;
use entity::enums::ProductStatus;
use sha2::{Digest, Sha256};

use super::words::{self, Lang};
use crate::domain::catalog::certificates::CertificateStatus;
use crate::domain::origin::{Missing, Origin};

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f23;background:#f6f7f4}\
header{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:10px 16px;background:#1d5e3a;color:#fff;font-size:14px}\
header a{color:#fff;font-weight:600;padding:6px 10px;border:1px solid #fff8;border-radius:6px;text-decoration:none;white-space:nowrap}\
main{max-width:640px;margin:0 auto;padding:16px}\
img{display:block;max-width:100%;height:auto;margin:0 auto 12px;border-radius:8px;background:#fff}\
h1{font-size:22px;line-height:1.3;margin:0 0 4px;overflow-wrap:anywhere}\
.sub{margin:0 0 8px;color:#555;overflow-wrap:anywhere}\
.stars{margin:0 0 12px;font-size:18px;color:#b7791f}\
.box{border-radius:8px;padding:12px 14px;margin:0 0 12px;border:2px solid}\
.box h2{font-size:14px;margin:0;text-transform:uppercase;letter-spacing:.03em}\
.box .big{font-size:20px;font-weight:700;margin:2px 0}\
.box p{margin:0}\
.ok{border-color:#2f855a;background:#f0fff4}\
.warn{border-color:#b7791f;background:#fffaf0}\
.bad{border-color:#c53030;background:#fff5f5}\
dl{margin:0;background:#fff;border-radius:8px;padding:4px 14px}\
dt{font-size:13px;color:#555;margin-top:10px}\
dd{margin:0 0 10px;overflow-wrap:anywhere}\
footer{max-width:640px;margin:0 auto;padding:8px 16px 24px;font-size:13px;color:#555}\
a{color:#1d5e3a}";

/// The `Content-Security-Policy`: nothing but this page's own style and
/// images from this origin.
pub static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
    format!(
        "default-src 'none'; img-src 'self'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
});

/// Escapes text for HTML content and attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// What the page was asked for beyond the product.
pub struct Asked<'a> {
    pub lang: Lang,
    /// `?17=`: the expiry the QR code itself carries.
    pub printed_expiry: Option<NaiveDate>,
    /// The query to keep on the language switch (`17=...`), if any.
    pub keep_query: &'a str,
    /// The canonical address (`{base}/01/{gtin14}`), if one is known.
    pub canonical: Option<&'a str>,
    /// The linkset's address, for `<link rel="linkset">`.
    pub linkset: &'a str,
}

fn head(out: &mut String, lang: Lang, title: &str, asked: &Asked<'_>) {
    let w = lang.words();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{} · {}</title>",
        lang.code(),
        escape(title),
        w.site
    );
    if let Some(c) = asked.canonical {
        let _ = write!(out, "<link rel=\"canonical\" href=\"{}\">", escape(c));
    }
    let _ = write!(
        out,
        "<link rel=\"linkset\" type=\"application/linkset+json\" href=\"{}\">\
<style>{STYLE}</style></head><body><header><span>{}</span>\
<a href=\"?lang={}{}\" hreflang=\"{}\" lang=\"{}\">{}</a></header><main>",
        escape(asked.linkset),
        w.site,
        lang.other().code(),
        escape(asked.keep_query),
        lang.other().code(),
        lang.other().code(),
        w.switch_to,
    );
}

fn tail(out: &mut String, lang: Lang) {
    let _ = write!(
        out,
        "</main><footer>{}</footer></body></html>",
        lang.words().footer
    );
}

fn row(out: &mut String, term: &str, value: &str) {
    if !value.trim().is_empty() {
        let _ = write!(out, "<dt>{term}</dt><dd>{}</dd>", escape(value));
    }
}

pub fn product(o: &Origin, asked: &Asked<'_>) -> String {
    let lang = asked.lang;
    let w = lang.words();
    let p = &o.product;
    let (name, other_name) = match lang {
        Lang::Vi => (&p.name_vi, &p.name_en),
        Lang::En => (&p.name_en, &p.name_vi),
    };
    let mut out = String::with_capacity(8 * 1024);
    head(&mut out, lang, name, asked);
    if let Some(img) = &o.image {
        let _ = write!(
            out,
            "<img src=\"/media/{}/480\" width=\"{}\" height=\"{}\" alt=\"{}\">",
            escape(&img.media_id),
            img.width,
            img.height,
            escape(if img.alt.is_empty() { name } else { &img.alt }),
        );
    }
    let _ = write!(out, "<h1>{}</h1>", escape(name));
    if other_name != name && !other_name.is_empty() {
        let _ = write!(
            out,
            "<p class=\"sub\" lang=\"{}\">{}</p>",
            lang.other().code(),
            escape(other_name)
        );
    }
    if p.status == ProductStatus::Discontinued {
        let _ = write!(
            out,
            "<div class=\"box warn\"><p>{}</p></div>",
            w.discontinued
        );
    }
    match &o.certificate {
        Some(c) => {
            let stars = c.stars.clamp(0, 5) as usize;
            let _ = write!(
                out,
                "<p class=\"stars\">{}{} {} {} {}</p>",
                "★".repeat(stars),
                "☆".repeat(5 - stars),
                w.ocop,
                stars,
                w.stars
            );
            // EXPIRING is still in force: to a shopper, the date says enough.
            let (class, big) = match c.status {
                CertificateStatus::Valid | CertificateStatus::Expiring => {
                    ("ok", format!("{} {}", w.in_force_until, date(c.expires_on)))
                }
                CertificateStatus::Expired => {
                    let lapsed = c.expires_on.succ_opt().unwrap_or(c.expires_on);
                    ("bad", format!("{} {}", w.lapsed_on, date(lapsed)))
                }
            };
            let _ = write!(
                out,
                "<section class=\"box {class}\" id=\"certificate\"><h2>{}</h2><p class=\"big\">{big}</p><p>№ {} · {} {}</p></section>",
                w.certificate,
                escape(&c.number),
                w.issued_on,
                date(c.issued_on),
            );
        }
        None => {
            let _ = write!(
                out,
                "<section class=\"box bad\" id=\"certificate\"><h2>{}</h2><p class=\"big\">{}</p></section>",
                w.certificate, w.no_certificate
            );
        }
    }
    lot_box(&mut out, o, asked);
    out.push_str("<dl>");
    let m = &o.producer;
    row(&mut out, w.producer, &m.name);
    let place: Vec<&str> = [m.commune.as_str(), m.district.as_str(), m.province.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let place = place.join(", ");
    // Producers often write the whole address with commune and province in
    // it; the shopper then reads it once, not twice.
    let address = m.address.trim();
    if address.is_empty() || address.contains(place.as_str()) {
        row(
            &mut out,
            w.origin,
            if address.is_empty() { &place } else { address },
        );
    } else {
        row(&mut out, w.origin, &place);
        row(&mut out, w.address, address);
    }
    row(&mut out, w.category, words::category(lang, p.category));
    if let (Some(milli), Some(unit)) = (p.net_content_milli, p.net_content_unit) {
        row(
            &mut out,
            w.net_content,
            &words::net_content(lang, milli, unit),
        );
    }
    if let Some(days) = p.shelf_life_days {
        row(&mut out, w.shelf_life, &format!("{days} {}", w.days));
    }
    for (term, value) in [
        (w.ingredients, &p.ingredients),
        (w.storage, &p.storage),
        (w.usage, &p.usage_instructions),
        (w.warnings, &p.warnings),
    ] {
        row(&mut out, term, value.as_deref().unwrap_or(""));
    }
    row(&mut out, w.gtin, o.gtin14.as_deref().unwrap_or(""));
    row(&mut out, w.trace_code, &p.trace_code);
    out.push_str("</dl>");
    tail(&mut out, lang);
    out
}

fn lot_box(out: &mut String, o: &Origin, asked: &Asked<'_>) {
    let w = asked.lang.words();
    let recorded = o.lot.as_ref().and_then(|l| l.expires_on);
    if o.lot.is_none() && asked.printed_expiry.is_none() {
        return;
    }
    let differs = matches!((recorded, asked.printed_expiry), (Some(r), Some(p)) if r != p);
    let lapsed = recorded
        .or(asked.printed_expiry)
        .is_some_and(|d| d < o.today);
    let class = if differs || lapsed { "warn" } else { "ok" };
    let _ = write!(out, "<section class=\"box {class}\" id=\"lot\">");
    match &o.lot {
        Some(lot) => {
            let _ = write!(
                out,
                "<h2>{}</h2><p class=\"big\">{}</p>",
                w.lot,
                escape(&lot.number)
            );
            match lot.expires_on {
                Some(d) => {
                    let _ = write!(out, "<p>{}: {}</p>", w.lot_expiry, date(d));
                }
                None => {
                    let _ = write!(out, "<p>{}</p>", w.lot_no_expiry);
                }
            }
        }
        None => {
            let _ = write!(out, "<h2>{}</h2>", w.printed_expiry);
        }
    }
    if let Some(d) = asked.printed_expiry {
        let _ = write!(out, "<p>{}: {}</p>", w.printed_expiry, date(d));
    }
    if differs {
        let _ = write!(out, "<p>{}</p>", w.expiry_differs);
    }
    out.push_str("</section>");
}

/// A page for a scan that leads nowhere; `product_path` links a lot's
/// product when the product itself is public.
pub fn missing(why: Option<Missing>, product_path: Option<&str>, asked: &Asked<'_>) -> String {
    let lang = asked.lang;
    let w = lang.words();
    let (title, text) = match why {
        Some(Missing::InvalidGtin) => (w.invalid_gtin_title, w.invalid_gtin),
        Some(Missing::Unknown) => (w.not_found_title, w.not_found),
        Some(Missing::UnknownLot) => (w.unknown_lot_title, w.unknown_lot),
        None => (w.bad_request_title, w.bad_request),
    };
    page_with_message(title, text, product_path, asked)
}

pub fn slow_down(asked: &Asked<'_>) -> String {
    let w = asked.lang.words();
    page_with_message(w.slow_down_title, w.slow_down, None, asked)
}

fn page_with_message(title: &str, text: &str, link: Option<&str>, asked: &Asked<'_>) -> String {
    let mut out = String::with_capacity(3 * 1024);
    head(&mut out, asked.lang, title, asked);
    let _ = write!(
        out,
        "<h1>{title}</h1><div class=\"box warn\"><p>{text}</p></div>"
    );
    if let Some(path) = link {
        let _ = write!(
            out,
            "<p><a href=\"{}\">{}</a></p>",
            escape(path),
            asked.lang.words().see_product
        );
    }
    tail(&mut out, asked.lang);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style() {
        assert!(CSP.contains("style-src 'sha256-"));
        assert!(!CSP.contains("unsafe-inline"));
        assert!(!CSP.contains("script-src"));
    }
}
