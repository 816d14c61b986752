// The OpenID provider the OAuth tests (tests/python/test_oauth*.py) start on
// loopback: node provider.mjs PORT JWKS_FILE RESOURCE OTHER_RESOURCE [opaque]
//
// It issues JWT access tokens (client_credentials, RFC 8707 resource
// indicators) for RESOURCE (moat) and OTHER_RESOURCE (a token moat must
// refuse), signed with the first key of JWKS_FILE (private JWKs; restart
// it with [new, old] to rotate). With `opaque`, RESOURCE's tokens are
// opaque instead, for moat to introspect (RFC 7662). One static client,
// moat-test.
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const [port, jwksFile, resource, otherResource, format] = process.argv.slice(2);
if (!otherResource) {
  console.error('usage: node provider.mjs PORT JWKS_FILE RESOURCE OTHER_RESOURCE');
  process.exit(2);
}
const jwks = JSON.parse(readFileSync(jwksFile, 'utf8'));
const resources = [resource, otherResource];
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  jwks,
  clients: [
    {
      client_id: 'moat-test',
      client_secret: 'moat-test-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'mcp:tools mcp:admin',
    },
    {
      // A second identity, for the per-identity tests: sessions, policy, rate limits.
      client_id: 'moat-reader',
      client_secret: 'moat-reader-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'mcp:tools',
    },
  ],
  scopes: ['mcp:tools', 'mcp:admin'],
  features: {
    // Login and consent pages that accept any login: the desktop-client
    // test (sdk-code-client.mjs) fills them in as its user would.
    devInteractions: { enabled: true },
    // Open dynamic client registration (RFC 7591), as MCP clients expect.
    registration: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator) {
        if (!resources.includes(indicator)) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'mcp:tools mcp:admin',
          audience: indicator,
          accessTokenTTL: 300,
          accessTokenFormat: format === 'opaque' && indicator === resource ? 'opaque' : 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening at ${issuer}`);
});
