// An Auth.js v5 app (@auth/core through @auth/express), wired only by the env file
// `authlab provider create --preset authjs --env-out` writes: AUTH_AUTHENTIK_ID, AUTH_AUTHENTIK_SECRET,
// AUTH_AUTHENTIK_ISSUER (with the trailing slash: oauth4webapi compares it byte for byte), AUTH_SECRET.
import express from "express";
import { ExpressAuth } from "@auth/express";
import Authentik from "@auth/express/providers/authentik";

const config = {
  // the provider reads AUTH_AUTHENTIK_ID/SECRET/ISSUER itself
  providers: [Authentik({ authorization: { params: { scope: "openid email profile offline_access" } } })],
  trustHost: true, // self-hosted behind no proxy: trust the Host header
};

const app = express();
app.set("trust proxy", true);
app.use("/api/auth", ExpressAuth(config));
app.get("/", (req, res) => res.send("authlab e2e: Auth.js v5 app"));

const port = Number(process.env.PORT || 3000);
app.listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
