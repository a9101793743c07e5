//! The name tables synthetic rows are built from, and the deterministic
//! generator that picks from them.

use entity::enums::Category;

/// The 63 provinces and centrally-run cities (before the 2025 merger), with
/// the short codes certificate numbers use.
pub const PROVINCES: [(&str, &str); 63] = [
    ("HN", "Hà Nội"),
    ("HCM", "TP Hồ Chí Minh"),
    ("HP", "Hải Phòng"),
    ("DN", "Đà Nẵng"),
    ("CT", "Cần Thơ"),
    ("AG", "An Giang"),
    ("BRVT", "Bà Rịa - Vũng Tàu"),
    ("BG", "Bắc Giang"),
    ("BK", "Bắc Kạn"),
    ("BL", "Bạc Liêu"),
    ("BN", "Bắc Ninh"),
    ("BT", "Bến Tre"),
    ("BD", "Bình Định"),
    ("BDG", "Bình Dương"),
    ("BP", "Bình Phước"),
    ("BTH", "Bình Thuận"),
    ("CM", "Cà Mau"),
    ("CB", "Cao Bằng"),
    ("DL", "Đắk Lắk"),
    ("DNO", "Đắk Nông"),
    ("DB", "Điện Biên"),
    ("DNA", "Đồng Nai"),
    ("DT", "Đồng Tháp"),
    ("GL", "Gia Lai"),
    ("HG", "Hà Giang"),
    ("HNA", "Hà Nam"),
    ("HT", "Hà Tĩnh"),
    ("HD", "Hải Dương"),
    ("HGI", "Hậu Giang"),
    ("HB", "Hòa Bình"),
    ("HY", "Hưng Yên"),
    ("KH", "Khánh Hòa"),
    ("KG", "Kiên Giang"),
    ("KT", "Kon Tum"),
    ("LC", "Lai Châu"),
    ("LD", "Lâm Đồng"),
    ("LS", "Lạng Sơn"),
    ("LCA", "Lào Cai"),
    ("LA", "Long An"),
    ("ND", "Nam Định"),
    ("NA", "Nghệ An"),
    ("NB", "Ninh Bình"),
    ("NT", "Ninh Thuận"),
    ("PT", "Phú Thọ"),
    ("PY", "Phú Yên"),
    ("QB", "Quảng Bình"),
    ("QNA", "Quảng Nam"),
    ("QNG", "Quảng Ngãi"),
    ("QN", "Quảng Ninh"),
    ("QT", "Quảng Trị"),
    ("ST", "Sóc Trăng"),
    ("SL", "Sơn La"),
    ("TNI", "Tây Ninh"),
    ("TB", "Thái Bình"),
    ("TN", "Thái Nguyên"),
    ("TH", "Thanh Hóa"),
    ("TTH", "Thừa Thiên Huế"),
    ("TG", "Tiền Giang"),
    ("TV", "Trà Vinh"),
    ("TQ", "Tuyên Quang"),
    ("VL", "Vĩnh Long"),
    ("VP", "Vĩnh Phúc"),
    ("YB", "Yên Bái"),
];

/// (Vietnamese, English, category, unit, base price VND)
pub const KINDS: [(&str, &str, Category, &str, i64); 16] = [
    ("Mật ong", "Honey", Category::Food, "chai", 180_000),
    ("Nước mắm", "Fish sauce", Category::Food, "chai", 95_000),
    ("Gạo", "Rice", Category::Food, "túi", 120_000),
    (
        "Miến dong",
        "Arrowroot noodles",
        Category::Food,
        "gói",
        60_000,
    ),
    ("Bánh đa", "Rice crackers", Category::Food, "gói", 35_000),
    ("Trà", "Tea", Category::Beverages, "hộp", 150_000),
    ("Cà phê", "Coffee", Category::Beverages, "túi", 210_000),
    ("Rượu", "Rice wine", Category::Beverages, "chai", 250_000),
    (
        "Tinh dầu",
        "Essential oil",
        Category::HerbalProducts,
        "lọ",
        140_000,
    ),
    (
        "Cao dược liệu",
        "Herbal extract",
        Category::HerbalProducts,
        "hộp",
        320_000,
    ),
    (
        "Thổ cẩm",
        "Brocade",
        Category::TextilesGarments,
        "tấm",
        450_000,
    ),
    (
        "Khăn lụa",
        "Silk scarf",
        Category::TextilesGarments,
        "chiếc",
        380_000,
    ),
    (
        "Giỏ mây tre",
        "Rattan basket",
        Category::HandicraftsSouvenirs,
        "chiếc",
        220_000,
    ),
    (
        "Gốm",
        "Pottery",
        Category::HandicraftsSouvenirs,
        "bộ",
        520_000,
    ),
    (
        "Nón lá",
        "Conical hat",
        Category::HandicraftsSouvenirs,
        "chiếc",
        90_000,
    ),
    (
        "Tour trải nghiệm",
        "Village tour",
        Category::RuralTourism,
        "vé",
        600_000,
    ),
];

pub const QUALITIES: [(&str, &str); 12] = [
    ("hoa sen", "lotus"),
    ("rừng", "wild"),
    ("hữu cơ", "organic"),
    ("truyền thống", "traditional"),
    ("đặc sản", "specialty"),
    ("Shan tuyết", "Shan Tuyet"),
    ("thượng hạng", "premium"),
    ("nếp cái hoa vàng", "golden glutinous"),
    ("gừng", "ginger"),
    ("quế", "cinnamon"),
    ("sả", "lemongrass"),
    ("tam giác mạch", "buckwheat"),
];

pub const VILLAGES: [&str; 12] = [
    "Tân Lập",
    "Hòa Bình",
    "Phú Xuân",
    "Đông Hải",
    "Thạch Bàn",
    "Yên Thế",
    "Bình Minh",
    "Xuân Sơn",
    "Vạn Phúc",
    "Tiên Phong",
    "An Hòa",
    "Ngọc Lâm",
];

/// splitmix64: tiny, fast and fixed forever, so a scale is reproducible
/// whatever crate versions the build picks.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
