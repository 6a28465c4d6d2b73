// NextAuth v4 wired only by the env file `authlab provider create --preset nextauth --env-out` writes:
// AUTHENTIK_ID, AUTHENTIK_SECRET, AUTHENTIK_ISSUER (no trailing slash), NEXTAUTH_URL, NEXTAUTH_SECRET,
// AUTHENTIK_TOKEN_URL. It asks for offline_access, keeps the refresh token in the JWT and refreshes the
// access token in the jwt callback once it has expired (v4 has no built-in refresh).
import NextAuth from "next-auth";
import AuthentikProvider from "next-auth/providers/authentik";

async function refreshAccessToken(token) {
  const response = await fetch(process.env.AUTHENTIK_TOKEN_URL, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: token.refresh_token,
      client_id: process.env.AUTHENTIK_ID,
      client_secret: process.env.AUTHENTIK_SECRET,
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`refresh failed: ${response.status} ${body.error || ""}`);
  return {
    ...token,
    access_token: body.access_token,
    expires_at: Math.floor(Date.now() / 1000) + body.expires_in,
    refresh_token: body.refresh_token ?? token.refresh_token,
    refreshed: (token.refreshed || 0) + 1,
    error: undefined,
  };
}

export const authOptions = {
  providers: [
    AuthentikProvider({
      clientId: process.env.AUTHENTIK_ID,
      clientSecret: process.env.AUTHENTIK_SECRET,
      issuer: process.env.AUTHENTIK_ISSUER,
      authorization: { params: { scope: "openid email profile offline_access" } },
    }),
  ],
  callbacks: {
    async jwt({ token, account }) {
      if (account) {
        return { ...token, access_token: account.access_token, expires_at: account.expires_at, refresh_token: account.refresh_token, refreshed: 0 };
      }
      if (Date.now() < token.expires_at * 1000) return token;
      if (!token.refresh_token) return { ...token, error: "RefreshTokenError", error_description: "no refresh token" };
      try {
        return await refreshAccessToken(token);
      } catch (error) {
        console.error(String(error));
        return { ...token, error: "RefreshTokenError", error_description: String(error) };
      }
    },
    async session({ session, token }) {
      // what the browser may see: the access token (for the API), its expiry, and whether refresh works
      return { ...session, accessToken: token.access_token, expiresAt: token.expires_at, refreshed: token.refreshed, error: token.error };
    },
  },
};

export default NextAuth(authOptions);
