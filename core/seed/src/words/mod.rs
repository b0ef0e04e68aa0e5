//! Word lists of the synthetic catalog: the category tree with its names in every language,
//! and the adjectives, materials, colours, sizes and brands product names are made of.
//!
//! Every translated text is a [`Tr`]: the same words in English, German, Spanish, French,
//! Japanese and Chinese, in that order. Canadian French uses the French words.

/// The languages we have words for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    En = 0,
    De = 1,
    Es = 2,
    Fr = 3,
    Ja = 4,
    Zh = 5,
}

impl Lang {
    /// The word list for a language tag: exact, then by base language (`fr-CA` → French),
    /// else English.
    pub(crate) fn for_tag(tag: &str) -> Lang {
        let base = tag.split('-').next().unwrap_or(tag);
        match base {
            "de" => Lang::De,
            "es" => Lang::Es,
            "fr" => Lang::Fr,
            "ja" => Lang::Ja,
            "zh" => Lang::Zh,
            _ => Lang::En,
        }
    }
}

/// One text in En, De, Es, Fr, Ja, Zh order.
pub(crate) type Tr = [&'static str; 6];

/// Grammatical gender and number of a noun, for adjective agreement (German, Spanish, French).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum G {
    M,
    F,
    N,
    MPl,
    FPl,
}

/// A product noun ("T-Shirt"), with the gender of each gendered language.
#[derive(Debug)]
pub(crate) struct Noun {
    pub en: &'static str,
    pub de: (&'static str, G),
    pub es: (&'static str, G),
    pub fr: (&'static str, G),
    pub ja: &'static str,
    pub zh: &'static str,
}

/// An adjective: German as a stem (strong endings are added), Spanish and French as
/// masculine, feminine, masculine plural and feminine plural forms.
#[derive(Debug)]
pub(crate) struct Adj {
    pub en: &'static str,
    pub de: &'static str,
    pub es: [&'static str; 4],
    pub fr: [&'static str; 4],
    pub ja: &'static str,
    pub zh: &'static str,
}

/// A material: `key` is the attribute option and `label` its label. In product names the
/// German word is the first part of a compound (`de_prefix`: "Baumwoll-T-Shirt"), the Spanish
/// and French labels follow "de" and "en" in lower case.
#[derive(Debug)]
pub(crate) struct Material {
    pub key: &'static str,
    pub de_prefix: &'static str,
    pub label: Tr,
}

#[derive(Debug)]
pub(crate) struct Color {
    pub key: &'static str,
    pub tr: Tr,
}

/// The label of a size or format option: one text for every language, or one per language.
#[derive(Debug)]
pub(crate) enum Label {
    Same(&'static str),
    Tr(Tr),
}

impl Label {
    pub(crate) fn get(&self, lang: Lang) -> &'static str {
        match self {
            Label::Same(s) => s,
            Label::Tr(tr) => tr[lang as usize],
        }
    }
}

/// A value of a variant axis (`m`, `eu-38`, `128-gb`, `paperback`); `pct` is its price
/// relative to the product's base price, in percent.
#[derive(Debug)]
pub(crate) struct Opt {
    pub key: &'static str,
    pub label: Label,
    pub pct: u16,
}

/// The non-colour axis variants of a leaf category differ by: the `size` attribute, or for
/// books the `format` attribute.
#[derive(Debug)]
pub(crate) struct Axis {
    pub attr: &'static str,
    pub options: &'static [Opt],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tax {
    Standard,
    Reduced,
    Zero,
}

impl Tax {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tax::Standard => "standard",
            Tax::Reduced => "reduced",
            Tax::Zero => "zero",
        }
    }
}

/// A leaf category: products are attached here. `price` is the range of base prices in US
/// dollars; `materials` overrides the parent's list.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub code: &'static str,
    pub name: Tr,
    pub noun: Noun,
    pub axis: Axis,
    pub palette: &'static [Color],
    pub materials: Option<&'static [Material]>,
    pub price: (u32, u32),
}

/// A second-level category. `weight_g` is the range of product weights in grams.
#[derive(Debug)]
pub(crate) struct Mid {
    pub code: &'static str,
    pub name: Tr,
    pub materials: &'static [Material],
    pub adjectives: Option<&'static [Adj]>,
    pub tax: Option<Tax>,
    pub weight_g: (u32, u32),
    pub leaves: &'static [Leaf],
}

/// A department (top-level category). `weight` is its share of the products; electronics
/// carry model numbers in their names; some departments name the material.
#[derive(Debug)]
pub(crate) struct Dept {
    pub code: &'static str,
    pub name: Tr,
    pub weight: u32,
    pub adjectives: &'static [Adj],
    pub material_in_name: bool,
    pub model_numbers: bool,
    pub tax: Tax,
    pub mids: &'static [Mid],
}

// ---------------------------------------------------------------------------------------------
// Constructors that keep the tables below on one line per entry.

// One argument per word and gender keeps each noun on one line of the tables.
#[allow(clippy::too_many_arguments)]
const fn n(
    en: &'static str,
    de: &'static str,
    dg: G,
    es: &'static str,
    eg: G,
    fr: &'static str,
    fg: G,
    ja: &'static str,
    zh: &'static str,
) -> Noun {
    Noun { en, de: (de, dg), es: (es, eg), fr: (fr, fg), ja, zh }
}

const fn leaf(code: &'static str, name: Tr, noun: Noun, axis: Axis, palette: &'static [Color], price: (u32, u32)) -> Leaf {
    Leaf { code, name, noun, axis, palette, materials: None, price }
}

const fn leaf_m(
    code: &'static str,
    name: Tr,
    noun: Noun,
    axis: Axis,
    palette: &'static [Color],
    materials: &'static [Material],
    price: (u32, u32),
) -> Leaf {
    Leaf { code, name, noun, axis, palette, materials: Some(materials), price }
}

const fn mid(
    code: &'static str,
    name: Tr,
    materials: &'static [Material],
    weight_g: (u32, u32),
    leaves: &'static [Leaf],
) -> Mid {
    Mid { code, name, materials, adjectives: None, tax: None, weight_g, leaves }
}

const fn mat(key: &'static str, de_prefix: &'static str, label: Tr) -> Material {
    Material { key, de_prefix, label }
}

const fn col(key: &'static str, tr: Tr) -> Color {
    Color { key, tr }
}

const fn same(key: &'static str, label: &'static str, pct: u16) -> Opt {
    Opt { key, label: Label::Same(label), pct }
}

const fn tr(key: &'static str, label: Tr, pct: u16) -> Opt {
    Opt { key, label: Label::Tr(label), pct }
}

const fn size(options: &'static [Opt]) -> Axis {
    Axis { attr: "size", options }
}

const fn adj(en: &'static str, de: &'static str, es: [&'static str; 4], fr: [&'static str; 4], ja: &'static str, zh: &'static str) -> Adj {
    Adj { en, de, es, fr, ja, zh }
}

use G::{F, FPl, M, MPl, N};

// ---------------------------------------------------------------------------------------------
// Colours.

const BLACK: Color = col("black", ["Black", "Schwarz", "Negro", "Noir", "ブラック", "黑色"]);
const WHITE: Color = col("white", ["White", "Weiß", "Blanco", "Blanc", "ホワイト", "白色"]);
const GREY: Color = col("grey", ["Grey", "Grau", "Gris", "Gris", "グレー", "灰色"]);
const NAVY: Color = col("navy", ["Navy", "Marineblau", "Azul marino", "Bleu marine", "ネイビー", "藏青色"]);
const BLUE: Color = col("blue", ["Blue", "Blau", "Azul", "Bleu", "ブルー", "蓝色"]);
const RED: Color = col("red", ["Red", "Rot", "Rojo", "Rouge", "レッド", "红色"]);
const GREEN: Color = col("green", ["Green", "Grün", "Verde", "Vert", "グリーン", "绿色"]);
const OLIVE: Color = col("olive", ["Olive", "Oliv", "Verde oliva", "Olive", "オリーブ", "橄榄绿"]);
const BEIGE: Color = col("beige", ["Beige", "Beige", "Beige", "Beige", "ベージュ", "米色"]);
const BROWN: Color = col("brown", ["Brown", "Braun", "Marrón", "Marron", "ブラウン", "棕色"]);
const PINK: Color = col("pink", ["Pink", "Rosa", "Rosa", "Rose", "ピンク", "粉色"]);
const YELLOW: Color = col("yellow", ["Yellow", "Gelb", "Amarillo", "Jaune", "イエロー", "黄色"]);
const ORANGE: Color = col("orange", ["Orange", "Orange", "Naranja", "Orange", "オレンジ", "橙色"]);
const PURPLE: Color = col("purple", ["Purple", "Lila", "Morado", "Violet", "パープル", "紫色"]);
const SILVER: Color = col("silver", ["Silver", "Silber", "Plateado", "Argent", "シルバー", "银色"]);
const GOLD: Color = col("gold", ["Gold", "Gold", "Dorado", "Doré", "ゴールド", "金色"]);

/// Every colour, in the order of the `color` attribute's options.
pub(crate) const COLORS: &[Color] = &[
    BLACK, WHITE, GREY, NAVY, BLUE, RED, GREEN, OLIVE, BEIGE, BROWN, PINK, YELLOW, ORANGE, PURPLE, SILVER, GOLD,
];

const FASHION: &[Color] = &[BLACK, WHITE, GREY, NAVY, BLUE, RED, GREEN, OLIVE, BEIGE, BROWN, PINK];
const HOME: &[Color] = &[WHITE, GREY, BLACK, BEIGE, BLUE, GREEN, BROWN];
const TECH: &[Color] = &[BLACK, WHITE, SILVER, GREY, BLUE, GOLD];
const SPORT: &[Color] = &[BLACK, BLUE, RED, GREEN, ORANGE, YELLOW, GREY];
const BRIGHT: &[Color] = &[RED, BLUE, GREEN, YELLOW, ORANGE, PURPLE, PINK];
const MAKEUP: &[Color] = &[RED, PINK, BEIGE, BROWN, PURPLE, BLACK];
const GARDEN: &[Color] = &[GREEN, BLACK, GREY, BROWN, BEIGE, WHITE];
const NONE: &[Color] = &[];

// ---------------------------------------------------------------------------------------------
// Materials.

const COTTON: Material = mat("cotton", "Baumwoll", ["Cotton", "Baumwolle", "Algodón", "Coton", "コットン", "棉质"]);
const ORGANIC_COTTON: Material = mat("organic-cotton", "Bio-Baumwoll", ["Organic Cotton", "Bio-Baumwolle", "Algodón orgánico", "Coton bio", "オーガニックコットン", "有机棉"]);
const LINEN: Material = mat("linen", "Leinen", ["Linen", "Leinen", "Lino", "Lin", "リネン", "亚麻"]);
const WOOL: Material = mat("wool", "Woll", ["Wool", "Wolle", "Lana", "Laine", "ウール", "羊毛"]);
const MERINO: Material = mat("merino", "Merino", ["Merino", "Merinowolle", "Lana merino", "Mérinos", "メリノウール", "美利奴羊毛"]);
const CASHMERE: Material = mat("cashmere", "Kaschmir", ["Cashmere", "Kaschmir", "Cachemira", "Cachemire", "カシミヤ", "羊绒"]);
const SILK: Material = mat("silk", "Seiden", ["Silk", "Seide", "Seda", "Soie", "シルク", "真丝"]);
const DENIM: Material = mat("denim", "Denim", ["Denim", "Denim", "Denim", "Denim", "デニム", "牛仔"]);
const LEATHER: Material = mat("leather", "Leder", ["Leather", "Leder", "Cuero", "Cuir", "レザー", "真皮"]);
const SUEDE: Material = mat("suede", "Wildleder", ["Suede", "Wildleder", "Ante", "Daim", "スエード", "麂皮"]);
const CANVAS: Material = mat("canvas", "Canvas", ["Canvas", "Canvas", "Lona", "Toile", "キャンバス", "帆布"]);
const POLYESTER: Material = mat("polyester", "Polyester", ["Polyester", "Polyester", "Poliéster", "Polyester", "ポリエステル", "涤纶"]);
const NYLON: Material = mat("nylon", "Nylon", ["Nylon", "Nylon", "Nailon", "Nylon", "ナイロン", "尼龙"]);
const DOWN: Material = mat("down", "Daunen", ["Down", "Daunen", "Plumón", "Duvet", "ダウン", "羽绒"]);
const STAINLESS: Material = mat("stainless-steel", "Edelstahl", ["Stainless Steel", "Edelstahl", "Acero inoxidable", "Acier inoxydable", "ステンレス", "不锈钢"]);
const CAST_IRON: Material = mat("cast-iron", "Gusseisen", ["Cast Iron", "Gusseisen", "Hierro fundido", "Fonte", "鋳鉄", "铸铁"]);
const ALUMINIUM: Material = mat("aluminium", "Aluminium", ["Aluminium", "Aluminium", "Aluminio", "Aluminium", "アルミ", "铝制"]);
const STEEL: Material = mat("steel", "Stahl", ["Steel", "Stahl", "Acero", "Acier", "スチール", "钢制"]);
const CERAMIC: Material = mat("ceramic", "Keramik", ["Ceramic", "Keramik", "Cerámica", "Céramique", "セラミック", "陶瓷"]);
const STONEWARE: Material = mat("stoneware", "Steingut", ["Stoneware", "Steingut", "Gres", "Grès", "炻器", "粗陶"]);
const PORCELAIN: Material = mat("porcelain", "Porzellan", ["Porcelain", "Porzellan", "Porcelana", "Porcelaine", "磁器", "瓷"]);
const GLASS: Material = mat("glass", "Glas", ["Glass", "Glas", "Vidrio", "Verre", "ガラス", "玻璃"]);
const BAMBOO: Material = mat("bamboo", "Bambus", ["Bamboo", "Bambus", "Bambú", "Bambou", "竹製", "竹制"]);
const OAK: Material = mat("oak", "Eichen", ["Oak", "Eiche", "Roble", "Chêne", "オーク", "橡木"]);
const WOOD: Material = mat("wood", "Holz", ["Wood", "Holz", "Madera", "Bois", "木製", "木质"]);
const RATTAN: Material = mat("rattan", "Rattan", ["Rattan", "Rattan", "Ratán", "Rotin", "ラタン", "藤编"]);
const TEAK: Material = mat("teak", "Teak", ["Teak", "Teak", "Teca", "Teck", "チーク", "柚木"]);
const PLASTIC: Material = mat("recycled-plastic", "Recyclingkunststoff", ["Recycled Plastic", "Recyclingkunststoff", "Plástico reciclado", "Plastique recyclé", "再生プラスチック", "再生塑料"]);
const SILICONE: Material = mat("silicone", "Silikon", ["Silicone", "Silikon", "Silicona", "Silicone", "シリコン", "硅胶"]);
const RUBBER: Material = mat("rubber", "Gummi", ["Rubber", "Gummi", "Caucho", "Caoutchouc", "ラバー", "橡胶"]);
const CORK: Material = mat("cork", "Kork", ["Cork", "Kork", "Corcho", "Liège", "コルク", "软木"]);
const FELT: Material = mat("felt", "Filz", ["Felt", "Filz", "Fieltro", "Feutre", "フェルト", "毛毡"]);
const NEOPRENE: Material = mat("neoprene", "Neopren", ["Neoprene", "Neopren", "Neopreno", "Néoprène", "ネオプレン", "氯丁橡胶"]);
const CARBON: Material = mat("carbon", "Carbon", ["Carbon", "Carbon", "Carbono", "Carbone", "カーボン", "碳纤维"]);
const TERRACOTTA: Material = mat("terracotta", "Terrakotta", ["Terracotta", "Terrakotta", "Terracota", "Terre cuite", "テラコッタ", "陶土"]);

// ---------------------------------------------------------------------------------------------
// Adjectives.

const CLASSIC: Adj = adj("Classic", "klassisch", ["clásico", "clásica", "clásicos", "clásicas"], ["classique", "classique", "classiques", "classiques"], "クラシック", "经典");
const RELAXED: Adj = adj("Relaxed", "locker", ["holgado", "holgada", "holgados", "holgadas"], ["ample", "ample", "amples", "amples"], "リラックス", "宽松");
const LIGHTWEIGHT: Adj = adj("Lightweight", "leicht", ["ligero", "ligera", "ligeros", "ligeras"], ["léger", "légère", "légers", "légères"], "軽量", "轻盈");
const ELEGANT: Adj = adj("Elegant", "elegant", ["elegante", "elegante", "elegantes", "elegantes"], ["élégant", "élégante", "élégants", "élégantes"], "エレガント", "优雅");
const SOFT: Adj = adj("Soft", "weich", ["suave", "suave", "suaves", "suaves"], ["doux", "douce", "doux", "douces"], "ソフト", "柔软");
const WARM: Adj = adj("Warm", "warm", ["cálido", "cálida", "cálidos", "cálidas"], ["chaud", "chaude", "chauds", "chaudes"], "あったか", "保暖");
const MODERN: Adj = adj("Modern", "modern", ["moderno", "moderna", "modernos", "modernas"], ["moderne", "moderne", "modernes", "modernes"], "モダン", "现代");
const MINIMALIST: Adj = adj("Minimalist", "minimalistisch", ["minimalista", "minimalista", "minimalistas", "minimalistas"], ["minimaliste", "minimaliste", "minimalistes", "minimalistes"], "ミニマル", "简约");
const RUSTIC: Adj = adj("Rustic", "rustikal", ["rústico", "rústica", "rústicos", "rústicas"], ["rustique", "rustique", "rustiques", "rustiques"], "ラスティック", "乡村风");
const HANDMADE: Adj = adj("Handmade", "handgefertigt", ["artesanal", "artesanal", "artesanales", "artesanales"], ["artisanal", "artisanale", "artisanaux", "artisanales"], "ハンドメイド", "手工");
const NORDIC: Adj = adj("Nordic", "nordisch", ["nórdico", "nórdica", "nórdicos", "nórdicas"], ["scandinave", "scandinave", "scandinaves", "scandinaves"], "北欧風", "北欧风");
const WIRELESS: Adj = adj("Wireless", "kabellos", ["inalámbrico", "inalámbrica", "inalámbricos", "inalámbricas"], ["sans fil", "sans fil", "sans fil", "sans fil"], "ワイヤレス", "无线");
const COMPACT: Adj = adj("Compact", "kompakt", ["compacto", "compacta", "compactos", "compactas"], ["compact", "compacte", "compacts", "compactes"], "コンパクト", "紧凑型");
const PORTABLE: Adj = adj("Portable", "tragbar", ["portátil", "portátil", "portátiles", "portátiles"], ["portable", "portable", "portables", "portables"], "ポータブル", "便携式");
const PROFESSIONAL: Adj = adj("Professional", "professionell", ["profesional", "profesional", "profesionales", "profesionales"], ["professionnel", "professionnelle", "professionnels", "professionnelles"], "プロ仕様", "专业");
const ULTRA_SLIM: Adj = adj("Ultra-Slim", "ultraflach", ["ultradelgado", "ultradelgada", "ultradelgados", "ultradelgadas"], ["ultrafin", "ultrafine", "ultrafins", "ultrafines"], "超薄型", "超薄");
const POWERFUL: Adj = adj("High-Performance", "leistungsstark", ["de alto rendimiento", "de alto rendimiento", "de alto rendimiento", "de alto rendimiento"], ["haute performance", "haute performance", "haute performance", "haute performance"], "ハイパフォーマンス", "高性能");
const DURABLE: Adj = adj("Durable", "robust", ["resistente", "resistente", "resistentes", "resistentes"], ["robuste", "robuste", "robustes", "robustes"], "丈夫な", "耐用");
const BREATHABLE: Adj = adj("Breathable", "atmungsaktiv", ["transpirable", "transpirable", "transpirables", "transpirables"], ["respirant", "respirante", "respirants", "respirantes"], "通気性抜群の", "透气");
const WATERPROOF: Adj = adj("Waterproof", "wasserdicht", ["impermeable", "impermeable", "impermeables", "impermeables"], ["imperméable", "imperméable", "imperméables", "imperméables"], "防水", "防水");
const ERGONOMIC: Adj = adj("Ergonomic", "ergonomisch", ["ergonómico", "ergonómica", "ergonómicos", "ergonómicas"], ["ergonomique", "ergonomique", "ergonomiques", "ergonomiques"], "エルゴノミック", "人体工学");
const HYDRATING: Adj = adj("Hydrating", "feuchtigkeitsspendend", ["hidratante", "hidratante", "hidratantes", "hidratantes"], ["hydratant", "hydratante", "hydratants", "hydratantes"], "うるおい", "保湿");
const GENTLE: Adj = adj("Gentle", "mild", ["delicado", "delicada", "delicados", "delicadas"], ["doux", "douce", "doux", "douces"], "低刺激", "温和");
const NOURISHING: Adj = adj("Nourishing", "pflegend", ["nutritivo", "nutritiva", "nutritivos", "nutritivas"], ["nourrissant", "nourrissante", "nourrissants", "nourrissantes"], "高保湿", "滋养");
const RADIANT: Adj = adj("Radiance", "strahlend", ["iluminador", "iluminadora", "iluminadores", "iluminadoras"], ["éclat", "éclat", "éclat", "éclat"], "輝き", "焕亮");
const ORGANIC: Adj = adj("Organic", "biologisch", ["ecológico", "ecológica", "ecológicos", "ecológicas"], ["bio", "bio", "bio", "bio"], "オーガニック", "有机");
const FRESH: Adj = adj("Fresh", "frisch", ["fresco", "fresca", "frescos", "frescas"], ["frais", "fraîche", "frais", "fraîches"], "フレッシュ", "清新");
const COLOURFUL: Adj = adj("Colourful", "bunt", ["colorido", "colorida", "coloridos", "coloridas"], ["coloré", "colorée", "colorés", "colorées"], "カラフル", "多彩");
const CREATIVE: Adj = adj("Creative", "kreativ", ["creativo", "creativa", "creativos", "creativas"], ["créatif", "créative", "créatifs", "créatives"], "クリエイティブ", "创意");
const EDUCATIONAL: Adj = adj("Educational", "lehrreich", ["educativo", "educativa", "educativos", "educativas"], ["éducatif", "éducative", "éducatifs", "éducatives"], "知育", "益智");
const GIANT: Adj = adj("Giant", "riesig", ["gigante", "gigante", "gigantes", "gigantes"], ["géant", "géante", "géants", "géantes"], "ジャンボ", "超大");
const BESTSELLING: Adj = adj("Bestselling", "erfolgreich", ["superventas", "superventas", "superventas", "superventas"], ["à succès", "à succès", "à succès", "à succès"], "ベストセラー", "畅销");
const AWARD_WINNING: Adj = adj("Award-Winning", "preisgekrönt", ["premiado", "premiada", "premiados", "premiadas"], ["primé", "primée", "primés", "primées"], "受賞作", "获奖");
const COMPLETE: Adj = adj("Complete", "vollständig", ["completo", "completa", "completos", "completas"], ["complet", "complète", "complets", "complètes"], "完全版", "完整版");
const ACCLAIMED: Adj = adj("Acclaimed", "gefeiert", ["aclamado", "aclamada", "aclamados", "aclamadas"], ["acclamé", "acclamée", "acclamés", "acclamées"], "話題の", "备受赞誉");
const WEATHERPROOF: Adj = adj("Weatherproof", "wetterfest", ["resistente a la intemperie", "resistente a la intemperie", "resistentes a la intemperie", "resistentes a la intemperie"], ["résistant aux intempéries", "résistante aux intempéries", "résistants aux intempéries", "résistantes aux intempéries"], "耐候性", "耐候");
const FOLDABLE: Adj = adj("Foldable", "klappbar", ["plegable", "plegable", "plegables", "plegables"], ["pliable", "pliable", "pliables", "pliables"], "折りたたみ", "折叠");
const HEIRLOOM: Adj = adj("Heirloom", "samenfest", ["tradicional", "tradicional", "tradicionales", "tradicionales"], ["ancien", "ancienne", "anciens", "anciennes"], "固定種", "传统");
const EASY_GROW: Adj = adj("Easy-Grow", "pflegeleicht", ["fácil de cultivar", "fácil de cultivar", "fáciles de cultivar", "fáciles de cultivar"], ["facile à cultiver", "facile à cultiver", "faciles à cultiver", "faciles à cultiver"], "育てやすい", "易种植");

// ---------------------------------------------------------------------------------------------
// The category tree, and the sizes and formats its leaves are sold in: in `tree.rs`, one line
// per entry.

#[rustfmt::skip]
mod tree;

pub(crate) use tree::DEPARTMENTS;

// ---------------------------------------------------------------------------------------------
// Attributes.

/// An attribute of the catalog, in display order.
#[derive(Debug)]
pub(crate) struct AttributeDef {
    pub code: &'static str,
    pub kind: &'static str,
    pub level: &'static str,
    pub filterable: bool,
    pub unit: Option<&'static str>,
    pub label: Tr,
}

pub(crate) const ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef { code: "brand", kind: "enum", level: "product", filterable: true, unit: None, label: ["Brand", "Marke", "Marca", "Marque", "ブランド", "品牌"] },
    AttributeDef { code: "material", kind: "enum", level: "product", filterable: true, unit: None, label: ["Material", "Material", "Material", "Matière", "素材", "材质"] },
    AttributeDef { code: "weight_g", kind: "number", level: "product", filterable: false, unit: Some("g"), label: ["Weight", "Gewicht", "Peso", "Poids", "重量", "重量"] },
    AttributeDef { code: "eco_certified", kind: "boolean", level: "product", filterable: true, unit: None, label: ["Eco-certified", "Öko-zertifiziert", "Certificado ecológico", "Certifié écologique", "エコ認証", "环保认证"] },
    AttributeDef { code: "color", kind: "enum", level: "variant", filterable: true, unit: None, label: ["Color", "Farbe", "Color", "Couleur", "カラー", "颜色"] },
    AttributeDef { code: "size", kind: "enum", level: "variant", filterable: true, unit: None, label: ["Size", "Größe", "Talla", "Taille", "サイズ", "尺寸"] },
    AttributeDef { code: "format", kind: "enum", level: "variant", filterable: true, unit: None, label: ["Format", "Format", "Formato", "Format", "形式", "版本"] },
];

// ---------------------------------------------------------------------------------------------
// Brands: invented names, the prefix and suffix tables crossed.

const BRAND_PREFIXES: [&str; 15] = [
    "Nord", "Aster", "Bel", "Cedar", "Dune", "Ember", "Fjord", "Gale", "Holm", "Iris", "Juno", "Kestrel", "Lumen", "Maple", "Orla",
];
const BRAND_SUFFIXES: [&str; 10] = ["line", "craft", "wood", "works", "haus", " & Co", "field", "mark", "ora", " Studio"];

/// The ~150 brand names, in option order.
pub(crate) fn brand_names() -> Vec<String> {
    let mut out = Vec::with_capacity(BRAND_PREFIXES.len() * BRAND_SUFFIXES.len());
    for prefix in BRAND_PREFIXES {
        for suffix in BRAND_SUFFIXES {
            // "Juno" + "ora" reads "Junora".
            let vowel = |c: Option<char>| c.is_some_and(|c| "aeiou".contains(c));
            let suffix = if vowel(prefix.chars().last()) && vowel(suffix.chars().next()) { &suffix[1..] } else { suffix };
            out.push(format!("{prefix}{suffix}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Descriptions: a first sentence naming the product and brand, then one from a pool.

/// First sentences; `{name}` and `{brand}` are filled in.
pub(crate) const INTROS: [[&str; 3]; 6] = [
    ["{name} by {brand}.", "Discover the {name} from {brand}.", "{brand} presents the {name}."],
    ["{name} von {brand}.", "Neu von {brand}: {name}.", "{brand} präsentiert: {name}."],
    ["{name} de {brand}.", "Novedad de {brand}: {name}.", "{brand} presenta: {name}."],
    ["{name} signé {brand}.", "Nouveauté {brand} : {name}.", "{brand} présente : {name}."],
    ["{brand}の{name}。", "{brand}から新登場：{name}。", "{brand}が贈る{name}。"],
    ["{brand}出品的{name}。", "{brand}新品：{name}。", "来自{brand}的{name}。"],
];

/// Second sentences, per language.
pub(crate) const BLURBS: [[&str; 5]; 6] = [
    [
        "Designed for everyday use and built to last.",
        "Easy to care for and made with quality materials.",
        "A thoughtful gift for any occasion.",
        "Loved by our customers for its value.",
        "Ships in recyclable packaging.",
    ],
    [
        "Für den täglichen Gebrauch entworfen und langlebig.",
        "Pflegeleicht und aus hochwertigen Materialien gefertigt.",
        "Ein durchdachtes Geschenk für jeden Anlass.",
        "Von unseren Kunden für sein Preis-Leistungs-Verhältnis geschätzt.",
        "Wird in recycelbarer Verpackung geliefert.",
    ],
    [
        "Diseñado para el uso diario y hecho para durar.",
        "Fácil de cuidar y fabricado con materiales de calidad.",
        "Un regalo ideal para cualquier ocasión.",
        "Muy valorado por nuestros clientes por su relación calidad-precio.",
        "Se envía en embalaje reciclable.",
    ],
    [
        "Conçu pour un usage quotidien et fait pour durer.",
        "Facile d'entretien et fabriqué avec des matériaux de qualité.",
        "Une idée cadeau pour toutes les occasions.",
        "Apprécié de nos clients pour son excellent rapport qualité-prix.",
        "Expédié dans un emballage recyclable.",
    ],
    [
        "毎日使えるように設計された、長く愛用できるアイテムです。",
        "お手入れが簡単で、上質な素材を使用しています。",
        "どんな場面にもぴったりのギフトです。",
        "コストパフォーマンスの高さでお客様に人気です。",
        "リサイクル可能な梱包でお届けします。",
    ],
    [
        "专为日常使用设计，经久耐用。",
        "易于打理，采用优质材料制成。",
        "适合各种场合的贴心礼物。",
        "性价比高，深受顾客喜爱。",
        "采用可回收包装发货。",
    ],
];

/// Second sentences of the Canadian French copy.
pub(crate) const BLURBS_FR_CA: [&str; 5] = [
    "Conçu pour la vie de tous les jours, hiver comme été.",
    "Livraison rapide partout au Canada.",
    "Un cadeau parfait pour le temps des Fêtes.",
    "Un choix populaire auprès de nos clients d'ici.",
    "Expédié dans un emballage recyclable, au Québec comme ailleurs au pays.",
];
