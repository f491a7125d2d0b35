import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../src/bootstrap';
import {
  dialects,
  scratchDatabase,
  testSettings,
  type ScratchDatabase,
} from '../support/databases';
import { programmeBody, useHttpApp } from '../support/http-harness';

/** SPEC §4 `POST /api/tokens` and friends, and the `npm run token` CLI. */

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'scripts', 'token.js');
const PROBLEM = /^application\/problem\+json/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Created {
  id: string;
  role: string;
  programmeIds: string[] | null;
  label: string;
  token: string;
}

interface Summary {
  id: string;
  role: string;
  programmeIds: string[] | null;
  label: string;
  revokedAt: string | null;
}

describe.each(dialects())('tokens over HTTP on %s', (dialect) => {
  const h = useHttpApp(dialect);
  let programmeId: string;

  beforeAll(async () => {
    const response = await h.request<{ id: string }>('POST', '/api/programmes', {
      body: programmeBody(),
    });
    expect(response.status).toBe(201);
    programmeId = response.body.id;
  });

  async function create(body: Record<string, unknown>): Promise<Created> {
    const response = await h.request<Created>('POST', '/api/tokens', { body });
    expect({ status: response.status, text: response.text }).toMatchObject({ status: 201 });
    return response.body;
  }

  async function tokenRows(): Promise<Record<string, unknown>[]> {
    return h.sql('select * from api_token');
  }

  it('POST /api/tokens answers 201 with the secret, this once', async () => {
    const response = await h.request<Created>('POST', '/api/tokens', {
      body: { role: 'board', label: 'Styret i Nordkyn', programmeIds: [programmeId] },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(response.body).sort()).toEqual([
      'id',
      'label',
      'programmeIds',
      'role',
      'token',
    ]);
    expect(response.body).toEqual({
      id: expect.stringMatching(UUID),
      role: 'board',
      programmeIds: [programmeId],
      label: 'Styret i Nordkyn',
      token: expect.any(String),
    });
    expect(response.body.token.length).toBeGreaterThanOrEqual(32);

    const unbound = await create({ role: 'auditor', label: 'Revisjonen' });
    expect(unbound.programmeIds).toBeNull();
    expect(unbound.token).not.toBe(response.body.token);
    expect(unbound.id).not.toBe(response.body.id);
  });

  it('GET /api/tokens lists tokens without their secret or its hash', async () => {
    const created = await create({ role: 'projectLeader', label: 'Prosjektleder' });
    const response = await h.request<{ items: Summary[]; nextCursor: null }>('GET', '/api/tokens');
    expect(response.status).toBe(200);
    const item = response.body.items.find((t) => t.id === created.id);
    expect(item).toMatchObject({
      id: created.id,
      role: 'projectLeader',
      programmeIds: null,
      label: 'Prosjektleder',
      revokedAt: null,
    });
    for (const listed of response.body.items) {
      expect(Object.keys(listed)).not.toContain('token');
      expect(Object.keys(listed)).not.toContain('secretHash');
    }
    expect(response.text).not.toContain(created.token);
    expect(response.text).not.toContain(created.token.slice(3));
    expect(response.text).not.toContain(sha256(created.token));
  });

  it('the database keeps only the SHA-256 of the secret', async () => {
    const created = await create({ role: 'auditor', label: 'Hash-kontroll' });
    const rows = await tokenRows();
    const row = rows.find((r) => r.id === created.id);
    expect(row).toBeDefined();
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.secret_hash).toBe(sha256(created.token));
    // Nowhere in the table: not the secret, nor its random part.
    for (const stored of rows) {
      for (const [column, value] of Object.entries(stored)) {
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        expect({ column, contains: text?.includes(created.token.slice(3)) ?? false }).toEqual({
          column,
          contains: false,
        });
      }
    }
  });

  it('a new token works with its role and scope', async () => {
    const board = await create({ role: 'board', label: 'Styret', programmeIds: [programmeId] });
    const list = await h.request<{ items: { id: string }[] }>('GET', '/api/programmes', {
      token: board.token,
    });
    expect(list.status).toBe(200);
    expect(list.body.items.map((p) => p.id)).toEqual([programmeId]);
    // The board is no admin.
    const forbidden = await h.request('GET', '/api/tokens', { token: board.token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toMatch(PROBLEM);
  });

  it('DELETE /api/tokens/:id revokes: 204, then 401 for the token, then 404', async () => {
    const created = await create({ role: 'admin', label: 'Midlertidig' });
    expect((await h.request('GET', '/api/tokens', { token: created.token })).status).toBe(200);

    const revoked = await h.request('DELETE', `/api/tokens/${created.id}`);
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');

    const refused = await h.request('GET', '/api/programmes', { token: created.token });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(PROBLEM);
    expect(refused.body).toMatchObject({
      status: 401,
      type: 'urn:videreforing:problem:unauthenticated',
    });

    const again = await h.request('DELETE', `/api/tokens/${created.id}`);
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toMatch(PROBLEM);
    expect(again.body).toMatchObject({
      status: 404,
      type: 'urn:videreforing:problem:unknown-token',
    });

    const unknown = await h.request('DELETE', `/api/tokens/${randomUUID()}`);
    expect(unknown.status).toBe(404);

    const listed = await h.request<{ items: Summary[] }>('GET', '/api/tokens');
    expect(listed.body.items.find((t) => t.id === created.id)?.revokedAt).toEqual(
      expect.any(String),
    );
    const row = (await tokenRows()).find((r) => r.id === created.id);
    expect(row?.revoked_at).toEqual(expect.any(String));
  });

  it('a token bound to an unknown programme is a 400 naming programmeIds', async () => {
    const before = (await tokenRows()).length;
    const missing = randomUUID();
    const response = await h.request('POST', '/api/tokens', {
      body: { role: 'board', label: 'Feil', programmeIds: [programmeId, missing] },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    const errors = (response.body as { errors: { field: string; message: string }[] }).errors;
    expect(errors.map((e) => e.field)).toEqual(['programmeIds']);
    expect(errors[0]!.message).toContain(missing);
    expect((await tokenRows()).length).toBe(before);
  });

  it.each([
    ['an unknown role', { role: 'superuser', label: 'Feil' }, 'role'],
    ['no role', { label: 'Feil' }, 'role'],
    ['no label', { role: 'auditor' }, 'label'],
    [
      'a programme id that is no UUID',
      { role: 'auditor', label: 'x', programmeIds: ['1'] },
      'programmeIds',
    ],
  ])('%s is a 400 naming the field', async (_name, body, field) => {
    const before = (await tokenRows()).length;
    const response = await h.request('POST', '/api/tokens', { body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    const errors = (response.body as { errors: { field: string }[] }).errors;
    expect(errors.map((e) => e.field)).toContain(field);
    expect((await tokenRows()).length).toBe(before);
  });
});

// ---- The CLI --------------------------------------------------------------------------------

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when dist/scripts/token.js is missing or older than a source it is built from. */
function ensureBuilt(): void {
  const sources = Math.max(
    ...['src', 'scripts', 'config', 'workflows'].map((d) => newestSource(join(ROOT, d))),
  );
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= sources) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npx tsc -p tsconfig.build.json failed:\n${String(stdout)}${String(stderr)}`);
  }
}

describe('the token CLI (npm run token)', () => {
  let database: ScratchDatabase;
  let app: NestFastifyApplication | undefined;
  let url: string;

  function cli(...args: string[]): Promise<CliResult> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: database.url,
      CONFIG_FILE: 'none',
      LOG_LEVEL: 'warn',
    };
    delete env.ADMIN_TOKEN;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { cwd: ROOT, env, timeout: 30_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  function get(path: string, token: string): Promise<Response> {
    return fetch(url + path, { headers: { authorization: `Bearer ${token}` } });
  }

  beforeAll(() => {
    ensureBuilt();
    database = scratchDatabase('sqlite');
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    database?.drop();
  });

  it('create prints a working auditor token once; list hides it; revoke ends it', async () => {
    const created = await cli('create', '--role', 'auditor', '--label', 'Revisor');
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const token = JSON.parse(created.stdout) as Created;
    expect(token).toEqual({
      id: expect.stringMatching(UUID),
      role: 'auditor',
      programmeIds: null,
      label: 'Revisor',
      token: expect.any(String),
    });

    // The service, started on the database the CLI created and migrated.
    app = await createApp({ settings: testSettings(database.url) });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const visible = await get('/api/programmes', token.token);
    expect(visible.status).toBe(200);
    expect(await visible.json()).toEqual({ items: [], nextCursor: null });
    // An auditor, not an admin: the admin-only route names the role.
    const adminOnly = await get('/api/tokens', token.token);
    expect(adminOnly.status).toBe(403);
    expect((await adminOnly.json()) as { detail: string }).toMatchObject({
      status: 403,
      detail: expect.stringContaining('auditor'),
    });

    const listed = await cli('list');
    expect(listed.code).toBe(0);
    const summaries = JSON.parse(listed.stdout) as Summary[];
    expect(summaries).toEqual([
      expect.objectContaining({
        id: token.id,
        role: 'auditor',
        label: 'Revisor',
        programmeIds: null,
        revokedAt: null,
      }),
    ]);
    expect(listed.stdout).not.toContain(token.token);
    expect(listed.stdout).not.toContain(sha256(token.token));
    expect(Object.keys(summaries[0]!)).not.toContain('token');

    const revoked = await cli('revoke', token.id);
    expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: '' });
    expect(revoked.stdout).toContain(token.id);

    const refused = await get('/api/programmes', token.token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(PROBLEM);

    const again = await cli('revoke', token.id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(token.id);
  }, 60_000);

  it('a bad role exits non-zero with a message and creates nothing', async () => {
    const result = await cli('create', '--role', 'superuser', '--label', 'Feil');
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain('--role must be one of admin, board, projectLeader, auditor');
    expect(result.stdout).toBe('');
    const listed = await cli('list');
    expect((JSON.parse(listed.stdout) as Summary[]).map((t) => t.label)).not.toContain('Feil');
  }, 30_000);
});
