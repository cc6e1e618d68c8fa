// The socket, typed by the AsyncAPI document (generated/frames.ts): what comes in
// is a `ServerFrame` once its `type` is one the document lists, what goes out is a
// `ClientFrame`. Narrow a frame by its `type` to read its `data`.
import WebSocket from "ws";
import {
  type ClientFrame,
  SERVER_FRAME_TYPES,
  type ServerFrame,
  type ServerFrameType,
} from "../generated/frames.js";

export type { ClientFrame, ServerFrame };
export type FrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;

const known: ReadonlySet<unknown> = new Set(SERVER_FRAME_TYPES);

/** A frame of a type the document lists, with its `data`; anything else is not. */
export function isServerFrame(value: unknown): value is ServerFrame {
  return (
    typeof value === "object" &&
    value !== null &&
    "type" in value &&
    known.has(value.type) &&
    "data" in value &&
    typeof value.data === "object" &&
    value.data !== null
  );
}

export function isFrameOf<T extends ServerFrameType>(frame: ServerFrame, type: T): frame is FrameOf<T> {
  return frame.type === type;
}

type Waiter = {
  accept: (frame: ServerFrame) => boolean;
  fail: (error: Error) => void;
};

/** One socket: frames are kept until a `next()` takes them. */
export class Socket {
  readonly protocol: string;
  /** The id of the newest event-log frame received: resume with `?since=` it. */
  lastEventId: string | null = null;
  private readonly closed: Promise<number>;
  private readonly frames: ServerFrame[] = [];
  private readonly waiters = new Set<Waiter>();
  private refs = 0;

  private constructor(private readonly ws: WebSocket) {
    this.protocol = ws.protocol;
    this.closed = new Promise((resolve) => ws.once("close", resolve));
    ws.on("message", (raw) => this.receive(raw.toString()));
    ws.on("close", (code) => this.failAll(new Error(`socket: closed (${code})`)));
    ws.on("error", (error) => this.failAll(error));
  }

  /** Opens the socket with the access token (the `bearer` subprotocol); with
   * `since`, the server first replays the event log after that id. */
  static open(baseUrl: string, access: string, timeoutMs: number, since?: string): Promise<Socket> {
    const query = since === undefined ? "" : `?since=${encodeURIComponent(since)}`;
    const url = `${baseUrl.replace(/^http/, "ws")}/ws/${query}`;
    const ws = new WebSocket(url, ["bearer", access], { origin: baseUrl });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("socket: not open in time")), timeoutMs);
      ws.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      ws.once("open", () => {
        clearTimeout(timer);
        resolve(new Socket(ws));
      });
    });
  }

  send(frame: ClientFrame): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a client frame with a fresh `ref`; resolves with its `ack`, throws on its `error`. */
  async request(frame: ClientFrame, timeoutMs: number): Promise<FrameOf<"ack">> {
    this.refs += 1;
    const ref = `r${this.refs}`;
    this.send({ ...frame, ref });
    const answer = await this.next(
      (f) => (isFrameOf(f, "ack") || isFrameOf(f, "error")) && f.ref === ref,
      timeoutMs,
    );
    if (isFrameOf(answer, "error")) {
      throw new Error(`socket: ${frame.type} refused: ${JSON.stringify(answer.data)}`);
    }
    if (!isFrameOf(answer, "ack")) throw new Error(`socket: ${frame.type} answered ${answer.type}`);
    return answer;
  }

  /** The first frame of `type` that `match` accepts, received already or within `timeoutMs`. */
  async waitFor<T extends ServerFrameType>(
    type: T,
    match: (frame: FrameOf<T>) => boolean,
    timeoutMs: number,
  ): Promise<FrameOf<T>> {
    const found = await this.next((f) => isFrameOf(f, type) && match(f), timeoutMs);
    if (!isFrameOf(found, type)) throw new Error(`socket: expected ${type}, got ${found.type}`);
    return found;
  }

  /** The next frame, whatever its type, received already or within `timeoutMs`. */
  nextFrame(timeoutMs: number): Promise<ServerFrame> {
    return this.next(() => true, timeoutMs);
  }

  /** Closes the socket; resolves with the close code once it is closed. */
  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }

  private next(accept: (frame: ServerFrame) => boolean, timeoutMs: number): Promise<ServerFrame> {
    const index = this.frames.findIndex(accept);
    const kept = index >= 0 ? this.frames.splice(index, 1)[0] : undefined;
    if (kept) return Promise.resolve(kept);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        accept: (frame) => {
          if (!accept(frame)) return false;
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(frame);
          return true;
        },
        fail: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(error);
        },
      };
      const timer = setTimeout(() => waiter.fail(new Error("socket: no such frame in time")), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private receive(text: string): void {
    const parsed: unknown = JSON.parse(text);
    if (!isServerFrame(parsed)) {
      process.stderr.write(`socket: ignored a frame of no known type: ${text}\n`);
      return;
    }
    if ("id" in parsed && parsed.id !== null) this.lastEventId = parsed.id;
    for (const waiter of this.waiters) {
      if (waiter.accept(parsed)) return;
    }
    this.frames.push(parsed);
  }

  private failAll(error: Error): void {
    for (const waiter of [...this.waiters]) waiter.fail(error);
  }
}
