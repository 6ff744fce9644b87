/* mlflow_text.c — MLflow FileStore text parsers: metric history lines (the
 * hot loop of the reader, so numbers are parsed by hand, exactly) and
 * meta.yaml through libyaml. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "runsite/diag.h"
#include "runsite/util.h"
#include "mlflow_text.h"

/* Bad lines named one by one per file; the rest are counted in one warning. */
#define WARN_LINES_MAX 10

static const double pow10_d[] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* 10^q for q in [POW128_MIN, POW128_MAX] as 128-bit significands rounded
 * down, top bit set: {low 64 bits, high 64 bits}. Generated with exact
 * integer arithmetic (floor(10^q * 2^k) for the k that gives 128 bits). */
#define POW128_MIN (-64)
#define POW128_MAX 64
static const uint64_t pow10_128[][2] = {
	{0x3F2398D747B36224, 0xA87FEA27A539E9A5}, /* 1e-64 */
	{0x8EEC7F0D19A03AAD, 0xD29FE4B18E88640E}, /* 1e-63 */
	{0x1953CF68300424AC, 0x83A3EEEEF9153E89}, /* 1e-62 */
	{0x5FA8C3423C052DD7, 0xA48CEAAAB75A8E2B}, /* 1e-61 */
	{0x3792F412CB06794D, 0xCDB02555653131B6}, /* 1e-60 */
	{0xE2BBD88BBEE40BD0, 0x808E17555F3EBF11}, /* 1e-59 */
	{0x5B6ACEAEAE9D0EC4, 0xA0B19D2AB70E6ED6}, /* 1e-58 */
	{0xF245825A5A445275, 0xC8DE047564D20A8B}, /* 1e-57 */
	{0xEED6E2F0F0D56712, 0xFB158592BE068D2E}, /* 1e-56 */
	{0x55464DD69685606B, 0x9CED737BB6C4183D}, /* 1e-55 */
	{0xAA97E14C3C26B886, 0xC428D05AA4751E4C}, /* 1e-54 */
	{0xD53DD99F4B3066A8, 0xF53304714D9265DF}, /* 1e-53 */
	{0xE546A8038EFE4029, 0x993FE2C6D07B7FAB}, /* 1e-52 */
	{0xDE98520472BDD033, 0xBF8FDB78849A5F96}, /* 1e-51 */
	{0x963E66858F6D4440, 0xEF73D256A5C0F77C}, /* 1e-50 */
	{0xDDE7001379A44AA8, 0x95A8637627989AAD}, /* 1e-49 */
	{0x5560C018580D5D52, 0xBB127C53B17EC159}, /* 1e-48 */
	{0xAAB8F01E6E10B4A6, 0xE9D71B689DDE71AF}, /* 1e-47 */
	{0xCAB3961304CA70E8, 0x9226712162AB070D}, /* 1e-46 */
	{0x3D607B97C5FD0D22, 0xB6B00D69BB55C8D1}, /* 1e-45 */
	{0x8CB89A7DB77C506A, 0xE45C10C42A2B3B05}, /* 1e-44 */
	{0x77F3608E92ADB242, 0x8EB98A7A9A5B04E3}, /* 1e-43 */
	{0x55F038B237591ED3, 0xB267ED1940F1C61C}, /* 1e-42 */
	{0x6B6C46DEC52F6688, 0xDF01E85F912E37A3}, /* 1e-41 */
	{0x2323AC4B3B3DA015, 0x8B61313BBABCE2C6}, /* 1e-40 */
	{0xABEC975E0A0D081A, 0xAE397D8AA96C1B77}, /* 1e-39 */
	{0x96E7BD358C904A21, 0xD9C7DCED53C72255}, /* 1e-38 */
	{0x7E50D64177DA2E54, 0x881CEA14545C7575}, /* 1e-37 */
	{0xDDE50BD1D5D0B9E9, 0xAA242499697392D2}, /* 1e-36 */
	{0x955E4EC64B44E864, 0xD4AD2DBFC3D07787}, /* 1e-35 */
	{0xBD5AF13BEF0B113E, 0x84EC3C97DA624AB4}, /* 1e-34 */
	{0xECB1AD8AEACDD58E, 0xA6274BBDD0FADD61}, /* 1e-33 */
	{0x67DE18EDA5814AF2, 0xCFB11EAD453994BA}, /* 1e-32 */
	{0x80EACF948770CED7, 0x81CEB32C4B43FCF4}, /* 1e-31 */
	{0xA1258379A94D028D, 0xA2425FF75E14FC31}, /* 1e-30 */
	{0x096EE45813A04330, 0xCAD2F7F5359A3B3E}, /* 1e-29 */
	{0x8BCA9D6E188853FC, 0xFD87B5F28300CA0D}, /* 1e-28 */
	{0x775EA264CF55347D, 0x9E74D1B791E07E48}, /* 1e-27 */
	{0x95364AFE032A819D, 0xC612062576589DDA}, /* 1e-26 */
	{0x3A83DDBD83F52204, 0xF79687AED3EEC551}, /* 1e-25 */
	{0xC4926A9672793542, 0x9ABE14CD44753B52}, /* 1e-24 */
	{0x75B7053C0F178293, 0xC16D9A0095928A27}, /* 1e-23 */
	{0x5324C68B12DD6338, 0xF1C90080BAF72CB1}, /* 1e-22 */
	{0xD3F6FC16EBCA5E03, 0x971DA05074DA7BEE}, /* 1e-21 */
	{0x88F4BB1CA6BCF584, 0xBCE5086492111AEA}, /* 1e-20 */
	{0x2B31E9E3D06C32E5, 0xEC1E4A7DB69561A5}, /* 1e-19 */
	{0x3AFF322E62439FCF, 0x9392EE8E921D5D07}, /* 1e-18 */
	{0x09BEFEB9FAD487C2, 0xB877AA3236A4B449}, /* 1e-17 */
	{0x4C2EBE687989A9B3, 0xE69594BEC44DE15B}, /* 1e-16 */
	{0x0F9D37014BF60A10, 0x901D7CF73AB0ACD9}, /* 1e-15 */
	{0x538484C19EF38C94, 0xB424DC35095CD80F}, /* 1e-14 */
	{0x2865A5F206B06FB9, 0xE12E13424BB40E13}, /* 1e-13 */
	{0xF93F87B7442E45D3, 0x8CBCCC096F5088CB}, /* 1e-12 */
	{0xF78F69A51539D748, 0xAFEBFF0BCB24AAFE}, /* 1e-11 */
	{0xB573440E5A884D1B, 0xDBE6FECEBDEDD5BE}, /* 1e-10 */
	{0x31680A88F8953030, 0x89705F4136B4A597}, /* 1e-9 */
	{0xFDC20D2B36BA7C3D, 0xABCC77118461CEFC}, /* 1e-8 */
	{0x3D32907604691B4C, 0xD6BF94D5E57A42BC}, /* 1e-7 */
	{0xA63F9A49C2C1B10F, 0x8637BD05AF6C69B5}, /* 1e-6 */
	{0x0FCF80DC33721D53, 0xA7C5AC471B478423}, /* 1e-5 */
	{0xD3C36113404EA4A8, 0xD1B71758E219652B}, /* 1e-4 */
	{0x645A1CAC083126E9, 0x83126E978D4FDF3B}, /* 1e-3 */
	{0x3D70A3D70A3D70A3, 0xA3D70A3D70A3D70A}, /* 1e-2 */
	{0xCCCCCCCCCCCCCCCC, 0xCCCCCCCCCCCCCCCC}, /* 1e-1 */
	{0x0000000000000000, 0x8000000000000000}, /* 1e0 */
	{0x0000000000000000, 0xA000000000000000}, /* 1e1 */
	{0x0000000000000000, 0xC800000000000000}, /* 1e2 */
	{0x0000000000000000, 0xFA00000000000000}, /* 1e3 */
	{0x0000000000000000, 0x9C40000000000000}, /* 1e4 */
	{0x0000000000000000, 0xC350000000000000}, /* 1e5 */
	{0x0000000000000000, 0xF424000000000000}, /* 1e6 */
	{0x0000000000000000, 0x9896800000000000}, /* 1e7 */
	{0x0000000000000000, 0xBEBC200000000000}, /* 1e8 */
	{0x0000000000000000, 0xEE6B280000000000}, /* 1e9 */
	{0x0000000000000000, 0x9502F90000000000}, /* 1e10 */
	{0x0000000000000000, 0xBA43B74000000000}, /* 1e11 */
	{0x0000000000000000, 0xE8D4A51000000000}, /* 1e12 */
	{0x0000000000000000, 0x9184E72A00000000}, /* 1e13 */
	{0x0000000000000000, 0xB5E620F480000000}, /* 1e14 */
	{0x0000000000000000, 0xE35FA931A0000000}, /* 1e15 */
	{0x0000000000000000, 0x8E1BC9BF04000000}, /* 1e16 */
	{0x0000000000000000, 0xB1A2BC2EC5000000}, /* 1e17 */
	{0x0000000000000000, 0xDE0B6B3A76400000}, /* 1e18 */
	{0x0000000000000000, 0x8AC7230489E80000}, /* 1e19 */
	{0x0000000000000000, 0xAD78EBC5AC620000}, /* 1e20 */
	{0x0000000000000000, 0xD8D726B7177A8000}, /* 1e21 */
	{0x0000000000000000, 0x878678326EAC9000}, /* 1e22 */
	{0x0000000000000000, 0xA968163F0A57B400}, /* 1e23 */
	{0x0000000000000000, 0xD3C21BCECCEDA100}, /* 1e24 */
	{0x0000000000000000, 0x84595161401484A0}, /* 1e25 */
	{0x0000000000000000, 0xA56FA5B99019A5C8}, /* 1e26 */
	{0x0000000000000000, 0xCECB8F27F4200F3A}, /* 1e27 */
	{0x4000000000000000, 0x813F3978F8940984}, /* 1e28 */
	{0x5000000000000000, 0xA18F07D736B90BE5}, /* 1e29 */
	{0xA400000000000000, 0xC9F2C9CD04674EDE}, /* 1e30 */
	{0x4D00000000000000, 0xFC6F7C4045812296}, /* 1e31 */
	{0xF020000000000000, 0x9DC5ADA82B70B59D}, /* 1e32 */
	{0x6C28000000000000, 0xC5371912364CE305}, /* 1e33 */
	{0xC732000000000000, 0xF684DF56C3E01BC6}, /* 1e34 */
	{0x3C7F400000000000, 0x9A130B963A6C115C}, /* 1e35 */
	{0x4B9F100000000000, 0xC097CE7BC90715B3}, /* 1e36 */
	{0x1E86D40000000000, 0xF0BDC21ABB48DB20}, /* 1e37 */
	{0x1314448000000000, 0x96769950B50D88F4}, /* 1e38 */
	{0x17D955A000000000, 0xBC143FA4E250EB31}, /* 1e39 */
	{0x5DCFAB0800000000, 0xEB194F8E1AE525FD}, /* 1e40 */
	{0x5AA1CAE500000000, 0x92EFD1B8D0CF37BE}, /* 1e41 */
	{0xF14A3D9E40000000, 0xB7ABC627050305AD}, /* 1e42 */
	{0x6D9CCD05D0000000, 0xE596B7B0C643C719}, /* 1e43 */
	{0xE4820023A2000000, 0x8F7E32CE7BEA5C6F}, /* 1e44 */
	{0xDDA2802C8A800000, 0xB35DBF821AE4F38B}, /* 1e45 */
	{0xD50B2037AD200000, 0xE0352F62A19E306E}, /* 1e46 */
	{0x4526F422CC340000, 0x8C213D9DA502DE45}, /* 1e47 */
	{0x9670B12B7F410000, 0xAF298D050E4395D6}, /* 1e48 */
	{0x3C0CDD765F114000, 0xDAF3F04651D47B4C}, /* 1e49 */
	{0xA5880A69FB6AC800, 0x88D8762BF324CD0F}, /* 1e50 */
	{0x8EEA0D047A457A00, 0xAB0E93B6EFEE0053}, /* 1e51 */
	{0x72A4904598D6D880, 0xD5D238A4ABE98068}, /* 1e52 */
	{0x47A6DA2B7F864750, 0x85A36366EB71F041}, /* 1e53 */
	{0x999090B65F67D924, 0xA70C3C40A64E6C51}, /* 1e54 */
	{0xFFF4B4E3F741CF6D, 0xD0CF4B50CFE20765}, /* 1e55 */
	{0xBFF8F10E7A8921A4, 0x82818F1281ED449F}, /* 1e56 */
	{0xAFF72D52192B6A0D, 0xA321F2D7226895C7}, /* 1e57 */
	{0x9BF4F8A69F764490, 0xCBEA6F8CEB02BB39}, /* 1e58 */
	{0x02F236D04753D5B4, 0xFEE50B7025C36A08}, /* 1e59 */
	{0x01D762422C946590, 0x9F4F2726179A2245}, /* 1e60 */
	{0x424D3AD2B7B97EF5, 0xC722F0EF9D80AAD6}, /* 1e61 */
	{0xD2E0898765A7DEB2, 0xF8EBAD2B84E0D58B}, /* 1e62 */
	{0x63CC55F49F88EB2F, 0x9B934C3B330C8577}, /* 1e63 */
	{0x3CBF6B71C76B25FB, 0xC2781F49FFCFA6D5}, /* 1e64 */
};

/* strtod on a copy of [s, e); the slow but exact path. Rejects what Python's
 * float() rejects and strtod takes (hex), and trailing text. */
static int slow_double(const char *s, const char *e, double *out)
{
	size_t n = (size_t)(e - s);
	char small[64];
	char *tmp = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	int ok = 0;
	if (n > 0 && !memchr(tmp, 'x', n) && !memchr(tmp, 'X', n) && tmp[0] != ' ' &&
	    tmp[0] != '\t') {
		char *end;
		double v = strtod(tmp, &end);
		if (end == tmp + n) {
			*out = v;
			ok = 1;
		} else if (strcmp(tmp, "True") == 0 || strcmp(tmp, "False") == 0) {
			/* Booleans written by very old clients. */
			*out = tmp[0] == 'T' ? 1.0 : 0.0;
			ok = 1;
		}
	}
	if (tmp != small)
		free(tmp);
	return ok;
}

/* Whether the 8 bytes at p are all ASCII digits (SWAR, as in simdjson). */
static inline int eight_digits(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return ((v & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
	        (((v + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) ==
	       UINT64_C(0x3333333333333333);
}

/* The value of 8 ASCII digits at p. */
static inline uint64_t parse_eight(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	v = (v & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
	v = (v & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
	return (v & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}

/* Reads up to 18 ASCII digits from p into *v (no overflow possible);
 * returns the end of the digits. */
static inline const char *fast_digits(const char *p, const char *end, uint64_t *v)
{
	const char *s = p;
	uint64_t w = 0;
	if (end - p >= 8 && eight_digits(p)) {
		w = parse_eight(p);
		p += 8;
		if (end - p >= 8 && eight_digits(p)) {
			w = w * 100000000 + parse_eight(p);
			p += 8;
		}
	}
	while (p < end && (unsigned)(*p - '0') < 10 && p - s < 18)
		w = w * 10 + (uint64_t)(*p++ - '0');
	*v = w;
	return p;
}

__extension__ typedef unsigned __int128 u128;

/* w * 10^exp10 correctly rounded, or 0 when this cannot be done quickly
 * (the caller falls back to strtod). w is not 0. */
static inline __attribute__((always_inline)) int scale_exact(uint64_t w, int exp10, double *out)
{
	if (w <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
		/* Clinger's fast path: both operands exact, one rounding. */
		*out = exp10 < 0 ? (double)w / pow10_d[-exp10] : (double)w * pow10_d[exp10];
		return 1;
	}
	/* The Eisel-Lemire algorithm (as in Go's strconv/eisel_lemire.go): a
	 * 64x128-bit product gives the result, or says it cannot decide. */
	if (exp10 < POW128_MIN || exp10 > POW128_MAX)
		return 0;
	int clz = __builtin_clzll(w);
	uint64_t man = w << clz;
	uint64_t exp2 = (uint64_t)(((217706 * (int64_t)exp10) >> 16) + 64 + 1023) - (uint64_t)clz;
	const uint64_t *pw = pow10_128[exp10 - POW128_MIN];
	u128 x = (u128)man * pw[1];
	uint64_t xhi = (uint64_t)(x >> 64), xlo = (uint64_t)x;
	if ((xhi & 0x1ff) == 0x1ff && xlo + man < man) {
		/* Near a halfway point: bring in the low half of the power. */
		u128 y = (u128)man * pw[0];
		uint64_t yhi = (uint64_t)(y >> 64), ylo = (uint64_t)y;
		uint64_t mhi = xhi, mlo = xlo + yhi;
		if (mlo < xlo)
			mhi++;
		if ((mhi & 0x1ff) == 0x1ff && mlo + 1 == 0 && ylo + man < man)
			return 0;
		xhi = mhi;
		xlo = mlo;
	}
	uint64_t msb = xhi >> 63;
	uint64_t mant = xhi >> (msb + 9);
	exp2 -= 1 ^ msb;
	if (xlo == 0 && (xhi & 0x1ff) == 0 && (mant & 3) == 1)
		return 0; /* exactly halfway: let strtod break the tie */
	mant += mant & 1;
	mant >>= 1;
	if (mant >> 53) {
		mant >>= 1;
		exp2++;
	}
	if (exp2 - 1 >= 0x7ff - 1)
		return 0; /* subnormal or overflow */
	uint64_t bits = exp2 << 52 | (mant & UINT64_C(0x000fffffffffffff));
	memcpy(out, &bits, sizeof *out);
	return 1;
}

/* Parses a plain decimal number (sign, digits, point, exponent) starting
 * at p, stopping at the first byte that cannot continue it. Returns the end,
 * or NULL when there is no such number or it needs the exact slow path. */
static inline __attribute__((always_inline)) const char *fast_double(const char *p, const char *end, double *out)
{
	int neg = 0;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	const char *d0 = p;
	while (p < end && *p == '0')
		p++;
	const char *ds = p;
	uint64_t w = 0;
	while (p < end && (unsigned)(*p - '0') < 10)
		w = w * 10 + (uint64_t)(*p++ - '0');
	long nsig = p - ds;
	int exp10 = 0;
	if (p < end && *p == '.') {
		const char *fs = ++p;
		if (nsig == 0)
			while (p < end && *p == '0')
				p++;
		const char *fsig = p;
		while (end - p >= 8 && eight_digits(p)) {
			w = w * 100000000 + parse_eight(p);
			p += 8;
		}
		while (p < end && (unsigned)(*p - '0') < 10)
			w = w * 10 + (uint64_t)(*p++ - '0');
		nsig += p - fsig;
		if (p - fs > 400)
			return NULL;
		exp10 = -(int)(p - fs);
		if (p == fs + 0 && ds == d0 && nsig == 0)
			return NULL; /* "." or "-." */
	}
	if (p == d0 || (p == d0 + 1 && *d0 == '.'))
		return NULL;
	if (nsig > 19)
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0, ed = 0, ev = 0;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && (unsigned)(*p - '0') < 10; p++, ed++) {
			if (ed == 4)
				return NULL;
			ev = ev * 10 + (*p - '0');
		}
		if (ed == 0)
			return NULL;
		exp10 += eneg ? -ev : ev;
	}
	double v = 0.0;
	if (w != 0 && !scale_exact(w, exp10, &v))
		return NULL;
	*out = neg ? -v : v;
	return p;
}

int mlflow_parse_double(const char *s, const char *e, double *out)
{
	if (fast_double(s, e, out) == e)
		return 1;
	return slow_double(s, e, out);
}

int mlflow_parse_int(const char *s, const char *e, int64_t *out)
{
	const char *p = s;
	int neg = 0;
	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == e)
		return 0;
	uint64_t v = 0;
	for (; p < e; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d >= 10)
			return 0;
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return 0;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return 0;
		*out = (int64_t)v;
	}
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

enum mlflow_line_status mlflow_metric_line(const char *s, const char *e, struct point *pt)
{
	/* Python's str.strip() before split(" "). */
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e)
		return MLFLOW_LINE_EMPTY;
	const char *f[4];
	const char *fe[3];
	int nf = 1;
	f[0] = s;
	for (int i = 0; i < 3; i++) {
		const char *sp = memchr(f[i], ' ', (size_t)(e - f[i]));
		if (!sp) {
			fe[i] = e;
			break;
		}
		fe[i] = sp;
		f[i + 1] = sp + 1;
		nf++;
	}
	if (nf == 4) {
		/* A fourth field must be followed by a fifth (dataset name and digest). */
		if (!memchr(f[3], ' ', (size_t)(e - f[3])))
			return MLFLOW_LINE_FIELDS;
	} else if (nf < 2) {
		return MLFLOW_LINE_FIELDS;
	}
	if (!mlflow_parse_int(f[0], fe[0], &pt->time_ms))
		return MLFLOW_LINE_TIME;
	if (!mlflow_parse_double(f[1], fe[1], &pt->value))
		return MLFLOW_LINE_VALUE;
	pt->step = 0;
	if (nf >= 3 && !mlflow_parse_int(f[2], fe[2], &pt->step))
		return MLFLOW_LINE_STEP;
	return MLFLOW_LINE_OK;
}

/* Copies [s, e) into out for a message: at most 40 bytes, control bytes as '?'. */
static void excerpt(char *out, size_t outsz, const char *s, const char *e)
{
	size_t n = 0;
	for (; s < e && n + 4 < outsz && n < 40; s++)
		out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	if (s < e && n + 4 <= outsz) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Reports why the line [s, e) was skipped. */
static void warn_line(const struct mlflow_metrics *m, enum mlflow_line_status st, const char *s,
                      const char *e)
{
	char ex[64];
	excerpt(ex, sizeof ex, s, e);
	switch (st) {
	case MLFLOW_LINE_FIELDS: {
		int nf = 1;
		const char *p = s;
		while (p < e && is_blank(*p))
			p++;
		for (const char *q = p; q < e; q++)
			nf += *q == ' ';
		diag_warn(m->path, m->line, "expected 2, 3 or 5 fields (timestamp value step), found %d: \"%s\"",
		          nf, ex);
		break;
	}
	case MLFLOW_LINE_TIME:
		diag_warn(m->path, m->line, "the timestamp is not an integer: \"%s\"", ex);
		break;
	case MLFLOW_LINE_VALUE:
		diag_warn(m->path, m->line, "the value is not a number: \"%s\"", ex);
		break;
	case MLFLOW_LINE_STEP:
		diag_warn(m->path, m->line, "the step is not an integer: \"%s\"", ex);
		break;
	default:
		break;
	}
}

size_t mlflow_metrics_parse(struct mlflow_metrics *m, const char *data, size_t len, bool final,
                            struct series *s)
{
	const char *p = data, *end = data + len;
	/* Locals, not s->n and m->line: stores into pts may alias them. */
	struct point *pts = s->pts;
	size_t n = s->n, cap = s->cap, line = m->line;
	for (;;) {
		/* Fast path for the usual "ts value step\n" or "ts value\n"; any
		 * other shape goes through the general parser below. The point is
		 * kept in registers and stored field by field (a struct on the stack
		 * read back whole would stall on store forwarding). */
		struct point pt;
		const char *q = p;
		uint64_t ts, stp = 0;
		double val;
		int neg = 0;
		q = fast_digits(q, end, &ts);
		if (q > p && q < end && *q == ' ') {
			q = fast_double(q + 1, end, &val);
			if (q && q < end && *q == ' ') {
				const char *ss = ++q;
				neg = q < end && *q == '-';
				q += neg;
				q = fast_digits(q, end, &stp);
				if (q < end && *q == '\n' && q > ss + neg)
					goto add_fast;
			} else if (q && q < end && *q == '\n') {
				goto add_fast;
			}
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (!nl && (!final || p == end))
			break;
		line++;
		enum mlflow_line_status st = mlflow_metric_line(p, le, &pt);
		if (st == MLFLOW_LINE_OK) {
			q = le;
			goto add_general;
		}
		if (st != MLFLOW_LINE_EMPTY) {
			m->line = line;
			if (!nl) {
				/* A last line without newline: a run still writing. */
				m->partial = true;
				m->partial_line = line;
			} else {
				if (++m->bad <= WARN_LINES_MAX && !m->silent)
					warn_line(m, st, p, le);
			}
		}
		if (!nl) {
			p = end;
			break;
		}
		p = nl + 1;
		continue;
add_fast:
		line++;
		if (n == cap) {
			s->n = n;
			GROW(s->pts, s->cap, n + 1);
			pts = s->pts;
			cap = s->cap;
		}
		pts[n].step = neg ? -(int64_t)stp : (int64_t)stp;
		pts[n].time_ms = (int64_t)ts;
		pts[n].value = val;
		n++;
		p = q + 1;
		continue;
add_general:
		if (n == cap) {
			s->n = n;
			GROW(s->pts, s->cap, n + 1);
			pts = s->pts;
			cap = s->cap;
		}
		pts[n++] = pt;
		if (q == end) {
			p = end; /* an unterminated last line that parsed */
			break;
		}
		p = q + 1;
	}
	s->n = n;
	m->line = line;
	return (size_t)(p - data);
}

void mlflow_metrics_end(struct mlflow_metrics *m)
{
	if (m->silent)
		return;
	if (m->bad > WARN_LINES_MAX)
		diag_warn(m->path, 0, "%zu more lines skipped that do not parse (%zu in all)",
		          m->bad - WARN_LINES_MAX, m->bad);
	if (m->partial && !m->quiet_partial)
		diag_warn(m->path, m->partial_line,
		          "incomplete last line (no newline, does not parse) skipped");
}

/* True for the plain scalars YAML reads as null. */
static int yaml_is_null(const yaml_event_t *ev)
{
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)ev->data.scalar.value;
	return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* Reports the parser's error as "path:line: what". */
static void yaml_warn(const yaml_parser_t *p, const char *path)
{
	size_t line = p->problem_mark.line + 1;
	if (p->error == YAML_READER_ERROR)
		line = 0; /* encoding problems carry a byte offset, not a line */
	diag_warn(path, line, "not valid YAML: %s%s%s", p->problem ? p->problem : "parse error",
	          p->context ? " " : "", p->context ? p->context : "");
}

int mlflow_yaml_parse(const char *data, size_t len, const char *path, struct kvlist *out)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = -1, have_ev = 0;
	char *key = NULL, *outer = NULL;
	int depth = 0;        /* collections open inside the top-level mapping */
	int skip_from = 0;    /* when > 0: skipping events until depth falls below this */
	int skip_is_key = 0;  /* the skipped collection was a key: its value goes too */
	int state = 0;        /* 0 before the document, 1 in the top mapping, 2 done */
	int null_doc = 0;

	if (!yaml_parser_initialize(&p)) {
		diag_warn(path, 0, "cannot start the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_warn(&p, path);
			goto out;
		}
		have_ev = 1;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT)
			break;
		int opens = t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT;
		int closes = t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT;
		if (state == 0) {
			if (t == YAML_MAPPING_START_EVENT) {
				state = 1;
			} else if (t == YAML_SCALAR_EVENT && yaml_is_null(&ev)) {
				state = 2; /* "~" or an empty document */
				null_doc = 1;
			} else if (t == YAML_SCALAR_EVENT || opens || t == YAML_ALIAS_EVENT) {
				diag_warn(path, ev.start_mark.line + 1,
				          "expected a YAML mapping of keys to values");
				goto out;
			}
		} else if (state == 1) {
			if (skip_from) {
				depth += opens - closes;
				if (depth < skip_from) {
					skip_from = 0;
					key = skip_is_key ? xstrdup("") : NULL;
				}
			} else if (closes) {
				if (depth == 0) {
					state = 2;
				} else {
					depth--;
					free(outer);
					outer = NULL;
				}
			} else if (!key) {
				/* A key. Only scalar keys are kept; others drop their value. */
				if (t == YAML_SCALAR_EVENT) {
					key = xstrndup((const char *)ev.data.scalar.value,
					               ev.data.scalar.length);
				} else if (opens) {
					depth++;
					skip_from = depth;
					skip_is_key = 1;
				} else {
					key = xstrdup("");
				}
			} else if (t == YAML_SCALAR_EVENT) {
				if (*key && !yaml_is_null(&ev)) {
					char *v = xstrndup((const char *)ev.data.scalar.value,
					                   ev.data.scalar.length);
					char *k = outer ? xasprintf("%s/%s", outer, key) : NULL;
					kvlist_add(out, k ? k : key, v);
					free(k);
					free(v);
				}
				free(key);
				key = NULL;
			} else if (t == YAML_MAPPING_START_EVENT && depth == 0 && *key) {
				depth++;
				outer = key; /* its pairs become "outer/inner" */
				key = NULL;
			} else if (opens) {
				depth++;
				skip_from = depth;
				skip_is_key = 0;
				free(key);
				key = NULL;
			} else {
				free(key); /* an alias as the value: nothing to keep */
				key = NULL;
			}
		}
		yaml_event_delete(&ev);
		have_ev = 0;
	}
	rc = state == 0 || null_doc ? 0 : 1;
out:
	if (have_ev)
		yaml_event_delete(&ev);
	free(key);
	free(outer);
	yaml_parser_delete(&p);
	return rc;
}

/* The string member key of object o, or NULL. */
static const char *json_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

size_t mlflow_model_history(const char *json, size_t len, const char *path, struct run *r)
{
	json_error_t err;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	size_t added = 0;
	if (!root || !json_is_array(root)) {
		if (root)
			diag_warn(path, 0, "expected a JSON array of logged models");
		else
			diag_warn(path, (size_t)err.line > 0 ? (size_t)err.line : 0, "not valid JSON: %s",
			          err.text);
		goto out;
	}
	size_t i;
	json_t *m;
	json_array_foreach(root, i, m) {
		if (!json_is_object(m))
			continue;
		const char *id = json_str(m, "model_id");
		if (!id)
			id = json_str(m, "model_uuid");
		const char *apath = json_str(m, "artifact_path");
		if (!id && !apath)
			continue;
		char *fallback = NULL;
		if (!id)
			id = fallback = xasprintf("%s/%s", r->id ? r->id : "", apath);
		int dup = 0;
		for (size_t k = 0; k < r->nmodels && !dup; k++)
			dup = r->models[k].id && strcmp(r->models[k].id, id) == 0;
		if (!dup) {
			/* The flavor is the first one that is not the generic python_function. */
			const char *flavor = NULL, *key;
			json_t *fv;
			json_object_foreach(json_object_get(m, "flavors"), key, fv) {
				if (!flavor || strcmp(flavor, "python_function") == 0)
					flavor = key;
			}
			struct logged_model *lm = run_add_model(r);
			lm->id = xstrdup(id);
			lm->name = xstrdup(apath ? apath : id);
			lm->type = flavor ? xstrdup(flavor) : NULL;
			const char *rid = json_str(m, "run_id");
			if (apath && (rid || r->id))
				lm->uri = xasprintf("runs:/%s/%s", rid ? rid : r->id, apath);
			added++;
		}
		free(fallback);
	}
out:
	json_decref(root);
	return added;
}
