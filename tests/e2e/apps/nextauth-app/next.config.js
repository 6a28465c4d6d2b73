// The seed stack's web app: only what a NextAuth v4 app needs, so `next build` stays quick.
module.exports = {
  eslint: { ignoreDuringBuilds: true },
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
};
