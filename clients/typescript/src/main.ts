// The critical path (seed 002), walked by two users against a running server:
//   API_BASE_URL=http://127.0.0.1:8000 node dist/src/main.js
// Each step prints one line of JSON. After "checkout" the client waits (up to
// PAYMENT_TIMEOUT_MS) for the order to be paid: Stripe's webhook, which the
// e2e test signs and posts; against `make run`, pay on the Checkout page.
import { randomUUID } from "node:crypto";
import { report, User } from "./api.js";
import { login, logout, refresh, register } from "./auth.js";
import { markRead, openDirect, send } from "./chat.js";
import { comment, createPost, like, postsOf, readPost, uploadImage, writePost } from "./forum.js";
import { addToCart, checkout, orderHistory, products, waitUntilPaid } from "./shop.js";
import { isFrameOf, Socket } from "./socket.js";

const baseUrl = process.env.API_BASE_URL ?? "http://127.0.0.1:8000";
const paymentTimeoutMs = Number(process.env.PAYMENT_TIMEOUT_MS ?? 20000);
const socketTimeoutMs = 5000;
// What a Celery task delivers (notifications) comes later than what a request does.
const taskTimeoutMs = Number(process.env.TASK_TIMEOUT_MS ?? 20000);
const password = "a-long-pass-phrase";
const run = randomUUID().slice(0, 8);

async function main(): Promise<void> {
  const alice = new User(baseUrl);
  const bob = new User(baseUrl);

  const aliceEmail = `alice-${run}@example.com`;
  const bobEmail = `bob-${run}@example.com`;
  const registered = await register(alice, aliceEmail, password);
  const bobProfile = await register(bob, bobEmail, password);
  report("register", { user_id: registered.id, email: registered.email, other_user_id: bobProfile.id });

  const me = await login(alice, aliceEmail, password);
  await login(bob, bobEmail, password);
  report("login", { user_id: me.id, has_refresh: alice.refresh !== "" });

  // Frames are typed by the AsyncAPI document: narrowed by `type`, `data` is typed.
  const aliceSocket = await Socket.open(baseUrl, alice.access, socketTimeoutMs);
  const bobSocket = await Socket.open(baseUrl, bob.access, socketTimeoutMs);
  const pong = await aliceSocket.request({ type: "ping", data: {} }, socketTimeoutMs);
  report("socket", { protocol: aliceSocket.protocol, answer: pong.type, ref: pong.ref });

  const image = await uploadImage(alice);
  report("upload", { media_id: image.id, url: image.url, width: image.width });
  const post = await createPost(alice, "Hello from the typed client", image.id);
  report("post", { post_id: post.id, media: post.media.map((m) => m.id) });

  await aliceSocket.request({ type: "subscribe", data: { stream: `post:${post.id}` } }, socketTimeoutMs);
  const liked = await like(bob, post.id);
  const isThisPost = (event: { data: { post_id: string } }) => event.data.post_id === post.id;
  const likedEvent = await aliceSocket.waitFor("forum.post.liked", isThisPost, socketTimeoutMs);
  const { post_id, like_count } = likedEvent.data;
  report("like event", { type: likedEvent.type, stream: likedEvent.stream, post_id, like_count });
  // Written by the worker (deliver_notification), then pushed to the author's socket.
  const notified = await aliceSocket.waitFor(
    "notification.new",
    (event) => event.data.notification.target?.id === post.id,
    taskTimeoutMs,
  );
  report("like notification", {
    type: notified.type,
    kind: notified.data.notification.kind,
    actor_id: notified.data.notification.actor?.id ?? null,
    unread_count: notified.data.unread_count,
  });
  const reply = await comment(bob, post.id, "Nice picture");
  const seen = await readPost(alice, post.id);
  report("like and comment", {
    is_liked: liked.is_liked,
    like_count: seen.like_count,
    comment_count: seen.comment_count,
    comment_author: reply.user.id,
  });

  const second = await writePost(alice, "A second post, text only");
  const walked = await postsOf(bob, registered.id, 1);
  report("feed", { pages: walked.pages, posts: walked.posts.map((p) => p.id), newest: second.id });

  const conversation = await openDirect(alice, bobProfile.id);
  const message = await send(alice, conversation.id, "Hi Bob");
  // Pushed to Bob's open socket; kept there until asked for.
  const delivered = await bobSocket.waitFor(
    "chat.message.new",
    (event) => event.data.id === message.id,
    socketTimeoutMs,
  );
  const { id, conversation_id, body, sender } = delivered.data;
  report("message event", {
    type: delivered.type,
    message_id: id,
    conversation_id,
    body,
    sender_id: sender.id,
  });

  // Typing goes to the conversation's stream, which an open conversation subscribes to.
  const stream = `conversation:${conversation.id}`;
  await bobSocket.request({ type: "subscribe", data: { stream } }, socketTimeoutMs);
  await aliceSocket.request({ type: "chat.typing", data: { conversation_id: conversation.id } }, socketTimeoutMs);
  const typing = await bobSocket.waitFor(
    "chat.typing",
    (event) => event.data.conversation_id === conversation.id,
    socketTimeoutMs,
  );
  report("typing", { type: typing.type, stream: typing.stream, user_id: typing.data.user_id });

  const read = await markRead(bob, conversation.id, message.id);
  report("chat", {
    conversation_id: conversation.id,
    kind: conversation.kind,
    message_id: message.id,
    message_body: message.body,
    last_read_message_id: read.last_read_message_id,
    unread_count: read.unread_count,
  });
  const receipt = await aliceSocket.waitFor(
    "chat.message.read",
    (event) => event.data.conversation_id === conversation.id && event.data.user_id === bobProfile.id,
    socketTimeoutMs,
  );
  report("read receipt", { type: receipt.type, user_id: receipt.data.user_id, up_to: receipt.data.up_to });

  // Bob drops off; what he missed is replayed from his event log on reconnect.
  const since = bobSocket.lastEventId;
  if (since === null) throw new Error("resume: no event id received");
  await bobSocket.close();
  const missed = await send(alice, conversation.id, "Still there?");
  const resumed = await Socket.open(baseUrl, bob.access, socketTimeoutMs, since);
  const replayed: string[] = [];
  let first = await resumed.nextFrame(socketTimeoutMs);
  replayed.push(first.type);
  while (!isFrameOf(first, "chat.message.new")) {
    first = await resumed.nextFrame(socketTimeoutMs);
    replayed.push(first.type);
  }
  report("resume", {
    replayed,
    message_id: first.data.id,
    missed_id: missed.id,
    body: first.data.body,
    after_since: first.id !== since,
  });
  await resumed.close();

  const catalogue = await products(alice);
  const product = catalogue[0];
  if (!product) throw new Error("products: the catalogue is empty");
  report("products", { count: catalogue.length, product_id: product.id, price: product.price });

  const cart = await addToCart(alice, product.id);
  const fuller = await addToCart(alice, product.id, 1);
  report("cart", { items: cart.items.length, subtotal: fuller.subtotal, currency: fuller.currency });

  const session = await checkout(alice);
  report("checkout", {
    order_id: session.order_id,
    session_id: session.session_id,
    checkout_url: session.checkout_url,
  });

  const paid = await waitUntilPaid(alice, session.order_id, paymentTimeoutMs);
  const orders = await orderHistory(alice);
  report("orders", {
    status: paid.status,
    total: paid.total,
    history: orders.map((order) => ({ id: order.id, status: order.status })),
  });

  const before = alice.access;
  await refresh(alice);
  report("refresh", { new_access: alice.access !== before, has_refresh: alice.refresh !== "" });
  // The open socket carries on with the new access token instead of closing at the old one's expiry.
  const reauth = await aliceSocket.request({ type: "auth.refresh", data: { token: alice.access } }, socketTimeoutMs);
  report("socket refresh", { answer: reauth.type, ref: reauth.ref });
  await aliceSocket.close();

  const { answer, error } = await logout(alice);
  report("logout", { detail: answer.detail, refresh_after: error.errors.map((e) => e.code) });
}

main().then(
  () => report("done", {}),
  (error: unknown) => {
    report("failed", { error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  },
);
