import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden, Unauthenticated } from '../common/errors';
import { InspectSessions, readCookie, SESSION_COOKIE } from '../inspection/session';
import { PUBLIC_ROUTE, ROUTE_ROLES, type AuthenticatedRequest } from './decorators';
import type { Principal, Role } from './principal';
import { TokensService } from './tokens.service';

/**
 * Every route needs a bearer token unless marked @Public(); @Roles() narrows who may call it.
 * Programme scope is checked where the programme is loaded, so a foreign one is a plain 404.
 * Without an Authorization header, a GET or HEAD may instead carry the inspector's session cookie
 * (src/inspection/session.ts); never a POST, PATCH or DELETE, so a cross-site request cannot act.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    @Optional() private readonly sessions?: InspectSessions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(request);
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROUTE_ROLES, targets);
    if (roles && !roles.includes(principal.role)) throw new Forbidden(principal.role, roles);
    return true;
  }

  private async authenticate(request: AuthenticatedRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const readOnly = request.method === 'GET' || request.method === 'HEAD';
    if (header === undefined && readOnly && this.sessions) {
      const session = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (session) {
        const principal = await this.sessions.authenticate(session);
        if (!principal)
          throw new Unauthenticated('Innloggingen er utløpt eller ugyldig; logg inn på nytt');
        return principal;
      }
    }
    const secret = bearer(header);
    if (!secret) throw new Unauthenticated();
    const principal = await this.tokens.authenticate(secret);
    if (!principal) throw new Unauthenticated('Nøkkelen er ukjent eller trukket tilbake');
    return principal;
  }
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
