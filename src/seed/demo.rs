//! The demo catalogue: real-sounding OCOP producers and products from
//! several provinces, in every category, and the five partners the contract names.

use entity::enums::{Category, PartnerKind, ProducerKind};

pub struct DemoProducer {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: ProducerKind,
    pub commune: &'static str,
    pub district: &'static str,
    pub province: &'static str,
    pub products: &'static [DemoProduct],
}

/// (sku suffix, Vietnamese name, English name, category, stars, unit, pack size, price VND, min order)
pub type DemoProduct = (
    &'static str,
    &'static str,
    &'static str,
    Category,
    i16,
    &'static str,
    i32,
    i64,
    i32,
);

pub struct DemoLocation {
    pub code: &'static str,
    pub name: &'static str,
    pub province: &'static str,
}

pub struct DemoPartner {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: PartnerKind,
    pub scopes: &'static str,
    /// (code, name, address, province)
    pub stores: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

use Category::*;

pub const RETAIL_SCOPES: &str =
    "catalog:read inventory:read orders:read orders:write reports:read webhooks:manage";
pub const OPERATOR_SCOPES: &str = "catalog:read catalog:write inventory:read inventory:write orders:read orders:write fulfillment:write reports:read partners:admin webhooks:manage";

pub const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        code: "aeon-vn",
        name: "AEON Việt Nam",
        kind: PartnerKind::RetailChain,
        scopes: RETAIL_SCOPES,
        stores: &[
            (
                "AEON-LB",
                "AEON Mall Long Biên",
                "27 Cổ Linh, Long Biên",
                "Hà Nội",
            ),
            (
                "AEON-HD",
                "AEON Mall Hà Đông",
                "Dương Nội, Hà Đông",
                "Hà Nội",
            ),
            (
                "AEON-TP",
                "AEON Mall Tân Phú Celadon",
                "30 Bờ Bao Tân Thắng, Tân Phú",
                "TP Hồ Chí Minh",
            ),
        ],
    },
    DemoPartner {
        code: "winmart",
        name: "WinMart",
        kind: PartnerKind::RetailChain,
        scopes: RETAIL_SCOPES,
        stores: &[
            (
                "WM-ROYAL",
                "WinMart Royal City",
                "72A Nguyễn Trãi, Thanh Xuân",
                "Hà Nội",
            ),
            (
                "WM-TIMES",
                "WinMart Times City",
                "458 Minh Khai, Hai Bà Trưng",
                "Hà Nội",
            ),
            (
                "WM-DN",
                "WinMart Đà Nẵng",
                "910A Ngô Quyền, Sơn Trà",
                "Đà Nẵng",
            ),
        ],
    },
    DemoPartner {
        code: "central-retail",
        name: "Central Retail Việt Nam",
        kind: PartnerKind::RetailChain,
        scopes: RETAIL_SCOPES,
        stores: &[
            (
                "GO-THANGLONG",
                "GO! Thăng Long",
                "222 Trần Duy Hưng, Cầu Giấy",
                "Hà Nội",
            ),
            (
                "GO-DANANG",
                "GO! Đà Nẵng",
                "255 Hùng Vương, Thanh Khê",
                "Đà Nẵng",
            ),
            (
                "TOPS-THAODIEN",
                "Tops Market Thảo Điền",
                "12 Quốc Hương, Thủ Đức",
                "TP Hồ Chí Minh",
            ),
        ],
    },
    DemoPartner {
        code: "hapro",
        name: "Tổng công ty Thương mại Hà Nội (Hapro)",
        kind: PartnerKind::RetailChain,
        scopes: RETAIL_SCOPES,
        stores: &[
            (
                "HAPRO-TX",
                "Hapro Mart Thanh Xuân",
                "Khương Trung, Thanh Xuân",
                "Hà Nội",
            ),
            (
                "HAPRO-HK",
                "Hapro Mart Hoàn Kiếm",
                "38 Hàng Bài, Hoàn Kiếm",
                "Hà Nội",
            ),
        ],
    },
    DemoPartner {
        code: "hanoi-ocop-hub",
        name: "Văn phòng Điều phối OCOP Hà Nội",
        kind: PartnerKind::Operator,
        scopes: OPERATOR_SCOPES,
        stores: &[(
            "HUB-LDH",
            "Điểm giới thiệu sản phẩm OCOP Hà Nội",
            "52 Lê Đại Hành, Hai Bà Trưng",
            "Hà Nội",
        )],
    },
];

pub const LOCATIONS: &[DemoLocation] = &[
    DemoLocation {
        code: "HN-LONGBIEN",
        name: "Kho trung tâm OCOP Long Biên",
        province: "Hà Nội",
    },
    DemoLocation {
        code: "HN-HADONG",
        name: "Điểm phân phối OCOP Hà Đông",
        province: "Hà Nội",
    },
    DemoLocation {
        code: "DN-HOAKHANH",
        name: "Kho OCOP Hòa Khánh",
        province: "Đà Nẵng",
    },
    DemoLocation {
        code: "HCM-THUDUC",
        name: "Kho OCOP Thủ Đức",
        province: "TP Hồ Chí Minh",
    },
];

// One product per line, read as a table: (SKU, Vietnamese name, English
// name, category, stars, unit, pack size, price VND, minimum order).
#[rustfmt::skip]
pub const PRODUCERS: &[DemoProducer] = &[
    DemoProducer {
        code: "HTX-GOM-BATTRANG",
        name: "Hợp tác xã Gốm sứ Bát Tràng",
        kind: ProducerKind::Cooperative,
        commune: "Bát Tràng",
        district: "Gia Lâm",
        province: "Hà Nội",
        products: &[
            ("BT-BINH-HOASEN", "Bình hoa sen men rạn Bát Tràng", "Bat Trang crackle-glaze lotus vase", HandicraftsSouvenirs, 5, "chiếc", 4, 450_000, 4),
            ("BT-BOAMTRA-LAM", "Bộ ấm trà men lam Bát Tràng", "Bat Trang blue-glaze tea set", HandicraftsSouvenirs, 4, "bộ", 6, 680_000, 6),
            ("BT-DIA-VEHOA", "Đĩa vẽ hoa sen thủ công", "Hand-painted lotus plate", HandicraftsSouvenirs, 4, "chiếc", 10, 185_000, 10),
            ("BT-COC-GOM", "Cốc gốm men hỏa biến", "Flambé-glaze ceramic mug", HandicraftsSouvenirs, 3, "chiếc", 12, 95_000, 12),
            ("BT-LO-HUONG", "Lư hương gốm Bát Tràng men nâu", "Brown-glaze incense burner", HandicraftsSouvenirs, 4, "chiếc", 4, 320_000, 4),
        ],
    },
    DemoProducer {
        code: "HTX-MAYTRE-PHUVINH",
        name: "Hợp tác xã Mây tre đan Phú Vinh",
        kind: ProducerKind::Cooperative,
        commune: "Phú Nghĩa",
        district: "Chương Mỹ",
        province: "Hà Nội",
        products: &[
            ("PV-GIO-MAY", "Giỏ mây đan Phú Vinh", "Phu Vinh woven rattan basket", HandicraftsSouvenirs, 4, "chiếc", 10, 145_000, 10),
            ("PV-KHAY-TRE", "Khay tre sơn mài", "Lacquered bamboo tray", HandicraftsSouvenirs, 4, "chiếc", 10, 210_000, 10),
            ("PV-DEN-MAY", "Chụp đèn mây tre đan", "Rattan and bamboo lampshade", HandicraftsSouvenirs, 5, "chiếc", 4, 390_000, 4),
            ("PV-HOP-GIAY", "Hộp đựng giấy ăn mây", "Rattan tissue box", HandicraftsSouvenirs, 3, "chiếc", 20, 75_000, 20),
        ],
    },
    DemoProducer {
        code: "CTY-SUA-BAVI",
        name: "Công ty Cổ phần Sữa Ba Vì",
        kind: ProducerKind::Enterprise,
        commune: "Vân Hòa",
        district: "Ba Vì",
        province: "Hà Nội",
        products: &[
            ("BV-SUA-TUOI-1L", "Sữa tươi thanh trùng Ba Vì 1 lít", "Ba Vi pasteurised fresh milk 1 L", Beverages, 4, "chai", 12, 38_000, 24),
            ("BV-SUACHUA", "Sữa chua Ba Vì không đường", "Ba Vi unsweetened yoghurt", Food, 4, "hộp", 48, 7_500, 48),
            ("BV-BANH-SUA", "Bánh sữa Ba Vì", "Ba Vi milk cake", Food, 4, "gói", 20, 45_000, 20),
            ("BV-PHOMAI", "Phô mai tươi Ba Vì", "Ba Vi fresh cheese", Food, 3, "hộp", 12, 65_000, 12),
            ("BV-SUACHUA-NEP", "Sữa chua nếp cẩm Ba Vì", "Ba Vi black sticky rice yoghurt", Food, 3, "hộp", 48, 9_000, 48),
        ],
    },
    DemoProducer {
        code: "CTY-NAMDUOC",
        name: "Công ty TNHH Nam Dược",
        kind: ProducerKind::Enterprise,
        commune: "Giao Nhân",
        district: "Giao Thủy",
        province: "Nam Định",
        products: &[
            ("ND-TRA-GUNG", "Trà gừng Nam Dược", "Nam Duoc ginger tea", HerbalProducts, 4, "hộp", 20, 42_000, 20),
            ("ND-TRA-ATISO", "Trà atiso túi lọc", "Artichoke tea bags", HerbalProducts, 4, "hộp", 20, 55_000, 20),
            ("ND-CAO-ICH-MAU", "Cao ích mẫu Nam Dược", "Motherwort herbal extract", HerbalProducts, 5, "chai", 24, 120_000, 24),
            ("ND-TRA-CAM-LINH", "Trà thảo mộc cam linh", "Calming herbal tea blend", HerbalProducts, 3, "hộp", 20, 48_000, 20),
            ("ND-DAU-GIO", "Dầu gió thảo dược", "Herbal medicated oil", HerbalProducts, 4, "chai", 50, 28_000, 50),
        ],
    },
    DemoProducer {
        code: "HTX-MAM-BALANG",
        name: "Hợp tác xã Nước mắm Ba Làng",
        kind: ProducerKind::Cooperative,
        commune: "Hải Thanh",
        district: "Nghi Sơn",
        province: "Thanh Hóa",
        products: &[
            ("BL-MAM-40N", "Nước mắm cốt Ba Làng 40 độ đạm", "Ba Lang first-press fish sauce 40°N", Food, 5, "chai", 12, 135_000, 12),
            ("BL-MAM-30N", "Nước mắm Ba Làng 30 độ đạm", "Ba Lang fish sauce 30°N", Food, 4, "chai", 12, 85_000, 12),
            ("BL-MAM-TOM", "Mắm tôm Ba Làng", "Ba Lang shrimp paste", Food, 3, "hũ", 24, 40_000, 24),
            ("BL-MAM-CHAI-NHO", "Nước mắm Ba Làng chai thủy tinh 200 ml", "Ba Lang fish sauce 200 ml glass bottle", Food, 4, "chai", 24, 52_000, 24),
        ],
    },
    DemoProducer {
        code: "CS-CHAMUC-HALONG",
        name: "Cơ sở Chả mực Hạ Long Hồng Hải",
        kind: ProducerKind::Household,
        commune: "Hồng Hải",
        district: "Hạ Long",
        province: "Quảng Ninh",
        products: &[
            ("HL-CHAMUC-500", "Chả mực giã tay Hạ Long 500 g", "Ha Long hand-pounded squid cake 500 g", Food, 5, "hộp", 10, 210_000, 10),
            ("HL-CHAMUC-1KG", "Chả mực Hạ Long 1 kg", "Ha Long squid cake 1 kg", Food, 4, "hộp", 6, 400_000, 6),
            ("HL-MUC-KHO", "Mực khô Quảng Ninh loại 1", "Quang Ninh dried squid, grade 1", Food, 4, "gói", 10, 650_000, 5),
            ("HL-SA-SUNG", "Sá sùng khô Vân Đồn", "Van Don dried sipunculid worm", Food, 5, "gói", 10, 1_250_000, 2),
        ],
    },
    DemoProducer {
        code: "HTX-RONGBIEN-SONTRA",
        name: "Hợp tác xã Rong biển Sơn Trà",
        kind: ProducerKind::Cooperative,
        commune: "Thọ Quang",
        district: "Sơn Trà",
        province: "Đà Nẵng",
        products: &[
            ("DN-RONG-SAY", "Rong biển sấy giòn Đà Nẵng", "Da Nang crispy dried seaweed", Food, 4, "gói", 30, 35_000, 30),
            ("DN-RONG-NHO", "Rong nho tách nước Sơn Trà", "Son Tra dehydrated sea grapes", Food, 4, "hộp", 20, 78_000, 20),
            ("DN-CHA-CA", "Chả cá Đà Nẵng", "Da Nang fish cake", Food, 3, "gói", 20, 95_000, 20),
            ("DN-MAM-NEM", "Mắm nêm Đà Nẵng", "Da Nang fermented anchovy sauce", Food, 3, "chai", 24, 32_000, 24),
            ("DN-TOUR-SONTRA", "Tour trải nghiệm làng chài Sơn Trà", "Son Tra fishing village experience", RuralTourism, 3, "suất", 1, 450_000, 2),
        ],
    },
    DemoProducer {
        code: "HTX-CHE-TANCUONG",
        name: "Hợp tác xã Chè Tân Cương",
        kind: ProducerKind::Cooperative,
        commune: "Tân Cương",
        district: "TP Thái Nguyên",
        province: "Thái Nguyên",
        products: &[
            ("TC-CHE-NONTOM", "Chè Tân Cương nõn tôm", "Tan Cuong young-bud green tea", Beverages, 5, "hộp", 20, 280_000, 10),
            ("TC-CHE-MOCCAU", "Chè móc câu Thái Nguyên", "Thai Nguyen hook-leaf green tea", Beverages, 4, "hộp", 20, 160_000, 10),
            ("TC-CHE-TUILOC", "Chè xanh túi lọc Tân Cương", "Tan Cuong green tea bags", Beverages, 3, "hộp", 40, 45_000, 40),
            ("TC-TOUR-DOICHE", "Trải nghiệm hái chè đồi Tân Cương", "Tan Cuong tea-hill picking experience", RuralTourism, 4, "suất", 1, 350_000, 2),
        ],
    },
    DemoProducer {
        code: "HTX-GAO-MYXUYEN",
        name: "Hợp tác xã Lúa gạo Mỹ Xuyên",
        kind: ProducerKind::Cooperative,
        commune: "Tham Đôn",
        district: "Mỹ Xuyên",
        province: "Sóc Trăng",
        products: &[
            ("MX-GAO-ST25-5KG", "Gạo ST25 Mỹ Xuyên túi 5 kg", "My Xuyen ST25 rice, 5 kg bag", Food, 5, "túi", 4, 185_000, 8),
            ("MX-GAO-ST24-5KG", "Gạo ST24 túi 5 kg", "ST24 rice, 5 kg bag", Food, 4, "túi", 4, 160_000, 8),
            ("MX-GAO-TOM-LUA", "Gạo tôm lúa hữu cơ", "Organic shrimp-rice paddy rice", Food, 4, "túi", 4, 210_000, 8),
            ("MX-BANH-PIA", "Bánh pía sầu riêng Vũng Thơm", "Vung Thom durian pia cake", Food, 4, "hộp", 20, 68_000, 20),
        ],
    },
    DemoProducer {
        code: "CS-KEODUA-MOCAY",
        name: "Cơ sở Kẹo dừa Mỏ Cày Thanh Long",
        kind: ProducerKind::Household,
        commune: "Định Thủy",
        district: "Mỏ Cày Nam",
        province: "Bến Tre",
        products: &[
            ("MC-KEODUA-SUA", "Kẹo dừa sữa Mỏ Cày", "Mo Cay milk coconut candy", Food, 4, "gói", 40, 32_000, 40),
            ("MC-KEODUA-SAURIENG", "Kẹo dừa sầu riêng", "Durian coconut candy", Food, 3, "gói", 40, 35_000, 40),
            ("MC-DAU-DUA", "Dầu dừa tinh khiết Bến Tre", "Ben Tre virgin coconut oil", HerbalProducts, 4, "chai", 24, 89_000, 24),
            ("MC-TUI-XO-DUA", "Túi xách xơ dừa thủ công", "Handmade coconut-fibre bag", TextilesGarments, 3, "chiếc", 10, 155_000, 10),
        ],
    },
    DemoProducer {
        code: "HTX-LUA-VANPHUC",
        name: "Hợp tác xã Dệt lụa Vạn Phúc",
        kind: ProducerKind::Cooperative,
        commune: "Vạn Phúc",
        district: "Hà Đông",
        province: "Hà Nội",
        products: &[
            ("VP-KHAN-LUA", "Khăn lụa tơ tằm Vạn Phúc", "Van Phuc mulberry silk scarf", TextilesGarments, 5, "chiếc", 10, 350_000, 10),
            ("VP-VAI-LUA-M", "Vải lụa Vạn Phúc (mét)", "Van Phuc silk fabric (per metre)", TextilesGarments, 4, "mét", 10, 220_000, 20),
            ("VP-AO-DAI", "Áo dài lụa Vạn Phúc may sẵn", "Van Phuc ready-made silk ao dai", TextilesGarments, 4, "bộ", 2, 1_850_000, 2),
            ("VP-CA-VAT", "Cà vạt lụa tơ tằm", "Silk necktie", TextilesGarments, 3, "chiếc", 10, 190_000, 10),
            ("VP-TOUR-LANGLUA", "Tham quan làng lụa Vạn Phúc", "Van Phuc silk village tour", RuralTourism, 4, "suất", 1, 250_000, 2),
        ],
    },
    DemoProducer {
        code: "HTX-CAPHE-CAUDAT",
        name: "Hợp tác xã Cà phê Cầu Đất",
        kind: ProducerKind::Cooperative,
        commune: "Trạm Hành",
        district: "TP Đà Lạt",
        province: "Lâm Đồng",
        products: &[
            ("CD-CAPHE-ARABICA", "Cà phê Arabica Cầu Đất rang xay", "Cau Dat ground Arabica coffee", Beverages, 5, "gói", 20, 195_000, 10),
            ("CD-CAPHE-HAT", "Cà phê hạt Cầu Đất nguyên chất", "Cau Dat whole-bean coffee", Beverages, 4, "gói", 20, 210_000, 10),
            ("CD-TRA-ATISO-DL", "Trà atiso Đà Lạt", "Da Lat artichoke tea", HerbalProducts, 4, "hộp", 20, 65_000, 20),
            ("CD-MUT-DAU", "Mứt dâu tây Đà Lạt", "Da Lat strawberry preserve", Food, 3, "hộp", 24, 55_000, 24),
            ("CD-TOUR-NONGTRAI", "Tour nông trại cà phê Cầu Đất", "Cau Dat coffee farm tour", RuralTourism, 5, "suất", 1, 550_000, 2),
        ],
    },
    DemoProducer {
        code: "HTX-TIEU-PHUQUOC",
        name: "Hợp tác xã Hồ tiêu Phú Quốc",
        kind: ProducerKind::Cooperative,
        commune: "Cửa Dương",
        district: "Phú Quốc",
        province: "Kiên Giang",
        products: &[
            ("PQ-TIEU-DEN", "Tiêu đen Phú Quốc", "Phu Quoc black pepper", Food, 4, "hũ", 24, 75_000, 24),
            ("PQ-TIEU-DO", "Tiêu đỏ Phú Quốc", "Phu Quoc red pepper", Food, 5, "hũ", 24, 120_000, 24),
            ("PQ-MAM-PHUQUOC", "Nước mắm Phú Quốc 43 độ đạm", "Phu Quoc fish sauce 43°N", Food, 5, "chai", 12, 145_000, 12),
            ("PQ-RUOU-SIM", "Rượu sim Phú Quốc", "Phu Quoc rose-myrtle wine", Beverages, 4, "chai", 12, 165_000, 12),
        ],
    },
    DemoProducer {
        code: "HTX-MATONG-MEOVAC",
        name: "Hợp tác xã Mật ong bạc hà Mèo Vạc",
        kind: ProducerKind::Cooperative,
        commune: "Mèo Vạc",
        district: "Mèo Vạc",
        province: "Hà Giang",
        products: &[
            ("MV-MATONG-BACHA", "Mật ong bạc hà Mèo Vạc", "Meo Vac mint-flower honey", Food, 5, "chai", 12, 320_000, 12),
            ("MV-THIT-TRAU-GAC-BEP", "Thịt trâu gác bếp Hà Giang", "Ha Giang smoked buffalo", Food, 4, "gói", 10, 280_000, 10),
            ("MV-KHAN-THO-CAM", "Khăn thổ cẩm H'Mông", "H'Mong brocade scarf", TextilesGarments, 4, "chiếc", 10, 240_000, 10),
            ("MV-TOUR-CAONGUYEN", "Homestay cao nguyên đá Đồng Văn", "Dong Van karst plateau homestay", RuralTourism, 4, "suất", 1, 600_000, 2),
        ],
    },
    DemoProducer {
        code: "HTX-DULICH-MAICHAU",
        name: "Hợp tác xã Du lịch cộng đồng Mai Châu",
        kind: ProducerKind::Cooperative,
        commune: "Chiềng Châu",
        district: "Mai Châu",
        province: "Hòa Bình",
        products: &[
            ("MCH-TOUR-BANLAC", "Trải nghiệm bản Lác Mai Châu", "Ban Lac village stay, Mai Chau", RuralTourism, 4, "suất", 1, 480_000, 2),
            ("MCH-THO-CAM", "Vải thổ cẩm dệt tay Mai Châu", "Mai Chau hand-woven brocade", TextilesGarments, 4, "tấm", 5, 420_000, 5),
            ("MCH-RUOU-CAN", "Rượu cần Mai Châu", "Mai Chau tube rice wine", Beverages, 3, "bình", 6, 230_000, 6),
            ("MCH-CAM-LAM", "Cơm lam Mai Châu hút chân không", "Vacuum-packed Mai Chau bamboo rice", Food, 3, "gói", 20, 40_000, 20),
        ],
    },
];
