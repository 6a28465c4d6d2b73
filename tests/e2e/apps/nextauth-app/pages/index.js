export default function Home() {
  return <p>authlab e2e: NextAuth v4 app. Sign in at /api/auth/signin.</p>;
}
