// Evaluate batches with a generated calculator, for tests/test_js_agreement.py.
//
//   node agree.mjs MODULE.mjs BATCHES.json
//
// BATCHES.json is a list of JSON texts. For each, prints what `evaluate` gives for the text
// itself and for the object JSON.parse makes of it (with the JSON.stringify text Python is
// to read for that object): {text: R, object: R, restringified: "..."}, where R is
// {json: "<result as pol eval prints it>"} or {refused: message, code}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const calculator = await import(pathToFileURL(process.argv[2]).href);
const batches = JSON.parse(readFileSync(process.argv[3], "utf8"));

function run(batch) {
  try {
    return { json: calculator.toJSONText(calculator.evaluate(batch)) };
  } catch (error) {
    if (!(error instanceof calculator.BatchError)) throw error;
    return { refused: error.message, code: error.code };
  }
}

const out = batches.map((text) => {
  const object = JSON.parse(text);
  return { text: run(text), object: run(object), restringified: JSON.stringify(object) };
});
process.stdout.write(JSON.stringify(out));
