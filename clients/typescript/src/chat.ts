// A direct chat: open the conversation, send a message, the other side reads it.
import { ok, type User } from "./api.js";

export async function openDirect(user: User, otherUserId: string) {
  // No `title`: a direct conversation has none (the field is optional).
  return ok(
    "conversation",
    await user.api.POST("/api/v1/chat/conversations/", {
      body: { kind: "direct", participant_ids: [otherUserId] },
    }),
  );
}

export async function send(user: User, conversationId: string, body: string) {
  return ok(
    "message",
    await user.api.POST("/api/v1/chat/conversations/{id}/messages/", {
      params: { path: { id: conversationId } },
      body: { body, client_ref: `ts-${Date.now()}` },
    }),
  );
}

export async function markRead(user: User, conversationId: string, upTo: string) {
  return ok(
    "read",
    await user.api.POST("/api/v1/chat/conversations/{id}/read/", {
      params: { path: { id: conversationId } },
      body: { up_to: upTo },
    }),
  );
}
