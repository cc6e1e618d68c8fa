// The typed client: openapi-fetch over the types generated from the OpenAPI
// document (generated/api.ts). Every path, body and answer below is checked
// against the schema by `tsc`; nothing is cast or typed by hand.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "../generated/api.js";

export type Schemas = components["schemas"];

/** One signed-in (or not yet) user: a client that sends their access token. */
export class User {
  readonly api: Client<paths>;
  access = "";
  refresh = "";

  constructor(baseUrl: string) {
    this.api = createClient<paths>({ baseUrl });
    this.api.use({
      onRequest: ({ request }) => {
        if (this.access) request.headers.set("Authorization", `Bearer ${this.access}`);
        return request;
      },
    });
  }

  /** Keeps the tokens of a login, a registration or a refresh. */
  signIn(tokens: Schemas["TokenPair"]): void {
    this.access = tokens.access;
    if (tokens.refresh) this.refresh = tokens.refresh;
  }
}

export class StepFailed extends Error {
  constructor(step: string, status: number, error: unknown) {
    super(`${step}: HTTP ${status} ${JSON.stringify(error)}`);
  }
}

/** The answer's body when the call succeeded; throws with the error otherwise. */
export function ok<D, E>(step: string, result: { data?: D; error?: E; response: Response }): D {
  if (!result.response.ok || result.data === undefined) {
    throw new StepFailed(step, result.response.status, result.error);
  }
  return result.data;
}

/** The error body of a call that had to fail with `status`. */
export function refused<D, E>(
  step: string,
  status: number,
  result: { data?: D; error?: E; response: Response },
): E {
  if (result.response.status !== status || result.error === undefined) {
    throw new StepFailed(`${step} (expected HTTP ${status})`, result.response.status, result.data);
  }
  return result.error;
}

/** One line of JSON on stdout per step: what the e2e test reads and checks. */
export function report(step: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ step, ...fields })}\n`);
}
