// The seed stack's API: Hono + jose. Every request needs `Authorization: Bearer <access token>`, verified
// against the provider's JWKS (RS256 only), with issuer and audience checked; it answers the token's `sub`.
// Wired only by the NextAuth env file authlab writes (AUTHENTIK_ISSUER, AUTHENTIK_ID): the JWKS URL and the exact
// issuer come from the discovery document (its jwks_uri is the JWKS URL `authlab provider create` prints).
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createRemoteJWKSet, jwtVerify } from "jose";

const audience = process.env.AUTHENTIK_ID;
let verifier;

async function discovered() {
  if (!verifier) {
    const response = await fetch(`${process.env.AUTHENTIK_ISSUER}/.well-known/openid-configuration`);
    if (!response.ok) throw Object.assign(new Error(`discovery answered ${response.status}`), { code: "ERR_DISCOVERY" });
    const doc = await response.json();
    // `issuer` is Authentik's exact iss (with the slash NextAuth v4 wants removed from AUTHENTIK_ISSUER)
    verifier = { jwks: createRemoteJWKSet(new URL(doc.jwks_uri)), issuer: doc.issuer };
  }
  return verifier;
}

const app = new Hono();
app.use("/api/*", async (c, next) => {
  const header = c.req.header("Authorization") || "";
  if (!header.startsWith("Bearer ")) return c.json({ error: "missing bearer token" }, 401);
  try {
    const { jwks, issuer } = await discovered();
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
