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
import { pingOverSocket } from "./socket.js";

const baseUrl = process.env.API_BASE_URL ?? "http://127.0.0.1:8000";
const paymentTimeoutMs = Number(process.env.PAYMENT_TIMEOUT_MS ?? 20000);
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

  const socket = await pingOverSocket(baseUrl, alice.access, 5000);
  report("socket", socket);

  const image = await uploadImage(alice);
  report("upload", { media_id: image.id, url: image.url, width: image.width });
  const post = await createPost(alice, "Hello from the typed client", image.id);
  report("post", { post_id: post.id, media: post.media.map((m) => m.id) });

  const liked = await like(bob, post.id);
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
  const read = await markRead(bob, conversation.id, message.id);
  report("chat", {
    conversation_id: conversation.id,
    kind: conversation.kind,
    message_id: message.id,
    message_body: message.body,
    last_read_message_id: read.last_read_message_id,
    unread_count: read.unread_count,
  });

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
