import {
  Body,
  Catch,
  Controller,
  Get,
  HttpCode,
  Logger,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Public } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { TokensService } from '../auth/tokens.service';
import { NotYetCreated, Unauthenticated, UnknownProgramme } from '../common/errors';
import { toProblem } from '../common/to-problem';
import { InspectPages } from './inspect-pages.service';
import { errorPage, loginPage } from './pages';
import { clearedSessionCookie, InspectSessions, sessionCookie } from './session';

/**
 * The auditor's read-only HTML pages (SPEC §3, §4 `GET /inspect/:programmeId`) and the browser
 * sign-in that feeds them. Not part of the REST contract, so left out of the OpenAPI document.
 *
 *   GET  /inspect                 programmes the token may see, with deadline traffic lights
 *   GET  /inspect/:programmeId    graph, phase, deadlines, blockers, history, verification; ?at=
 *   GET  /inspect/login           the sign-in form (public)
 *   POST /inspect/session         { token } → session cookie (public; JSON like every POST)
 *   POST /inspect/logout          clears the cookie (public)
 */

const HTML = 'text/html; charset=utf-8';
const LOGIN = '/inspect/login';

/** Headers of every page; the page itself is the handler's return value (or sent by the filter). */
function htmlHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('content-type', HTML).header('cache-control', 'no-store');
}

/** Where to go after signing in: an inspector page on this host, or the overview. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 300) return '/inspect';
  if (!/^\/inspect(?:[/?][^\s\\#]*)?$/.test(next) || next.startsWith(LOGIN)) return '/inspect';
  return next;
}

/**
 * Errors on the pages are pages too: no token (or an expired session) sends the browser to the
 * login form with 303; anything else is an HTML page with the problem's status and Norwegian text.
 */
@Catch()
export class InspectPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('Inspect');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (reply.sent) return;
    if (error instanceof Unauthenticated) {
      const next = safeNext(request.url);
      const location = next === '/inspect' ? LOGIN : `${LOGIN}?next=${encodeURIComponent(next)}`;
      void reply
        .status(303)
        .header('location', location)
        .header('cache-control', 'no-store')
        .send();
      return;
    }
    const { problem, internal } = toProblem(error);
    if (internal) {
      this.logger.error(
        `${request.method} ${request.url.split('?')[0]} [${request.id}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    const path = request.url.split('?')[0] ?? '/inspect';
    let heading = problem.status >= 500 ? 'Noe gikk galt' : 'Kan ikke vise siden';
    let back: { href: string; text: string } | undefined;
    if (error instanceof UnknownProgramme) heading = 'Fant ikke programmet';
    if (error instanceof NotYetCreated) {
      heading = 'Programmet fantes ikke ennå';
      back = { href: path, text: 'Vis tilstanden nå' };
    }
    if (problem.status === 400) {
      heading = 'Ugyldig forespørsel';
      back = { href: path, text: 'Vis tilstanden nå' };
    }
    const retryAfter = reply.getHeader('retry-after');
    if (problem.status === 429 && retryAfter === undefined) void reply.header('retry-after', '60');
    void htmlHeaders(reply)
      .status(problem.status)
      .send(
        errorPage({
          status: problem.status,
          heading,
          detail: problem.detail,
          ...(back ? { back } : {}),
        }),
      );
  }
}

@ApiExcludeController()
@UseFilters(InspectPageFilter)
@Controller('inspect')
export class InspectPagesController {
  constructor(private readonly pages: InspectPages) {}

  @Get()
  async overview(
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    htmlHeaders(reply);
    return this.pages.overview(principal);
  }

  @Public()
  @Get('login')
  login(@Query('next') next: unknown, @Res({ passthrough: true }) reply: FastifyReply): string {
    htmlHeaders(reply);
    return loginPage(safeNext(next));
  }

  @Get(':programmeId')
  async programme(
    @Param('programmeId') programmeId: string,
    @Query('at') at: unknown,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const atText = Array.isArray(at) ? String(at[0]) : typeof at === 'string' ? at : undefined;
    const body = await this.pages.programme(programmeId, principal, atText);
    htmlHeaders(reply);
    return body;
  }
}

export class InspectSessionDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  token!: string;
}

@ApiExcludeController()
@Controller('inspect')
export class InspectSessionController {
  constructor(
    private readonly tokens: TokensService,
    private readonly sessions: InspectSessions,
  ) {}

  /**
   * Exchanges a token for a session cookie. The token arrives in the JSON body only (never a URL)
   * and is not logged; the cookie holds a MAC, not the token (see session.ts).
   */
  @Public()
  @Post('session')
  @HttpCode(204)
  async create(
    @Body() body: InspectSessionDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const principal = await this.tokens.authenticate(body.token.trim());
    if (!principal) throw new Unauthenticated('Nøkkelen er ukjent eller trukket tilbake');
    const session = this.sessions.issue(principal, body.token.trim());
    void reply
      .header('set-cookie', sessionCookie(session.value, session.maxAgeSeconds, isHttps(request)))
      .header('cache-control', 'no-store');
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    void reply
      .header('set-cookie', clearedSessionCookie(isHttps(request)))
      .header('cache-control', 'no-store');
  }
}

/** Over https (directly, or as a proxy in front says), the cookie is marked Secure. */
function isHttps(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first?.toLowerCase() === 'https';
}
