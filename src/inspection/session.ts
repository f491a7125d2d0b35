import { MikroORM } from '@mikro-orm/core';
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../../config/settings';
import { ApiToken } from '../auth/api-token.entity';
import { ENV_ADMIN_TOKEN_ID, type Principal, type Role } from '../auth/principal';
import { Clock } from '../common/clock';
import { SETTINGS } from '../common/tokens';

/**
 * Browser sessions for the inspector pages, without a sessions table and without the token in
 * the cookie.
 *
 * The cookie is `v1.<token id>.<expiry>.<mac>`, where mac = HMAC-SHA256 keyed with the token's
 * stored secret hash (SHA-256 of the secret, which only the server has) over the token id and the
 * expiry. So the cookie
 *  - is not the bearer secret: stolen, it cannot be sent as `Authorization` and, since the guard
 *    accepts it only on GET/HEAD, it cannot change anything (and cross-site forms cannot use it:
 *    SameSite=Strict, HttpOnly against scripts);
 *  - cannot be forged or extended without the stored hash (the expiry is inside the MAC);
 *  - dies with the token: every request looks the token up, so a revoked token ends its sessions;
 *  - needs no server state, so it works across replicas and restarts.
 * Logging out clears the cookie; a copy taken before stays valid until it expires (8 hours) or
 * the token is revoked — the price of having no table. A per-session table would allow
 * server-side logout, at the cost of an entity and migrations for both dialects.
 */

export const SESSION_COOKIE = 'vf_inspect';
export const SESSION_SECONDS = 8 * 60 * 60;

const VERSION = 'v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function mac(secretHash: string, tokenId: string, expires: number): string {
  return createHmac('sha256', secretHash)
    .update(`videreforing inspect session|${VERSION}|${tokenId}|${expires}`)
    .digest('base64url');
}

export interface IssuedSession {
  value: string;
  expiresAt: Date;
  maxAgeSeconds: number;
}

@Injectable()
export class InspectSessions {
  private readonly adminTokenHash: string | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.adminTokenHash = settings.adminToken ? sha256(settings.adminToken) : undefined;
  }

  /** A session for a principal that just authenticated with `secret`. */
  issue(principal: Principal, secret: string): IssuedSession {
    const expires = Math.floor(this.clock.now().getTime() / 1000) + SESSION_SECONDS;
    const id = Buffer.from(principal.tokenId).toString('base64url');
    return {
      value: `${VERSION}.${id}.${expires}.${mac(sha256(secret), principal.tokenId, expires)}`,
      expiresAt: new Date(expires * 1000),
      maxAgeSeconds: SESSION_SECONDS,
    };
  }

  /** The principal of a session cookie's value, or undefined when it is not (or no longer) valid. */
  async authenticate(value: string): Promise<Principal | undefined> {
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
    const [, encodedId, expiresText, given] = parts as [string, string, string, string];
    const tokenId = Buffer.from(encodedId, 'base64url').toString();
    const expires = Number(expiresText);
    if (!/^\d{1,12}$/.test(expiresText) || !/^[A-Za-z0-9_-]{43}$/.test(given)) return undefined;
    if (expires * 1000 <= this.clock.now().getTime()) return undefined;

    let principal: Principal;
    let secretHash: string;
    if (tokenId === ENV_ADMIN_TOKEN_ID) {
      if (!this.adminTokenHash) return undefined;
      secretHash = this.adminTokenHash;
      principal = { tokenId, role: 'admin', label: 'ADMIN_TOKEN', programmeIds: null };
    } else {
      if (!UUID.test(tokenId)) return undefined;
      const row = await this.orm.em.fork().findOne(ApiToken, { id: tokenId, revokedAt: null });
      if (!row) return undefined;
      secretHash = row.secretHash;
      principal = {
        tokenId: row.id,
        role: row.role as Role,
        label: row.label,
        programmeIds: row.programmeIds,
      };
    }
    const expected = Buffer.from(mac(secretHash, tokenId, expires));
    const actual = Buffer.from(given);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    return principal;
  }
}

/** Available to the global auth guard, which accepts the cookie on GET and HEAD. */
@Global()
@Module({ providers: [InspectSessions], exports: [InspectSessions] })
export class InspectSessionModule {}

// ---- Cookies ------------------------------------------------------------------------------------

/** The value of a cookie in a `Cookie` request header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

/** `Set-Cookie` for the session: HttpOnly, SameSite=Strict, Path=/, Secure over https. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}
