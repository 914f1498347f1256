// Apply runtime functions to inputs, for tests/test_js_agreement.py's formatting checks.
//
//   node probe.mjs RUNTIME.mjs CALLS.json    (CALLS: [[function, ...arguments], ...])
//
// Decimal arguments are given as text ("d:1.50"), whole numbers as "i:12"; results are strings.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const rt = await import(pathToFileURL(process.argv[2]).href);
const calls = JSON.parse(readFileSync(process.argv[3], "utf8"));

function value(arg) {
  if (typeof arg !== "string") return arg;
  if (arg.startsWith("d:")) return rt.D(arg.slice(2));
  if (arg.startsWith("i:")) return BigInt(arg.slice(2));
  if (arg.startsWith("s:")) return arg.slice(2);
  if (arg.startsWith("j:")) return rt.parseJSON(arg.slice(2));
  return arg;
}

const operations = {
  str: (x) => rt.decStr(x),
  commas: (x) => rt.withCommas(x),
  fixed2: (x) => rt.fixed2(x, false),
  money: (x) => rt.money(x, "en"),
  fmt: (x) => rt.fmt(x, "en"),
  add: (x, y) => rt.decStr(rt.add(x, y)),
  sub: (x, y) => rt.decStr(rt.sub(x, y)),
  mul: (x, y) => rt.decStr(rt.mul(x, y)),
  neg: (x) => rt.decStr(rt.neg(x)),
  quantize: (x, mode) => rt.decStr(rt.quantize(x, -2, mode)),
  repr: (x) => rt.pyRepr(x),
  show: (x) => rt.show(x),
  didYouMean: (x, ...candidates) => rt.didYouMean(x, candidates),
};

const out = calls.map(([name, ...args]) => operations[name](...args.map(value)));
process.stdout.write(JSON.stringify(out));
