// Writes generated/openapi.yaml (the project's OpenAPI document, from
// `manage.py spectacular`) and generated/api.ts (its types, by openapi-typescript);
// generated/asyncapi.json (the socket's AsyncAPI document, realtime/asyncapi.py),
// generated/events.ts (its schemas' types, by openapi-typescript) and
// generated/frames.ts (the `ServerFrame` and `ClientFrame` unions and the lists of
// their `type`s, from the document's operations).
// All build output: gitignored, made again by `make client` and by the e2e test.
//
// PYTHON: the interpreter with the project installed (default: the repo's .venv).
// OUT_DIR: where to write them instead (the e2e test builds in a temporary folder).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

const options = {
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
};
const ast = await openapiTS(pathToFileURL(schemaFile), options);
writeFileSync(join(out, "api.ts"), astToString(ast));
console.log(`generated ${join(out, "api.ts")} from the OpenAPI document`);

// The socket: the AsyncAPI document, as the server builds it for /api/asyncapi/.
const asyncapiFile = join(out, "asyncapi.json");
const dump = [
  "import django, json, sys",
  "django.setup()",
  "from realtime.asyncapi import build_document",
  "json.dump(build_document(), sys.stdout, indent=1)",
].join("; ");
try {
  const document = execFileSync(python, ["-c", dump], {
    cwd: repo,
    env: { DJANGO_SETTINGS_MODULE: "config.settings", ...process.env },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(asyncapiFile, document);
} catch {
  console.error(`${python} could not build the AsyncAPI document (realtime/asyncapi.py)`);
  process.exit(1);
}
const asyncapi = JSON.parse(readFileSync(asyncapiFile, "utf8"));

// Its schemas are JSON Schema (`type: [..., "null"]`, `const`): OpenAPI 3.1's
// dialect, so they go into a 3.1 document as they are, plus one schema per
// message, its frame envelope (`{type: const, id, ts, data}` or `{type, ref, data}`).
const pascal = (key) =>
  key
    .split(/[._-]/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
const schemas = { ...asyncapi.components.schemas };
const frames = (operation) =>
  asyncapi.operations[operation].messages.map(({ $ref }) => {
    const key = $ref.split("/").pop();
    const message = asyncapi.components.messages[key];
    const envelope = `${pascal(key)}Envelope`;
    if (envelope in schemas) throw new Error(`schema ${envelope} already in the document`);
    schemas[envelope] = message.payload;
    return { type: message.payload.properties.type.const, schema: envelope };
  });
const server = frames("sendToClient");
const client = frames("receiveFromClient");
const eventsDocument = {
  openapi: "3.1.0",
  info: { title: asyncapi.info.title, version: asyncapi.info.version },
  paths: {},
  components: { schemas },
};
const eventsFile = join(out, "events.json");
writeFileSync(eventsFile, JSON.stringify(eventsDocument, null, 1));
const eventsAst = await openapiTS(pathToFileURL(eventsFile), options);
writeFileSync(join(out, "events.ts"), astToString(eventsAst));

const union = (list) => list.map(({ schema }) => `\n  | Schemas["${schema}"]`).join("");
const types = (list) => list.map(({ type }) => `\n  ${JSON.stringify(type)},`).join("");
writeFileSync(
  join(out, "frames.ts"),
  `// Generated by scripts/generate.mjs from the AsyncAPI document: do not edit.
import type { components } from "./events.js";

type Schemas = components["schemas"];

/** Every frame the server sends (operation sendToClient), by \`type\`. */
export type ServerFrame =${union(server)};

/** Every frame the server accepts (operation receiveFromClient), by \`type\`. */
export type ClientFrame =${union(client)};

export type ServerFrameType = ServerFrame["type"];
export type ClientFrameType = ClientFrame["type"];

export const SERVER_FRAME_TYPES: readonly ServerFrameType[] = [${types(server)}
];

export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = [${types(client)}
];
`,
);
console.log(
  `generated ${join(out, "events.ts")} and frames.ts from the AsyncAPI document ` +
    `(${server.length} server frames, ${client.length} client frames)`,
);
