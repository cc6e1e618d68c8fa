// Writes generated/openapi.yaml (the project's OpenAPI document, from
// `manage.py spectacular`) and generated/api.ts (its types, by openapi-typescript).
// Both are build output: gitignored, made again by `make client` and by the e2e test.
//
// PYTHON: the interpreter with the project installed (default: the repo's .venv).
// OUT_DIR: where to write them instead (the e2e test builds in a temporary folder).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const out = resolve(process.env.OUT_DIR || join(here, "../generated"));
const venvPython = join(repo, ".venv/bin/python");
const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : "python3");
const schemaFile = join(out, "openapi.yaml");

mkdirSync(out, { recursive: true });
try {
  execFileSync(python, ["manage.py", "spectacular", "--file", schemaFile], {
    cwd: repo,
    stdio: ["ignore", "inherit", "inherit"],
  });
} catch {
  console.error(`${python} manage.py spectacular failed: set PYTHON to the project's interpreter`);
  process.exit(1);
}

// An upload's file part (`format: binary`) is a Blob to send, not a string
// (openapi-typescript's documented transform for multipart bodies).
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());

const ast = await openapiTS(pathToFileURL(schemaFile), {
  // A request field with a `default` is optional: the server fills it in. (The
  // option's default, true, makes every property with a `default` required,
  // which only fits responses; ours list what they always send in `required`.)
  defaultNonNullable: false,
  transform(schemaObject) {
    if (schemaObject.format === "binary") {
      return schemaObject.nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
    }
    return undefined;
  },
});
writeFileSync(join(out, "api.ts"), astToString(ast));
console.log(`generated ${join(out, "api.ts")} from the OpenAPI document`);
