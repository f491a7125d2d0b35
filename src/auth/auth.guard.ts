import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden, Unauthenticated } from '../common/errors';
import { PUBLIC_ROUTE, ROUTE_ROLES, type AuthenticatedRequest } from './decorators';
import type { Role } from './principal';
import { TokensService } from './tokens.service';

/**
 * Every route needs a bearer token unless marked @Public(); @Roles() narrows who may call it.
 * Programme scope is checked where the programme is loaded, so a foreign one is a plain 404.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const secret = bearer(request.headers.authorization);
    if (!secret) throw new Unauthenticated();
    const principal = await this.tokens.authenticate(secret);
    if (!principal) throw new Unauthenticated('Nøkkelen er ukjent eller trukket tilbake');
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROUTE_ROLES, targets);
    if (roles && !roles.includes(principal.role)) throw new Forbidden(principal.role, roles);
    return true;
  }
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
