// A real OpenID Provider for oci-token's tests: panva/oidc-provider (pinned in
// package-lock.json) over HTTPS on loopback, with the device flow, a password grant
// (registered as the library's README suggests), refresh-token rotation and revocation.
//
// Usage: node op.mjs CERT_PEM KEY_PEM  -> prints {"issuer": "https://localhost:PORT"} on
// stdout once listening; stops when stdin closes (so a test that dies stops it too).
import https from 'node:https';
import fs from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const [certPath, keyPath] = process.argv.slice(2);
const server = https.createServer({
  cert: fs.readFileSync(certPath),
  key: fs.readFileSync(keyPath),
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const issuer = `https://localhost:${port}`;
  const accounts = { alice: 'wonderland' };
  const grants = ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token', 'password'];
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'cli-public',
        token_endpoint_auth_method: 'none',
        grant_types: grants,
        response_types: [],
        redirect_uris: [],
        application_type: 'native',
      },
      {
        client_id: 'cli-confidential',
        client_secret: 'confidential-s3cret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: grants,
        response_types: [],
        redirect_uris: [],
        application_type: 'native',
      },
    ],
    features: {
      deviceFlow: { enabled: true },
      devInteractions: { enabled: true },
      revocation: { enabled: true },
    },
    scopes: ['openid', 'offline_access', 'profile'],
    ttl: { AccessToken: 120, IdToken: 120, RefreshToken: 3600, DeviceCode: 120, Grant: 3600 },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    cookies: { keys: ['oci-token-test-cookie-key'] },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id }; } };
    },
  });
  provider.registerGrantType('password', async (ctx) => {
    const { username, password } = ctx.oidc.params;
    const scope = ctx.oidc.params.scope || 'openid';
    if (!accounts[username] || accounts[username] !== password) {
      throw new errors.InvalidGrant('invalid credentials');
    }
    const client = ctx.oidc.client;
    const grant = new provider.Grant({ accountId: username, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const at = new provider.AccessToken({ accountId: username, client, grantId, scope, gty: 'password' });
    const accessToken = await at.save();
    const rt = new provider.RefreshToken({ accountId: username, client, grantId, scope, gty: 'password' });
    const refreshToken = await rt.save();
    ctx.body = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: at.expiration,
      refresh_token: refreshToken,
      scope,
    };
  }, ['username', 'password', 'scope']);
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message));
  server.on('request', provider.callback());
  process.stdout.write(JSON.stringify({ issuer }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
