// Vietnamese first, English on request; đồng and dates the Vietnamese way,
// in the partners' business time zone.
export const ZONE = 'Asia/Ho_Chi_Minh';
const LANG_KEY = 'ocop.lang';

const TEXT = {
  vi: {
    title: 'Bảng điều khiển OCOP', signOut: 'Đăng xuất', signInTitle: 'Đăng nhập bằng mã truy cập',
    signInHelp: 'Dán mã truy cập (token) mà đơn vị vận hành đã cấp. Mã chỉ được giữ trong thẻ trình duyệt này và bị xoá khi đóng thẻ.',
    tokenLabel: 'Mã truy cập', signIn: 'Đăng nhập', account: 'Tài khoản', partner: 'Đối tác', scopes: 'Quyền',
    expires: 'Hết hạn', stores: 'Cửa hàng', views: 'Khu vực làm việc',
    tabBuy: 'Đặt hàng', tabOrders: 'Đơn hàng', tabStock: 'Tồn kho', tabReports: 'Báo cáo', tabPartners: 'Đối tác',
    referenceNeeded: 'Hãy ghi số đơn (PO) của bạn.', deliveryNeeded: 'Hãy chọn ngày giao mong muốn.',
    tabCatalogue: 'Sản phẩm của tôi', myProducts: 'Sản phẩm của tôi', reviewQueue: 'Sản phẩm chờ duyệt (cũ nhất trước)',
    noProducts: 'Chưa có sản phẩm nào.', noReviews: 'Không có sản phẩm nào chờ duyệt.',
    st_DRAFT: 'Bản nháp', st_IN_REVIEW: 'Chờ duyệt', st_ACTIVE: 'Đang bán', st_DISCONTINUED: 'Ngừng bán',
    complete: 'hoàn thiện {s}%', rejectedBecause: 'Bị từ chối vì:', complete_it: 'Bổ sung thông tin',
    submitReview: 'Gửi duyệt', approve: 'Duyệt', reject: 'Từ chối', rejectReason: 'Lý do từ chối',
    reasonNeeded: 'Hãy ghi lý do để nhà sản xuất sửa.', completing: 'Bổ sung:',
    fNetValue: 'Định lượng', fNetUnit: 'Đơn vị', fShelf: 'Hạn sử dụng (ngày)', fIngredients: 'Thành phần',
    fStorage: 'Bảo quản', fUsage: 'Hướng dẫn sử dụng', fPhoto: 'Ảnh sản phẩm (chụp hoặc chọn)', save: 'Lưu',
    savedProduct: 'Đã lưu (phiên bản {v}).', submitted: 'Đã gửi “{p}” để duyệt.',
    approved: 'Đã duyệt “{p}”.', rejected: 'Đã từ chối “{p}”.',
    catalog: 'Danh mục sản phẩm OCOP', searchLabel: 'Tìm sản phẩm (không cần dấu)', search: 'Tìm',
    product: 'Sản phẩm', stars: 'Sao', producer: 'Nhà sản xuất', province: 'Tỉnh', price: 'Giá của bạn',
    minimum: 'Tối thiểu', inStock: 'Còn hàng theo kho', noResults: 'Không có sản phẩm phù hợp.',
    contract: 'giá hợp đồng', list: 'giá niêm yết', step: 'bước',
    expired: 'Mã truy cập đã hết hạn. Vui lòng dán mã mới.', notToken: 'Đây không phải là mã truy cập hợp lệ.',
    waiting: 'Quá nhiều yêu cầu; tự thử lại sau {s} giây…',
    UNAUTHENTICATED: 'Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi. Vui lòng dán mã mới.',
    unauthenticatedWhy: 'Mã truy cập không được chấp nhận ({m}). Vui lòng dán mã mới.',
    FORBIDDEN: 'Mã truy cập của bạn không có quyền làm việc này ({m}).',
    NOT_FOUND: 'Không tìm thấy (hoặc không thuộc về bạn).',
    BAD_USER_INPUT: 'Dữ liệu chưa hợp lệ: {m}',
    INSUFFICIENT_STOCK: 'Không đủ hàng: {m}',
    insufficientSeen: 'Không đủ hàng cho “{p}”: bạn đặt {r}, hiện chỉ còn {a} có thể đặt.',
    insufficientBlind: 'Không đủ hàng cho “{p}”: không đặt được {r}. Hãy giảm số lượng.',
    CONFLICT: 'Yêu cầu mâu thuẫn với trạng thái hiện tại: {m}',
    RATE_LIMITED: 'Quá nhiều yêu cầu; vui lòng chờ.',
    QUERY_TOO_COMPLEX: 'Yêu cầu quá lớn; hãy thu hẹp tìm kiếm.',
    INTERNAL: 'Lỗi phía máy chủ. Hãy thử lại; nếu vẫn lỗi, báo mã yêu cầu {m} cho đơn vị vận hành.',
    network: 'Không kết nối được máy chủ.',
    draft: 'Đơn hàng đang soạn', store: 'Giao đến cửa hàng', delivery: 'Ngày giao mong muốn',
    reference: 'Số đơn của bạn (PO)', quantity: 'Số lượng', lineTotal: 'Thành tiền', total: 'Tổng cộng',
    place: 'Đặt hàng', add: 'Thêm', remove: 'Bỏ', live: 'Đang cập nhật trực tiếp', offline: 'Mất kết nối trực tiếp; đang nối lại…',
    placed: 'Đã đặt đơn {r}.', quantityRule: '{p}: ít nhất {m}, theo bội số của {i}.',
    emptyDraft: 'Đơn hàng chưa có sản phẩm.',
    newOrders: '{n} mới',     history: 'Lịch sử', moreOrders: 'Xem đơn cũ hơn',     showOrders: 'Hiển thị', allOrders: 'Tất cả đơn',     orders: 'Đơn hàng của bạn', ordersAll: 'Đơn hàng của các đối tác', noOrders: 'Chưa có đơn hàng.',
    accepted: 'chấp nhận', shippedQty: 'đã xuất', deliveredQty: 'đã nhận', shipment: 'Kiện', lot: 'lô', expiry: 'HSD',
    promisedOn: 'hẹn xuất kho {d}', deliverBy: 'giao trước {d}',
    PLACED: 'Đã đặt', CONFIRMED: 'Đã xác nhận', SHIPPED: 'Đã xuất kho', DELIVERED: 'Đã nhận', CANCELLED: 'Đã huỷ',
    acceptQty: 'Chấp nhận', reason: 'Lý do', promised: 'Ngày hẹn xuất kho', confirm: 'Xác nhận đơn',
    ship: 'Xuất kho', carrier: 'Đơn vị vận chuyển', tracking: 'Mã vận đơn',
    newSscc: 'Mã SSCC mới', packages: 'Số kiện', package: 'Kiện', packageN: 'Kiện {n}', ssccOf: 'Kiện {n}: mã SSCC',
    carrierNeeded: 'Cần nhập đơn vị vận chuyển và mã vận đơn.', emptyPackage: 'Kiện {n} chưa có hàng.', shipQty: 'Số lượng xuất', lotNumber: 'Số lô', expiryDate: 'Hạn sử dụng',
    deliver: 'Xác nhận cửa hàng đã nhận đủ', cancel: 'Huỷ đơn', again: 'Bấm lần nữa để xác nhận',
    acked: 'Đã xác nhận đơn {r}.', shippedNote: 'Đã xuất kho đơn {r}.', deliveredNote: 'Đã ghi nhận giao đơn {r}.',
    cancelledNote: 'Đã huỷ đơn {r}.', lotNeeded: '{p}: thực phẩm và đồ uống cần số lô và hạn sử dụng.',
    stockTitle: 'Tồn kho sắp hết', location: 'Kho', allLocations: 'Tất cả kho', coverMax: 'Số ngày tồn tối đa',
    anyCover: 'Không giới hạn', available: 'Có thể bán', daily: 'Bán/ngày', cover: 'Số ngày tồn',
    belowReorder: 'dưới điểm đặt hàng lại', noLowStock: 'Không có mặt hàng sắp hết.', refresh: 'Làm mới',
    receive: 'Nhập', receiveQty: 'Số lượng nhập', received: 'Đã nhập {n} {p} vào {l}.',
    days: '{n} ngày', stockHelp: 'Sản phẩm đã bán trong 28 ngày qua, ít ngày tồn nhất trước; số liệu cập nhật trực tiếp khi hàng được giữ, xuất hay nhập.',
    reportsTitle: 'Báo cáo', from: 'Từ ngày', to: 'Đến ngày', show: 'Xem',
    salesByDay: 'Doanh thu theo ngày', salesByPartner: 'Doanh thu theo đối tác', figures: 'Bảng số liệu',
    fulfilment: 'Thực hiện đơn hàng', ordersCount: 'Số đơn', unitsOrdered: 'Đơn vị đặt', unitsAccepted: 'Đơn vị chấp nhận',
    unitsShipped: 'Đơn vị đã xuất', unitsDelivered: 'Đơn vị đã giao', fillRate: 'Tỷ lệ đáp ứng (đơn vị)',
    lineFillRate: 'Tỷ lệ dòng đủ hàng', onTimeRate: 'Giao đúng hẹn', cancelRate: 'Tỷ lệ huỷ',
    leadConfirm: 'Đặt → xác nhận (giờ, trung vị / p90)', leadDeliver: 'Đặt → giao (giờ, trung vị / p90)',
    noSales: 'Chưa có doanh số trong khoảng này.', csvGroup: 'Nhóm theo (CSV)', csv: 'Tải CSV', day: 'Ngày', revenue: 'Doanh thu', units: 'Đơn vị',
    partnersTitle: 'Đối tác', code: 'Mã', name: 'Tên', status: 'Trạng thái', grants: 'Quyền được cấp',
    kind: 'Loại', actions: 'Thao tác', ACTIVE: 'Đang hoạt động', SUSPENDED: 'Tạm ngưng',
    RETAILER: 'Chuỗi bán lẻ', OPERATOR: 'Đơn vị vận hành',
    suspend: 'Tạm ngưng', reactivate: 'Kích hoạt lại', revoke: 'Thu hồi mọi mã đã cấp', suspendReason: 'Lý do tạm ngưng',
    reasonRequired: 'Cần nhập lý do.', createPartner: 'Thêm đối tác', create: 'Tạo', partnerCreated: 'Đã tạo đối tác {c}.',
    partnerUpdated: 'Đã cập nhật đối tác {c}.', addStore: 'Thêm cửa hàng', address: 'Địa chỉ', storeAdded: 'Đã thêm cửa hàng {c}.',
    contractTitle: 'Giá hợp đồng', sku: 'Mã SKU', unitPrice: 'Đơn giá (₫)', increment: 'Bội số',
    validFrom: 'Áp dụng từ', save: 'Lưu', priceSaved: 'Đã lưu giá hợp đồng {s} cho {c}.', unknownSku: 'Không có sản phẩm mã {s}.',
    issueTitle: 'Cấp mã truy cập cho đối tác', lifetime: 'Thời hạn', issue: 'Cấp mã',
    issuedOnce: 'Mã này chỉ hiện một lần, hết hạn {d}. Hãy gửi cho đối tác qua kênh an toàn.',
    copy: 'Sao chép', copied: 'Đã sao chép.', noScopes: 'Chọn ít nhất một quyền.',
    h1: '1 giờ', h8: '8 giờ', d1: '1 ngày', d7: '7 ngày', d30: '30 ngày',
  },
  en: {
    title: 'OCOP console', signOut: 'Sign out', signInTitle: 'Sign in with an access token',
    signInHelp: 'Paste the access token the operator issued you. It is kept in this browser tab only and cleared when the tab closes.',
    tokenLabel: 'Access token', signIn: 'Sign in', account: 'Account', partner: 'Partner', scopes: 'Scopes',
    expires: 'Expires', stores: 'Stores', views: 'Work areas',
    tabBuy: 'Order', tabOrders: 'Orders', tabStock: 'Stock', tabReports: 'Reports', tabPartners: 'Partners',
    referenceNeeded: 'Enter your PO number.', deliveryNeeded: 'Choose a requested delivery date.',
    tabCatalogue: 'My products', myProducts: 'My products', reviewQueue: 'Products to review (oldest first)',
    noProducts: 'No products yet.', noReviews: 'No product waits for review.',
    st_DRAFT: 'Draft', st_IN_REVIEW: 'In review', st_ACTIVE: 'On sale', st_DISCONTINUED: 'Discontinued',
    complete: '{s}% complete', rejectedBecause: 'Rejected because:', complete_it: 'Complete it',
    submitReview: 'Submit for review', approve: 'Approve', reject: 'Reject', rejectReason: 'Reason for rejecting',
    reasonNeeded: 'Say why, so the producer can fix it.', completing: 'Completing:',
    fNetValue: 'Net content', fNetUnit: 'Unit', fShelf: 'Shelf life (days)', fIngredients: 'Ingredients',
    fStorage: 'Storage', fUsage: 'Usage', fPhoto: 'Product photo (take or choose)', save: 'Save',
    savedProduct: 'Saved (version {v}).', submitted: '“{p}” sent for review.',
    approved: '“{p}” approved.', rejected: '“{p}” rejected.',
    catalog: 'OCOP catalogue', searchLabel: 'Search products (accents optional)', search: 'Search',
    product: 'Product', stars: 'Stars', producer: 'Producer', province: 'Province', price: 'Your price',
    minimum: 'Minimum', inStock: 'In stock by warehouse', noResults: 'No matching products.',
    contract: 'contract price', list: 'list price', step: 'step',
    expired: 'The token has expired. Please paste a new one.', notToken: 'This is not a valid access token.',
    waiting: 'Too many requests; retrying in {s} s…',
    UNAUTHENTICATED: 'The token is invalid, expired or revoked. Please paste a new one.',
    unauthenticatedWhy: 'The token was refused ({m}). Please paste a new one.',
    FORBIDDEN: 'Your token does not allow this ({m}).',
    NOT_FOUND: 'Not found (or not yours).',
    BAD_USER_INPUT: 'Invalid input: {m}',
    INSUFFICIENT_STOCK: 'Not enough stock: {m}',
    insufficientSeen: 'Not enough stock of “{p}”: you asked for {r}, {a} can be had now.',
    insufficientBlind: 'Not enough stock of “{p}” for {r} units. Please order fewer.',
    CONFLICT: 'This conflicts with the current state: {m}',
    RATE_LIMITED: 'Too many requests; please wait.',
    QUERY_TOO_COMPLEX: 'The request is too large; narrow the search.',
    INTERNAL: 'Server error. Try again; if it persists, give the operator request id {m}.',
    network: 'Cannot reach the server.',
    draft: 'Order being drafted', store: 'Deliver to store', delivery: 'Requested delivery date',
    reference: 'Your PO number', quantity: 'Quantity', lineTotal: 'Line total', total: 'Total',
    place: 'Place order', add: 'Add', remove: 'Remove', live: 'Updating live', offline: 'Live updates lost; reconnecting…',
    placed: 'Order {r} placed.', quantityRule: '{p}: at least {m}, in multiples of {i}.',
    emptyDraft: 'The order has no products yet.',
    newOrders: '{n} new',     history: 'History', moreOrders: 'Show older orders',     showOrders: 'Show', allOrders: 'All orders',     orders: 'Your orders', ordersAll: 'Partners’ orders', noOrders: 'No orders yet.',
    accepted: 'accepted', shippedQty: 'shipped', deliveredQty: 'received', shipment: 'Package', lot: 'lot', expiry: 'best before',
    promisedOn: 'ships {d}', deliverBy: 'deliver by {d}',
    PLACED: 'Placed', CONFIRMED: 'Confirmed', SHIPPED: 'Shipped', DELIVERED: 'Delivered', CANCELLED: 'Cancelled',
    acceptQty: 'Accept', reason: 'Reason', promised: 'Promised ship date', confirm: 'Acknowledge order',
    ship: 'Ship', carrier: 'Carrier', tracking: 'Tracking number',
    newSscc: 'New SSCCs', packages: 'Packages', package: 'Package', packageN: 'Package {n}', ssccOf: 'Package {n}: SSCC',
    carrierNeeded: 'Enter the carrier and the tracking number.', emptyPackage: 'Package {n} has nothing in it.', shipQty: 'Quantity shipped', lotNumber: 'Lot number', expiryDate: 'Best before',
    deliver: 'Store received it in full', cancel: 'Cancel order', again: 'Press again to confirm',
    acked: 'Order {r} acknowledged.', shippedNote: 'Order {r} shipped.', deliveredNote: 'Order {r} recorded as delivered.',
    cancelledNote: 'Order {r} cancelled.', lotNeeded: '{p}: food and beverages need a lot number and a best-before date.',
    stockTitle: 'Stock running low', location: 'Warehouse', allLocations: 'All warehouses', coverMax: 'At most days of cover',
    anyCover: 'No limit', available: 'Available', daily: 'Sold/day', cover: 'Days of cover',
    belowReorder: 'below reorder point', noLowStock: 'Nothing is running low.', refresh: 'Refresh',
    receive: 'Receive', receiveQty: 'Units received', received: 'Received {n} of {p} into {l}.',
    days: '{n} days', stockHelp: 'Products sold in the last 28 days, least cover first; figures update live as stock is reserved, shipped or received.',
    reportsTitle: 'Reports', from: 'From', to: 'To', show: 'Show',
    salesByDay: 'Revenue by day', salesByPartner: 'Revenue by partner', figures: 'Figures',
    fulfilment: 'Fulfilment', ordersCount: 'Orders', unitsOrdered: 'Units ordered', unitsAccepted: 'Units accepted',
    unitsShipped: 'Units shipped', unitsDelivered: 'Units delivered', fillRate: 'Fill rate (units)',
    lineFillRate: 'Lines filled in full', onTimeRate: 'On time', cancelRate: 'Cancel rate',
    leadConfirm: 'Placed → acknowledged (hours, median / p90)', leadDeliver: 'Placed → delivered (hours, median / p90)',
    noSales: 'No sales in this period.', csvGroup: 'Group by (CSV)', csv: 'Download CSV', day: 'Day', revenue: 'Revenue', units: 'Units',
    partnersTitle: 'Partners', code: 'Code', name: 'Name', status: 'Status', grants: 'Grants',
    kind: 'Kind', actions: 'Actions', ACTIVE: 'Active', SUSPENDED: 'Suspended',
    RETAILER: 'Retail chain', OPERATOR: 'Operator',
    suspend: 'Suspend', reactivate: 'Reactivate', revoke: 'Revoke every token issued', suspendReason: 'Reason for suspending',
    reasonRequired: 'A reason is required.', createPartner: 'Add a partner', create: 'Create', partnerCreated: 'Partner {c} created.',
    partnerUpdated: 'Partner {c} updated.', addStore: 'Add a store', address: 'Address', storeAdded: 'Store {c} added.',
    contractTitle: 'Contract price', sku: 'SKU', unitPrice: 'Unit price (₫)', increment: 'Multiple of',
    validFrom: 'Valid from', save: 'Save', priceSaved: 'Contract price for {s} saved for {c}.', unknownSku: 'No product has SKU {s}.',
    issueTitle: 'Issue an access token to a partner', lifetime: 'Lifetime', issue: 'Issue token',
    issuedOnce: 'This token is shown once and expires {d}. Hand it to the partner over a safe channel.',
    copy: 'Copy', copied: 'Copied.', noScopes: 'Choose at least one scope.',
    h1: '1 hour', h8: '8 hours', d1: '1 day', d7: '7 days', d30: '30 days',
  },
};

export let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi';

export function toggleLanguage() {
  lang = lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem(LANG_KEY, lang);
}

export const t = (key, vars = {}) =>
  (TEXT[lang][key] ?? key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');

// 1.250.000 ₫ whatever the language: prices are quoted in đồng.
const money = new Intl.NumberFormat('vi-VN', { style: 'currency', currency: 'VND' });
export const vnd = (n) => money.format(n);

const locale = () => (lang === 'vi' ? 'vi-VN' : 'en-GB');
export const num = (n, digits = 0) =>
  new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
export const percent = (x) =>
  x == null ? '–' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x);
export const when = (date) => new Intl.DateTimeFormat(locale(),
  { dateStyle: 'short', timeStyle: 'short', timeZone: ZONE }).format(date);
// A calendar day (YYYY-MM-DD) as people write it.
export const day = (iso) => iso.split('-').reverse().join('/');
// Today (or today + n days) in Asia/Ho_Chi_Minh, as YYYY-MM-DD.
export const localDay = (offsetDays = 0) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(Date.now() + offsetDays * 86400000));

export function applyStatic() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
}
