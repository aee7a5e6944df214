// The command's two JSON Schemas, compiled with Ajv in strict draft 2020-12 mode, so a schema
// that is itself malformed (an unknown keyword, a bad $ref) fails the tests too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

import { ROOT } from "./support.js";

function load(name: string): object {
  return JSON.parse(readFileSync(join(ROOT, "src", "cli", name), "utf8")) as object;
}

const ajv = new Ajv2020({
  strict: true,
  strictRequired: false,
  strictTypes: false,
  allErrors: true,
});
export const validateOutput: ValidateFunction = ajv.compile(load("output.schema.json"));
export const validateSnapshot: ValidateFunction = ajv.compile(load("snapshot.schema.json"));

/** Throws with Ajv's errors when `data` does not match. */
export function assertValid(validate: ValidateFunction, data: unknown): void {
  if (!validate(data)) {
    throw new Error(`schema violations:\n${JSON.stringify(validate.errors, null, 2)}`);
  }
}
