// The TypeScript SDK client as a desktop client (Claude, the Inspector) uses
// it: node sdk-code-client.mjs MCP_URL LOGIN
//
// Its first request gets moat's 401; the SDK discovers the authorization
// server from moat's RFC 9728 metadata, registers itself there (RFC 7591
// dynamic registration, a public client), and sends the user to the
// authorization URL with PKCE and moat's resource (RFC 8707). This script is
// the user's browser: it follows that URL through the provider's login and
// consent pages (oidc-provider's development interactions), keeping their
// cookies, and hands the code of the redirect back to the SDK, which trades
// it for a token and calls again. Prints the tools listed, mul(25, 17), and
// the scopes granted.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [url, login] = process.argv.slice(2);
const REDIRECT = 'http://127.0.0.1:9/callback';

/** The SDK's OAuthClientProvider for a public client with a loopback redirect. */
class DesktopProvider {
  get redirectUrl() { return REDIRECT; }
  get clientMetadata() {
    return {
      client_name: 'moat-desktop-test',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    };
  }
  clientInformation() { return this.client; }
  saveClientInformation(client) { this.client = client; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.authorization = url; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

/** Follows `start` as a browser would, logging in as `login` and consenting,
 * and returns the code of the redirect to REDIRECT. */
async function actAsTheUser(start) {
  const cookies = new Map();
  const send = async (target, init = {}) => {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(target, { ...init, headers: { ...(init.headers ?? {}), cookie }, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  let target = new URL(start);
  for (let step = 0; step < 20; step++) {
    if (target.href.startsWith(REDIRECT)) {
      const code = target.searchParams.get('code');
      if (!code) throw new Error(`redirected without a code: ${target.href}`);
      return code;
    }
    let response = await send(target);
    if (response.status === 200) {
      // A login or consent page: submit its form.
      const page = await response.text();
      const action = page.match(/<form[^>]*action="([^"]+)"/)?.[1];
      if (!action) throw new Error(`a page without a form at ${target.href}: ${page.slice(0, 300)}`);
      const form = new URLSearchParams();
      for (const [input] of page.matchAll(/<input[^>]*>/g)) {
        const name = input.match(/name="([^"]+)"/)?.[1];
        if (name) form.set(name, input.match(/value="([^"]*)"/)?.[1] ?? '');
      }
      if (form.has('login')) { form.set('login', login); form.set('password', 'any'); }
      response = await send(new URL(action, target), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`no redirect from ${target.href} (${response.status}): ${(await response.text()).slice(0, 300)}`);
    target = new URL(location, target);
  }
  throw new Error('the authorization did not end within 20 steps');
}

const provider = new DesktopProvider();
const connect = async () => {
  const client = new Client({ name: 'moat-desktop-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
  return client;
};
let client;
try {
  client = await connect();
  throw new Error('moat answered without a token');
} catch (error) {
  if (!(error instanceof UnauthorizedError) || !provider.authorization) throw error;
}
const code = await actAsTheUser(provider.authorization);
await new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }).finishAuth(code);
client = await connect();
const tools = (await client.listTools()).tools.map((t) => t.name);
const result = await client.callTool({ name: 'mul', arguments: { x: 25, y: 17 } });
await client.close();
console.log(JSON.stringify({ tools, result: result.structuredContent, scope: provider.tokens()?.scope ?? null, client: provider.clientInformation()?.client_id ? 'registered' : null }));
