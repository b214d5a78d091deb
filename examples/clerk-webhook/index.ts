// A Supabase Edge Function that forwards Clerk's webhook to auth_sync.handle_clerk_webhook().
// The signature is checked in the database (with the secret stored by
// auth_sync.set_webhook_secret('clerk', ...)), so this function only passes the request on:
// the svix-* headers and the raw body, unparsed (the signature covers the exact bytes).
//
// The function must reach auth_sync.handle_clerk_webhook as service_role: expose schema
// auth_sync to the API, or add a public wrapper like migrations/20261122000300 does for
// bulk_create_users. Deploy with --no-verify-jwt (Clerk sends no Supabase JWT).
import { createClient } from "npm:@supabase/supabase-js@2";

const supabase = createClient(
  Deno.env.get("SUPABASE_URL")!,
  Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!,
  { db: { schema: "auth_sync" } },
);

Deno.serve(async (req) => {
  const headers: Record<string, string> = {};
  for (const name of ["svix-id", "svix-timestamp", "svix-signature"]) {
    const value = req.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const body = await req.text();
  const { data, error } = await supabase.rpc("handle_clerk_webhook", { headers, body });
  if (error) {
    // 28000: the signature did not verify (nothing was written); anything else: retry later
    const status = error.code === "28000" ? 403 : 500;
    return new Response(JSON.stringify({ error: error.message }), { status });
  }
  // processed, duplicate, ignored or failed (recorded; reconcile_external() repairs): all 2xx,
  // so Svix does not retry what the database has already recorded
  return Response.json(data);
});
