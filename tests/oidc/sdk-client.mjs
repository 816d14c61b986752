// The TypeScript SDK client completing its own OAuth flow against moat, as a
// user's client would: node sdk-client.mjs MCP_URL CLIENT_ID CLIENT_SECRET
//
// Its first request gets moat's 401; the SDK reads resource_metadata from
// WWW-Authenticate, discovers the authorization server from moat's RFC 9728
// metadata and that server's own metadata, gets a client_credentials token
// for moat's resource (RFC 8707), and retries. Prints the mul(25, 17) result.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

const [url, clientId, clientSecret] = process.argv.slice(2);
const authProvider = new ClientCredentialsProvider({ clientId, clientSecret, scope: 'mcp:tools' });
const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider });
const client = new Client({ name: 'moat-oauth-test', version: '1.0.0' });
await client.connect(transport);
const tools = await client.listTools();
const result = await client.callTool({ name: 'mul', arguments: { x: 25, y: 17 } });
console.log(JSON.stringify({ tools: tools.tools.map((t) => t.name), result: result.structuredContent }));
await client.close();
