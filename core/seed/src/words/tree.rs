//! The category tree of the synthetic catalog: departments, their second-level categories and
//! the leaf categories products are attached to, with their names in every language, the
//! nouns, axes, palettes, materials and price ranges of their products; and the sizes and
//! formats (the variant axes) the leaves are sold in.

use super::*;

// ---------------------------------------------------------------------------------------------
// Sizes and formats.

const XS: Opt = same("xs", "XS", 100);
const S: Opt = same("s", "S", 100);
const MD: Opt = same("m", "M", 100);
const L: Opt = same("l", "L", 100);
const XL: Opt = same("xl", "XL", 100);
const XXL: Opt = same("xxl", "XXL", 105);
const APPAREL: Axis = size(&[XS, S, MD, L, XL, XXL]);
const S_TO_XL: Axis = size(&[S, MD, L, XL]);
const S_TO_L: Axis = size(&[S, MD, L]);
const SHOE: Axis = size(&[
    same("eu-37", "EU 37", 100),
    same("eu-38", "EU 38", 100),
    same("eu-39", "EU 39", 100),
    same("eu-40", "EU 40", 100),
    same("eu-41", "EU 41", 100),
    same("eu-42", "EU 42", 100),
    same("eu-43", "EU 43", 100),
    same("eu-44", "EU 44", 100),
    same("eu-45", "EU 45", 100),
]);
const BABY: Axis = size(&[
    tr("0-3m", ["0–3 months", "0–3 Monate", "0–3 meses", "0–3 mois", "0〜3か月", "0–3个月"], 100),
    tr("3-6m", ["3–6 months", "3–6 Monate", "3–6 meses", "3–6 mois", "3〜6か月", "3–6个月"], 100),
    tr("6-12m", ["6–12 months", "6–12 Monate", "6–12 meses", "6–12 mois", "6〜12か月", "6–12个月"], 100),
    tr("12-24m", ["12–24 months", "12–24 Monate", "12–24 meses", "12–24 mois", "12〜24か月", "12–24个月"], 100),
]);
const KIDS: Axis = size(&[
    tr("2y", ["2 years", "2 Jahre", "2 años", "2 ans", "2歳", "2岁"], 100),
    tr("4y", ["4 years", "4 Jahre", "4 años", "4 ans", "4歳", "4岁"], 100),
    tr("6y", ["6 years", "6 Jahre", "6 años", "6 ans", "6歳", "6岁"], 100),
    tr("8y", ["8 years", "8 Jahre", "8 años", "8 ans", "8歳", "8岁"], 100),
    tr("10y", ["10 years", "10 Jahre", "10 años", "10 ans", "10歳", "10岁"], 100),
    tr("12y", ["12 years", "12 Jahre", "12 años", "12 ans", "12歳", "12岁"], 100),
]);
const ONE: Axis = size(&[tr("one-size", ["One size", "Einheitsgröße", "Talla única", "Taille unique", "フリーサイズ", "均码"], 100)]);
const CM12: Opt = same("12-cm", "12 cm", 100);
const CM16: Opt = same("16-cm", "16 cm", 115);
const CM20: Opt = same("20-cm", "20 cm", 100);
const CM24: Opt = same("24-cm", "24 cm", 115);
const CM28: Opt = same("28-cm", "28 cm", 130);
const CM32: Opt = same("32-cm", "32 cm", 150);
const POTS: Axis = size(&[CM12, CM16, CM20, CM24, CM28, CM32]);
const PAN: Axis = size(&[CM20, CM24, CM28, CM32]);
const PACK: Axis = size(&[
    tr("single", ["Single", "Einzeln", "Unidad", "À l'unité", "単品", "单件"], 100),
    tr("pack-2", ["Pack of 2", "2er-Pack", "Pack de 2", "Lot de 2", "2個入り", "2件装"], 190),
    tr("pack-4", ["Pack of 4", "4er-Pack", "Pack de 4", "Lot de 4", "4個入り", "4件装"], 360),
    tr("pack-6", ["Pack of 6", "6er-Pack", "Pack de 6", "Lot de 6", "6個入り", "6件装"], 520),
]);
const BED: Axis = size(&[
    tr("single-bed", ["Single", "Einzelbett", "Individual", "1 place", "シングル", "单人"], 100),
    tr("double-bed", ["Double", "Doppelbett", "Matrimonio", "2 places", "ダブル", "双人"], 125),
    tr("queen-bed", ["Queen", "Queen-Size", "Queen", "Queen", "クイーン", "加大双人"], 140),
    tr("king-bed", ["King", "King-Size", "King", "King", "キング", "特大双人"], 155),
]);
const GB64: Opt = same("64-gb", "64 GB", 100);
const GB128: Opt = same("128-gb", "128 GB", 115);
const GB256: Opt = same("256-gb", "256 GB", 135);
const GB512: Opt = same("512-gb", "512 GB", 160);
const TB1: Opt = same("1-tb", "1 TB", 200);
const PHONE_STORAGE: Axis = size(&[GB64, GB128, GB256, GB512]);
const LAPTOP_STORAGE: Axis = size(&[GB256, GB512, TB1]);
const SCREEN: Axis = size(&[
    tr("24-in", ["24 in", "24 Zoll", "24 pulgadas", "24 pouces", "24インチ", "24英寸"], 100),
    tr("27-in", ["27 in", "27 Zoll", "27 pulgadas", "27 pouces", "27インチ", "27英寸"], 125),
    tr("32-in", ["32 in", "32 Zoll", "32 pulgadas", "32 pouces", "32インチ", "32英寸"], 160),
    tr("34-in", ["34 in", "34 Zoll", "34 pulgadas", "34 pouces", "34インチ", "34英寸"], 190),
]);
const DUMBBELL: Axis = size(&[
    same("2-kg", "2 kg", 100),
    same("4-kg", "4 kg", 160),
    same("6-kg", "6 kg", 220),
    same("8-kg", "8 kg", 280),
    same("10-kg", "10 kg", 340),
]);
const ML30: Opt = same("30-ml", "30 ml", 100);
const ML50: Opt = same("50-ml", "50 ml", 130);
const ML100: Opt = same("100-ml", "100 ml", 100);
const ML200: Opt = same("200-ml", "200 ml", 160);
const ML400: Opt = same("400-ml", "400 ml", 250);
const FACE: Axis = size(&[ML30, ML50, ML100]);
const BODY: Axis = size(&[ML100, ML200, ML400]);
const BOTTLE: Axis = size(&[same("500-ml", "500 ml", 100), same("750-ml", "750 ml", 115), same("1-l", "1 l", 130)]);
const CAN: Axis = size(&[same("5-l", "5 l", 100), same("10-l", "10 l", 140)]);
const LITRES: Axis = size(&[
    same("20-l", "20 l", 100),
    same("30-l", "30 l", 115),
    same("40-l", "40 l", 130),
    same("50-l", "50 l", 145),
]);
const PERSONS: Axis = size(&[
    tr("1-person", ["1-person", "1 Person", "1 persona", "1 place", "1人用", "单人"], 100),
    tr("2-person", ["2-person", "2 Personen", "2 personas", "2 places", "2人用", "双人"], 130),
    tr("3-person", ["3-person", "3 Personen", "3 personas", "3 places", "3人用", "三人"], 160),
    tr("4-person", ["4-person", "4 Personen", "4 personas", "4 places", "4人用", "四人"], 190),
]);
const BALL3: Opt = tr("size-3", ["Size 3", "Größe 3", "Talla 3", "Taille 3", "3号", "3号"], 100);
const BALL4: Opt = tr("size-4", ["Size 4", "Größe 4", "Talla 4", "Taille 4", "4号", "4号"], 100);
const BALL5: Opt = tr("size-5", ["Size 5", "Größe 5", "Talla 5", "Taille 5", "5号", "5号"], 100);
const BALL6: Opt = tr("size-6", ["Size 6", "Größe 6", "Talla 6", "Taille 6", "6号", "6号"], 100);
const BALL7: Opt = tr("size-7", ["Size 7", "Größe 7", "Talla 7", "Taille 7", "7号", "7号"], 100);
const PIECES: Axis = size(&[
    tr("100-pcs", ["100 pieces", "100 Teile", "100 piezas", "100 pièces", "100ピース", "100片"], 100),
    tr("500-pcs", ["500 pieces", "500 Teile", "500 piezas", "500 pièces", "500ピース", "500片"], 140),
    tr("1000-pcs", ["1000 pieces", "1000 Teile", "1000 piezas", "1000 pièces", "1000ピース", "1000片"], 180),
    tr("2000-pcs", ["2000 pieces", "2000 Teile", "2000 piezas", "2000 pièces", "2000ピース", "2000片"], 230),
]);
const CABLE: Axis = size(&[same("1-m", "1 m", 100), same("2-m", "2 m", 120), same("3-m", "3 m", 140)]);
const STRING: Axis = size(&[same("5-m", "5 m", 100), same("10-m", "10 m", 150), same("20-m", "20 m", 220)]);
const RESISTANCE: Axis = size(&[
    tr("light", ["Light", "Leicht", "Suave", "Légère", "ライト", "轻度"], 100),
    tr("medium", ["Medium", "Mittel", "Media", "Moyenne", "ミディアム", "中度"], 100),
    tr("heavy", ["Heavy", "Schwer", "Fuerte", "Forte", "ヘビー", "重度"], 110),
    tr("extra-heavy", ["Extra heavy", "Extra schwer", "Extra fuerte", "Extra forte", "エクストラヘビー", "超重度"], 120),
]);
/// Book formats (the `format` attribute), hardcover first: the base price is the hardcover's.
const FORMAT: Axis = Axis {
    attr: "format",
    options: &[
        tr("hardcover", ["Hardcover", "Gebundene Ausgabe", "Tapa dura", "Relié", "ハードカバー", "精装"], 100),
        tr("paperback", ["Paperback", "Taschenbuch", "Tapa blanda", "Broché", "ペーパーバック", "平装"], 60),
        tr("ebook", ["E-book", "E-Book", "Libro electrónico", "Livre numérique", "電子書籍", "电子书"], 45),
        tr("audiobook", ["Audiobook", "Hörbuch", "Audiolibro", "Livre audio", "オーディオブック", "有声书"], 80),
    ],
};

/// The departments, in display order; their shares (`weight`) add up to 100.
pub(crate) const DEPARTMENTS: &[Dept] = &[
    Dept {
        code: "fashion",
        name: ["Fashion", "Mode", "Moda", "Mode", "ファッション", "时尚服饰"],
        weight: 20,
        adjectives: &[CLASSIC, RELAXED, LIGHTWEIGHT, ELEGANT, SOFT, WARM, MODERN, MINIMALIST],
        material_in_name: true,
        model_numbers: false,
        tax: Tax::Standard,
        mids: &[
            mid("women", ["Women", "Damen", "Mujer", "Femme", "レディース", "女装"], &[COTTON, ORGANIC_COTTON, LINEN, WOOL, CASHMERE, SILK, POLYESTER], (150, 1200), &[
                leaf("dresses", ["Dresses", "Kleider", "Vestidos", "Robes", "ワンピース", "连衣裙"], n("Dress", "Kleid", N, "Vestido", M, "Robe", F, "ワンピース", "连衣裙"), APPAREL, FASHION, (29, 189)),
                leaf("blouses", ["Blouses", "Blusen", "Blusas", "Chemisiers", "ブラウス", "女士衬衫"], n("Blouse", "Bluse", F, "Blusa", F, "Chemisier", M, "ブラウス", "女士衬衫"), APPAREL, FASHION, (24, 119)),
                leaf("skirts", ["Skirts", "Röcke", "Faldas", "Jupes", "スカート", "半身裙"], n("Skirt", "Rock", M, "Falda", F, "Jupe", F, "スカート", "半身裙"), APPAREL, FASHION, (22, 129)),
                leaf("knitwear", ["Knitwear", "Strick", "Punto", "Maille", "ニット", "针织衫"], n("Sweater", "Pullover", M, "Jersey", M, "Pull", M, "セーター", "毛衣"), APPAREL, FASHION, (34, 249)),
                leaf("coats", ["Coats & Jackets", "Mäntel & Jacken", "Abrigos y chaquetas", "Manteaux & vestes", "コート・ジャケット", "外套夹克"], n("Coat", "Mantel", M, "Abrigo", M, "Manteau", M, "コート", "大衣"), APPAREL, FASHION, (59, 399)),
            ]),
            mid("men", ["Men", "Herren", "Hombre", "Homme", "メンズ", "男装"], &[COTTON, ORGANIC_COTTON, LINEN, WOOL, MERINO, DENIM, POLYESTER], (150, 1300), &[
                leaf("shirts", ["Shirts", "Hemden", "Camisas", "Chemises", "シャツ", "衬衫"], n("Shirt", "Hemd", N, "Camisa", F, "Chemise", F, "シャツ", "衬衫"), APPAREL, FASHION, (24, 129)),
                leaf("t-shirts", ["T-Shirts", "T-Shirts", "Camisetas", "T-shirts", "Tシャツ", "T恤"], n("T-Shirt", "T-Shirt", N, "Camiseta", F, "T-shirt", M, "Tシャツ", "T恤"), APPAREL, FASHION, (12, 59)),
                leaf("hoodies", ["Hoodies & Sweatshirts", "Hoodies & Sweatshirts", "Sudaderas", "Sweats", "パーカー・スウェット", "卫衣"], n("Hoodie", "Kapuzenpullover", M, "Sudadera con capucha", F, "Sweat à capuche", M, "パーカー", "连帽卫衣"), APPAREL, FASHION, (29, 119)),
                leaf("trousers", ["Trousers", "Hosen", "Pantalones", "Pantalons", "パンツ", "长裤"], n("Chino Trousers", "Chinohose", F, "Pantalón chino", M, "Pantalon chino", M, "チノパンツ", "休闲长裤"), APPAREL, FASHION, (34, 149)),
                leaf("suits", ["Suits & Blazers", "Anzüge & Sakkos", "Trajes y americanas", "Costumes & vestes", "スーツ・ジャケット", "西装"], n("Blazer", "Sakko", N, "Americana", F, "Veste de costume", F, "テーラードジャケット", "西装外套"), APPAREL, FASHION, (89, 499)),
            ]),
            Mid {
                code: "kids",
                name: ["Kids", "Kinder", "Niños", "Enfant", "キッズ", "童装"],
                materials: &[COTTON, ORGANIC_COTTON, POLYESTER, WOOL],
                adjectives: None,
                tax: Some(Tax::Zero),
                weight_g: (80, 600),
                leaves: &[
                    leaf("baby", ["Baby Clothing", "Babykleidung", "Ropa de bebé", "Vêtements bébé", "ベビー服", "婴儿服装"], n("Bodysuit", "Body", M, "Body", M, "Body", M, "ロンパース", "连体衣"), BABY, FASHION, (9, 39)),
                    leaf("tops", ["Kids' Tops", "Kinder-Oberteile", "Camisetas infantiles", "Hauts enfant", "キッズトップス", "儿童上衣"], n("Kids' T-Shirt", "Kinder-T-Shirt", N, "Camiseta infantil", F, "T-shirt enfant", M, "キッズTシャツ", "儿童T恤"), KIDS, FASHION, (9, 34)),
                    leaf("pyjamas", ["Pyjamas", "Schlafanzüge", "Pijamas", "Pyjamas", "パジャマ", "睡衣"], n("Pyjama Set", "Schlafanzug", M, "Pijama", M, "Pyjama", M, "パジャマ", "睡衣套装"), KIDS, FASHION, (14, 49)),
                    leaf("jackets", ["Kids' Jackets", "Kinderjacken", "Chaquetas infantiles", "Blousons enfant", "キッズアウター", "儿童外套"], n("Kids' Jacket", "Kinderjacke", F, "Chaqueta infantil", F, "Blouson enfant", M, "キッズジャケット", "儿童夹克"), KIDS, FASHION, (29, 119)),
                ],
            },
            mid("shoes", ["Shoes", "Schuhe", "Zapatos", "Chaussures", "シューズ", "鞋履"], &[LEATHER, SUEDE, CANVAS, RUBBER], (300, 1400), &[
                leaf("sneakers", ["Sneakers", "Sneaker", "Zapatillas", "Baskets", "スニーカー", "运动鞋"], n("Sneaker", "Sneaker", M, "Zapatilla", F, "Basket", F, "スニーカー", "运动鞋"), SHOE, FASHION, (39, 179)),
                leaf("boots", ["Boots", "Stiefel", "Botas", "Bottes", "ブーツ", "靴子"], n("Boot", "Stiefel", M, "Bota", F, "Botte", F, "ブーツ", "靴子"), SHOE, FASHION, (59, 299)),
                leaf("sandals", ["Sandals", "Sandalen", "Sandalias", "Sandales", "サンダル", "凉鞋"], n("Sandal", "Sandale", F, "Sandalia", F, "Sandale", F, "サンダル", "凉鞋"), SHOE, FASHION, (24, 129)),
                leaf("loafers", ["Loafers", "Loafer", "Mocasines", "Mocassins", "ローファー", "乐福鞋"], n("Loafer", "Loafer", M, "Mocasín", M, "Mocassin", M, "ローファー", "乐福鞋"), SHOE, FASHION, (49, 249)),
            ]),
            mid("accessories", ["Accessories", "Accessoires", "Accesorios", "Accessoires", "ファッション小物", "配饰"], &[LEATHER, SUEDE, WOOL, COTTON, CASHMERE, CANVAS], (50, 900), &[
                leaf("bags", ["Bags", "Taschen", "Bolsos", "Sacs", "バッグ", "包袋"], n("Handbag", "Handtasche", F, "Bolso", M, "Sac à main", M, "ハンドバッグ", "手提包"), ONE, FASHION, (29, 399)),
                leaf("belts", ["Belts", "Gürtel", "Cinturones", "Ceintures", "ベルト", "腰带"], n("Belt", "Gürtel", M, "Cinturón", M, "Ceinture", F, "ベルト", "腰带"), S_TO_XL, FASHION, (19, 99)),
                leaf("scarves", ["Scarves", "Schals", "Bufandas", "Écharpes", "マフラー・ストール", "围巾"], n("Scarf", "Schal", M, "Bufanda", F, "Écharpe", F, "マフラー", "围巾"), ONE, FASHION, (15, 149)),
                leaf("hats", ["Hats & Caps", "Mützen & Hüte", "Gorros y sombreros", "Chapeaux & bonnets", "帽子", "帽子"], n("Beanie", "Mütze", F, "Gorro", M, "Bonnet", M, "ニット帽", "针织帽"), ONE, FASHION, (12, 69)),
                leaf("wallets", ["Wallets", "Geldbörsen", "Carteras", "Portefeuilles", "財布", "钱包"], n("Wallet", "Geldbörse", F, "Cartera", F, "Portefeuille", M, "財布", "钱包"), ONE, FASHION, (19, 149)),
            ]),
        ],
    },
    Dept {
        code: "home",
        name: ["Home & Kitchen", "Haushalt & Küche", "Hogar y cocina", "Maison & cuisine", "ホーム・キッチン", "家居厨房"],
        weight: 16,
        adjectives: &[CLASSIC, MODERN, MINIMALIST, RUSTIC, HANDMADE, NORDIC],
        material_in_name: true,
        model_numbers: false,
        tax: Tax::Standard,
        mids: &[
            mid("cookware", ["Cookware", "Kochgeschirr", "Batería de cocina", "Batterie de cuisine", "調理器具", "锅具"], &[STAINLESS, CAST_IRON, ALUMINIUM, CERAMIC], (500, 5000), &[
                leaf("frying-pans", ["Frying Pans", "Bratpfannen", "Sartenes", "Poêles", "フライパン", "煎锅"], n("Frying Pan", "Bratpfanne", F, "Sartén", F, "Poêle", F, "フライパン", "煎锅"), PAN, HOME, (24, 179)),
                leaf("saucepans", ["Saucepans", "Kochtöpfe", "Cazos", "Casseroles", "片手鍋", "汤锅"], n("Saucepan", "Kochtopf", M, "Cazo", M, "Casserole", F, "片手鍋", "汤锅"), size(&[CM16, CM20, CM24, CM28]), HOME, (29, 199)),
                leaf("dutch-ovens", ["Dutch Ovens", "Bräter", "Cocottes", "Cocottes", "両手鍋", "炖锅"], n("Dutch Oven", "Bräter", M, "Cocotte", F, "Cocotte", F, "両手鍋", "炖锅"), size(&[CM20, CM24, CM28]), HOME, (49, 349)),
                leaf_m("bakeware", ["Bakeware", "Backformen", "Moldes y bandejas", "Moules & plaques", "製菓用品", "烘焙用具"], n("Baking Tray", "Backblech", N, "Bandeja de horno", F, "Plaque de cuisson", F, "天板", "烤盘"), ONE, HOME, &[STAINLESS, ALUMINIUM, SILICONE], (12, 59)),
            ]),
            mid("tableware", ["Tableware", "Geschirr", "Vajilla", "Arts de la table", "食器", "餐具"], &[PORCELAIN, STONEWARE, CERAMIC, BAMBOO], (200, 3000), &[
                leaf("plates", ["Plates", "Teller", "Platos", "Assiettes", "プレート", "餐盘"], n("Dinner Plate", "Speiseteller", M, "Plato llano", M, "Assiette plate", F, "ディナープレート", "餐盘"), PACK, HOME, (9, 79)),
                leaf("bowls", ["Bowls", "Schüsseln", "Cuencos", "Bols", "ボウル", "碗"], n("Bowl", "Schüssel", F, "Cuenco", M, "Bol", M, "ボウル", "碗"), PACK, HOME, (8, 59)),
                leaf("mugs", ["Mugs & Cups", "Becher & Tassen", "Tazas", "Mugs & tasses", "マグカップ", "杯子"], n("Mug", "Becher", M, "Taza", F, "Mug", M, "マグカップ", "马克杯"), PACK, HOME, (8, 49)),
                leaf_m("glassware", ["Glassware", "Gläser", "Cristalería", "Verres", "グラス", "玻璃器皿"], n("Drinking Glass", "Trinkglas", N, "Vaso", M, "Verre", M, "グラス", "玻璃杯"), PACK, HOME, &[GLASS], (6, 59)),
            ]),
            mid("bedding", ["Bedding", "Bettwaren", "Ropa de cama", "Linge de lit", "寝具", "床上用品"], &[COTTON, ORGANIC_COTTON, LINEN, BAMBOO, WOOL], (400, 3000), &[
                leaf("duvet-covers", ["Duvet Covers", "Bettbezüge", "Fundas nórdicas", "Housses de couette", "布団カバー", "被套"], n("Duvet Cover", "Bettbezug", M, "Funda nórdica", F, "Housse de couette", F, "掛け布団カバー", "被套"), BED, HOME, (39, 199)),
                leaf("pillows", ["Pillows", "Kopfkissen", "Almohadas", "Oreillers", "枕", "枕头"], n("Pillow", "Kopfkissen", N, "Almohada", F, "Oreiller", M, "枕", "枕头"), ONE, HOME, (19, 129)),
                leaf("throws", ["Throws & Blankets", "Decken & Plaids", "Mantas", "Plaids & couvertures", "ブランケット", "毯子"], n("Blanket", "Decke", F, "Manta", F, "Plaid", M, "ブランケット", "毯子"), ONE, HOME, (24, 199)),
                leaf("sheets", ["Sheets", "Bettlaken", "Sábanas", "Draps", "シーツ", "床单"], n("Fitted Sheet", "Spannbettlaken", N, "Sábana bajera", F, "Drap-housse", M, "ボックスシーツ", "床笠"), BED, HOME, (19, 129)),
            ]),
            mid("decor", ["Home Decor", "Wohnaccessoires", "Decoración", "Décoration", "インテリア雑貨", "家居装饰"], &[CERAMIC, GLASS, WOOD, RATTAN, COTTON, LINEN], (200, 4000), &[
                leaf_m("vases", ["Vases", "Vasen", "Jarrones", "Vases", "花瓶", "花瓶"], n("Vase", "Vase", F, "Jarrón", M, "Vase", M, "花瓶", "花瓶"), ONE, HOME, &[CERAMIC, GLASS, STONEWARE, PORCELAIN], (15, 149)),
                leaf_m("candles", ["Candles", "Kerzen", "Velas", "Bougies", "キャンドル", "蜡烛"], n("Scented Candle", "Duftkerze", F, "Vela aromática", F, "Bougie parfumée", F, "アロマキャンドル", "香薰蜡烛"), ONE, HOME, &[GLASS, CERAMIC], (9, 59)),
                leaf_m("cushions", ["Cushions", "Dekokissen", "Cojines", "Coussins", "クッション", "靠垫"], n("Cushion", "Kissen", N, "Cojín", M, "Coussin", M, "クッション", "靠垫"), ONE, HOME, &[COTTON, LINEN, WOOL], (14, 79)),
                leaf_m("frames", ["Frames", "Bilderrahmen", "Marcos", "Cadres", "フォトフレーム", "相框"], n("Picture Frame", "Bilderrahmen", M, "Marco de fotos", M, "Cadre photo", M, "フォトフレーム", "相框"), ONE, HOME, &[WOOD, OAK, ALUMINIUM], (9, 79)),
                leaf_m("lamps", ["Lamps", "Lampen", "Lámparas", "Lampes", "照明", "灯具"], n("Table Lamp", "Tischleuchte", F, "Lámpara de mesa", F, "Lampe de table", F, "テーブルランプ", "台灯"), ONE, HOME, &[CERAMIC, RATTAN, GLASS, OAK], (29, 299)),
            ]),
            mid("storage", ["Storage", "Aufbewahrung", "Almacenaje", "Rangement", "収納", "收纳"], &[BAMBOO, RATTAN, WOOD, PLASTIC, STEEL, FELT], (200, 6000), &[
                leaf_m("baskets", ["Baskets & Boxes", "Körbe & Boxen", "Cestas y cajas", "Paniers & boîtes", "収納ボックス", "收纳盒"], n("Storage Basket", "Aufbewahrungskorb", M, "Cesta organizadora", F, "Panier de rangement", M, "収納バスケット", "收纳篮"), S_TO_L, HOME, &[RATTAN, FELT, BAMBOO, COTTON], (12, 69)),
                leaf_m("food-storage", ["Food Storage", "Vorratsdosen", "Recipientes", "Boîtes de conservation", "保存容器", "保鲜盒"], n("Food Container", "Frischhaltedose", F, "Recipiente hermético", M, "Boîte de conservation", F, "保存容器", "保鲜盒"), PACK, HOME, &[GLASS, PLASTIC, STAINLESS, BAMBOO], (9, 49)),
                leaf_m("shelves", ["Shelves", "Regale", "Estanterías", "Étagères", "シェルフ", "置物架"], n("Wall Shelf", "Wandregal", N, "Estante de pared", M, "Étagère murale", F, "ウォールシェルフ", "墙架"), ONE, HOME, &[OAK, WOOD, STEEL, BAMBOO], (24, 199)),
                leaf_m("coat-racks", ["Coat Racks & Hooks", "Garderoben & Haken", "Percheros", "Porte-manteaux", "コートハンガー", "衣帽架"], n("Coat Rack", "Garderobe", F, "Perchero", M, "Porte-manteau", M, "コートラック", "衣帽架"), ONE, HOME, &[OAK, WOOD, STEEL], (29, 249)),
            ]),
        ],
    },
    Dept {
        code: "electronics",
        name: ["Electronics", "Elektronik", "Electrónica", "Électronique", "家電・デジタル", "数码电子"],
        weight: 12,
        adjectives: &[WIRELESS, COMPACT, PORTABLE, PROFESSIONAL, ULTRA_SLIM, POWERFUL],
        material_in_name: false,
        model_numbers: true,
        tax: Tax::Standard,
        mids: &[
            mid("audio", ["Audio", "Audio", "Audio", "Audio", "オーディオ", "影音设备"], &[ALUMINIUM, PLASTIC], (20, 4000), &[
                leaf("headphones", ["Headphones", "Kopfhörer", "Auriculares", "Casques audio", "ヘッドホン", "耳机"], n("Headphones", "Kopfhörer", M, "Auriculares", MPl, "Casque audio", M, "ヘッドホン", "头戴式耳机"), ONE, TECH, (29, 449)),
                leaf("earbuds", ["Earbuds", "In-Ear-Kopfhörer", "Auriculares intrauditivos", "Écouteurs", "イヤホン", "入耳式耳机"], n("Earbuds", "In-Ear-Kopfhörer", M, "Auriculares intrauditivos", MPl, "Écouteurs", MPl, "イヤホン", "入耳式耳机"), ONE, TECH, (19, 299)),
                leaf("speakers", ["Speakers", "Lautsprecher", "Altavoces", "Enceintes", "スピーカー", "音箱"], n("Bluetooth Speaker", "Bluetooth-Lautsprecher", M, "Altavoz Bluetooth", M, "Enceinte Bluetooth", F, "Bluetoothスピーカー", "蓝牙音箱"), ONE, TECH, (24, 399)),
                leaf("soundbars", ["Soundbars", "Soundbars", "Barras de sonido", "Barres de son", "サウンドバー", "回音壁"], n("Soundbar", "Soundbar", F, "Barra de sonido", F, "Barre de son", F, "サウンドバー", "回音壁"), ONE, TECH, (99, 899)),
                leaf("turntables", ["Turntables", "Plattenspieler", "Tocadiscos", "Platines vinyle", "レコードプレーヤー", "黑胶唱机"], n("Turntable", "Plattenspieler", M, "Tocadiscos", M, "Platine vinyle", F, "レコードプレーヤー", "黑胶唱机"), ONE, TECH, (129, 899)),
            ]),
            mid("computers", ["Computers", "Computer", "Informática", "Informatique", "パソコン", "电脑"], &[ALUMINIUM, PLASTIC], (80, 3000), &[
                leaf("laptops", ["Laptops", "Laptops", "Portátiles", "Ordinateurs portables", "ノートパソコン", "笔记本电脑"], n("Laptop", "Laptop", M, "Portátil", M, "Ordinateur portable", M, "ノートパソコン", "笔记本电脑"), LAPTOP_STORAGE, TECH, (449, 899)),
                leaf("monitors", ["Monitors", "Monitore", "Monitores", "Écrans", "モニター", "显示器"], n("Monitor", "Monitor", M, "Monitor", M, "Écran", M, "モニター", "显示器"), SCREEN, TECH, (129, 499)),
                leaf("keyboards", ["Keyboards", "Tastaturen", "Teclados", "Claviers", "キーボード", "键盘"], n("Keyboard", "Tastatur", F, "Teclado", M, "Clavier", M, "キーボード", "键盘"), ONE, TECH, (24, 199)),
                leaf("mice", ["Mice", "Mäuse", "Ratones", "Souris", "マウス", "鼠标"], n("Mouse", "Maus", F, "Ratón", M, "Souris", F, "マウス", "鼠标"), ONE, TECH, (12, 129)),
                leaf("tablets", ["Tablets", "Tablets", "Tabletas", "Tablettes", "タブレット", "平板电脑"], n("Tablet", "Tablet", N, "Tableta", F, "Tablette", F, "タブレット", "平板电脑"), PHONE_STORAGE, TECH, (149, 699)),
            ]),
            mid("phones", ["Phones & Accessories", "Handys & Zubehör", "Móviles y accesorios", "Téléphones & accessoires", "スマホ・周辺機器", "手机及配件"], &[ALUMINIUM, PLASTIC], (20, 400), &[
                leaf("smartphones", ["Smartphones", "Smartphones", "Smartphones", "Smartphones", "スマートフォン", "智能手机"], n("Smartphone", "Smartphone", N, "Smartphone", M, "Smartphone", M, "スマートフォン", "智能手机"), PHONE_STORAGE, TECH, (199, 899)),
                leaf_m("cases", ["Cases", "Hüllen", "Fundas", "Coques", "ケース", "手机壳"], n("Phone Case", "Handyhülle", F, "Funda para móvil", F, "Coque de téléphone", F, "スマホケース", "手机壳"), ONE, TECH, &[SILICONE, LEATHER, PLASTIC], (9, 59)),
                leaf("chargers", ["Chargers", "Ladegeräte", "Cargadores", "Chargeurs", "充電器", "充电器"], n("Charger", "Ladegerät", N, "Cargador", M, "Chargeur", M, "充電器", "充电器"), ONE, TECH, (12, 79)),
                leaf("power-banks", ["Power Banks", "Powerbanks", "Baterías externas", "Batteries externes", "モバイルバッテリー", "充电宝"], n("Power Bank", "Powerbank", F, "Batería externa", F, "Batterie externe", F, "モバイルバッテリー", "充电宝"), ONE, TECH, (19, 99)),
                leaf("cables", ["Cables", "Kabel", "Cables", "Câbles", "ケーブル", "数据线"], n("Charging Cable", "Ladekabel", N, "Cable de carga", M, "Câble de charge", M, "充電ケーブル", "充电线"), CABLE, TECH, (7, 29)),
            ]),
            mid("cameras", ["Cameras", "Kameras", "Cámaras", "Appareils photo", "カメラ", "相机"], &[ALUMINIUM, PLASTIC, CARBON], (100, 2500), &[
                leaf("digital-cameras", ["Digital Cameras", "Digitalkameras", "Cámaras digitales", "Appareils photo numériques", "デジタルカメラ", "数码相机"], n("Digital Camera", "Digitalkamera", F, "Cámara digital", F, "Appareil photo numérique", M, "デジタルカメラ", "数码相机"), ONE, TECH, (249, 999)),
                leaf("action-cameras", ["Action Cameras", "Actioncams", "Cámaras deportivas", "Caméras sport", "アクションカメラ", "运动相机"], n("Action Camera", "Actioncam", F, "Cámara deportiva", F, "Caméra sport", F, "アクションカメラ", "运动相机"), ONE, TECH, (99, 499)),
                leaf("lenses", ["Lenses", "Objektive", "Objetivos", "Objectifs", "交換レンズ", "镜头"], n("Camera Lens", "Objektiv", N, "Objetivo", M, "Objectif", M, "交換レンズ", "镜头"), ONE, TECH, (149, 999)),
                leaf("tripods", ["Tripods", "Stative", "Trípodes", "Trépieds", "三脚", "三脚架"], n("Tripod", "Stativ", N, "Trípode", M, "Trépied", M, "三脚", "三脚架"), ONE, TECH, (24, 249)),
            ]),
            mid("smart-home", ["Smart Home", "Smart Home", "Hogar inteligente", "Maison connectée", "スマートホーム", "智能家居"], &[PLASTIC, ALUMINIUM], (50, 1500), &[
                leaf("smart-speakers", ["Smart Speakers", "Smart Speaker", "Altavoces inteligentes", "Enceintes connectées", "スマートスピーカー", "智能音箱"], n("Smart Speaker", "Smart Speaker", M, "Altavoz inteligente", M, "Enceinte connectée", F, "スマートスピーカー", "智能音箱"), ONE, TECH, (39, 299)),
                leaf("lighting", ["Smart Lighting", "Smarte Beleuchtung", "Iluminación inteligente", "Éclairage connecté", "スマート照明", "智能照明"], n("Smart Bulb", "WLAN-Glühbirne", F, "Bombilla inteligente", F, "Ampoule connectée", F, "スマート電球", "智能灯泡"), PACK, TECH, (9, 59)),
                leaf("security-cameras", ["Security Cameras", "Überwachungskameras", "Cámaras de seguridad", "Caméras de surveillance", "防犯カメラ", "监控摄像头"], n("Security Camera", "Überwachungskamera", F, "Cámara de seguridad", F, "Caméra de surveillance", F, "防犯カメラ", "监控摄像头"), ONE, TECH, (39, 249)),
                leaf("thermostats", ["Thermostats", "Thermostate", "Termostatos", "Thermostats", "サーモスタット", "温控器"], n("Thermostat", "Thermostat", N, "Termostato", M, "Thermostat", M, "サーモスタット", "温控器"), ONE, TECH, (79, 249)),
            ]),
        ],
    },
    Dept {
        code: "sports",
        name: ["Sports & Outdoors", "Sport & Freizeit", "Deportes y aire libre", "Sports & plein air", "スポーツ・アウトドア", "运动户外"],
        weight: 12,
        adjectives: &[LIGHTWEIGHT, DURABLE, BREATHABLE, WATERPROOF, COMPACT, ERGONOMIC],
        material_in_name: true,
        model_numbers: false,
        tax: Tax::Standard,
        mids: &[
            mid("fitness", ["Fitness", "Fitness", "Fitness", "Fitness", "フィットネス", "健身"], &[RUBBER, NEOPRENE, STEEL], (100, 10000), &[
                leaf_m("yoga-mats", ["Yoga Mats", "Yogamatten", "Esterillas de yoga", "Tapis de yoga", "ヨガマット", "瑜伽垫"], n("Yoga Mat", "Yogamatte", F, "Esterilla de yoga", F, "Tapis de yoga", M, "ヨガマット", "瑜伽垫"), ONE, SPORT, &[CORK, RUBBER], (19, 129)),
                leaf_m("weights", ["Weights", "Hanteln", "Pesas", "Haltères", "ダンベル", "哑铃"], n("Dumbbell", "Kurzhantel", F, "Mancuerna", F, "Haltère", M, "ダンベル", "哑铃"), DUMBBELL, SPORT, &[STEEL, CAST_IRON, NEOPRENE], (14, 99)),
                leaf_m("resistance-bands", ["Resistance Bands", "Widerstandsbänder", "Bandas elásticas", "Bandes de résistance", "トレーニングチューブ", "弹力带"], n("Resistance Band", "Widerstandsband", N, "Banda elástica", F, "Bande de résistance", F, "トレーニングチューブ", "弹力带"), RESISTANCE, SPORT, &[RUBBER], (7, 39)),
                leaf_m("bottles", ["Water Bottles", "Trinkflaschen", "Botellas", "Gourdes", "ボトル", "水壶"], n("Water Bottle", "Trinkflasche", F, "Botella de agua", F, "Gourde", F, "ウォーターボトル", "运动水壶"), BOTTLE, SPORT, &[STAINLESS, PLASTIC, GLASS], (9, 49)),
            ]),
            mid("running", ["Running", "Laufen", "Running", "Course à pied", "ランニング", "跑步"], &[POLYESTER, NYLON, MERINO], (100, 700), &[
                leaf_m("shoes", ["Running Shoes", "Laufschuhe", "Zapatillas de running", "Chaussures de running", "ランニングシューズ", "跑鞋"], n("Running Shoe", "Laufschuh", M, "Zapatilla de running", F, "Chaussure de running", F, "ランニングシューズ", "跑鞋"), SHOE, SPORT, &[POLYESTER, NYLON], (59, 219)),
                leaf("tops", ["Running Tops", "Laufshirts", "Camisetas de running", "Hauts de running", "ランニングウェア", "跑步上衣"], n("Running Shirt", "Laufshirt", N, "Camiseta de running", F, "T-shirt de running", M, "ランニングシャツ", "跑步T恤"), APPAREL, SPORT, (19, 79)),
                leaf("shorts", ["Running Shorts", "Laufshorts", "Pantalones cortos", "Shorts de running", "ランニングパンツ", "跑步短裤"], n("Running Shorts", "Laufshorts", MPl, "Pantalón corto de running", M, "Short de running", M, "ランニングショーツ", "跑步短裤"), APPAREL, SPORT, (19, 69)),
                leaf("jackets", ["Running Jackets", "Laufjacken", "Chaquetas de running", "Vestes de running", "ランニングジャケット", "跑步夹克"], n("Running Jacket", "Laufjacke", F, "Chaqueta de running", F, "Veste de running", F, "ランニングジャケット", "跑步夹克"), APPAREL, SPORT, (49, 199)),
            ]),
            mid("camping", ["Camping", "Camping", "Camping", "Camping", "キャンプ", "露营"], &[NYLON, POLYESTER, ALUMINIUM, STAINLESS], (100, 6000), &[
                leaf_m("tents", ["Tents", "Zelte", "Tiendas de campaña", "Tentes", "テント", "帐篷"], n("Tent", "Zelt", N, "Tienda de campaña", F, "Tente", F, "テント", "帐篷"), PERSONS, SPORT, &[NYLON, POLYESTER], (79, 599)),
                leaf_m("sleeping-bags", ["Sleeping Bags", "Schlafsäcke", "Sacos de dormir", "Sacs de couchage", "寝袋", "睡袋"], n("Sleeping Bag", "Schlafsack", M, "Saco de dormir", M, "Sac de couchage", M, "寝袋", "睡袋"), ONE, SPORT, &[NYLON, POLYESTER, DOWN], (39, 349)),
                leaf_m("backpacks", ["Backpacks", "Rucksäcke", "Mochilas", "Sacs à dos", "バックパック", "背包"], n("Hiking Backpack", "Wanderrucksack", M, "Mochila de senderismo", F, "Sac à dos de randonnée", M, "登山リュック", "登山包"), LITRES, SPORT, &[NYLON, POLYESTER], (39, 249)),
                leaf_m("stoves", ["Camping Stoves", "Campingkocher", "Hornillos", "Réchauds", "バーナー", "露营炉具"], n("Camping Stove", "Campingkocher", M, "Hornillo de camping", M, "Réchaud de camping", M, "キャンプ用バーナー", "露营炉"), ONE, SPORT, &[STAINLESS, ALUMINIUM], (29, 179)),
                leaf_m("headlamps", ["Headlamps", "Stirnlampen", "Linternas frontales", "Lampes frontales", "ヘッドライト", "头灯"], n("Headlamp", "Stirnlampe", F, "Linterna frontal", F, "Lampe frontale", F, "ヘッドライト", "头灯"), ONE, SPORT, &[PLASTIC, ALUMINIUM], (14, 89)),
            ]),
            mid("cycling", ["Cycling", "Radsport", "Ciclismo", "Cyclisme", "サイクリング", "骑行"], &[ALUMINIUM, CARBON, POLYESTER, STEEL], (100, 1500), &[
                leaf_m("helmets", ["Helmets", "Helme", "Cascos", "Casques", "ヘルメット", "头盔"], n("Bike Helmet", "Fahrradhelm", M, "Casco de bicicleta", M, "Casque de vélo", M, "サイクルヘルメット", "骑行头盔"), S_TO_L, SPORT, &[PLASTIC, CARBON], (39, 249)),
                leaf_m("lights", ["Bike Lights", "Fahrradbeleuchtung", "Luces", "Éclairage", "ライト", "车灯"], n("Bike Light", "Fahrradlicht", N, "Luz de bicicleta", F, "Éclairage vélo", M, "サイクルライト", "自行车灯"), ONE, SPORT, &[ALUMINIUM, PLASTIC], (14, 99)),
                leaf_m("gloves", ["Gloves", "Handschuhe", "Guantes", "Gants", "グローブ", "手套"], n("Cycling Gloves", "Fahrradhandschuhe", MPl, "Guantes de ciclismo", MPl, "Gants de cyclisme", MPl, "サイクルグローブ", "骑行手套"), S_TO_XL, SPORT, &[POLYESTER, LEATHER], (14, 69)),
                leaf_m("locks", ["Locks", "Schlösser", "Candados", "Antivols", "ロック", "车锁"], n("Bike Lock", "Fahrradschloss", N, "Candado de bicicleta", M, "Antivol vélo", M, "自転車ロック", "自行车锁"), ONE, SPORT, &[STEEL], (19, 129)),
            ]),
            mid("team-sports", ["Team Sports", "Mannschaftssport", "Deportes de equipo", "Sports collectifs", "チームスポーツ", "团队运动"], &[RUBBER, LEATHER, POLYESTER], (200, 1500), &[
                leaf("footballs", ["Footballs", "Fußbälle", "Balones de fútbol", "Ballons de football", "サッカーボール", "足球"], n("Football", "Fußball", M, "Balón de fútbol", M, "Ballon de football", M, "サッカーボール", "足球"), size(&[BALL3, BALL4, BALL5]), SPORT, (19, 149)),
                leaf_m("basketballs", ["Basketballs", "Basketbälle", "Balones de baloncesto", "Ballons de basket", "バスケットボール", "篮球"], n("Basketball", "Basketball", M, "Balón de baloncesto", M, "Ballon de basket", M, "バスケットボール", "篮球"), size(&[BALL5, BALL6, BALL7]), SPORT, &[RUBBER, LEATHER], (19, 129)),
                leaf_m("tennis", ["Tennis", "Tennis", "Tenis", "Tennis", "テニス", "网球"], n("Tennis Racket", "Tennisschläger", M, "Raqueta de tenis", F, "Raquette de tennis", F, "テニスラケット", "网球拍"), ONE, SPORT, &[CARBON, ALUMINIUM], (39, 299)),
                leaf_m("bags", ["Sports Bags", "Sporttaschen", "Bolsas de deporte", "Sacs de sport", "スポーツバッグ", "运动包"], n("Sports Bag", "Sporttasche", F, "Bolsa de deporte", F, "Sac de sport", M, "スポーツバッグ", "运动包"), LITRES, SPORT, &[POLYESTER, NYLON], (24, 129)),
            ]),
        ],
    },
    Dept {
        code: "beauty",
        name: ["Beauty", "Beauty", "Belleza", "Beauté", "ビューティー", "美妆个护"],
        weight: 10,
        adjectives: &[HYDRATING, GENTLE, NOURISHING, RADIANT, ORGANIC, FRESH],
        material_in_name: false,
        model_numbers: false,
        tax: Tax::Standard,
        mids: &[
            mid("skincare", ["Skincare", "Hautpflege", "Cuidado facial", "Soins du visage", "スキンケア", "护肤"], &[], (50, 500), &[
                leaf("moisturisers", ["Moisturisers", "Feuchtigkeitspflege", "Cremas hidratantes", "Crèmes hydratantes", "保湿クリーム", "面霜"], n("Moisturiser", "Feuchtigkeitscreme", F, "Crema hidratante", F, "Crème hydratante", F, "保湿クリーム", "保湿霜"), FACE, NONE, (12, 99)),
                leaf("cleansers", ["Cleansers", "Reinigung", "Limpiadores", "Nettoyants", "洗顔料", "洁面"], n("Cleanser", "Reinigungsgel", N, "Limpiador facial", M, "Nettoyant visage", M, "洗顔料", "洁面乳"), BODY, NONE, (9, 49)),
                leaf("serums", ["Serums", "Seren", "Sérums", "Sérums", "美容液", "精华"], n("Serum", "Serum", N, "Sérum", M, "Sérum", M, "美容液", "精华液"), FACE, NONE, (19, 129)),
                leaf("sun-care", ["Sun Care", "Sonnenschutz", "Protección solar", "Protection solaire", "日焼け止め", "防晒"], n("Sunscreen", "Sonnencreme", F, "Protector solar", M, "Crème solaire", F, "日焼け止め", "防晒霜"), BODY, NONE, (9, 49)),
            ]),
            mid("makeup", ["Makeup", "Make-up", "Maquillaje", "Maquillage", "メイクアップ", "彩妆"], &[], (10, 200), &[
                leaf("lipsticks", ["Lipsticks", "Lippenstifte", "Barras de labios", "Rouges à lèvres", "口紅", "口红"], n("Lipstick", "Lippenstift", M, "Barra de labios", F, "Rouge à lèvres", M, "口紅", "口红"), ONE, MAKEUP, (9, 49)),
                leaf("mascara", ["Mascara", "Mascara", "Máscaras de pestañas", "Mascaras", "マスカラ", "睫毛膏"], n("Mascara", "Mascara", F, "Máscara de pestañas", F, "Mascara", M, "マスカラ", "睫毛膏"), ONE, MAKEUP, (9, 39)),
                leaf("foundation", ["Foundation", "Foundation", "Bases de maquillaje", "Fonds de teint", "ファンデーション", "粉底"], n("Foundation", "Foundation", F, "Base de maquillaje", F, "Fond de teint", M, "ファンデーション", "粉底液"), ONE, MAKEUP, (14, 59)),
                leaf("eyeshadow", ["Eyeshadow", "Lidschatten", "Sombras de ojos", "Fards à paupières", "アイシャドウ", "眼影"], n("Eyeshadow Palette", "Lidschattenpalette", F, "Paleta de sombras", F, "Palette de fards", F, "アイシャドウパレット", "眼影盘"), ONE, MAKEUP, (14, 69)),
            ]),
            mid("haircare", ["Haircare", "Haarpflege", "Cuidado del cabello", "Soins capillaires", "ヘアケア", "护发"], &[], (100, 900), &[
                leaf("shampoo", ["Shampoo", "Shampoo", "Champús", "Shampooings", "シャンプー", "洗发水"], n("Shampoo", "Shampoo", N, "Champú", M, "Shampooing", M, "シャンプー", "洗发水"), BODY, NONE, (6, 39)),
                leaf("conditioner", ["Conditioner", "Spülungen", "Acondicionadores", "Après-shampooings", "コンディショナー", "护发素"], n("Conditioner", "Spülung", F, "Acondicionador", M, "Après-shampooing", M, "コンディショナー", "护发素"), BODY, NONE, (6, 39)),
                leaf("hair-oils", ["Hair Oils", "Haaröle", "Aceites capilares", "Huiles capillaires", "ヘアオイル", "护发精油"], n("Hair Oil", "Haaröl", N, "Aceite capilar", M, "Huile capillaire", F, "ヘアオイル", "护发精油"), FACE, NONE, (9, 49)),
                leaf("hair-masks", ["Hair Masks", "Haarmasken", "Mascarillas capilares", "Masques capillaires", "ヘアマスク", "发膜"], n("Hair Mask", "Haarmaske", F, "Mascarilla capilar", F, "Masque capillaire", M, "ヘアマスク", "发膜"), BODY, NONE, (9, 49)),
            ]),
            mid("fragrance", ["Fragrance", "Düfte", "Perfumes", "Parfums", "フレグランス", "香水"], &[], (50, 600), &[
                leaf("eau-de-parfum", ["Eau de Parfum", "Eau de Parfum", "Eau de parfum", "Eaux de parfum", "オードパルファム", "淡香精"], n("Eau de Parfum", "Eau de Parfum", N, "Eau de parfum", M, "Eau de parfum", F, "オードパルファム", "淡香精"), FACE, NONE, (29, 179)),
                leaf("eau-de-toilette", ["Eau de Toilette", "Eau de Toilette", "Eau de toilette", "Eaux de toilette", "オードトワレ", "淡香水"], n("Eau de Toilette", "Eau de Toilette", N, "Eau de toilette", M, "Eau de toilette", F, "オードトワレ", "淡香水"), FACE, NONE, (24, 119)),
                leaf("body-mists", ["Body Mists", "Körpersprays", "Brumas corporales", "Brumes parfumées", "ボディミスト", "身体喷雾"], n("Body Mist", "Körperspray", N, "Bruma corporal", F, "Brume parfumée", F, "ボディミスト", "身体喷雾"), BODY, NONE, (9, 39)),
                leaf("gift-sets", ["Gift Sets", "Geschenksets", "Sets de regalo", "Coffrets", "ギフトセット", "礼盒"], n("Fragrance Gift Set", "Duft-Geschenkset", N, "Set de regalo de perfume", M, "Coffret parfum", M, "フレグランスギフトセット", "香水礼盒"), PACK, NONE, (29, 149)),
            ]),
            mid("bath-body", ["Bath & Body", "Bad & Körper", "Baño y cuerpo", "Bain & corps", "バス・ボディケア", "沐浴身体护理"], &[], (100, 800), &[
                leaf("shower-gels", ["Shower Gels", "Duschgels", "Geles de ducha", "Gels douche", "ボディソープ", "沐浴露"], n("Shower Gel", "Duschgel", N, "Gel de ducha", M, "Gel douche", M, "シャワージェル", "沐浴露"), BODY, NONE, (4, 24)),
                leaf("body-lotions", ["Body Lotions", "Bodylotions", "Lociones corporales", "Laits corporels", "ボディローション", "身体乳"], n("Body Lotion", "Bodylotion", F, "Loción corporal", F, "Lait corporel", M, "ボディローション", "身体乳"), BODY, NONE, (6, 39)),
                leaf("soaps", ["Soaps", "Seifen", "Jabones", "Savons", "石鹸", "香皂"], n("Bar Soap", "Seife", F, "Jabón", M, "Savon", M, "石鹸", "香皂"), PACK, NONE, (4, 19)),
                leaf("hand-care", ["Hand Care", "Handpflege", "Cuidado de manos", "Soins des mains", "ハンドケア", "手部护理"], n("Hand Cream", "Handcreme", F, "Crema de manos", F, "Crème mains", F, "ハンドクリーム", "护手霜"), FACE, NONE, (4, 29)),
            ]),
        ],
    },
    Dept {
        code: "toys",
        name: ["Toys & Games", "Spielzeug & Spiele", "Juguetes y juegos", "Jouets & jeux", "おもちゃ・ゲーム", "玩具游戏"],
        weight: 10,
        adjectives: &[COLOURFUL, CLASSIC, CREATIVE, EDUCATIONAL, GIANT],
        material_in_name: true,
        model_numbers: false,
        tax: Tax::Standard,
        mids: &[
            mid("building", ["Building Toys", "Bauspielzeug", "Construcciones", "Jeux de construction", "ブロック・組み立て", "积木拼搭"], &[PLASTIC, WOOD], (100, 3000), &[
                leaf("blocks", ["Building Blocks", "Bausteine", "Bloques", "Briques", "ブロック", "积木"], n("Building Block Set", "Bausteine-Set", N, "Juego de bloques", M, "Jeu de briques", M, "ブロックセット", "积木套装"), PIECES, BRIGHT, (14, 149)),
                leaf("marble-runs", ["Marble Runs", "Kugelbahnen", "Circuitos de canicas", "Circuits à billes", "ビー玉転がし", "弹珠轨道"], n("Marble Run", "Kugelbahn", F, "Circuito de canicas", M, "Circuit à billes", M, "ビー玉転がし", "弹珠轨道"), ONE, BRIGHT, (24, 129)),
                leaf_m("model-kits", ["Model Kits", "Modellbau", "Modelismo", "Maquettes", "プラモデル", "模型"], n("Model Kit", "Modellbausatz", M, "Kit de modelismo", M, "Maquette", F, "プラモデル", "模型套件"), ONE, BRIGHT, &[PLASTIC], (19, 149)),
                leaf_m("magnetic-tiles", ["Magnetic Tiles", "Magnetbausteine", "Bloques magnéticos", "Construction magnétique", "マグネットブロック", "磁力片"], n("Magnetic Tile Set", "Magnetbaukasten", M, "Set de bloques magnéticos", M, "Jeu de construction magnétique", M, "マグネットブロック", "磁力片套装"), size(&[tr("50-pcs", ["50 pieces", "50 Teile", "50 piezas", "50 pièces", "50ピース", "50片"], 100), tr("100-pcs", ["100 pieces", "100 Teile", "100 piezas", "100 pièces", "100ピース", "100片"], 170)]), BRIGHT, &[PLASTIC], (29, 149)),
            ]),
            mid("board-games", ["Board Games", "Brettspiele", "Juegos de mesa", "Jeux de société", "ボードゲーム", "桌游"], &[], (200, 2500), &[
                leaf("strategy", ["Strategy Games", "Strategiespiele", "Juegos de estrategia", "Jeux de stratégie", "戦略ゲーム", "策略游戏"], n("Strategy Game", "Strategiespiel", N, "Juego de estrategia", M, "Jeu de stratégie", M, "戦略ゲーム", "策略游戏"), ONE, NONE, (24, 89)),
                leaf("family", ["Family Games", "Familienspiele", "Juegos familiares", "Jeux en famille", "ファミリーゲーム", "家庭游戏"], n("Family Game", "Familienspiel", N, "Juego familiar", M, "Jeu familial", M, "ファミリーゲーム", "家庭游戏"), ONE, NONE, (14, 59)),
                leaf("puzzles", ["Puzzles", "Puzzles", "Puzles", "Puzzles", "パズル", "拼图"], n("Jigsaw Puzzle", "Puzzle", N, "Puzle", M, "Puzzle", M, "ジグソーパズル", "拼图"), PIECES, NONE, (9, 49)),
                leaf("card-games", ["Card Games", "Kartenspiele", "Juegos de cartas", "Jeux de cartes", "カードゲーム", "卡牌游戏"], n("Card Game", "Kartenspiel", N, "Juego de cartas", M, "Jeu de cartes", M, "カードゲーム", "卡牌游戏"), ONE, NONE, (7, 29)),
            ]),
            mid("dolls", ["Dolls & Figures", "Puppen & Figuren", "Muñecas y figuras", "Poupées & figurines", "人形・フィギュア", "娃娃手办"], &[PLASTIC, COTTON, WOOD], (100, 5000), &[
                leaf("dolls", ["Dolls", "Puppen", "Muñecas", "Poupées", "人形", "娃娃"], n("Doll", "Puppe", F, "Muñeca", F, "Poupée", F, "人形", "娃娃"), ONE, BRIGHT, (14, 79)),
                leaf_m("figures", ["Action Figures", "Actionfiguren", "Figuras de acción", "Figurines", "フィギュア", "手办"], n("Action Figure", "Actionfigur", F, "Figura de acción", F, "Figurine articulée", F, "アクションフィギュア", "可动人偶"), ONE, BRIGHT, &[PLASTIC], (9, 59)),
                leaf_m("soft-toys", ["Soft Toys", "Plüschtiere", "Peluches", "Peluches", "ぬいぐるみ", "毛绒玩具"], n("Plush Toy", "Plüschtier", N, "Peluche", M, "Peluche", F, "ぬいぐるみ", "毛绒玩具"), S_TO_L, BRIGHT, &[POLYESTER, ORGANIC_COTTON], (9, 69)),
                leaf_m("dollhouses", ["Dollhouses", "Puppenhäuser", "Casas de muñecas", "Maisons de poupée", "ドールハウス", "娃娃屋"], n("Dollhouse", "Puppenhaus", N, "Casa de muñecas", F, "Maison de poupée", F, "ドールハウス", "娃娃屋"), ONE, BRIGHT, &[WOOD, PLASTIC], (49, 249)),
            ]),
            mid("outdoor-play", ["Outdoor Play", "Draußen spielen", "Juegos de exterior", "Jeux d'extérieur", "外遊び", "户外玩具"], &[PLASTIC, ALUMINIUM, WOOD, NYLON], (100, 6000), &[
                leaf_m("scooters", ["Scooters", "Roller", "Patinetes", "Trottinettes", "キックボード", "滑板车"], n("Kick Scooter", "Tretroller", M, "Patinete", M, "Trottinette", F, "キックボード", "滑板车"), ONE, BRIGHT, &[ALUMINIUM, STEEL], (39, 199)),
                leaf_m("balance-bikes", ["Balance Bikes", "Laufräder", "Bicicletas sin pedales", "Draisiennes", "キッズバイク", "平衡车"], n("Balance Bike", "Laufrad", N, "Bicicleta sin pedales", F, "Draisienne", F, "キッズバイク", "平衡车"), ONE, BRIGHT, &[WOOD, ALUMINIUM, STEEL], (49, 199)),
                leaf_m("kites", ["Kites", "Drachen", "Cometas", "Cerfs-volants", "凧", "风筝"], n("Kite", "Drachen", M, "Cometa", F, "Cerf-volant", M, "カイト", "风筝"), ONE, BRIGHT, &[NYLON, POLYESTER], (12, 79)),
                leaf_m("water-toys", ["Water Toys", "Wasserspielzeug", "Juguetes de agua", "Jeux d'eau", "水遊び", "戏水玩具"], n("Water Blaster", "Wasserpistole", F, "Pistola de agua", F, "Pistolet à eau", M, "水鉄砲", "水枪"), ONE, BRIGHT, &[PLASTIC], (7, 39)),
            ]),
            mid("learning", ["Learning Toys", "Lernspielzeug", "Juguetes educativos", "Jouets éducatifs", "知育玩具", "益智玩具"], &[WOOD, PLASTIC], (100, 2000), &[
                leaf_m("science-kits", ["Science Kits", "Experimentierkästen", "Kits de ciencias", "Kits scientifiques", "実験キット", "科学实验"], n("Science Kit", "Experimentierkasten", M, "Kit de ciencias", M, "Kit scientifique", M, "実験キット", "科学实验套装"), ONE, BRIGHT, &[PLASTIC], (19, 89)),
                leaf_m("musical", ["Musical Toys", "Musikspielzeug", "Juguetes musicales", "Jouets musicaux", "楽器のおもちゃ", "音乐玩具"], n("Toy Xylophone", "Spielzeug-Xylophon", N, "Xilófono de juguete", M, "Xylophone jouet", M, "木琴のおもちゃ", "玩具木琴"), ONE, BRIGHT, &[WOOD], (14, 59)),
                leaf("toddler", ["Baby & Toddler Toys", "Baby- & Kleinkindspielzeug", "Juguetes para bebés", "Jouets d'éveil", "ベビー玩具", "婴幼儿玩具"], n("Shape Sorter", "Steckspiel", N, "Clasificador de formas", M, "Boîte à formes", F, "型はめパズル", "形状配对盒"), ONE, BRIGHT, (12, 49)),
                leaf("globes", ["Globes", "Globen", "Globos terráqueos", "Globes", "地球儀", "地球仪"], n("Globe", "Globus", M, "Globo terráqueo", M, "Globe terrestre", M, "地球儀", "地球仪"), ONE, BRIGHT, (29, 149)),
            ]),
        ],
    },
    Dept {
        code: "books",
        name: ["Books", "Bücher", "Libros", "Livres", "本", "图书"],
        weight: 10,
        adjectives: &[BESTSELLING, AWARD_WINNING, CLASSIC, COMPLETE, ACCLAIMED],
        material_in_name: false,
        model_numbers: false,
        tax: Tax::Reduced,
        mids: &[
            mid("fiction", ["Fiction", "Belletristik", "Ficción", "Romans", "小説", "小说"], &[], (150, 900), &[
                leaf("crime", ["Crime & Thrillers", "Krimis & Thriller", "Novela negra", "Policiers & thrillers", "ミステリー", "推理悬疑"], n("Crime Novel", "Kriminalroman", M, "Novela negra", F, "Roman policier", M, "ミステリー小説", "推理小说"), FORMAT, NONE, (9, 29)),
                leaf("science-fiction", ["Science Fiction", "Science-Fiction", "Ciencia ficción", "Science-fiction", "SF", "科幻"], n("Science Fiction Novel", "Science-Fiction-Roman", M, "Novela de ciencia ficción", F, "Roman de science-fiction", M, "SF小説", "科幻小说"), FORMAT, NONE, (9, 29)),
                leaf("fantasy", ["Fantasy", "Fantasy", "Fantasía", "Fantasy", "ファンタジー", "奇幻"], n("Fantasy Novel", "Fantasyroman", M, "Novela fantástica", F, "Roman fantasy", M, "ファンタジー小説", "奇幻小说"), FORMAT, NONE, (9, 29)),
                leaf("romance", ["Romance", "Liebesromane", "Novela romántica", "Romance", "恋愛小説", "爱情"], n("Romance Novel", "Liebesroman", M, "Novela romántica", F, "Roman d'amour", M, "恋愛小説", "爱情小说"), FORMAT, NONE, (7, 24)),
                leaf("literary", ["Literary Fiction", "Gegenwartsliteratur", "Narrativa", "Littérature", "文芸", "文学"], n("Literary Novel", "Gegenwartsroman", M, "Novela literaria", F, "Roman littéraire", M, "文芸小説", "文学小说"), FORMAT, NONE, (9, 34)),
            ]),
            mid("non-fiction", ["Non-Fiction", "Sachbücher", "No ficción", "Essais & documents", "ノンフィクション", "非虚构"], &[], (200, 1200), &[
                leaf("biographies", ["Biographies", "Biografien", "Biografías", "Biographies", "伝記", "传记"], n("Biography", "Biografie", F, "Biografía", F, "Biographie", F, "伝記", "传记"), FORMAT, NONE, (12, 39)),
                leaf("history", ["History", "Geschichte", "Historia", "Histoire", "歴史", "历史"], n("History Book", "Geschichtsbuch", N, "Libro de historia", M, "Livre d'histoire", M, "歴史書", "历史读物"), FORMAT, NONE, (12, 44)),
                leaf("science", ["Popular Science", "Populärwissenschaft", "Divulgación científica", "Sciences", "科学", "科普"], n("Popular Science Book", "Sachbuch", N, "Libro de divulgación", M, "Livre de vulgarisation", M, "科学読み物", "科普读物"), FORMAT, NONE, (12, 39)),
                leaf("self-help", ["Self-Help", "Ratgeber", "Autoayuda", "Développement personnel", "自己啓発", "励志"], n("Self-Help Book", "Ratgeber", M, "Libro de autoayuda", M, "Livre de développement personnel", M, "自己啓発書", "自我提升读物"), FORMAT, NONE, (9, 29)),
            ]),
            mid("cookbooks", ["Cookbooks", "Kochbücher", "Libros de cocina", "Livres de cuisine", "料理本", "烹饪美食"], &[], (300, 1500), &[
                leaf("baking", ["Baking", "Backen", "Repostería", "Pâtisserie", "お菓子作り", "烘焙"], n("Baking Book", "Backbuch", N, "Libro de repostería", M, "Livre de pâtisserie", M, "お菓子作りの本", "烘焙书"), FORMAT, NONE, (14, 39)),
                leaf("vegetarian", ["Vegetarian & Vegan", "Vegetarisch & vegan", "Vegetariana y vegana", "Végétarien & vegan", "ベジタリアン", "素食"], n("Vegetarian Cookbook", "Gemüsekochbuch", N, "Recetario vegetariano", M, "Livre de cuisine végétarienne", M, "ベジタリアン料理本", "素食食谱"), FORMAT, NONE, (14, 39)),
                leaf("world-cuisine", ["World Cuisine", "Länderküche", "Cocina internacional", "Cuisine du monde", "世界の料理", "异国料理"], n("World Cuisine Cookbook", "Kochbuch der Weltküche", N, "Recetario de cocina del mundo", M, "Livre de cuisine du monde", M, "世界の料理本", "世界美食食谱"), FORMAT, NONE, (14, 44)),
                leaf("quick-meals", ["Quick & Easy", "Schnelle Küche", "Cocina rápida", "Cuisine rapide", "時短レシピ", "快手菜"], n("Quick Meals Cookbook", "Schnellkochbuch", N, "Recetario de platos rápidos", M, "Livre de recettes express", M, "時短レシピ本", "快手菜谱"), FORMAT, NONE, (12, 34)),
            ]),
            mid("children", ["Children's Books", "Kinderbücher", "Libros infantiles", "Livres jeunesse", "児童書", "童书"], &[], (150, 800), &[
                leaf("picture-books", ["Picture Books", "Bilderbücher", "Álbumes ilustrados", "Albums illustrés", "絵本", "绘本"], n("Picture Book", "Bilderbuch", N, "Álbum ilustrado", M, "Album illustré", M, "絵本", "绘本"), FORMAT, NONE, (7, 24)),
                leaf("early-readers", ["Early Readers", "Erstlesebücher", "Primeros lectores", "Premières lectures", "幼年童話", "桥梁书"], n("Early Reader", "Erstlesebuch", N, "Libro de primeras lecturas", M, "Livre premières lectures", M, "幼年童話", "桥梁书"), FORMAT, NONE, (6, 19)),
                leaf("activity-books", ["Activity Books", "Beschäftigungsbücher", "Libros de actividades", "Cahiers d'activités", "ワークブック", "活动书"], n("Activity Book", "Beschäftigungsbuch", N, "Libro de actividades", M, "Cahier d'activités", M, "ワークブック", "活动书"), FORMAT, NONE, (5, 15)),
                leaf("young-adult", ["Young Adult", "Jugendbücher", "Juvenil", "Romans ados", "ヤングアダルト", "青少年读物"], n("Young Adult Novel", "Jugendroman", M, "Novela juvenil", F, "Roman ado", M, "ヤングアダルト小説", "青少年小说"), FORMAT, NONE, (9, 24)),
            ]),
            mid("travel", ["Travel", "Reisen", "Viajes", "Voyages", "旅行", "旅行"], &[], (150, 1500), &[
                leaf("guides", ["Travel Guides", "Reiseführer", "Guías de viaje", "Guides de voyage", "ガイドブック", "旅行指南"], n("Travel Guide", "Reiseführer", M, "Guía de viaje", F, "Guide de voyage", M, "旅行ガイドブック", "旅行指南"), FORMAT, NONE, (12, 34)),
                leaf("atlases", ["Maps & Atlases", "Karten & Atlanten", "Mapas y atlas", "Cartes & atlas", "地図", "地图"], n("Road Atlas", "Straßenatlas", M, "Atlas de carreteras", M, "Atlas routier", M, "道路地図", "公路地图集"), FORMAT, NONE, (12, 39)),
                leaf("phrasebooks", ["Phrasebooks", "Sprachführer", "Guías de conversación", "Guides de conversation", "会話集", "会话手册"], n("Phrasebook", "Sprachführer", M, "Guía de conversación", F, "Guide de conversation", M, "旅行会話集", "旅游会话手册"), FORMAT, NONE, (7, 19)),
                leaf("photo-books", ["Photo Books", "Bildbände", "Libros de fotografía", "Beaux livres", "写真集", "摄影集"], n("Photo Book", "Bildband", M, "Libro de fotografía", M, "Beau livre", M, "写真集", "摄影集"), FORMAT, NONE, (19, 79)),
            ]),
        ],
    },
    Dept {
        code: "garden",
        name: ["Garden", "Garten", "Jardín", "Jardin", "ガーデン", "园艺"],
        weight: 10,
        adjectives: &[DURABLE, WEATHERPROOF, CLASSIC, COMPACT, RUSTIC, FOLDABLE],
        material_in_name: true,
        model_numbers: false,
        tax: Tax::Standard,
        mids: &[
            mid("tools", ["Garden Tools", "Gartengeräte", "Herramientas de jardín", "Outils de jardin", "園芸道具", "园艺工具"], &[STAINLESS, STEEL, ALUMINIUM], (150, 3000), &[
                leaf("spades", ["Spades & Shovels", "Spaten & Schaufeln", "Palas", "Bêches & pelles", "スコップ", "铁锹"], n("Spade", "Spaten", M, "Pala", F, "Bêche", F, "スコップ", "铁锹"), ONE, GARDEN, (19, 79)),
                leaf("pruners", ["Pruners", "Gartenscheren", "Tijeras de podar", "Sécateurs", "剪定ばさみ", "修枝剪"], n("Pruning Shears", "Gartenschere", F, "Tijera de podar", F, "Sécateur", M, "剪定ばさみ", "修枝剪"), ONE, GARDEN, (14, 69)),
                leaf("rakes", ["Rakes", "Rechen", "Rastrillos", "Râteaux", "レーキ", "耙子"], n("Rake", "Rechen", M, "Rastrillo", M, "Râteau", M, "レーキ", "耙子"), ONE, GARDEN, (14, 59)),
                leaf_m("watering", ["Watering", "Bewässerung", "Riego", "Arrosage", "水やり", "浇水"], n("Watering Can", "Gießkanne", F, "Regadera", F, "Arrosoir", M, "じょうろ", "洒水壶"), CAN, GARDEN, &[STEEL, PLASTIC], (9, 49)),
                leaf_m("gloves", ["Gardening Gloves", "Gartenhandschuhe", "Guantes de jardinería", "Gants de jardinage", "園芸用手袋", "园艺手套"], n("Gardening Gloves", "Gartenhandschuhe", MPl, "Guantes de jardinería", MPl, "Gants de jardinage", MPl, "園芸用手袋", "园艺手套"), S_TO_XL, GARDEN, &[LEATHER, COTTON], (7, 29)),
            ]),
            mid("planters", ["Pots & Planters", "Töpfe & Pflanzgefäße", "Macetas y jardineras", "Pots & jardinières", "鉢・プランター", "花盆花器"], &[TERRACOTTA, CERAMIC, PLASTIC, WOOD], (200, 20000), &[
                leaf("pots", ["Plant Pots", "Pflanztöpfe", "Macetas", "Pots de fleurs", "植木鉢", "花盆"], n("Plant Pot", "Pflanztopf", M, "Maceta", F, "Pot de fleurs", M, "植木鉢", "花盆"), POTS, GARDEN, (5, 79)),
                leaf_m("raised-beds", ["Raised Beds", "Hochbeete", "Bancales elevados", "Carrés potagers", "レイズドベッド", "种植箱"], n("Raised Bed", "Hochbeet", N, "Bancal elevado", M, "Carré potager", M, "レイズドベッド", "种植箱"), ONE, GARDEN, &[WOOD, STEEL], (49, 349)),
                leaf_m("hanging-baskets", ["Hanging Baskets", "Hängeampeln", "Cestas colgantes", "Suspensions", "ハンギングバスケット", "吊篮"], n("Hanging Basket", "Hängeampel", F, "Cesta colgante", F, "Suspension", F, "ハンギングバスケット", "吊篮"), ONE, GARDEN, &[RATTAN, STEEL], (12, 49)),
                leaf("window-boxes", ["Window Boxes", "Balkonkästen", "Jardineras", "Jardinières", "プランターボックス", "窗台花箱"], n("Window Box", "Balkonkasten", M, "Jardinera de balcón", F, "Jardinière de balcon", F, "プランターボックス", "窗台花箱"), ONE, GARDEN, (12, 69)),
            ]),
            mid("furniture", ["Outdoor Furniture", "Gartenmöbel", "Muebles de exterior", "Mobilier de jardin", "ガーデンファニチャー", "户外家具"], &[TEAK, ALUMINIUM, RATTAN, STEEL], (2000, 30000), &[
                leaf("chairs", ["Garden Chairs", "Gartenstühle", "Sillas de jardín", "Chaises de jardin", "ガーデンチェア", "花园椅"], n("Garden Chair", "Gartenstuhl", M, "Silla de jardín", F, "Chaise de jardin", F, "ガーデンチェア", "花园椅"), size(&[tr("single", ["Single", "Einzeln", "Unidad", "À l'unité", "単品", "单件"], 100), tr("pack-2", ["Pack of 2", "2er-Pack", "Pack de 2", "Lot de 2", "2個入り", "2件装"], 190), tr("pack-4", ["Pack of 4", "4er-Pack", "Pack de 4", "Lot de 4", "4個入り", "4件装"], 360)]), GARDEN, (39, 249)),
                leaf("tables", ["Garden Tables", "Gartentische", "Mesas de jardín", "Tables de jardin", "ガーデンテーブル", "花园桌"], n("Garden Table", "Gartentisch", M, "Mesa de jardín", F, "Table de jardin", F, "ガーデンテーブル", "花园桌"), ONE, GARDEN, (79, 699)),
                leaf("loungers", ["Sun Loungers", "Sonnenliegen", "Tumbonas", "Bains de soleil", "サンラウンジャー", "躺椅"], n("Sun Lounger", "Sonnenliege", F, "Tumbona", F, "Bain de soleil", M, "サンラウンジャー", "躺椅"), ONE, GARDEN, (69, 499)),
                leaf_m("parasols", ["Parasols", "Sonnenschirme", "Sombrillas", "Parasols", "パラソル", "遮阳伞"], n("Parasol", "Sonnenschirm", M, "Sombrilla", F, "Parasol", M, "パラソル", "遮阳伞"), ONE, GARDEN, &[ALUMINIUM, WOOD, POLYESTER], (49, 399)),
                leaf_m("hammocks", ["Hammocks", "Hängematten", "Hamacas", "Hamacs", "ハンモック", "吊床"], n("Hammock", "Hängematte", F, "Hamaca", F, "Hamac", M, "ハンモック", "吊床"), ONE, GARDEN, &[COTTON, POLYESTER], (29, 149)),
            ]),
            Mid {
                code: "seeds",
                name: ["Seeds & Bulbs", "Saatgut & Blumenzwiebeln", "Semillas y bulbos", "Graines & bulbes", "種・球根", "种子种球"],
                materials: &[],
                adjectives: Some(&[ORGANIC, HEIRLOOM, EASY_GROW]),
                tax: Some(Tax::Reduced),
                weight_g: (10, 500),
                leaves: &[
                    leaf("vegetable-seeds", ["Vegetable Seeds", "Gemüsesamen", "Semillas de hortalizas", "Graines potagères", "野菜の種", "蔬菜种子"], n("Vegetable Seed Pack", "Gemüsesaatgut", N, "Semillas de hortalizas", FPl, "Graines potagères", FPl, "野菜の種", "蔬菜种子"), PACK, NONE, (4, 9)),
                    leaf("flower-seeds", ["Flower Seeds", "Blumensamen", "Semillas de flores", "Graines de fleurs", "花の種", "花卉种子"], n("Flower Seed Mix", "Blumensamen-Mischung", F, "Mezcla de semillas de flores", F, "Mélange de graines de fleurs", M, "花の種ミックス", "花卉种子"), PACK, NONE, (4, 9)),
                    leaf("bulbs", ["Flower Bulbs", "Blumenzwiebeln", "Bulbos", "Bulbes", "球根", "花球"], n("Flower Bulb Set", "Blumenzwiebel-Set", N, "Set de bulbos", M, "Lot de bulbes", M, "球根セット", "花球套装"), PACK, NONE, (7, 29)),
                    leaf("herb-kits", ["Herb Kits", "Kräutergärten", "Kits de hierbas aromáticas", "Kits d'aromates", "ハーブキット", "香草种植"], n("Herb Growing Kit", "Kräuter-Anzuchtset", N, "Kit de cultivo de hierbas", M, "Kit de culture d'aromates", M, "ハーブ栽培キット", "香草种植套装"), PACK, NONE, (12, 39)),
                ],
            },
            mid("lighting", ["Outdoor Lighting", "Außenbeleuchtung", "Iluminación exterior", "Éclairage extérieur", "屋外照明", "户外照明"], &[STAINLESS, ALUMINIUM, PLASTIC, GLASS], (100, 3000), &[
                leaf("solar", ["Solar Lights", "Solarleuchten", "Luces solares", "Lampes solaires", "ソーラーライト", "太阳能灯"], n("Solar Path Light", "Solar-Wegeleuchte", F, "Baliza solar", F, "Balise solaire", F, "ソーラーガーデンライト", "太阳能草坪灯"), PACK, GARDEN, (9, 59)),
                leaf_m("string-lights", ["String Lights", "Lichterketten", "Guirnaldas de luces", "Guirlandes lumineuses", "ストリングライト", "灯串"], n("String Lights", "Lichterkette", F, "Guirnalda de luces", F, "Guirlande lumineuse", F, "ストリングライト", "灯串"), STRING, GARDEN, &[PLASTIC, GLASS], (12, 59)),
                leaf("lanterns", ["Lanterns", "Laternen", "Faroles", "Lanternes", "ランタン", "灯笼"], n("Lantern", "Laterne", F, "Farol", M, "Lanterne", F, "ランタン", "灯笼"), S_TO_L, GARDEN, (14, 89)),
                leaf("wall-lights", ["Wall Lights", "Wandleuchten", "Apliques", "Appliques murales", "ウォールライト", "壁灯"], n("Outdoor Wall Light", "Außenwandleuchte", F, "Aplique de exterior", M, "Applique extérieure", F, "屋外ウォールライト", "户外壁灯"), ONE, GARDEN, (24, 149)),
            ]),
        ],
    },
];
