// The seed stack's API: Hono + jose. Every request needs `Authorization: Bearer <access token>`, verified
// against the provider's JWKS (RS256 only), with issuer and audience checked; it answers the token's `sub`.
// Wired only by the NextAuth env file authlab writes: AUTHENTIK_JWKS_URL, AUTHENTIK_ISSUER, AUTHENTIK_ID.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createRemoteJWKSet, jwtVerify } from "jose";

const jwks = createRemoteJWKSet(new URL(process.env.AUTHENTIK_JWKS_URL));
// Authentik's `iss` ends with a slash; NextAuth v4 wants the issuer without it, so add it back here
const issuer = process.env.AUTHENTIK_ISSUER.replace(/\/?$/, "/");
const audience = process.env.AUTHENTIK_ID;

const app = new Hono();
app.use("/api/*", async (c, next) => {
  const header = c.req.header("Authorization") || "";
  if (!header.startsWith("Bearer ")) return c.json({ error: "missing bearer token" }, 401);
  try {
    const { payload } = await jwtVerify(header.slice(7), jwks, { algorithms: ["RS256"], issuer, audience });
    c.set("claims", payload);
  } catch (error) {
    return c.json({ error: error.code || "invalid token", message: error.message }, 401);
  }
  await next();
});
app.get("/api/me", (c) => c.json({ sub: c.get("claims").sub }));

const port = Number(process.env.PORT || 8787);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info) => console.log(`listening on http://127.0.0.1:${info.port}`));
