// Register, log in, refresh the access token, log out.
import { ok, refused, type User } from "./api.js";

export async function register(user: User, email: string, password: string) {
  const registered = ok(
    "register",
    await user.api.POST("/api/v1/auth/registration/", {
      body: { email, password1: password, password2: password },
    }),
  );
  // With mandatory email verification the answer is a `detail` and no tokens.
  if (!("access" in registered)) throw new Error(`register: no tokens (${registered.detail})`);
  return registered.user;
}

export async function login(user: User, email: string, password: string) {
  const tokens = ok("login", await user.api.POST("/api/v1/auth/login/", { body: { email, password } }));
  user.signIn(tokens);
  return tokens.user;
}

export async function refresh(user: User) {
  const tokens = ok(
    "refresh",
    await user.api.POST("/api/v1/auth/token/refresh/", { body: { refresh: user.refresh } }),
  );
  user.signIn(tokens);
  return tokens;
}

/** Revokes the refresh token; the access token is dropped too. */
export async function logout(user: User) {
  const refreshToken = user.refresh;
  const answer = ok(
    "logout",
    await user.api.POST("/api/v1/auth/logout/", { body: { refresh: refreshToken } }),
  );
  user.access = "";
  user.refresh = "";
  // The revoked token no longer refreshes.
  const error = refused(
    "refresh after logout",
    401,
    await user.api.POST("/api/v1/auth/token/refresh/", { body: { refresh: refreshToken } }),
  );
  return { answer, error };
}
