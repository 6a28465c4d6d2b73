// openid-client v6: discovery, then the authorization code flow with PKCE, in a plain node:http app.
// Wired only by the env file `authlab provider create --preset generic --env-out` writes: OIDC_ISSUER (the
// issuer form authlab recommends: exactly Authentik's, with the slash), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
// OIDC_REDIRECT_URI. Routes: /login starts a login, /callback ends it, /me answers 200 with the user once logged in.
import http from "node:http";
import { randomUUID } from "node:crypto";
import * as client from "openid-client";

const redirectUri = process.env.OIDC_REDIRECT_URI;
const sessions = new Map();
let config;

async function discovered() {
  // plain http is fine for a local Authentik; openid-client refuses it unless told
  config ??= await client.discovery(new URL(process.env.OIDC_ISSUER), process.env.OIDC_CLIENT_ID,
    process.env.OIDC_CLIENT_SECRET, undefined, { execute: [client.allowInsecureRequests] });
  return config;
}

function sessionOf(req) {
  const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie || "")?.[1];
  return sid ? sessions.get(sid) : undefined;
}

function redirect(res, location, cookie) {
  res.writeHead(302, { Location: location, ...(cookie ? { "Set-Cookie": cookie } : {}) });
  res.end();
}

async function handle(req, res) {
  const url = new URL(req.url, redirectUri);
  if (url.pathname === "/login") {
    let cfg;
    try {
      cfg = await discovered();
    } catch (error) {
      console.error("discovery failed:", error.code, error.message);
      return redirect(res, `/?error=${encodeURIComponent(error.code || "discovery")}`);
    }
    const sid = randomUUID();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    sessions.set(sid, { verifier, state });
    const target = client.buildAuthorizationUrl(cfg, {
      redirect_uri: redirectUri,
      scope: "openid email profile offline_access",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    return redirect(res, target.href, `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
  }
  if (url.pathname === "/callback") {
    const session = sessionOf(req);
    if (!session) return redirect(res, "/?error=no_session");
    try {
      const tokens = await client.authorizationCodeGrant(await discovered(), url, {
        pkceCodeVerifier: session.verifier,
        expectedState: session.state,
      });
      session.claims = tokens.claims();
      session.refreshToken = tokens.refresh_token;
    } catch (error) {
      console.error("callback failed:", error.code, error.message);
      return redirect(res, `/?error=${encodeURIComponent(error.code || "callback")}`);
    }
    return redirect(res, "/me");
  }
  if (url.pathname === "/me") {
    const claims = sessionOf(req)?.claims;
    res.writeHead(claims ? 200 : 401, { "Content-Type": "application/json" });
    return res.end(JSON.stringify(claims ? { sub: claims.sub, email: claims.email, has_refresh_token: Boolean(sessionOf(req).refreshToken) } : { error: "not logged in" }));
  }
  res.writeHead(url.searchParams.get("error") ? 400 : 200, { "Content-Type": "text/plain" });
  res.end(url.searchParams.get("error") ? `login failed: ${url.searchParams.get("error")}` : "authlab e2e: openid-client v6 app");
}

const port = Number(process.env.PORT || 3000);
http.createServer((req, res) => handle(req, res).catch((error) => { console.error(error); res.writeHead(500); res.end(); }))
  .listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
