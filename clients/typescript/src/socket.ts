// The socket, only as far as the REST contract goes: it opens with the access
// token and answers a ping. Its event types come from the AsyncAPI document
// (issue 25 item 2), not from here: a frame is `unknown` until checked.
import WebSocket from "ws";

export async function pingOverSocket(baseUrl: string, access: string, timeoutMs: number) {
  const url = `${baseUrl.replace(/^http/, "ws")}/ws/`;
  const socket = new WebSocket(url, ["bearer", access], { origin: baseUrl });
  try {
    return await new Promise<{ protocol: string; answer: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("socket: no ack in time")), timeoutMs);
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on("open", () => socket.send(JSON.stringify({ type: "ping", ref: "p1", data: {} })));
      socket.on("message", (raw) => {
        const frame: unknown = JSON.parse(raw.toString());
        if (typeof frame !== "object" || frame === null || !("type" in frame) || !("ref" in frame)) {
          return;
        }
        if (frame.ref !== "p1") return;
        clearTimeout(timer);
        if (frame.type === "ack") resolve({ protocol: socket.protocol, answer: "ack" });
        else reject(new Error(`socket: ping answered with ${String(frame.type)}`));
      });
    });
  } finally {
    socket.close();
  }
}
