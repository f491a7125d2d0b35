import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Settings } from '../../config/settings';
import { createApp } from '../../src/bootstrap';
import { ManualClock } from '../../src/common/clock';
import { TokensService } from '../../src/auth/tokens.service';
import type { Role } from '../../src/auth/principal';
import { scratchDatabase, type Dialect, type ScratchDatabase } from './databases';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is, without JSON encoding. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface HttpHarness {
  dialect: Dialect;
  app: NestFastifyApplication;
  url: string;
  clock: ManualClock;
  settings: Settings;
  database: ScratchDatabase;
  orm: MikroORM;
  /** A request to the running server over real HTTP; the admin token unless `token` says otherwise. */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Creates a token through the service (as the CLI would) and returns its secret. */
  token(role: Role, programmeIds?: string[] | null, label?: string): Promise<string>;
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
}

/** The whole service on a real port and a fresh database of the given kind, for one test file. */
export function useHttpApp(dialect: Dialect, overrides: Record<string, string> = {}): HttpHarness {
  const h = { dialect } as HttpHarness;
  beforeAll(async () => {
    h.database = scratchDatabase(dialect);
    h.settings = h.database.settings({
      ADMIN_TOKEN,
      RATE_LIMIT_PER_MINUTE: '100000',
      ...overrides,
    });
    h.clock = new ManualClock('2026-03-02T08:00:00.000Z');
    h.app = await createApp({ settings: h.settings, clock: h.clock });
    await h.app.listen(0, '127.0.0.1');
    const address = h.app.getHttpServer().address();
    h.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    h.orm = h.app.get(MikroORM);
    h.request = async (method, path, options = {}) => {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? ADMIN_TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | Buffer | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(h.url + path, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: leave the text
      }
      return { status: response.status, headers: response.headers, body: parsed as never, text };
    };
    h.token = async (role, programmeIds = null, label = `${role} test token`) =>
      (await h.app.get(TokensService).create({ role, label, programmeIds }, 'test')).token;
    h.sql = async <T>(query: string, params: unknown[] = []) =>
      (await h.orm.em
        .fork()
        .getConnection()
        .execute(query, params as never[])) as T[];
  }, 60_000);
  afterAll(async () => {
    await h.app?.close();
    h.database?.drop();
  });
  return h;
}

/** A valid programme body (SPEC §4). */
export function programmeBody(overrides: Record<string, unknown> = {}) {
  return {
    municipality: 'Nordkyn',
    municipalityNumber: '5636',
    programmeStart: '2023-01-01',
    programmeEnd: '2028-12-31',
    board: [{ name: 'Kari Nordmann', email: 'kari@example.no', role: 'styreleder' }],
    administrators: [{ name: 'Siri Sekretær', email: 'siri@nordkyn.kommune.no' }],
    mayor: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
    ...overrides,
  };
}
