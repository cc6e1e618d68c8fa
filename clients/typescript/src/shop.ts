// Products, cart, checkout (a Stripe Checkout URL), the order once paid.
import { ok, type User } from "./api.js";

export async function products(user: User) {
  return ok("products", await user.api.GET("/api/v1/products/")).products;
}

export async function addToCart(user: User, productId: string, quantity?: number) {
  // `quantity` may be left out (one).
  return ok(
    "cart",
    await user.api.POST("/api/v1/cart/items/", {
      body: quantity === undefined ? { product_id: productId } : { product_id: productId, quantity },
    }),
  );
}

export async function checkout(user: User) {
  return ok("checkout", await user.api.POST("/api/v1/checkout/session/"));
}

/** Polls the order until Stripe's webhook has marked it paid (a buyer back from
 * the Checkout page does the same), or gives up after `timeoutMs`. */
export async function waitUntilPaid(user: User, orderId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const order = ok(
      "order",
      await user.api.GET("/api/v1/orders/{id}/", { params: { path: { id: orderId } } }),
    );
    if (order.status === "paid") return order;
    if (Date.now() > deadline) throw new Error(`order ${orderId} still ${order.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function orderHistory(user: User) {
  return ok("orders", await user.api.GET("/api/v1/orders/")).orders;
}
