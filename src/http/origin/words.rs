//! The origin page's words, in Vietnamese (the default: the shoppers are in
//! Vietnam) and English.

use entity::enums::{Category, NetContentUnit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// `?lang=` when given (the page's own switch), else the caller's
    /// `Accept-Language`: English only when it ranks above Vietnamese.
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        match query {
            Some("en") => return Lang::En,
            Some("vi") => return Lang::Vi,
            _ => {}
        }
        let Some(header) = accept_language else {
            return Lang::Vi;
        };
        let (mut vi, mut en) = (0.0f32, 0.0f32);
        for (i, item) in header.split(',').take(20).enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0)
                // Earlier entries win ties, as browsers list them by preference.
                - i as f32 * 1e-4;
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "vi" => vi = vi.max(q),
                "en" => en = en.max(q),
                _ => {}
            }
        }
        if en > vi { Lang::En } else { Lang::Vi }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }
}

pub struct Words {
    pub switch_to: &'static str,
    pub site: &'static str,
    pub ocop: &'static str,
    pub stars: &'static str,
    pub certificate: &'static str,
    pub in_force_until: &'static str,
    pub lapsed_on: &'static str,
    pub no_certificate: &'static str,
    pub issued_on: &'static str,
    pub producer: &'static str,
    pub origin: &'static str,
    pub address: &'static str,
    pub category: &'static str,
    pub net_content: &'static str,
    pub shelf_life: &'static str,
    pub days: &'static str,
    pub ingredients: &'static str,
    pub storage: &'static str,
    pub usage: &'static str,
    pub warnings: &'static str,
    pub lot: &'static str,
    pub lot_expiry: &'static str,
    pub lot_no_expiry: &'static str,
    pub printed_expiry: &'static str,
    pub expiry_differs: &'static str,
    pub discontinued: &'static str,
    pub gtin: &'static str,
    pub trace_code: &'static str,
    pub footer: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub invalid_gtin_title: &'static str,
    pub invalid_gtin: &'static str,
    pub unknown_lot_title: &'static str,
    pub unknown_lot: &'static str,
    pub see_product: &'static str,
    pub bad_request_title: &'static str,
    pub bad_request: &'static str,
    pub slow_down_title: &'static str,
    pub slow_down: &'static str,
}

static VI: Words = Words {
    switch_to: "English",
    site: "Tra cứu nguồn gốc sản phẩm OCOP",
    ocop: "Sản phẩm OCOP",
    stars: "sao",
    certificate: "Giấy chứng nhận OCOP",
    in_force_until: "Còn hiệu lực đến",
    lapsed_on: "Đã hết hiệu lực từ",
    no_certificate: "Chưa có giấy chứng nhận OCOP được ghi nhận",
    issued_on: "Cấp ngày",
    producer: "Chủ thể sản xuất",
    origin: "Nơi sản xuất",
    address: "Địa chỉ",
    category: "Nhóm sản phẩm",
    net_content: "Khối lượng / thể tích tịnh",
    shelf_life: "Hạn sử dụng",
    days: "ngày kể từ ngày sản xuất",
    ingredients: "Thành phần",
    storage: "Bảo quản",
    usage: "Hướng dẫn sử dụng",
    warnings: "Cảnh báo",
    lot: "Lô sản xuất",
    lot_expiry: "Hạn sử dụng ghi nhận khi xuất hàng",
    lot_no_expiry: "Không ghi hạn sử dụng khi xuất hàng",
    printed_expiry: "Hạn sử dụng trong mã QR",
    expiry_differs: "Hạn trong mã QR khác với hạn ghi nhận khi xuất hàng. Hãy kiểm tra hạn in trên bao bì.",
    discontinued: "Sản phẩm này đã ngừng sản xuất.",
    gtin: "Mã vạch (GTIN)",
    trace_code: "Mã truy xuất",
    footer: "Thông tin do chủ thể sản xuất khai báo và được Trung tâm OCOP của tỉnh kiểm duyệt.",
    not_found_title: "Không tìm thấy sản phẩm",
    not_found: "Mã này không thuộc sản phẩm OCOP nào đang được công bố. Nếu mã được in trên một sản phẩm gắn tem OCOP, hãy báo cho cửa hàng.",
    invalid_gtin_title: "Mã vạch không hợp lệ",
    invalid_gtin: "Dãy số này không phải là mã vạch GTIN hợp lệ (sai độ dài hoặc số kiểm tra). Hãy quét lại tem.",
    unknown_lot_title: "Không tìm thấy lô hàng",
    unknown_lot: "Lô này chưa từng được ghi nhận xuất hàng. Thông tin chung của sản phẩm vẫn xem được.",
    see_product: "Xem thông tin sản phẩm",
    bad_request_title: "Đường dẫn không hợp lệ",
    bad_request: "Đường dẫn này không đúng dạng GS1 Digital Link. Hãy quét lại tem.",
    slow_down_title: "Quá nhiều lượt tra cứu",
    slow_down: "Có quá nhiều lượt tra cứu từ mạng này. Hãy thử lại sau ít giây.",
};

static EN: Words = Words {
    switch_to: "Tiếng Việt",
    site: "OCOP product origin",
    ocop: "OCOP product",
    stars: "stars",
    certificate: "OCOP certificate",
    in_force_until: "In force until",
    lapsed_on: "Lapsed since",
    no_certificate: "No OCOP certificate is on record",
    issued_on: "Issued",
    producer: "Producer",
    origin: "Made in",
    address: "Address",
    category: "Product group",
    net_content: "Net content",
    shelf_life: "Shelf life",
    days: "days from production",
    ingredients: "Ingredients",
    storage: "Storage",
    usage: "How to use",
    warnings: "Warnings",
    lot: "Lot",
    lot_expiry: "Expiry recorded when shipped",
    lot_no_expiry: "No expiry was recorded when it shipped",
    printed_expiry: "Expiry in the QR code",
    expiry_differs: "The expiry in the QR code differs from the one recorded when this lot shipped. Check the date printed on the pack.",
    discontinued: "This product is no longer made.",
    gtin: "Barcode (GTIN)",
    trace_code: "Trace code",
    footer: "Declared by the producer and reviewed by the province's OCOP hub.",
    not_found_title: "Product not found",
    not_found: "This code belongs to no published OCOP product. If it is printed on a product with an OCOP stamp, please tell the shop.",
    invalid_gtin_title: "Not a valid barcode",
    invalid_gtin: "These digits are not a valid GTIN (wrong length or check digit). Please scan the stamp again.",
    unknown_lot_title: "Lot not found",
    unknown_lot: "No shipment of this lot is on record. The product's own information is still available.",
    see_product: "See the product",
    bad_request_title: "Not a valid link",
    bad_request: "This address is not a GS1 Digital Link. Please scan the stamp again.",
    slow_down_title: "Too many lookups",
    slow_down: "Too many lookups from this network. Please try again in a few seconds.",
};

pub fn category(lang: Lang, c: Category) -> &'static str {
    match (lang, c) {
        (Lang::Vi, Category::Food) => "Thực phẩm",
        (Lang::Vi, Category::Beverages) => "Đồ uống",
        (Lang::Vi, Category::HerbalProducts) => "Thảo dược",
        (Lang::Vi, Category::TextilesGarments) => "Vải và may mặc",
        (Lang::Vi, Category::HandicraftsSouvenirs) => "Thủ công mỹ nghệ, lưu niệm",
        (Lang::Vi, Category::RuralTourism) => "Du lịch nông thôn",
        (Lang::En, Category::Food) => "Food",
        (Lang::En, Category::Beverages) => "Beverages",
        (Lang::En, Category::HerbalProducts) => "Herbal products",
        (Lang::En, Category::TextilesGarments) => "Textiles and garments",
        (Lang::En, Category::HandicraftsSouvenirs) => "Handicrafts and souvenirs",
        (Lang::En, Category::RuralTourism) => "Rural tourism",
    }
}

/// `500 g`, `1,5 l` (Vietnamese writes a decimal comma), `12 pieces`.
pub fn net_content(lang: Lang, milli: i64, unit: NetContentUnit) -> String {
    let whole = milli / 1000;
    let frac = milli % 1000;
    let number = if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{frac:03}");
        let sep = if lang == Lang::Vi { ',' } else { '.' };
        format!("{whole}{sep}{}", digits.trim_end_matches('0'))
    };
    let unit = match (unit, lang) {
        (NetContentUnit::G, _) => "g",
        (NetContentUnit::Kg, _) => "kg",
        (NetContentUnit::Ml, _) => "ml",
        (NetContentUnit::L, _) => "l",
        (NetContentUnit::Piece, Lang::Vi) => "chiếc",
        (NetContentUnit::Piece, Lang::En) => "pieces",
    };
    format!("{number} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_unless_english_ranks_higher() {
        assert_eq!(Lang::choose(None, None), Lang::Vi);
        assert_eq!(Lang::choose(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::choose(None, Some("vi-VN,vi;q=0.9,en;q=0.8")),
            Lang::Vi
        );
        assert_eq!(Lang::choose(None, Some("fr-FR,en;q=0.5")), Lang::En);
        assert_eq!(Lang::choose(None, Some("en;q=0.4,vi;q=0.9")), Lang::Vi);
        assert_eq!(Lang::choose(None, Some("en, vi")), Lang::En);
        assert_eq!(Lang::choose(Some("vi"), Some("en")), Lang::Vi);
        assert_eq!(Lang::choose(Some("xx"), Some("en")), Lang::En);
    }

    #[test]
    fn net_content_reads_as_the_language_writes_it() {
        assert_eq!(net_content(Lang::Vi, 1500, NetContentUnit::L), "1,5 l");
        assert_eq!(net_content(Lang::En, 1500, NetContentUnit::L), "1.5 l");
        assert_eq!(net_content(Lang::Vi, 500_000, NetContentUnit::G), "500 g");
        assert_eq!(
            net_content(Lang::En, 12_000, NetContentUnit::Piece),
            "12 pieces"
        );
    }
}
