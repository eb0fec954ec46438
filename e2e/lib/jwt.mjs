// Token minting for refusal tests: the harness gives the server a known
// JWT_SECRET_KEY so the suites can forge tokens the way Flask-JWT-Extended did,
// and the ways an attacker would.
import { createHmac, randomUUID } from 'node:crypto';
import { JWT_SECRET } from './api.mjs';

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function claims(sub, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { fresh: false, iat: now, jti: randomUUID(), type: 'access', sub: String(sub), nbf: now, exp: now + 3600, ...overrides };
}

// mint signs claims with HS256 (the only algorithm the server accepts).
export function mint(payload, secret = JWT_SECRET) {
  const head = b64url({ alg: 'HS256', typ: 'JWT' });
  const body = b64url(payload);
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

// unsigned is an alg:none token: it must always be refused.
export function unsigned(payload) {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
}

// badTokens are the refusals every door must give, keyed by what is wrong.
export function badTokens(userId) {
  const now = Math.floor(Date.now() / 1000);
  return {
    garbage: 'not-a-jwt',
    'wrong secret': mint(claims(userId), 'some-other-secret'),
    expired: mint(claims(userId, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 })),
    'alg none': unsigned(claims(userId)),
    'deleted user': mint(claims(2_000_000_000)),
    'refresh token': mint(claims(userId, { type: 'refresh' })),
  };
}
