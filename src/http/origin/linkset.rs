//! The machine-readable side of the resolver: the RFC 9264 linkset of an
//! item (GS1-Conformant resolver standard 1.2, uncompressed paths only) and
//! the resolver's description at `/.well-known/gs1resolver`.

use serde_json::{Value, json};

use crate::domain::origin::Origin;

/// GS1's link type vocabulary.
const GS1: &str = "https://gs1.org/voc/";

/// `anchor` is the item's address as asked (with its lot), `page` the
/// origin page, `base` the public address (empty: links stay relative).
pub fn of(o: &Origin, base: &str, anchor: &str, page: &str) -> Value {
    let langs = json!(["vi", "en"]);
    let pip = json!([{
        "href": page,
        "title": o.product.name_vi,
        "type": "text/html",
        "hreflang": langs,
    }]);
    let mut set = serde_json::Map::new();
    set.insert("anchor".into(), json!(anchor));
    set.insert("itemDescription".into(), json!(o.product.name_vi));
    set.insert(format!("{GS1}pip"), pip.clone());
    set.insert(format!("{GS1}defaultLink"), pip);
    set.insert(
        format!("{GS1}certificationInfo"),
        json!([{
            "href": format!("{page}#certificate"),
            "title": "OCOP",
            "type": "text/html",
            "hreflang": langs,
        }]),
    );
    if let Some(img) = &o.image {
        set.insert(
            format!("{GS1}relatedImage"),
            json!([{
                "href": format!("{base}/media/{}", img.media_id),
                "title": if img.alt.is_empty() { &o.product.name_vi } else { &img.alt },
            }]),
        );
    }
    json!({ "linkset": [Value::Object(set)] })
}

pub fn resolver_description(base: &str) -> Value {
    json!({
        "name": "OCOP origin resolver",
        "resolverRoot": base,
        "supportedPrimaryKeys": ["01"],
        "supportedQualifiers": { "01": ["10"] },
        "supportedLinkType": [{ "namespace": GS1, "prefix": "gs1:" }],
        "linkTypeDefaultCanBeAll": false,
        "supportedLanguages": ["vi", "en"],
        "compressedPaths": false,
        "description": "Answers GS1 Digital Link URIs of OCOP products: /01/{gtin} and /01/{gtin}/10/{lot} (any GTIN-8/12/13/14 form; ?17=YYMMDD is read as the expiry the code carries), and /trace/{traceCode} for the code on the OCOP stamp. HTML by default; Accept: application/linkset+json or ?linkType=linkset for the RFC 9264 linkset. Compressed Digital Link paths are not supported.",
    })
}
