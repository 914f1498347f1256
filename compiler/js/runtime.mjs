// The runtime every generated JavaScript calculator carries, and nothing else.
//
// The JavaScript twin of pol/runtime.py: it reads a batch exactly as the Python
// runtime does (same checks, same order, same messages), evaluates rankings,
// measures, exclusive groups and pools the same way, and writes the same
// explanations, so `evaluate(batch)` returns the JSON of `pol eval --format json`.
//
// Numbers follow Python: a whole number in the input is an int (a BigInt here), any
// other number a Decimal (`Dec`: sign, BigInt coefficient, exponent), with the
// same exponent rules, so that "1,000.50" prints as Python prints it. Arithmetic is
// exact up to Python's evaluation precision of 200 digits, where it rounds as
// Python's decimal module does. No floating point touches an amount.
//
// The compiler inlines everything above the export list at the end into each generated
// module: it must stay free of imports. Each version of a policy lives in a scope of its
// own (`measure_M7`, `TABLE_M7`, `K1`, FACTS, SPEC...); the module's own top-level names
// are V1..Vn, VERSIONS, POLICY, POLICY_VERSIONS, policyOn, evaluate, check, toJSONText:
// no name here may be one of those.

// ---------------------------------------------------------------- Python's Decimal

const PRECISION = 200; // pol/runtime.py evaluates in a 200-digit context
const MAX_DIGITS = 30; // digits before the decimal point of an input
const MAX_SIGNIFICANT = 40;

class Dec {
  constructor(sign, coef, exp) {
    this.sign = sign; // 1 when negative (zero keeps its sign, as in Python)
    this.coef = coef; // BigInt >= 0
    this.exp = exp; // integer
  }

  toString() {
    return decStr(this);
  }
}

const TEN = 10n;

function pow10(n) {
  return TEN ** BigInt(n);
}

function digitCount(coef) {
  return coef.toString().length;
}

// Decimal digits as Python's int() and Decimal() read them: any Unicode decimal digit (Nd).
const ND = /^\p{Nd}$/u;

function digitValue(ch) {
  let cp = ch.codePointAt(0);
  if (cp >= 48 && cp <= 57) return cp - 48;
  // Unicode lays decimal digits out in runs of ten starting at zero.
  let run = 0;
  while (ND.test(String.fromCodePoint(cp - 1)) && run < 1000) {
    cp -= 1;
    run += 1;
  }
  return run % 10;
}

function digitsToBigInt(text) {
  if (/^[0-9]+$/.test(text)) return BigInt(text);
  let out = "";
  for (const ch of text) out += String(digitValue(ch));
  return BigInt(out);
}

const DECIMAL_LITERAL = /^(-)?(\p{Nd}+)(?:\.(\p{Nd}+))?(?:[eE]([+-]?[0-9]+))?$/u;

// Decimal(text) for the texts the runtime builds decimals from (no NaN, no spaces).
function parseDec(text) {
  const m = DECIMAL_LITERAL.exec(text);
  if (m === null) return null;
  const whole = m[2];
  const frac = m[3] || "";
  const coef = digitsToBigInt(whole + frac);
  const exp = (m[4] ? Number(m[4]) : 0) - Array.from(frac).length;
  return new Dec(m[1] ? 1 : 0, coef, exp);
}

// Decimal(text) for the compiler's own constants.
function D(text) {
  const value = parseDec(text);
  if (value === null) throw new Error(`not a decimal: ${text}`);
  return value;
}

function fromInt(n) {
  return n < 0n ? new Dec(1, -n, 0) : new Dec(0, n, 0);
}

function isDec(x) {
  return x instanceof Dec;
}

function isInt(x) {
  return typeof x === "bigint";
}

function toDec(x) {
  if (isDec(x)) return x;
  if (isInt(x)) return fromInt(x);
  if (typeof x === "boolean") return fromInt(x ? 1n : 0n);
  throw new TypeError(`not a number: ${String(x)}`);
}

function signed(d) {
  return d.sign ? -d.coef : d.coef;
}

// Round to the context's 200 digits, half-even, as Python's _fix does.
function fix(d) {
  const digits = digitCount(d.coef);
  if (digits <= PRECISION) return d;
  const drop = digits - PRECISION;
  const p = pow10(drop);
  let q = d.coef / p;
  const r = d.coef % p;
  const twice = 2n * r;
  if (twice > p || (twice === p && q % 2n === 1n)) q += 1n;
  let exp = d.exp + drop;
  if (digitCount(q) > PRECISION) {
    q /= TEN;
    exp += 1;
  }
  return new Dec(d.sign, q, exp);
}

function decAdd(a, b) {
  let exp = Math.min(a.exp, b.exp);
  const aZero = a.coef === 0n;
  const bZero = b.coef === 0n;
  if (aZero && bZero) return new Dec(a.sign & b.sign, 0n, exp);
  // Adding to zero keeps at most precision+1 extra digits of exponent (Python's __add__).
  if (aZero) exp = Math.max(exp, b.exp - PRECISION - 1);
  if (bZero) exp = Math.max(exp, a.exp - PRECISION - 1);
  const scale = (x) => {
    if (x.coef === 0n) return 0n;
    const v = x.exp >= exp ? x.coef * pow10(x.exp - exp) : x.coef / pow10(exp - x.exp);
    return x.sign ? -v : v;
  };
  const sum = scale(a) + scale(b);
  if (sum === 0n) return new Dec(0, 0n, exp);
  return fix(new Dec(sum < 0n ? 1 : 0, sum < 0n ? -sum : sum, exp));
}

function decMul(a, b) {
  return fix(new Dec(a.sign ^ b.sign, a.coef * b.coef, a.exp + b.exp));
}

function decNeg(a) {
  // -Decimal('0') is Decimal('0'): negating a zero gives a positive zero.
  if (a.coef === 0n) return new Dec(0, 0n, a.exp);
  return new Dec(a.sign ? 0 : 1, a.coef, a.exp);
}

function decCmp(a, b) {
  const x = signed(a);
  const y = signed(b);
  if (x === 0n && y === 0n) return 0;
  const exp = Math.min(a.exp, b.exp);
  const xs = x * pow10(a.exp - exp);
  const ys = y * pow10(b.exp - exp);
  return xs < ys ? -1 : xs > ys ? 1 : 0;
}

// Decimal // Decimal: the integer part of the quotient, exponent 0.
function decFloorDiv(a, b) {
  if (b.coef === 0n) throw new RangeError("division by zero");
  const exp = Math.min(a.exp, b.exp);
  const x = a.coef * pow10(a.exp - exp);
  const y = b.coef * pow10(b.exp - exp);
  return new Dec(a.sign ^ b.sign, x / y, 0);
}

const ROUNDINGS = new Set(["half_up", "half_even", "down", "up"]);

// Decimal.quantize: only the quantum's exponent counts. `up` is ROUND_CEILING, as in pol.
function quantize(d, exp, rounding) {
  if (d.exp >= exp) return new Dec(d.sign, d.coef * pow10(d.exp - exp), exp);
  const p = pow10(exp - d.exp);
  let q = d.coef / p;
  const r = d.coef % p;
  if (r !== 0n) {
    const twice = 2n * r;
    if (rounding === "half_up" && twice >= p) q += 1n;
    else if (rounding === "half_even" && (twice > p || (twice === p && q % 2n === 1n))) q += 1n;
    else if (rounding === "up" && d.sign === 0) q += 1n;
    else if (!ROUNDINGS.has(rounding)) throw new Error(`unknown rounding ${rounding}`);
  }
  return new Dec(d.sign, q, exp);
}

function isIntegral(d) {
  if (d.exp >= 0 || d.coef === 0n) return true;
  return d.coef % pow10(-d.exp) === 0n;
}

function decToInt(d) {
  const v = d.exp >= 0 ? d.coef * pow10(d.exp) : d.coef / pow10(-d.exp);
  return d.sign ? -v : v;
}

// ---------------------------------------------------------------- numbers of either kind

function add(a, b) {
  if (isInt(a) && isInt(b)) return a + b;
  return decAdd(toDec(a), toDec(b));
}

function sub(a, b) {
  if (isInt(a) && isInt(b)) return a - b;
  const y = toDec(b);
  // Python subtracts by adding the copy with the sign flipped, zeros included.
  return decAdd(toDec(a), new Dec(y.sign ? 0 : 1, y.coef, y.exp));
}

function mul(a, b) {
  if (isInt(a) && isInt(b)) return a * b;
  return decMul(toDec(a), toDec(b));
}

function neg(a) {
  if (isInt(a)) return -a;
  return decNeg(toDec(a));
}

function numCmp(a, b) {
  if (isInt(a) && isInt(b)) return a < b ? -1 : a > b ? 1 : 0;
  return decCmp(toDec(a), toDec(b));
}

function isZero(a) {
  return isInt(a) ? a === 0n : a.coef === 0n;
}

// ---------------------------------------------------------------- Python's formatting

function decStr(d) {
  const coef = d.coef.toString();
  const leftdigits = d.exp + coef.length;
  const dotplace = d.exp <= 0 && leftdigits > -6 ? leftdigits : 1;
  const [intpart, fracpart] = splitAt(coef, dotplace);
  const exp = leftdigits - dotplace;
  const tail = exp === 0 ? "" : `E${exp > 0 ? "+" : "-"}${Math.abs(exp)}`;
  return (d.sign ? "-" : "") + intpart + (fracpart ? `.${fracpart}` : "") + tail;
}

function splitAt(coef, dotplace) {
  if (dotplace <= 0) return ["0", "0".repeat(-dotplace) + coef];
  if (dotplace >= coef.length) return [coef + "0".repeat(dotplace - coef.length), ""];
  return [coef.slice(0, dotplace), coef.slice(dotplace)];
}

function group(digits) {
  const out = [];
  let rest = digits;
  while (rest.length > 3) {
    out.unshift(rest.slice(-3));
    rest = rest.slice(0, -3);
  }
  out.unshift(rest);
  return out.join(",");
}

// f"{value:,}": a Decimal as str() writes it, with thousands separators; an int grouped.
function withCommas(value) {
  if (isInt(value)) return (value < 0n ? "-" : "") + group((value < 0n ? -value : value).toString());
  const d = value;
  const coef = d.coef.toString();
  const leftdigits = d.exp + coef.length;
  const dotplace = d.exp <= 0 && leftdigits > -6 ? leftdigits : 1;
  const [intpart, fracpart] = splitAt(coef, dotplace);
  const exp = leftdigits - dotplace;
  const tail = exp === 0 ? "" : `E${exp > 0 ? "+" : "-"}${Math.abs(exp)}`;
  return (d.sign ? "-" : "") + group(intpart) + (fracpart ? `.${fracpart}` : "") + tail;
}

// f"{value:.2f}" (commas: f"{value:,.2f}"), rounding half-even as Python's default context does.
function fixed2(value, commas) {
  const d = quantize(toDec(value), -2, "half_even");
  const coef = d.coef.toString().padStart(3, "0");
  const intpart = coef.slice(0, -2);
  return (d.sign ? "-" : "") + (commas ? group(intpart) : intpart) + "." + coef.slice(-2);
}

function money(value, lang) {
  return lang === "en" ? `${fixed2(value, true)} yuan` : `${fixed2(value, true)}元`;
}

function moneyText(value) {
  return fixed2(value, false);
}

function fmt(value, lang) {
  if (typeof value === "boolean") {
    return lang === "en" ? (value ? "yes" : "no") : value ? "是" : "否";
  }
  if (isDec(value)) return withCommas(value);
  if (isInt(value)) {
    const size = value < 0n ? -value : value;
    return size >= 10000n ? withCommas(value) : value.toString();
  }
  if (value instanceof Map) {
    return Array.from(value, ([k, v]) => `${k}: ${fmt(v, lang)}`).join(", ");
  }
  return String(value);
}

// ---------------------------------------------------------------- days

class Day {
  constructor(year, month, day) {
    this.year = year;
    this.month = month;
    this.day = day;
  }

  get ord() {
    return this.year * 10000 + this.month * 100 + this.day;
  }

  toString() {
    const pad = (n, w) => String(n).padStart(w, "0");
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }
}

function day(year, month, dayOfMonth) {
  return new Day(year, month, dayOfMonth);
}

function leap(year) {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysIn(year, month) {
  return [31, leap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

// ---------------------------------------------------------------- comparing Python values

function pyCmp(a, b) {
  const numeric = (x) => isInt(x) || isDec(x) || typeof x === "boolean";
  if (numeric(a) && numeric(b)) return numCmp(a, b);
  if (typeof a === "number" || typeof b === "number") {
    // math.inf stands for "not ranked"; it only meets other positions.
    const x = typeof a === "number" ? a : Number(a);
    const y = typeof b === "number" ? b : Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof Day && b instanceof Day) return a.ord - b.ord;
  if (typeof a === "string" && typeof b === "string") return codePointCmp(a, b);
  throw new TypeError("values that cannot be compared");
}

function pyEq(a, b) {
  const numeric = (x) => isInt(x) || isDec(x) || typeof x === "boolean";
  if (numeric(a) && numeric(b)) return numCmp(a, b) === 0;
  if (a instanceof Day && b instanceof Day) return a.ord === b.ord;
  if (typeof a === "string" && typeof b === "string") return a === b;
  return false;
}

function codePointCmp(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
}

function cpLength(text) {
  return Array.from(text).length;
}

// ---------------------------------------------------------------- errors

class BatchError extends Error {
  constructor(message, code = null) {
    // One printable line whatever the batch held: line separators, controls, lone surrogates escaped.
    super(printable(message));
    this.name = "BatchError";
    this.code = code;
  }
}

class Needed extends Error {
  constructor(fact) {
    super(fact);
    this.fact = fact;
  }
}

// ---------------------------------------------------------------- explanations

class Trace {
  constructor() {
    this.held = true;
    this.whyEn = [];
    this.whyZh = [];
    this.unit = null;
    this.outcomes = [];
    this.keys = [];
  }

  check(ok, en, zh, shown = null) {
    this.outcomes.push(ok);
    const mark = ok ? "✓" : "✗";
    const value = shown !== null ? `: ${fmt(shown, "en")}` : "";
    const valueZh = shown !== null ? `:${fmt(shown, "zh")}` : "";
    this.whyEn.push(`${mark} ${en}${value}`);
    this.whyZh.push(`${mark} ${zh}${valueZh}`);
    this.held = this.held && ok;
    return ok;
  }

  note(en, zh) {
    this.whyEn.push(en);
    this.whyZh.push(zh);
  }
}

function assessment(eligible, amount, trace, bound) {
  return {
    eligible,
    amount,
    whyEn: trace.whyEn.slice(),
    whyZh: trace.whyZh.slice(),
    unit: eligible ? trace.unit : null,
    outcomes: trace.outcomes.slice(),
    capsBound: bound,
    keys: eligible ? trace.keys.slice() : [],
  };
}

// ---------------------------------------------------------------- helpers the measures call

const ZERO = new Dec(0, 0n, 0);

function need(value, fact) {
  if (value === null || value === undefined) throw new Needed(fact);
  return value;
}

function num(value) {
  return value === null || value === undefined ? 0n : value;
}

function truth(value) {
  return value === true;
}

// A comparison of numbers that are never absent.
function numCompare(op, left, right) {
  const order = numCmp(left, right);
  return holds(op, order, order === 0);
}

function holds(op, order, equal) {
  switch (op) {
    case "ge":
      return order >= 0;
    case "gt":
      return order > 0;
    case "le":
      return order <= 0;
    case "lt":
      return order < 0;
    case "eq":
      return equal;
    case "ne":
      return !equal;
    default:
      throw new Error(`unknown comparison ${op}`);
  }
}

// A comparison with an absent side (a date not given) does not hold.
function compare(op, left, right) {
  if (left === null || right === null) return false;
  if (op === "eq" || op === "ne") return holds(op, 0, pyEq(left, right));
  return holds(op, pyCmp(left, right), false);
}

function arith(op, left, right) {
  if (left === null || right === null) return null;
  if (op === "add") return add(left, right);
  if (op === "sub") return sub(left, right);
  if (op === "mul") return mul(left, right);
  throw new Error(`unknown operation ${op}`);
}

function within(value, start, end) {
  return value !== null && start.ord <= value.ord && value.ord <= end.ord;
}

function yearOf(value) {
  return value === null ? null : BigInt(value.year);
}

function firstFullYearAfter(value) {
  return value === null ? null : BigInt(value.year + 1);
}

// Whole years from `since` to `asOf`; a year is complete on its anniversary (届满).
function fullYears(since, asOf) {
  if (since === null) return null;
  let years = asOf.year - since.year;
  if (asOf.month * 100 + asOf.day < since.month * 100 + since.day) {
    // 29 February: the anniversary in a common year is 28 February.
    if (!(since.month === 2 && since.day === 29 && asOf.month === 2 && asOf.day === 28 && !leap(asOf.year))) {
      years -= 1;
    }
  }
  return BigInt(years);
}

// `rate` for each whole `step` of `value` above `threshold`.
function perIncrement(rate, step, value, threshold) {
  if (numCmp(value, threshold) <= 0) return ZERO;
  return mul(rate, decFloorDiv(toDec(sub(value, threshold)), toDec(step)));
}

function lookup(table, key, trace, reasons, fact) {
  key = need(key, fact);
  trace.keys.push(key);
  if (reasons.has(key)) {
    const [en, zh] = reasons.get(key);
    trace.note(`${key}: nothing: ${en}`, `${key}:不予补助:${zh}`);
    return ZERO;
  }
  if (!table.has(key)) {
    trace.note(`${key}: the table names no amount for it`, `${key}:表中未列金额`);
    return ZERO;
  }
  return table.get(key);
}

function eachAt(table, counts, trace, reasons, fact) {
  counts = need(counts, fact);
  let total = ZERO;
  for (const [key, count] of counts) {
    trace.keys.push(key);
    if (reasons.has(key)) {
      const [en, zh] = reasons.get(key);
      trace.note(`${key}: ${withCommas(count)} × 0: ${en}`, `${key}:${withCommas(count)} × 0:${zh}`);
      continue;
    }
    const rate = table.has(key) ? table.get(key) : ZERO;
    const product = mul(rate, count);
    total = add(total, product);
    const line = `${withCommas(count)} × ${pyStr(rate)} = ${withCommas(product)}`;
    trace.note(`${key}: ${line}`, `${key}:${line}`);
  }
  return total;
}

function pyStr(value) {
  return isDec(value) ? decStr(value) : String(value);
}

// Apply the caps in order, never pay below zero, round once at the end.
function settle(trace, amount, caps, rounding, quantum, en, zh) {
  trace.note(`amount: ${en} = ${withCommas(amount)}`, `金额:${zh} = ${withCommas(amount)}`);
  const bound = [];
  caps.forEach(([limit, capEn, capZh], index) => {
    if (numCmp(amount, limit) > 0) {
      bound.push(index);
      trace.note(`capped by ${capEn}: ${money(limit, "en")}`, `受${capZh}限制:${money(limit, "zh")}`);
      amount = limit;
    }
  });
  if (numCmp(amount, 0n) < 0) {
    trace.note("nothing to pay below zero", "金额不为负,不予给付");
    amount = ZERO;
  } else if (numCmp(amount, 0n) === 0) {
    amount = ZERO; // a product with a negative factor can be -0: pay 0, not "-0.00"
  }
  const rounded = quantize(toDec(amount), quantum.exp, rounding);
  if (numCmp(rounded, amount) !== 0) {
    trace.note(`rounded to ${money(rounded, "en")}`, `四舍五入为${money(rounded, "zh")}`);
  }
  return assessment(true, rounded, trace, bound);
}

function refuse(trace) {
  return assessment(false, ZERO, trace, []);
}

// ---------------------------------------------------------------- JSON as Python reads it

// A JSON number as Python's json module with parse_float=Decimal reads it: an int when
// it has neither fraction nor exponent, a Decimal otherwise. `text` is its literal.
class PyNum {
  constructor(text, integer, special = null) {
    this.text = text;
    this.integer = integer;
    this.special = special; // NaN/Infinity/-Infinity: only from JavaScript values
  }
}

const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

// JSON text to values that keep what Python keeps: number literals, key order of objects
// (a Map, where a repeated key keeps its first place and its last value, as a dict does).
function parseJSON(text) {
  let at = 0;
  const fail = (what) => {
    throw new SyntaxError(`malformed JSON at character ${at + 1}: ${what}`);
  };
  const space = () => {
    while (at < text.length && " \t\n\r".includes(text[at])) at += 1;
  };
  const value = (depth) => {
    if (depth > 900) fail("nested too deeply");
    space();
    const ch = text[at];
    if (ch === "{") {
      at += 1;
      const out = new Map();
      space();
      if (text[at] === "}") {
        at += 1;
        return out;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail("expected a key in double quotes");
        const key = string();
        space();
        if (text[at] !== ":") fail("expected ':'");
        at += 1;
        out.set(key, value(depth + 1));
        space();
        if (text[at] === ",") {
          at += 1;
          continue;
        }
        if (text[at] === "}") {
          at += 1;
          return out;
        }
        fail("expected ',' or '}'");
      }
    }
    if (ch === "[") {
      at += 1;
      const out = [];
      space();
      if (text[at] === "]") {
        at += 1;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        space();
        if (text[at] === ",") {
          at += 1;
          continue;
        }
        if (text[at] === "]") {
          at += 1;
          return out;
        }
        fail("expected ',' or ']'");
      }
    }
    if (ch === '"') return string();
    for (const [word, result] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return result;
      }
    }
    JSON_NUMBER.lastIndex = at;
    const m = JSON_NUMBER.exec(text);
    if (m === null) fail("expected a value");
    at += m[0].length;
    return new PyNum(m[0], !/[.eE]/.test(m[0]));
  };
  const string = () => {
    at += 1;
    let out = "";
    for (;;) {
      if (at >= text.length) fail("unterminated string");
      const ch = text[at];
      if (ch === '"') {
        at += 1;
        return out;
      }
      if (ch < " ") fail("control character in a string");
      if (ch !== "\\") {
        out += ch;
        at += 1;
        continue;
      }
      const esc = text[at + 1];
      const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (esc in simple) {
        out += simple[esc];
        at += 2;
      } else if (esc === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) {
        out += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16));
        at += 6;
      } else {
        fail("invalid escape");
      }
    }
  };
  const result = value(0);
  space();
  if (at !== text.length) fail("extra data");
  return result;
}

// A JavaScript value to what Python would read from JSON.stringify of it; a non-finite
// number stays a float, as the Python API takes one.
function fromJS(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (value instanceof PyNum || value instanceof Map) return value;
  if (typeof value === "bigint") return new PyNum(value.toString(), true);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      return new PyNum("", false, Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }
    const text = JSON.stringify(value);
    return new PyNum(text, /^-?[0-9]+$/.test(text));
  }
  if (Array.isArray(value)) {
    return value.map((item) => {
      const kept = item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item;
      return fromJS(kept);
    });
  }
  if (typeof value === "object") {
    if (typeof value.toJSON === "function") return fromJS(value.toJSON());
    const out = new Map();
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      out.set(key, fromJS(item));
    }
    return out;
  }
  return null;
}

// json.dumps(value, ensure_ascii=False) for what a batch can hold; a decimal inside a
// list or object is written as its text in quotes (json.dumps with default=str).
function dumps(value) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return jsonString(value);
  if (value instanceof PyNum) {
    if (value.special !== null) return value.special;
    if (value.integer) return BigInt(value.text).toString();
    return jsonString(decStr(parseDec(value.text)));
  }
  if (Array.isArray(value)) return `[${value.map(dumps).join(", ")}]`;
  if (value instanceof Map) {
    return `{${Array.from(value, ([k, v]) => `${jsonString(k)}: ${dumps(v)}`).join(", ")}}`;
  }
  return String(value);
}

function jsonString(text) {
  const table = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };
  let out = '"';
  for (const ch of text) {
    if (ch in table) out += table[ch];
    else if (ch < " ") out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function show(raw) {
  let text;
  if (raw instanceof PyNum && !raw.integer && raw.special === null) text = decStr(parseDec(raw.text));
  else text = dumps(raw);
  const points = Array.from(text);
  return points.length <= 40 ? text : `${points.slice(0, 37).join("")}...`;
}

// repr() of a str.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function isPrintable(ch) {
  return ch === " " || !NOT_PRINTABLE.test(ch);
}

// ascii(ch)[1:-1] of a character that is not printable: how repr() writes it.
function escapeChar(ch) {
  const named = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };
  if (ch in named) return named[ch];
  const cp = ch.codePointAt(0);
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\U${cp.toString(16).padStart(8, "0")}`;
}

function printable(text) {
  let out = "";
  for (const ch of text) out += isPrintable(ch) ? ch : escapeChar(ch);
  return out;
}

function pyRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else out += isPrintable(ch) ? ch : escapeChar(ch);
  }
  return out + quote;
}

// Text that can be written out: no lone surrogate (JSON's "\ud800").
const LONE_SURROGATE = /\p{Cs}/u;

function wellFormed(text) {
  return !LONE_SURROGATE.test(text);
}

// str.strip() and str.isspace(): Python's whitespace, not JavaScript's.
const PY_SPACE = new Set(
  Array.from(
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" +
      "\u200a\u2028\u2029\u202f\u205f\u3000",
  ),
);

function blank(text) {
  for (const ch of text) if (!PY_SPACE.has(ch)) return false;
  return true;
}

// ---------------------------------------------------------------- difflib.get_close_matches(n=1)

function ratioOf(matches, length) {
  return length ? (2.0 * matches) / length : 1.0;
}

function matchingBlocks(a, b, b2j) {
  const la = a.length;
  const lb = b.length;
  const longest = (alo, ahi, blo, bhi) => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map();
    for (let i = alo; i < ahi; i += 1) {
      const next = new Map();
      for (const j of b2j.get(a[i]) || []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) || 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    // No junk: only the extension over popular elements matters.
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti -= 1;
      bestj -= 1;
      bestsize += 1;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) {
      bestsize += 1;
    }
    return [besti, bestj, bestsize];
  };
  const queue = [[0, la, 0, lb]];
  const blocks = [];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop();
    const [i, j, k] = longest(alo, ahi, blo, bhi);
    if (k) {
      blocks.push([i, j, k]);
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  blocks.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  let [i1, j1, k1] = [0, 0, 0];
  let total = 0;
  for (const [i2, j2, k2] of blocks) {
    if (i1 + k1 === i2 && j1 + k1 === j2) k1 += k2;
    else {
      total += k1;
      [i1, j1, k1] = [i2, j2, k2];
    }
  }
  return total + k1;
}

function closeMatch(word, candidates) {
  const b = Array.from(word);
  const b2j = new Map();
  b.forEach((ch, i) => {
    if (!b2j.has(ch)) b2j.set(ch, []);
    b2j.get(ch).push(i);
  });
  if (b.length >= 200) {
    const ntest = Math.floor(b.length / 100) + 1;
    for (const [ch, idxs] of Array.from(b2j)) if (idxs.length > ntest) b2j.delete(ch);
  }
  const fullbcount = new Map();
  for (const ch of b) fullbcount.set(ch, (fullbcount.get(ch) || 0) + 1);
  let best = null;
  for (const x of candidates) {
    const a = Array.from(x);
    const total = a.length + b.length;
    if (ratioOf(Math.min(a.length, b.length), total) < 0.6) continue;
    const avail = new Map();
    let quick = 0;
    for (const ch of a) {
      const numb = avail.has(ch) ? avail.get(ch) : fullbcount.get(ch) || 0;
      avail.set(ch, numb - 1);
      if (numb > 0) quick += 1;
    }
    if (ratioOf(quick, total) < 0.6) continue;
    const score = ratioOf(matchingBlocks(a, b, b2j), total);
    if (score < 0.6) continue;
    if (best === null || score > best[0] || (score === best[0] && codePointCmp(x, best[1]) > 0)) best = [score, x];
  }
  return best === null ? null : best[1];
}

function sortedCodes(codes) {
  return Array.from(codes).sort(codePointCmp);
}

function didYouMean(name, candidates) {
  const close = closeMatch(name, sortedCodes(candidates));
  return close !== null ? ` (did you mean \`${close}\`?)` : "";
}

function choices(codes) {
  return Array.from(codes)
    .sort((x, y) => cpLength(x) - cpLength(y) || codePointCmp(x, y))
    .join(", ");
}

// ---------------------------------------------------------------- reading a batch

const DECIMAL_TEXT = /^-?\p{Nd}+(\.\p{Nd}+)?$/u;
const DATE_TEXT = /^\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}$/u;

class Reader {
  constructor(spec) {
    this.spec = spec;
    this.enumCodes = new Map(spec.enums.map(([name, values]) => [name, values.map((v) => v[0])]));
  }

  value(fact, raw, where) {
    if (raw === null) return null;
    const kind = fact.kind;
    if (kind === "bool") {
      if (typeof raw !== "boolean") throw new BatchError(`${where}: expected true or false, got ${show(raw)}`, "B002");
      return raw;
    }
    if (kind === "integer" || kind === "year") {
      const value = this.number(raw, where, "a whole number");
      if (!isIntegral(value)) throw new BatchError(`${where}: expected a whole number, got ${show(raw)}`, "B002");
      if (value.sign && value.coef !== 0n) {
        throw new BatchError(`${where}: must not be negative, got ${show(raw)}`, "B003");
      }
      return decToInt(value);
    }
    if (kind === "decimal" || kind === "money" || kind === "area" || kind === "rate") {
      const value = this.number(raw, where, "a number");
      if (value.sign && value.coef !== 0n) {
        throw new BatchError(`${where}: must not be negative, got ${show(raw)}`, "B003");
      }
      if (kind === "rate" && value.coef === 0n) {
        throw new BatchError(`${where}: an exchange rate must be above zero`, "B003");
      }
      // -0 is 0, as the Python runtime reads it.
      return value.coef === 0n ? new Dec(0, 0n, value.exp) : value;
    }
    if (kind === "date") return readDate(raw, where);
    if (kind === "text" || kind === "identifier") {
      if (typeof raw !== "string" || blank(raw) || !wellFormed(raw)) {
        throw new BatchError(`${where}: expected non-empty text, got ${show(raw)}`, "B002");
      }
      return raw;
    }
    if (kind === "enum") return this.code(fact.enum, raw, where);
    if (kind === "count_map") {
      if (!(raw instanceof Map)) {
        throw new BatchError(`${where}: expected an object of ${fact.enum} codes to counts, got ${show(raw)}`, "B002");
      }
      const out = new Map();
      for (const [key, count] of raw) {
        const code = this.code(fact.enum, key, `${where}: key ${pyRepr(key)}`);
        out.set(code, this.value({ name: fact.name, kind: "integer" }, count, `${where}[${pyRepr(key)}]`));
      }
      return out;
    }
    throw new BatchError(`${where}: facts of kind ${kind} cannot be read`, "B002");
  }

  number(raw, where, expected) {
    if (!(raw instanceof PyNum) && typeof raw !== "string") {
      throw new BatchError(`${where}: expected ${expected}, got ${show(raw)}`, "B002");
    }
    if (raw instanceof PyNum && raw.special !== null) {
      throw new BatchError(`${where}: expected ${expected}, got ${show(raw)}`, "B002");
    }
    if (typeof raw === "string" && !DECIMAL_TEXT.test(raw)) {
      throw new BatchError(`${where}: expected ${expected}, got ${show(raw)}`, "B002");
    }
    const value = raw instanceof PyNum && raw.integer ? fromInt(BigInt(raw.text)) : parseDec(raw.text ?? raw);
    const digits = digitCount(value.coef);
    if (value.exp + digits - 1 >= MAX_DIGITS) throw new BatchError(`${where}: ${show(raw)} is too large`, "B003");
    if (digits > MAX_SIGNIFICANT) {
      throw new BatchError(`${where}: ${show(raw)} has more than ${MAX_SIGNIFICANT} significant digits`, "B003");
    }
    return value;
  }

  code(enumName, raw, where) {
    const codes = this.enumCodes.get(enumName);
    if (!(typeof raw === "string" || (raw instanceof PyNum && raw.integer))) {
      throw new BatchError(`${where}: expected one of ${choices(codes)}, got ${show(raw)}`, "B002");
    }
    const code = typeof raw === "string" ? raw : BigInt(raw.text).toString();
    if (!codes.includes(code)) {
      throw new BatchError(
        `${where}: unknown ${enumName} ${show(raw)}; expected one of ${choices(codes)}${didYouMean(code, codes)}`,
        "B004",
      );
    }
    return code;
  }
}

function readDate(raw, where) {
  if (typeof raw !== "string" || !DATE_TEXT.test(raw)) {
    throw new BatchError(`${where}: expected a date YYYY-MM-DD, got ${show(raw)}`, "B002");
  }
  // date.fromisoformat takes ASCII digits only.
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(raw);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  if (!m || y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) {
    throw new BatchError(`${where}: ${show(raw)} is not a day in the calendar`, "B002");
  }
  return new Day(y, mo, d);
}

function readBatch(spec, data) {
  if (!(data instanceof Map)) {
    throw new BatchError("the batch must be a JSON object with `as_of` and `applicants`", "B010");
  }
  const reader = new Reader(spec);
  const batchFacts = spec.facts.filter((f) => f.scope === "batch");
  const applicantFacts = spec.facts.filter((f) => f.scope === "applicant");
  const batchNames = batchFacts.map((f) => f.name);
  const applicantByName = new Map(applicantFacts.map((f) => [f.name, f]));
  for (const key of data.keys()) {
    if (key !== "applicants" && !batchNames.includes(key)) {
      throw new BatchError(`batch: unknown fact \`${key}\`${didYouMean(key, [...batchNames, "applicants"])}`, "B001");
    }
  }
  const values = Object.create(null);
  for (const f of batchFacts) {
    values[f.name] = reader.value(f, data.has(f.name) ? data.get(f.name) : null, `batch: fact \`${f.name}\``);
  }
  for (const f of batchFacts) {
    if (f.required && values[f.name] === null) {
      throw new BatchError(`batch: fact \`${f.name}\` (${f.label_en}) is required`, "B005");
    }
  }
  const asOf = "as_of" in values ? values.as_of : null;
  if (asOf !== null && !(spec.period_start.ord <= asOf.ord && asOf.ord <= spec.period_end.ord)) {
    throw new BatchError(
      `batch: as_of ${asOf} is outside the period in effect of ${spec.id}, ${spec.period_start} to ${spec.period_end}`,
      "B008",
    );
  }
  spec.batch_defaults(values);
  const rawApplicants = data.has("applicants") ? data.get("applicants") : null;
  if (!Array.isArray(rawApplicants)) throw new BatchError("batch: `applicants` must be a list of applicants", "B010");
  const applicants = [];
  const seen = new Map();
  rawApplicants.forEach((raw, i) => {
    const index = i + 1;
    let label = `applicant #${index}`;
    if (!(raw instanceof Map)) throw new BatchError(`${label}: expected an object of facts, got ${show(raw)}`, "B010");
    const ident = raw.has("id") ? raw.get("id") : null;
    if (ident === null) throw new BatchError(`${label}: fact \`id\` is missing`, "B005");
    if (typeof ident !== "string" || blank(ident) || !wellFormed(ident)) {
      throw new BatchError(`${label}: fact \`id\` must be non-empty text, got ${show(ident)}`, "B002");
    }
    label = `applicant ${show(ident)}`;
    if (seen.has(ident)) throw new BatchError(`${label}: duplicate id (also applicant #${seen.get(ident)})`, "B007");
    seen.set(ident, index);
    const facts = Object.create(null);
    for (const f of applicantFacts) facts[f.name] = null;
    for (const [key, value] of raw) {
      if (!applicantByName.has(key)) {
        throw new BatchError(`${label}: unknown fact \`${key}\`${didYouMean(key, applicantByName.keys())}`, "B001");
      }
      facts[key] = reader.value(applicantByName.get(key), value, `${label}: fact \`${key}\``);
    }
    for (const f of applicantFacts) {
      if (f.required && facts[f.name] === null) {
        throw new BatchError(`${label}: fact \`${f.name}\` (${f.label_en}) is required`, "B005");
      }
    }
    applicants.push(facts);
  });
  requireRates(spec, values, applicants);
  return [values, applicants];
}

// An exchange rate is required as soon as any amount in its currency is given.
function requireRates(spec, values, applicants) {
  for (const rate of spec.facts.filter((f) => f.scope === "batch" && f.kind === "rate")) {
    if (values[rate.name] !== null) continue;
    const foreign = spec.facts
      .filter((f) => f.scope === "applicant" && f.kind === "money" && f.unit === rate.enum)
      .map((f) => f.name);
    for (const applicant of applicants) {
      for (const name of foreign) {
        if (applicant[name] !== null) {
          throw new BatchError(
            `batch: fact \`${rate.name}\` (${rate.label_en}) is required because ` +
              `applicant ${show(applicant.id)} gives \`${name}\` in ${rate.enum}`,
            "B009",
          );
        }
      }
    }
  }
}

// ---------------------------------------------------------------- evaluating a batch

class Context {
  constructor() {
    this.ranks = new Map();
  }

  ranked(ranking, applicant) {
    return this.ranks.get(ranking).has(applicant);
  }
}

// A total order: facts (absent last), rank positions, input order.
function sortKey(keys, applicant, index, ctx) {
  const parts = [];
  for (const [kind, name, descending] of keys) {
    if (kind === "input") parts.push([0, BigInt(index), false]);
    else if (kind === "rank") {
      const position = ctx.ranks.get(name).get(applicant);
      parts.push([0, position === undefined ? Infinity : BigInt(position), false]);
    } else {
      const value = applicant[name];
      if (value === null) parts.push([1, 0n, false]);
      else parts.push([0, value, descending]);
    }
  }
  parts.push([0, BigInt(index), false]);
  return parts;
}

function keyCmp(x, y) {
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const [fx, vx, dx] = x[i];
    const [fy, vy, dy] = y[i];
    if (fx !== fy) return fx - fy;
    const order = pyCmp(vx, vy);
    if (order !== 0) return dx && dy ? -order : order;
  }
  return x.length - y.length;
}

function evaluateBatch(spec, batch, applicants) {
  const ctx = new Context();
  for (const ranking of spec.rankings) {
    const pool = [];
    applicants.forEach((a, i) => {
      if (ranking.among(a, batch)) pool.push([i, a]);
    });
    const keyed = pool.map(([i, a]) => [sortKey(ranking.keys, a, i, ctx), a]);
    keyed.sort((x, y) => keyCmp(x[0], y[0]));
    ctx.ranks.set(ranking.name, new Map(keyed.slice(0, ranking.top).map(([, a], p) => [a, p + 1])));
  }

  const results = [];
  const byMeasure = new Map(spec.measures.map((m) => [m.name, []]));
  applicants.forEach((applicant, index) => {
    const awards = [];
    for (const measure of spec.measures) {
      let found;
      try {
        found = measure.assess(applicant, batch, ctx);
      } catch (error) {
        if (!(error instanceof Needed)) throw error;
        throw new BatchError(
          `applicant ${show(applicant.id)}: fact \`${error.fact}\` is needed by ${measure.name} ` +
            `((${measure.numeral}) ${measure.title_en}), whose conditions hold, but it was not given`,
          "B006",
        );
      }
      if (!found.eligible && !measure.relevant.some((f) => applicant[f] !== null)) continue;
      const award = makeAward(spec, measure, applicant, found);
      awards.push(award);
      byMeasure.get(measure.name).push([index, award, found]);
    }
    results.push({ id: applicant.id, awards });
  });

  for (const group of spec.exclusives) exclusive(group, spec, results, applicants);
  const pools = spec.pools.map((pool) => fund(pool, byMeasure, applicants, ctx));
  for (const result of results) for (const award of result.awards) share(spec, award);
  return toJSON(spec, batch, results, pools);
}

function makeAward(spec, measure, applicant, found) {
  const county = spec.jurisdiction ? applicant[spec.jurisdiction] : null;
  return {
    measure: measure.name,
    clause: measure.clause,
    computed: found.amount,
    amount: found.amount,
    status: found.eligible ? "granted" : "not_eligible",
    payee: measure.payee,
    payee_county: county,
    city_share: null,
    county_share: null,
    why: [`(${measure.numeral}) ${measure.title_en} [${measure.source}]`, ...found.whyEn],
    why_zh: [`第(${measure.numeral})条 ${measure.title_zh}`, ...found.whyZh],
  };
}

// The burden split of a paid amount; none where the fiscal system settles it.
function share(spec, award) {
  const measure = spec.measures.find((m) => m.name === award.measure);
  if (measure.city_percent === null) return;
  // amount × percent / 100 is exact in decimal: move the point two places, then round.
  const product = decMul(toDec(award.amount), measure.city_percent);
  const city = quantize(new Dec(product.sign, product.coef, product.exp - 2), spec.quantum.exp, spec.rounding);
  award.city_share = city;
  award.county_share = sub(award.amount, city);
}

function exclusive(group, spec, results, applicants) {
  const order = new Map(group.members.map((name, i) => [name, i]));
  results.forEach((result, i) => {
    const applicant = applicants[i];
    const members = result.awards.filter(
      (a) => order.has(a.measure) && a.status === "granted" && numCmp(a.amount, 0n) > 0,
    );
    if (!members.length) return;
    // Highest first; ties: lowest clause number, then order of declaration.
    members.sort(
      (x, y) => -numCmp(x.amount, y.amount) || x.clause - y.clause || order.get(x.measure) - order.get(y.measure),
    );
    const [best, ...rest] = members;
    const other = group.against ? applicant[group.against] : null;
    for (const award of rest) {
      supersede(
        award,
        `superseded by ${best.measure} (${money(best.amount, "en")}) under (${group.numeral}) ${group.title_en}`,
        `依第(${group.numeral})条${group.title_zh},由${best.measure}(${money(best.amount, "zh")})取代`,
      );
    }
    if (other !== null && numCmp(other, 0n) > 0 && numCmp(other, best.amount) >= 0) {
      const fact = spec.facts.find((f) => f.name === group.against);
      supersede(
        best,
        `superseded: the ${fact.label_en} (${money(other, "en")}) is at least this one, ` +
          `under (${group.numeral}) ${group.title_en}`,
        `${fact.label_zh}(${money(other, "zh")})不低于本项,依第(${group.numeral})条${group.title_zh}原则不重复奖励`,
      );
    }
  });
}

function supersede(award, en, zh) {
  award.amount = ZERO;
  award.status = "superseded";
  award.why.push(en);
  award.why_zh.push(zh);
}

function fund(pool, byMeasure, applicants, ctx) {
  const claims = [];
  for (const name of pool.funds) {
    for (const claim of byMeasure.get(name)) {
      const award = claim[1];
      if (award.status === "granted" && numCmp(award.amount, 0n) > 0) claims.push(claim);
    }
  }
  const keyed = claims.map((c) => [sortKey(pool.order, applicants[c[0]], c[0], ctx), c]);
  keyed.sort((x, y) => keyCmp(x[0], y[0]));
  let left = pool.limit;
  for (const [, [, award, found]] of keyed) {
    const asked = award.amount;
    if (numCmp(asked, left) <= 0) {
      left = sub(left, asked);
      continue;
    }
    let granted = left;
    if (pool.whole_units && found.unit !== null && !isZero(found.unit)) {
      granted = mul(decFloorDiv(toDec(left), toDec(found.unit)), found.unit);
    }
    left = sub(left, granted);
    award.amount = granted;
    award.status = numCmp(granted, 0n) > 0 ? "pool_reduced" : "pool_exhausted";
    award.why.push(
      `the ${pool.title_en} (${money(pool.limit, "en")}) had ${money(granted, "en")} left ` +
        `for this application of ${money(asked, "en")}`,
    );
    award.why_zh.push(
      `${pool.title_zh}(${money(pool.limit, "zh")})仅余${money(granted, "zh")},本申请${money(asked, "zh")}`,
    );
  }
  return { measure: pool.funds.join(","), pool: pool.name, limit: pool.limit, used: sub(pool.limit, left) };
}

function jsonInt(n) {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function toJSON(spec, batch, results, pools) {
  let total = ZERO;
  const applicants = results.map((result) => {
    let own = ZERO;
    for (const award of result.awards) own = add(own, award.amount);
    total = add(total, own);
    return {
      id: result.id,
      awards: result.awards.map((a) => ({
        clause: a.clause,
        measure: a.measure,
        amount: moneyText(a.amount),
        status: a.status,
        payee: a.payee,
        payee_county: a.payee_county,
        city_share: a.city_share === null ? null : moneyText(a.city_share),
        county_share: a.county_share === null ? null : moneyText(a.county_share),
        computed: moneyText(a.computed),
        why: a.why,
        why_zh: a.why_zh,
      })),
      total: moneyText(own),
    };
  });
  const year = "year" in batch ? batch.year : null;
  return {
    policy: spec.id,
    as_of: "as_of" in batch && batch.as_of !== null ? batch.as_of.toString() : null,
    year: year === null ? null : jsonInt(year),
    applicants,
    pools: pools.map((p) => ({ measure: p.measure, pool: p.pool, limit: moneyText(p.limit), used: moneyText(p.used) })),
    total: moneyText(total),
  };
}

// JSON text of a result as `pol eval --format json` prints it (json.dumps, indent 2,
// ensure_ascii=False); a year too large for a JavaScript number stays exact.
function stringify(value, indent = "") {
  const inner = `${indent}  `;
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "string") return jsonString(value);
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    return `[\n${value.map((v) => inner + stringify(v, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (!entries.length) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${jsonString(k)}: ${stringify(v, inner)}`).join(",\n")}\n${indent}}`;
}

// ---------------------------------------------------------------- versions of an amended policy

// The version in force on a day; before the first, the first, which refuses such a day.
function versionOn(versions, when) {
  let chosen = versions[0];
  for (const version of versions) if (version.effective.ord <= when.ord) chosen = version;
  return chosen;
}

// The version a batch is read with: the one in force on its `as_of`. When `as_of` is missing
// or not a date, the first version reads the batch and refuses it as a policy without amendments would.
function versionFor(versions, data) {
  const raw = data instanceof Map && data.has("as_of") ? data.get("as_of") : null;
  if (typeof raw === "string" && DATE_TEXT.test(raw)) {
    const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(raw);
    if (m) {
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo)) return versionOn(versions, new Day(y, mo, d));
    }
  }
  return versions[0];
}

// A batch (a JavaScript value, or JSON text read as Python reads it) evaluated by the version
// in force on its `as_of`; throws BatchError with the message the Python calculator gives.
function evaluateVersions(versions, batch) {
  const data = typeof batch === "string" ? parseJSON(batch) : fromJS(batch);
  const [values, applicants] = readBatch(versionFor(versions, data).spec, data);
  const asOf = "as_of" in values ? values.as_of : null;
  const version = asOf !== null ? versionOn(versions, asOf) : versions[0];
  return evaluateBatch(version.spec, values, applicants);
}

// What a module exports about its policy is read-only: the calculator reads the same objects.
function frozen(value) {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) frozen(item);
  }
  return value;
}

// pol: exports (the compiler inlines everything above this line)
export {
  add,
  arith,
  BatchError,
  compare,
  D,
  day,
  Dec,
  decStr,
  didYouMean,
  eachAt,
  evaluateVersions,
  firstFullYearAfter,
  fixed2,
  fmt,
  frozen,
  fullYears,
  lookup,
  money,
  mul,
  need,
  neg,
  num,
  numCompare,
  parseJSON,
  perIncrement,
  PyNum,
  pyRepr,
  quantize,
  refuse,
  settle,
  show,
  stringify,
  sub,
  Trace,
  truth,
  versionFor,
  versionOn,
  withCommas,
  within,
  yearOf,
};
