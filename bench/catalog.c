/* pricelane-bench catalog: a synthetic catalogue with the shape of a Chinese
 * supermarket chain's (docs/batch-format.md), for benchmarks and tests.
 *
 * Every attribute of item i is a pure function of (seed, i), so promotions
 * can name any item and know its price without keeping the items in memory,
 * and the same seed and --now give the same bytes. Uniqueness is by
 * construction, not by lookup: SKUs are sequential, barcodes are an affine
 * permutation of [0, 10^10) applied to (item, slot), and scale codes (PLUs)
 * a permutation of the 5-digit range applied to the weighed item's ordinal. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "opts.h"
#include "pricelane/barcode.h"
#include "pricelane/catalog.h"
#include "pricelane/timefmt.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define UTC_OFFSET_MIN 480 /* times are written as +08:00 */
#define DAY 86400
#define PLU_SPACE 90000 /* 5-digit scale codes 10000-99999 */
#define WEIGHED_MAX 85000
#define COUNTED_MAX 5000
#define ITEMS_MAX 100000000ULL
#define CMD "pricelane-bench catalog"

/* ---- word lists ------------------------------------------------------------ */

struct spec {
    const char *text; /* as written in the name */
    const char *unit; /* unit of sale */
    unsigned content; /* net content of the unit sold, g or ml; 0 = none */
    char cu;          /* 'g' or 'm' (ml) */
    unsigned pack;    /* pieces per unit sold */
    unsigned pct;     /* price relative to the line's reference price */
};

/* A product line: a brand and what it makes, with a reference price (fen)
 * for the category's first spec. */
struct line {
    const char *brand;
    const char *product;
    unsigned fen;
};

struct category {
    const char *dept;
    unsigned weight; /* relative share of packaged items */
    const char *flags;
    const struct line *lines;
    unsigned nlines;
    const struct spec *specs;
    unsigned nspecs;
};

#define LIST(a) a, N_OF(a)

static const struct line l_oil[] = {
    {"金龙鱼", "黄金比例调和油", 6990},  {"金龙鱼", "花生油", 13990},
    {"福临门", "大豆油", 5990},          {"福临门", "玉米油", 8590},
    {"鲁花", "5S压榨一级花生油", 16990}, {"胡姬花", "古法花生油", 15990},
    {"多力", "葵花籽油", 8990},          {"长寿花", "玉米油", 8990},
    {"西王", "玉米胚芽油", 8490}};
static const struct spec s_oil[] = {{"5L", "桶", 5000, 'm', 1, 100},
                                    {"4L", "桶", 4000, 'm', 1, 84},
                                    {"1.8L", "瓶", 1800, 'm', 1, 40},
                                    {"900ml", "瓶", 900, 'm', 1, 22}};

static const struct line l_rice[] = {{"五常", "稻花香大米", 7990},
                                     {"十月稻田", "长粒香大米", 5490},
                                     {"金龙鱼", "东北大米", 4990},
                                     {"福临门", "苏北大米", 3990},
                                     {"柴火大院", "五常大米", 8990}};
static const struct spec s_rice[] = {{"5kg", "袋", 5000, 'g', 1, 100},
                                     {"10kg", "袋", 10000, 'g', 1, 190},
                                     {"2.5kg", "袋", 2500, 'g', 1, 55}};

static const struct line l_milk[] = {{"蒙牛", "纯牛奶", 6000},       {"伊利", "纯牛奶", 6200},
                                     {"蒙牛", "特仑苏纯牛奶", 7900}, {"伊利", "金典纯牛奶", 7800},
                                     {"三元", "纯牛奶", 5800},       {"君乐宝", "纯牛奶", 5500},
                                     {"新希望", "纯牛奶", 5600},     {"蒙牛", "高钙牛奶", 6300}};
static const struct spec s_milk[] = {{"250ml×24", "箱", 6000, 'm', 24, 100},
                                     {"250ml×12", "箱", 3000, 'm', 12, 54},
                                     {"250ml", "盒", 250, 'm', 1, 6}};

static const struct line l_yogurt[] = {{"光明", "莫斯利安酸奶", 5990},
                                       {"伊利", "安慕希酸奶", 6490},
                                       {"君乐宝", "简醇酸奶", 5490},
                                       {"蒙牛", "纯甄酸奶", 5990}};
static const struct spec s_yogurt[] = {{"200g×10", "箱", 2000, 'g', 10, 100},
                                       {"200g×6", "组", 1200, 'g', 6, 62},
                                       {"200g", "盒", 200, 'g', 1, 12}};

static const struct line l_water[] = {
    {"农夫山泉", "饮用天然水", 200}, {"怡宝", "纯净水", 200},     {"康师傅", "冰红茶", 350},
    {"统一", "绿茶", 350},           {"康师傅", "茉莉清茶", 350}, {"元气森林", "苏打气泡水", 550},
    {"统一", "鲜橙多", 350}};
static const struct spec s_water[] = {{"550ml", "瓶", 550, 'm', 1, 100},
                                      {"1.5L", "瓶", 1500, 'm', 1, 220},
                                      {"550ml×24", "箱", 13200, 'm', 24, 1900}};

static const struct line l_can[] = {{"可口可乐", "可乐", 300},
                                    {"百事", "可乐", 300},
                                    {"雪碧", "柠檬味汽水", 300},
                                    {"芬达", "橙味汽水", 300},
                                    {"王老吉", "凉茶", 400}};
static const struct spec s_can[] = {{"330ml", "罐", 330, 'm', 1, 100},
                                    {"330ml×6", "组", 1980, 'm', 6, 520},
                                    {"330ml×24", "箱", 7920, 'm', 24, 1900}};

static const struct line l_chips[] = {{"乐事", "原味薯片", 850},
                                      {"乐事", "黄瓜味薯片", 850},
                                      {"可比克", "番茄味薯片", 690},
                                      {"好丽友", "薯愿", 990},
                                      {"上好佳", "鲜虾片", 590}};
static const struct spec s_chips[] = {{"70g", "袋", 70, 'g', 1, 100},
                                      {"135g", "袋", 135, 'g', 1, 170},
                                      {"40g", "袋", 40, 'g', 1, 55}};

static const struct line l_biscuit[] = {
    {"奥利奥", "原味夹心饼干", 990}, {"康师傅", "3+2苏打夹心饼干", 890},
    {"达利园", "蛋黄派", 1290},      {"好丽友", "巧克力派", 1590},
    {"旺旺", "雪饼", 1290},          {"徐福记", "沙琪玛", 1190}};
static const struct spec s_biscuit[] = {{"97g", "袋", 97, 'g', 1, 100},
                                        {"194g", "盒", 194, 'g', 1, 180},
                                        {"388g", "盒", 388, 'g', 1, 340}};

static const struct line l_nuts[] = {{"三只松鼠", "每日坚果", 8990},
                                     {"良品铺子", "每日坚果", 8590},
                                     {"百草味", "夏威夷果", 5990},
                                     {"三只松鼠", "碧根果", 5490},
                                     {"洽洽", "香瓜子", 2590}};
static const struct spec s_nuts[] = {{"500g", "袋", 500, 'g', 1, 100},
                                     {"200g", "袋", 200, 'g', 1, 45},
                                     {"750g", "盒", 750, 'g', 1, 145}};

static const struct line l_sauce[] = {{"海天", "金标生抽", 1290},     {"海天", "老抽王", 1190},
                                      {"李锦记", "味极鲜酱油", 1490}, {"厨邦", "美味鲜酱油", 1390},
                                      {"千禾", "零添加酱油", 1890},   {"恒顺", "镇江香醋", 890},
                                      {"老恒和", "料酒", 790}};
static const struct spec s_sauce[] = {{"500ml", "瓶", 500, 'm', 1, 100},
                                      {"1.9L", "桶", 1900, 'm', 1, 300},
                                      {"1.28L", "瓶", 1280, 'm', 1, 210}};

static const struct line l_paste[] = {{"老干妈", "风味豆豉", 1090},
                                      {"老干妈", "油辣椒", 1090},
                                      {"海天", "黄豆酱", 890},
                                      {"太太乐", "鸡精", 1590},
                                      {"李锦记", "蚝油", 1290}};
static const struct spec s_paste[] = {{"280g", "瓶", 280, 'g', 1, 100},
                                      {"200g", "袋", 200, 'g', 1, 75},
                                      {"700g", "瓶", 700, 'g', 1, 210}};

static const struct line l_laundry[] = {{"蓝月亮", "深层洁净洗衣液", 3990},
                                        {"立白", "天然洗衣液", 3490},
                                        {"汰渍", "洁净薰香洗衣液", 3690},
                                        {"奥妙", "全自动洗衣液", 3890},
                                        {"超能", "植翠低泡洗衣液", 3590}};
static const struct spec s_laundry[] = {{"2kg", "瓶", 2000, 'g', 1, 100},
                                        {"3kg", "瓶", 3000, 'g', 1, 140},
                                        {"1kg", "袋", 1000, 'g', 1, 55}};

static const struct line l_clean[] = {{"立白", "洗洁精", 1290},
                                      {"白猫", "柠檬红茶洗洁精", 1190},
                                      {"威猛先生", "厨房重油污净", 1990},
                                      {"蓝月亮", "84消毒液", 1590}};
static const struct spec s_clean[] = {{"1kg", "瓶", 1000, 'g', 1, 100},
                                      {"500g", "瓶", 500, 'g', 1, 60},
                                      {"1.5kg", "瓶", 1500, 'g', 1, 140}};

static const struct line l_hair[] = {
    {"海飞丝", "去屑洗发水", 4590}, {"潘婷", "乳液修护洗发水", 4290}, {"飘柔", "洗发水", 3590},
    {"舒肤佳", "沐浴露", 3990},     {"六神", "沐浴露", 3290},         {"力士", "沐浴露", 3590}};
static const struct spec s_hair[] = {{"400ml", "瓶", 400, 'm', 1, 100},
                                     {"750ml", "瓶", 750, 'm', 1, 165},
                                     {"200ml", "瓶", 200, 'm', 1, 58}};

static const struct line l_teeth[] = {{"高露洁", "牙膏", 1590},
                                      {"云南白药", "牙膏", 2990},
                                      {"佳洁士", "牙膏", 1390},
                                      {"黑人", "牙膏", 1590}};
static const struct spec s_teeth[] = {{"180g", "支", 180, 'g', 1, 100},
                                      {"120g", "支", 120, 'g', 1, 72},
                                      {"90g×3", "组", 270, 'g', 3, 150}};

static const struct line l_soap[] = {
    {"舒肤佳", "香皂", 990}, {"力士", "香皂", 890}, {"六神", "香皂", 790}};
static const struct spec s_soap[] = {{"115g×3", "组", 345, 'g', 3, 100},
                                     {"125g", "块", 125, 'g', 1, 38}};

static const struct line l_tissue[] = {{"清风", "抽纸", 2990},
                                       {"维达", "抽纸", 3190},
                                       {"心相印", "抽纸", 2890},
                                       {"洁柔", "抽纸", 2790}};
static const struct spec s_tissue[] = {{"3层120抽×10包", "提", 0, 'g', 10, 100},
                                       {"3层100抽×6包", "提", 0, 'g', 6, 55}};

static const struct line l_roll[] = {
    {"清风", "卷纸", 3490}, {"维达", "卷纸", 3690}, {"心相印", "卷纸", 3390}};
static const struct spec s_roll[] = {{"4层140g×10卷", "提", 1400, 'g', 10, 100},
                                     {"4层140g×27卷", "箱", 3780, 'g', 27, 250}};

static const struct line l_noodle[] = {
    {"康师傅", "红烧牛肉面", 1390},     {"康师傅", "老坛酸菜牛肉面", 1390},
    {"统一", "老坛酸菜牛肉面", 1390},   {"今麦郎", "一菜一面", 1290},
    {"白象", "汤好喝老母鸡汤面", 1490}, {"汤达人", "日式豚骨拉面", 1990}};
static const struct spec s_noodle[] = {{"5连包", "包", 0, 'g', 5, 100},
                                       {"桶装", "桶", 0, 'g', 1, 35},
                                       {"12桶", "箱", 0, 'g', 12, 380}};

static const struct line l_beer[] = {{"青岛", "经典啤酒", 600},   {"青岛", "纯生啤酒", 800},
                                     {"雪花", "勇闯天涯", 550},   {"燕京", "U8啤酒", 600},
                                     {"哈尔滨", "冰纯啤酒", 500}, {"百威", "啤酒", 800}};
static const struct spec s_beer[] = {{"500ml", "罐", 500, 'm', 1, 100},
                                     {"330ml×6", "组", 1980, 'm', 6, 400},
                                     {"500ml×12", "箱", 6000, 'm', 12, 1050}};

static const struct line l_spirit[] = {{"牛栏山", "陈酿白酒 42度", 2990},
                                       {"红星", "二锅头 56度", 1890},
                                       {"洋河", "海之蓝 52度", 14800},
                                       {"汾酒", "黄盖玻汾 53度", 5990},
                                       {"泸州老窖", "头曲 52度", 9900}};
static const struct spec s_spirit[] = {{"500ml", "瓶", 500, 'm', 1, 100},
                                       {"250ml", "瓶", 250, 'm', 1, 55},
                                       {"500ml×6", "箱", 3000, 'm', 6, 570}};

static const struct line l_frozen[] = {{"三全", "猪肉白菜水饺", 2290},
                                       {"思念", "黑芝麻汤圆", 1290},
                                       {"湾仔码头", "荠菜猪肉水饺", 3290},
                                       {"安井", "福州鱼丸", 1590},
                                       {"三全", "鲜肉馄饨", 1990}};
static const struct spec s_frozen[] = {{"500g", "袋", 500, 'g', 1, 100},
                                       {"1kg", "袋", 1000, 'g', 1, 185},
                                       {"720g", "袋", 720, 'g', 1, 140}};

static const struct category cats[] = {
    {"粮油", 8, "", LIST(l_oil), LIST(s_oil)},
    {"粮油", 5, "", LIST(l_rice), LIST(s_rice)},
    {"乳品", 7, "", LIST(l_milk), LIST(s_milk)},
    {"乳品", 4, "", LIST(l_yogurt), LIST(s_yogurt)},
    {"饮料", 8, "", LIST(l_water), LIST(s_water)},
    {"饮料", 6, "", LIST(l_can), LIST(s_can)},
    {"休闲食品", 6, "", LIST(l_chips), LIST(s_chips)},
    {"休闲食品", 6, "", LIST(l_biscuit), LIST(s_biscuit)},
    {"休闲食品", 4, "", LIST(l_nuts), LIST(s_nuts)},
    {"调味品", 6, "", LIST(l_sauce), LIST(s_sauce)},
    {"调味品", 4, "", LIST(l_paste), LIST(s_paste)},
    {"日化", 5, "", LIST(l_laundry), LIST(s_laundry)},
    {"日化", 3, "", LIST(l_clean), LIST(s_clean)},
    {"个护", 4, "", LIST(l_hair), LIST(s_hair)},
    {"个护", 3, "", LIST(l_teeth), LIST(s_teeth)},
    {"个护", 2, "", LIST(l_soap), LIST(s_soap)},
    {"纸品", 3, "", LIST(l_tissue), LIST(s_tissue)},
    {"纸品", 2, "", LIST(l_roll), LIST(s_roll)},
    {"方便食品", 6, "", LIST(l_noodle), LIST(s_noodle)},
    {"酒类", 4, "age", LIST(l_beer), LIST(s_beer)},
    {"酒类", 2, "age", LIST(l_spirit), LIST(s_spirit)},
    {"冷冻食品", 5, "", LIST(l_frozen), LIST(s_frozen)},
};

struct fresh {
    const char *name;
    const char *dept;
    unsigned fen; /* per kg (weighed) or per piece (counted) */
};

static const struct fresh weighed[] = {
    {"红富士苹果", "水果", 1196}, {"香蕉", "水果", 798},          {"砂糖橘", "水果", 998},
    {"皇冠梨", "水果", 796},      {"阳光玫瑰葡萄", "水果", 2980}, {"西红柿", "蔬菜", 698},
    {"黄瓜", "蔬菜", 598},        {"土豆", "蔬菜", 398},          {"大白菜", "蔬菜", 298},
    {"西兰花", "蔬菜", 998},      {"猪五花肉", "肉禽", 3598},     {"猪里脊", "肉禽", 3198},
    {"鸡胸肉", "肉禽", 1998},     {"牛腩", "肉禽", 7998},         {"鲈鱼", "水产", 4598},
    {"基围虾", "水产", 8998},     {"散装鲜鸡蛋", "蛋品", 1196},   {"五香瓜子", "散称", 3180},
};
static const char *const fresh_q[] = {"", "精选 ", "有机 ", "本地 ", "特级 "};

static const struct fresh counted[] = {
    {"白面馒头", "烘焙", 100}, {"鲜肉包", "烘焙", 200}, {"甜玉米棒", "蔬菜", 350},
    {"菠萝", "水果", 1290},    {"椰子", "水果", 990},   {"手工烧饼", "烘焙", 250},
};

static const char *const cities[][2] = {
    {"上海", "徐汇"}, {"北京", "朝阳"}, {"广州", "天河"}, {"深圳", "南山"},
    {"杭州", "西湖"}, {"南京", "鼓楼"}, {"成都", "武侯"}, {"武汉", "江汉"},
    {"苏州", "园区"}, {"重庆", "渝中"}, {"西安", "雁塔"}, {"天津", "和平"},
    {"长沙", "岳麓"}, {"青岛", "市南"}, {"上海", "浦东"}, {"北京", "海淀"},
};

static const struct pkind {
    const char *kind;
    const char *text[3];
    int priority;
    int by_price; /* 1: a price; 0: percent off; 2: either */
    const char *pcts[4];
} pkinds[] = {
    {"special", {"特价", "限时特价", "周末特价"}, 0, 2, {"15", "20", "25", "12.5"}},
    {"flyer", {"惊爆价", "海报惊爆价", "本周惊爆"}, 10, 1, {0}},
    {"markdown", {"削价处理", "临期削价", "削价"}, 5, 0, {"10", "20", "30", "12.5"}},
    {"member", {"会员专享价", "会员价", "会员日特惠"}, 0, 1, {0}},
    {"clearance", {"清仓特卖", "清仓", "换季清仓"}, 20, 0, {"30", "50", "70", "40"}},
};

/* ---- randomness ------------------------------------------------------------ */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

struct gen {
    uint64_t seed, n;
    uint64_t perm_a, perm_b; /* item kind permutation of [0, n) */
    uint64_t bar_a, bar_b;   /* barcode permutation of [0, 10^10) */
    uint64_t plu_off;
    unsigned stores, zones, cat_total;
    int sku_digits;
    uint64_t sku_base;
    int64_t now, day0;
    uint64_t rng[4]; /* xoshiro256** for the promotions */
};

/* Independent hash of (seed, stream, i): one value per attribute. */
static uint64_t h(const struct gen *g, uint64_t stream, uint64_t i)
{
    return mix64(g->seed + 0x9E3779B97F4A7C15ULL * (i + 1) + 0xD1B54A32D192ED03ULL * stream);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct gen *g)
{
    uint64_t *s = g->rng, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    return (uint64_t)((unsigned __int128)a * b % m);
}

/* ---- items ----------------------------------------------------------------- */

enum { PACKED, WEIGHED, COUNTED };

struct item {
    char sku[16];
    char name[PL_NAME_MAX + 1];
    const char *unit, *dept, *flags;
    unsigned pack;
    char pack_s[8];
    char content[16];
    int64_t price;
    int kind;
    char plu[8];
    int nbar;
    char bar[2][16];
};

static void cat_str(char *dst, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l >= cap)
        l = cap - 1 - *n;
    memcpy(dst + *n, s, l);
    *n += l;
    dst[*n] = '\0';
}

/* Writes v as decimal digits, zero-padded to width; returns the length. */
static size_t put_u(char *dst, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    for (int i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return (size_t)n;
}

/* "6l", "1.8l", "250ml", "1kg", "500g" */
static void content_text(char *out, unsigned v, char cu)
{
    const char *big = cu == 'g' ? "kg" : "l", *small = cu == 'g' ? "g" : "ml";
    if (v >= 1000) {
        size_t n = put_u(out, v / 1000, 0);
        unsigned frac = v % 1000;
        if (frac) {
            out[n++] = '.';
            n += put_u(out + n, frac, 3);
            while (out[n - 1] == '0')
                n--;
        }
        strcpy(out + n, big);
    } else {
        size_t n = put_u(out, v, 0);
        strcpy(out + n, small);
    }
}

static int64_t round10(int64_t fen)
{
    fen = (fen + 5) / 10 * 10;
    return fen < 50 ? 50 : fen;
}

/* Appends the GS1 check digit to the digits in d (NUL-terminated). */
static void add_check(char *d)
{
    size_t n = strlen(d);
    d[n] = (char)('0' + pl_barcode_check_digit(d, n));
    d[n + 1] = '\0';
}

static void item_gen(const struct gen *g, uint64_t i, struct item *it)
{
    uint64_t p = (mulmod(g->perm_a, i, g->n) + g->perm_b) % g->n;
    uint64_t r0 = h(g, 0, i), r1 = h(g, 1, i);
    size_t n = 0;

    put_u(it->sku, g->sku_base + i, g->sku_digits);
    it->name[0] = '\0';
    it->nbar = 0;
    it->plu[0] = '\0';
    it->content[0] = '\0';
    it->pack = 1;
    it->flags = "";
    it->kind = p % 20 == 7 && p / 20 < WEIGHED_MAX      ? WEIGHED
               : p % 200 == 13 && p / 200 < COUNTED_MAX ? COUNTED
                                                        : PACKED;
    if (it->kind != PACKED) {
        uint64_t ord = it->kind == WEIGHED ? p / 20 : WEIGHED_MAX + p / 200;
        put_u(it->plu, 10000 + (ord * 7919 + g->plu_off) % PLU_SPACE, 5);
        const struct fresh *f =
            it->kind == WEIGHED ? &weighed[r0 % N_OF(weighed)] : &counted[r0 % N_OF(counted)];
        if (it->kind == WEIGHED)
            cat_str(it->name, sizeof(it->name), &n, fresh_q[(r0 >> 8) % N_OF(fresh_q)]);
        cat_str(it->name, sizeof(it->name), &n, f->name);
        it->dept = f->dept;
        it->unit = it->kind == WEIGHED ? "kg" : "个";
        it->flags = it->kind == WEIGHED ? "weighed" : "counted";
        it->price = round10((int64_t)f->fen * (int64_t)(80 + (r1 >> 16) % 50) / 100);
    } else {
        uint64_t w = r0 % g->cat_total;
        const struct category *c = cats;
        while (w >= c->weight)
            w -= c->weight, c++;
        const struct line *ln = &c->lines[(r0 >> 16) % c->nlines];
        const struct spec *sp = &c->specs[(r0 >> 24) % c->nspecs];
        cat_str(it->name, sizeof(it->name), &n, ln->brand);
        cat_str(it->name, sizeof(it->name), &n, " ");
        cat_str(it->name, sizeof(it->name), &n, ln->product);
        cat_str(it->name, sizeof(it->name), &n, " ");
        cat_str(it->name, sizeof(it->name), &n, sp->text);
        it->dept = c->dept;
        it->unit = sp->unit;
        it->flags = c->flags;
        it->pack = sp->pack;
        if (sp->content)
            content_text(it->content, sp->content, sp->cu);
        it->price =
            round10((int64_t)ln->fen * sp->pct / 100 * (int64_t)(92 + (r1 >> 16) % 17) / 100);
        it->nbar = (r1 >> 40) % 10 == 0 ? 2 : 1;
        for (int s = 0; s < it->nbar; s++) {
            uint64_t x =
                (mulmod(g->bar_a, 2 * i + (uint64_t)s, 10000000000ULL) + g->bar_b) % 10000000000ULL;
            it->bar[s][0] = '6';
            it->bar[s][1] = '9';
            put_u(it->bar[s] + 2, x, 10);
            add_check(it->bar[s]);
        }
    }
    put_u(it->pack_s, it->pack, 0);
}

/* ---- output ---------------------------------------------------------------- */

struct out {
    int fd;
    const char *path;
    char *buf;
    size_t len, cap;
    uint64_t bytes;
    int err; /* errno of the first failed write */
};

static void out_flush(struct out *o)
{
    size_t off = 0;
    while (off < o->len && !o->err) {
        ssize_t n = write(o->fd, o->buf + off, o->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            o->err = errno;
        else
            off += (size_t)n;
    }
    o->bytes += o->len;
    o->len = 0;
}

static inline void out_put(struct out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap)
        out_flush(o);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

enum col {
    C_OP,
    C_BATCH,
    C_SKU,
    C_BARCODE,
    C_NAME,
    C_UNIT,
    C_PACK_QTY,
    C_DEPT,
    C_FLAGS,
    C_PLU,
    C_CONTENT,
    C_PRICE,
    C_ZONE,
    C_STORE,
    C_START,
    C_END,
    C_PROMO,
    C_KIND,
    C_PCT_OFF,
    C_PRIORITY,
    C_MEMBER,
    C_SCOPE,
    C_ITEMS,
    C_TEXT,
    C_FORMATS,
    NCOL
};

static const char *const col_names[NCOL] = {
    "op",      "batch",    "sku",    "barcode", "name",  "unit",  "pack_qty", "dept",  "flags",
    "plu",     "content",  "price",  "zone",    "store", "start", "end",      "promo", "kind",
    "pct_off", "priority", "member", "scope",   "items", "text",  "formats"};

typedef struct row {
    const char *v[NCOL];
} row_t;

static void emit(struct out *o, const row_t *r, uint64_t *rows)
{
    for (int c = 0; c < NCOL; c++) {
        if (c)
            out_put(o, ",", 1);
        const char *s = r->v[c];
        if (!s || !*s)
            continue;
        if (!strpbrk(s, ",\"\r\n")) {
            out_str(o, s);
            continue;
        }
        out_put(o, "\"", 1);
        for (const char *q; (q = strchr(s, '"')); s = q + 1) {
            out_put(o, s, (size_t)(q - s) + 1);
            out_put(o, "\"", 1);
        }
        out_str(o, s);
        out_put(o, "\"", 1);
    }
    out_put(o, "\n", 1);
    (*rows)++;
}

static const char *money(char *buf, int64_t fen)
{
    size_t n = put_u(buf, (uint64_t)(fen / 100), 0);
    buf[n++] = '.';
    put_u(buf + n, (uint64_t)(fen % 100), 2);
    return buf;
}

static const char *when(char *buf, int64_t t)
{
    pl_time_format(t, UTC_OFFSET_MIN, buf, 32);
    return buf;
}

static void zone_id(char *buf, unsigned z)
{
    buf[0] = 'Z';
    put_u(buf + 1, z + 1, 0);
}

static void store_id(char *buf, unsigned s)
{
    buf[0] = 'S';
    put_u(buf + 1, s + 1, 3);
}

/* ---- the catalogue ----------------------------------------------------------- */

struct counts {
    uint64_t rows, barcodes, weighed, counted, zone_prices, store_prices, scheduled, promos, keys;
};

static void write_stores(struct gen *g, struct out *o, struct counts *k)
{
    for (unsigned s = 0; s < g->stores; s++) {
        row_t r = {{0}};
        char id[16], zone[16], name[64];
        size_t n = 0;
        store_id(id, s);
        zone_id(zone, s % g->zones);
        const char *const *c = cities[s % N_OF(cities)];
        name[0] = '\0';
        cat_str(name, sizeof(name), &n, c[0]);
        cat_str(name, sizeof(name), &n, c[1]);
        if (s >= N_OF(cities)) {
            char num[16];
            put_u(num, s / N_OF(cities) + 1, 0);
            cat_str(name, sizeof(name), &n, num);
            cat_str(name, sizeof(name), &n, "号");
        }
        cat_str(name, sizeof(name), &n, "店");
        r.v[C_OP] = "store";
        r.v[C_STORE] = id;
        r.v[C_ZONE] = zone;
        r.v[C_NAME] = name;
        /* every fifth store also reads EAN-13 price labels with a price check digit */
        if (s % 5 == 4)
            r.v[C_FORMATS] = "20IIIIIPPPPPC,21IIIIIWWWWWC,22IIIIINNNNNC,28IIIIVPPPPPC";
        emit(o, &r, &k->rows);
    }
}

static void write_key_scale(struct out *keys, const char *prefix, const char *plu, uint64_t amount)
{
    char code[16];
    memcpy(code, prefix, 2);
    memcpy(code + 2, plu, 5);
    put_u(code + 7, amount, 5);
    add_check(code);
    code[13] = '\n';
    out_put(keys, code, 14);
}

static void write_item(struct gen *g, uint64_t i, struct out *o, struct out *keys, struct counts *k)
{
    struct item it;
    char price[24], p2[24], t[32], zone[16], store[16];
    item_gen(g, i, &it);

    row_t r = {{0}};
    r.v[C_OP] = "item";
    r.v[C_SKU] = it.sku;
    r.v[C_NAME] = it.name;
    r.v[C_UNIT] = it.unit;
    r.v[C_PACK_QTY] = it.pack_s;
    r.v[C_DEPT] = it.dept;
    r.v[C_FLAGS] = it.flags;
    r.v[C_PLU] = it.plu;
    r.v[C_CONTENT] = it.content;
    r.v[C_PRICE] = money(price, it.price);
    emit(o, &r, &k->rows);

    for (int b = 0; b < it.nbar; b++) {
        row_t rb = {{0}};
        rb.v[C_OP] = "barcode";
        rb.v[C_SKU] = it.sku;
        rb.v[C_BARCODE] = it.bar[b];
        emit(o, &rb, &k->rows);
        k->barcodes++;
        if (keys) {
            out_str(keys, it.bar[b]);
            out_put(keys, "\n", 1);
            k->keys++;
        }
    }
    if (it.kind == WEIGHED) {
        k->weighed++;
        if (keys) {
            write_key_scale(keys, "21", it.plu, 100 + h(g, 7, i) % 2900);
            k->keys++;
        }
    } else if (it.kind == COUNTED) {
        k->counted++;
        if (keys) {
            write_key_scale(keys, "22", it.plu, 1 + h(g, 7, i) % 12);
            k->keys++;
        }
    }

    uint64_t rz = h(g, 3, i), rs = h(g, 4, i), rp = h(g, 5, i);
    /* zone prices for about 8% of items, sometimes in two zones */
    if (rz % 100 < 8) {
        int nz = g->zones > 1 && (rz >> 8) % 3 == 0 ? 2 : 1;
        for (int z = 0; z < nz; z++) {
            row_t rr = {{0}};
            zone_id(zone, (unsigned)(((rz >> 16) + (uint64_t)z) % g->zones));
            rr.v[C_OP] = "price";
            rr.v[C_SKU] = it.sku;
            rr.v[C_ZONE] = zone;
            rr.v[C_PRICE] =
                money(p2, round10(it.price * (int64_t)(95 + (rz >> (24 + 8 * z)) % 16) / 100));
            emit(o, &rr, &k->rows);
            k->zone_prices++;
        }
    }
    /* store prices for about 2%; a tenth of them end (withdrawn) in two weeks */
    if (rs % 100 < 2) {
        row_t rr = {{0}};
        store_id(store, (unsigned)((rs >> 8) % g->stores));
        rr.v[C_OP] = "price";
        rr.v[C_SKU] = it.sku;
        rr.v[C_STORE] = store;
        rr.v[C_PRICE] = money(p2, round10(it.price * (int64_t)(88 + (rs >> 24) % 18) / 100));
        emit(o, &rr, &k->rows);
        k->store_prices++;
        if ((rs >> 40) % 10 == 0) {
            rr.v[C_PRICE] = "-";
            rr.v[C_START] = when(t, g->day0 + 14 * DAY);
            emit(o, &rr, &k->rows);
        }
    }
    /* scheduled price changes for about 3%, one in four at zone level */
    if (rp % 100 < 3) {
        row_t rr = {{0}};
        rr.v[C_OP] = "price";
        rr.v[C_SKU] = it.sku;
        if ((rp >> 8) % 4 == 0) {
            zone_id(zone, (unsigned)((rp >> 12) % g->zones));
            rr.v[C_ZONE] = zone;
        }
        rr.v[C_PRICE] = money(p2, round10(it.price * (int64_t)(90 + (rp >> 24) % 26) / 100));
        rr.v[C_START] = when(t, g->day0 + (int64_t)(1 + (rp >> 32) % 30) * DAY);
        emit(o, &rr, &k->rows);
        k->scheduled++;
    }
}

static void write_promo(struct gen *g, uint64_t j, struct out *o, struct counts *k)
{
    const struct pkind *pk = &pkinds[j % N_OF(pkinds)];
    int window = (int)(j / N_OF(pkinds) % 3); /* 0 past, 1 current, 2 future */
    uint64_t r = rnd(g);
    int by_price = pk->by_price == 2 ? (int)(r & 1) : pk->by_price;
    unsigned nitems = by_price ? 1 : 1 + (unsigned)((r >> 4) % 5);
    if (nitems > g->n)
        nitems = (unsigned)g->n;

    uint64_t idx[5];
    unsigned n = 0;
    while (n < nitems) {
        uint64_t x = rnd(g) % g->n;
        int dup = 0;
        for (unsigned q = 0; q < n; q++)
            dup |= idx[q] == x;
        if (!dup)
            idx[n++] = x;
    }
    char items[5 * 16 + 8] = "", id[24] = "PR", price[24], start[32], end[32], scope[64];
    size_t il = 0;
    struct item it;
    for (unsigned q = 0; q < n; q++) {
        item_gen(g, idx[q], &it);
        if (q)
            cat_str(items, sizeof(items), &il, "|");
        cat_str(items, sizeof(items), &il, it.sku);
    }
    put_u(id + 2, j + 1, 6);

    int64_t s, e;
    uint64_t rw = rnd(g);
    if (window == 0) {
        e = g->day0 - (int64_t)(1 + rw % 10) * DAY;
        s = e - (int64_t)(3 + (rw >> 8) % 12) * DAY;
    } else if (window == 1) {
        s = g->day0 - (int64_t)((rw >> 16) % 6) * DAY;
        e = g->day0 + (int64_t)(2 + (rw >> 24) % 29) * DAY;
    } else {
        s = g->day0 + (int64_t)(1 + (rw >> 32) % 14) * DAY;
        e = s + (int64_t)(3 + (rw >> 40) % 12) * DAY;
    }
    if (pk->priority == 10) /* flyers switch at store opening */
        s += 8 * 3600;

    row_t rr = {{0}};
    rr.v[C_OP] = "promo";
    rr.v[C_PROMO] = id;
    rr.v[C_KIND] = pk->kind;
    rr.v[C_ITEMS] = items;
    if (by_price) /* the single item's price, 8-30% off, in whole jiao */
        rr.v[C_PRICE] = money(price, it.price * (70 + (int64_t)((r >> 8) % 23)) / 1000 * 10);
    else
        rr.v[C_PCT_OFF] = pk->pcts[(r >> 12) % 4];
    rr.v[C_START] = when(start, s);
    rr.v[C_END] = when(end, e);
    char prio[8];
    put_u(prio, (uint64_t)pk->priority + ((r >> 20) % 8 == 0 ? 1 : 0), 0);
    rr.v[C_PRIORITY] = prio;
    if (!strcmp(pk->kind, "member"))
        rr.v[C_MEMBER] = "true";
    uint64_t sc = (r >> 24) % 10;
    size_t sl = 0;
    scope[0] = '\0';
    if (sc >= 7) {
        char a[16], b[16];
        int zones = sc < 9;
        unsigned lim = zones ? g->zones : g->stores, x = (unsigned)((r >> 32) % lim),
                 y = (unsigned)((r >> 48) % lim);
        if (zones)
            zone_id(a, x), zone_id(b, y);
        else
            store_id(a, x), store_id(b, y);
        cat_str(scope, sizeof(scope), &sl, zones ? "zone:" : "store:");
        cat_str(scope, sizeof(scope), &sl, a);
        if (x != y) {
            cat_str(scope, sizeof(scope), &sl, "|");
            cat_str(scope, sizeof(scope), &sl, b);
        }
        rr.v[C_SCOPE] = scope;
    }
    rr.v[C_TEXT] = pk->text[(r >> 28) % 3];
    emit(o, &rr, &k->rows);
    k->promos++;
}

/* ---- command line ------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pricelane-bench catalog --items N --out FILE [--seed S] [--keys FILE]\n"
            "                              [--stores N] [--zones N] [--now TIME]\n"
            "\n"
            "Writes a synthetic catalogue in the batch format (docs/batch-format.md) for\n"
            "pricelane-load import: stores, items with Chinese names, EAN-13 barcodes with\n"
            "GS1 China prefixes 690-699 (about 10%% of items have two), weighed and counted\n"
            "items with 5-digit scale codes, zone and store prices, scheduled prices and\n"
            "promotions of every kind with past, current and future windows.\n"
            "The output depends only on the options: the same seed and --now give the\n"
            "same bytes.\n"
            "\n"
            "  --items N     items to write (1..%llu; default 10000)\n"
            "  --out FILE    catalogue file (.csv); - for stdout\n"
            "  --seed S      random seed (default 1)\n"
            "  --keys FILE   also write every code a lane could scan, one per line: all\n"
            "                barcodes, and scale labels with an embedded weight (21PPPPPWWWWWC)\n"
            "                or count (22PPPPPNNNNNC) for weighed and counted items\n"
            "  --stores N    stores (default 20); --zones N  price zones (default 4, <= stores)\n"
            "  --now TIME    the instant windows are placed around (default: now); RFC 3339,\n"
            "                'YYYY-MM-DD[ HH:MM]' in +08:00, or @unix-seconds\n"
            "\n"
            "Prints one JSON object with the counts written and the time taken.\n",
            (unsigned long long)ITEMS_MAX);
}

static int open_out(struct out *o, const char *path, size_t cap)
{
    o->path = path;
    o->fd = strcmp(path, "-") == 0 ? STDOUT_FILENO
                                   : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    o->buf = malloc(cap);
    o->cap = cap;
    if (o->fd < 0 || !o->buf) {
        fprintf(stderr, "pricelane-bench catalog: %s: %s\n", path,
                o->fd < 0 ? strerror(errno) : "out of memory");
        return -1;
    }
    return 0;
}

static int close_out(struct out *o)
{
    if (!o->buf)
        return 0;
    out_flush(o);
    if (o->fd > STDOUT_FILENO && close(o->fd) != 0 && !o->err)
        o->err = errno;
    free(o->buf);
    o->buf = NULL;
    if (o->err) {
        fprintf(stderr, "pricelane-bench catalog: writing %s: %s\n", o->path, strerror(o->err));
        return -1;
    }
    return 0;
}

static void gen_init(struct gen *g, uint64_t seed, uint64_t n, unsigned stores, unsigned zones,
                     int64_t now)
{
    memset(g, 0, sizeof(*g));
    g->seed = mix64(seed ^ 0x5052494345ULL);
    g->n = n;
    g->stores = stores;
    g->zones = zones;
    g->now = now;
    g->day0 = (now + UTC_OFFSET_MIN * 60) / DAY * DAY - UTC_OFFSET_MIN * 60;
    g->perm_a = (uint64_t)((double)n * 0.6180339887) | 1;
    while (gcd(g->perm_a, n) != 1)
        g->perm_a++;
    g->perm_b = h(g, 100, 0) % n;
    g->bar_a = 1000000000ULL + h(g, 101, 0) % 8000000000ULL;
    while (g->bar_a % 2 == 0 || g->bar_a % 5 == 0)
        g->bar_a++;
    g->bar_b = h(g, 102, 0) % 10000000000ULL;
    g->plu_off = h(g, 103, 0) % PLU_SPACE;
    for (size_t c = 0; c < N_OF(cats); c++)
        g->cat_total += cats[c].weight;
    /* SKUs of 7 digits (never a GTIN length), 9 beyond 9 million items */
    g->sku_digits = n <= 9000000 ? 7 : 9;
    g->sku_base = n <= 9000000 ? 1000000 : 100000000;
    for (int i = 0; i < 4; i++)
        g->rng[i] = h(g, 200 + (uint64_t)i, 0);
}

int pl_bench_catalog(int argc, char **argv)
{
    static const struct option longopts[] = {{"items", required_argument, 0, 'n'},
                                             {"seed", required_argument, 0, 's'},
                                             {"out", required_argument, 0, 'o'},
                                             {"keys", required_argument, 0, 'k'},
                                             {"stores", required_argument, 0, 'S'},
                                             {"zones", required_argument, 0, 'Z'},
                                             {"now", required_argument, 0, 't'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    uint64_t items = 10000, seed = 1, stores = 20, zones = 4;
    const char *out_path = NULL, *keys_path = NULL, *now_s = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (pl_opt_u64(CMD, "--items", optarg, 1, ITEMS_MAX, 0, &items))
                return 2;
            break;
        case 's':
            if (pl_opt_u64(CMD, "--seed", optarg, 0, UINT64_MAX, 0, &seed))
                return 2;
            break;
        case 'S':
            if (pl_opt_u64(CMD, "--stores", optarg, 1, 999, 0, &stores))
                return 2;
            break;
        case 'Z':
            if (pl_opt_u64(CMD, "--zones", optarg, 1, 999, 0, &zones))
                return 2;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'k':
            keys_path = optarg;
            break;
        case 't':
            now_s = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !out_path) {
        fprintf(stderr, "pricelane-bench catalog: %s\n",
                optind < argc ? "unexpected argument" : "--out FILE is required");
        usage(stderr);
        return 2;
    }
    if (zones > stores) {
        fprintf(stderr,
                "pricelane-bench catalog: --zones %llu exceeds --stores %llu: every "
                "zone needs a store\n",
                (unsigned long long)zones, (unsigned long long)stores);
        return 2;
    }
    int64_t now = pl_time_now();
    if (now_s) {
        char err[160];
        if (pl_time_parse(now_s, UTC_OFFSET_MIN, &now, err, sizeof(err)) != 0) {
            fprintf(stderr, "pricelane-bench catalog: --now \"%s\": %s\n", now_s, err);
            return 2;
        }
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct gen g;
    gen_init(&g, seed, items, (unsigned)stores, (unsigned)zones, now);
    struct out o = {0}, keys = {0};
    struct counts k = {0};
    int status = 1;
    if (open_out(&o, out_path, 1 << 20) || (keys_path && open_out(&keys, keys_path, 1 << 20)))
        goto out;

    for (int col = 0; col < NCOL; col++) {
        if (col)
            out_put(&o, ",", 1);
        out_str(&o, col_names[col]);
    }
    out_put(&o, "\n", 1);
    write_stores(&g, &o, &k);
    for (uint64_t i = 0; i < items && !o.err && !keys.err; i++)
        write_item(&g, i, &o, keys_path ? &keys : NULL, &k);
    uint64_t npromos = items / 40 < 10 ? 10 : items / 40;
    for (uint64_t j = 0; j < npromos && !o.err; j++)
        write_promo(&g, j, &o, &k);
    if (close_out(&o) == 0 && close_out(&keys) == 0)
        status = 0;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (status == 0) {
        char nowbuf[32];
        FILE *f = strcmp(out_path, "-") == 0 ? stderr : stdout;
        fprintf(f,
                "{\"command\":\"catalog\",\"items\":%" PRIu64 ",\"seed\":%" PRIu64
                ",\"now\":\"%s\",\"stores\":%" PRIu64 ",\"zones\":%" PRIu64 ",\"barcodes\":%" PRIu64
                ",\"weighed\":%" PRIu64 ",\"counted\":%" PRIu64 ",\"zone_prices\":%" PRIu64
                ",\"store_prices\":%" PRIu64 ",\"scheduled_prices\":%" PRIu64 ",\"promos\":%" PRIu64
                ",\"rows\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"keys\":%" PRIu64
                ",\"seconds\":%.3f}\n",
                items, seed, when(nowbuf, now), stores, zones, k.barcodes, k.weighed, k.counted,
                k.zone_prices, k.store_prices, k.scheduled, k.promos, k.rows, o.bytes, k.keys,
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
out:
    close_out(&o);
    close_out(&keys);
    return status;
}
