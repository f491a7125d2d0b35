import { randomUUID } from 'node:crypto';
import { SESSION_COOKIE } from '../../src/inspection/session';
import { ADMIN_TOKEN, programmeBody, useHttpApp } from '../support/http-harness';

/**
 * The inspector's HTML pages over plain HTTP (no browser): the overview and its traffic lights,
 * scope (a foreign programme is the same 404 as a missing one), the sign-in and its cookie, the
 * cookie's limits (GET only), escaping, and that nothing is loaded from another host.
 */

const h = useHttpApp('sqlite');

interface Raw {
  status: number;
  headers: Headers;
  /** The body with every run of whitespace made one space (the markup is formatted freely). */
  text: string;
}

/** A request that does not follow redirects, with only the headers given. */
async function get(path: string, headers: Record<string, string> = {}): Promise<Raw> {
  const response = await fetch(h.url + path, { headers, redirect: 'manual' });
  const text = (await response.text()).replace(/\s+/g, ' ');
  return { status: response.status, headers: response.headers, text };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signIn(token: string): Promise<{ status: number; cookie?: string; raw: string[] }> {
  const response = await h.request('POST', '/inspect/session', { token: null, body: { token } });
  const raw = response.headers.getSetCookie();
  const header = raw.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return { status: response.status, cookie: header?.split(';')[0], raw };
}

/** Absolute http(s) URLs in a text that point anywhere but the server under test. */
function foreignUrls(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s"'<>)]+/g)]
    .map((m) => m[0])
    .filter((url) => !url.startsWith(`${h.url}/`) && url !== h.url);
}

const ids = {} as Record<'green' | 'yellow' | 'red' | 'grey' | 'script', string>;
let scoped: string;

beforeAll(async () => {
  // Today is 2 March 2026 (the harness's clock); the latest start of the pre-study is end − 2 years.
  const create = async (municipality: string, programmeEnd: string) => {
    const response = await h.request('POST', '/api/programmes', {
      body: programmeBody({ municipality, programmeEnd }),
    });
    expect(response.status).toBe(201);
    return response.body.id as string;
  };
  ids.green = await create('Grønnby', '2028-12-31'); // 2026-12-31: on track
  ids.yellow = await create('Gulby', '2028-03-10'); // 2026-03-10: in 8 days
  ids.red = await create('Rødby', '2027-12-31'); // 2025-12-31: overdue
  ids.grey = await create('Gråby', '2028-12-31');
  const cancel = await h.request('POST', `/api/programmes/${ids.grey}/workflow/events`, {
    body: { type: 'workflow.cancel', reason: 'Kommunen trakk seg' },
  });
  expect(cancel.body.state).toBe('avbrutt');
  ids.script = await create('<script>alert(1)</script>', '2028-12-31');
  scoped = await h.token('auditor', [ids.green, ids.script]);
}, 60_000);

describe('GET /inspect (overview)', () => {
  it('lists every programme the token may see, with a traffic light for the next deadline', async () => {
    const page = await get('/inspect', bearer(ADMIN_TOKEN));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const light = (id: string) =>
      new RegExp(`data-programme="${id}" data-light="([a-z]+)"`).exec(page.text)?.[1];
    expect(light(ids.green)).toBe('green');
    expect(light(ids.yellow)).toBe('yellow');
    expect(light(ids.red)).toBe('red');
    expect(light(ids.grey)).toBe('grey');
    for (const id of Object.values(ids)) expect(page.text).toContain(`href="/inspect/${id}"`);
    expect(page.text).toContain('Seneste oppstart av forstudien: 10. mars 2026 (om 8 dager)');
    expect(page.text).toContain(
      'Seneste oppstart av forstudien: 31. desember 2025 (61 dager på overtid)',
    );
    expect(page.text).toMatch(/<span class="light-text">rød<\/span>/);
    expect(page.text).toMatch(/<span class="light-text">grå<\/span> · ingen åpne frister/);
  });

  it('shows a scoped token only its own programmes', async () => {
    const page = await get('/inspect', bearer(scoped));
    expect(page.status).toBe(200);
    const listed = [...page.text.matchAll(/data-programme="([^"]+)"/g)].map((m) => m[1]).sort();
    expect(listed).toEqual([ids.green, ids.script].sort());
    for (const name of ['Gulby', 'Rødby', 'Gråby']) expect(page.text).not.toContain(name);
  });
});

describe('GET /inspect/:programmeId', () => {
  it('shows the programme to a token that may see it', async () => {
    const page = await get(`/inspect/${ids.green}`, bearer(scoped));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<svg');
    expect(page.text).toContain('id="verification" data-valid="true"');
    expect(page.text).toContain('Tilstand per 2. mars 2026 kl. 09:00 (nå)');
  });

  it('answers a foreign programme exactly as a missing one: 404, revealing nothing', async () => {
    const foreign = await get(`/inspect/${ids.red}`, bearer(scoped));
    const missingId = randomUUID();
    const missing = await get(`/inspect/${missingId}`, bearer(scoped));
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(foreign.text).toContain('Fant ikke programmet');
    expect(foreign.text).not.toContain('Rødby');
    expect(foreign.text.replaceAll(ids.red, 'ID')).toBe(missing.text.replaceAll(missingId, 'ID'));
    expect((await get('/inspect/not-a-uuid', bearer(scoped))).status).toBe(404);
  });

  it('shows the state at an earlier time, and refuses a time that is not one', async () => {
    const before = await get(`/inspect/${ids.grey}?at=2026-03-02T08:30`, bearer(ADMIN_TOKEN));
    expect(before.status).toBe(404);
    expect(before.text).toContain('Programmet fantes ikke ennå');
    const then = await get(`/inspect/${ids.grey}?at=2026-03-02`, bearer(ADMIN_TOKEN));
    expect(then.status).toBe(200);
    expect(then.text).toContain('Tilstand per 2. mars 2026 kl. 23:59 (historisk visning)');
    expect(then.text).toMatch(/id="status" data-state="avbrutt"/);
    const bad = await get(`/inspect/${ids.grey}?at=i%20morgen`, bearer(ADMIN_TOKEN));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Ugyldig forespørsel');
  });

  it('escapes what users supplied (a municipality named <script>alert(1)</script>)', async () => {
    for (const path of [`/inspect/${ids.script}`, '/inspect']) {
      const page = await get(path, bearer(ADMIN_TOKEN));
      expect(page.status).toBe(200);
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.text).not.toContain('<script>alert(1)</script>');
      expect(page.text).not.toContain('alert(1)</');
    }
  });

  it('names no other host: everything is inline and the page works offline', async () => {
    const pages = [
      await get(`/inspect/${ids.green}`, bearer(ADMIN_TOKEN)),
      await get(`/inspect/${ids.script}?at=2026-03-02`, bearer(ADMIN_TOKEN)),
      await get('/inspect', bearer(ADMIN_TOKEN)),
      await get('/inspect/login'),
    ];
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(foreignUrls(page.text)).toEqual([]);
      expect(page.text).not.toMatch(/<(link|img|iframe)\b/i);
      expect(page.text).not.toMatch(/<script[^>]*\ssrc=/i);
    }
  });
});

describe('signing in from a browser', () => {
  it('sends a page request without a token to the login form (303), not a 401 problem', async () => {
    const page = await get(`/inspect/${ids.green}?at=2026-03-02`);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(
      `/inspect/login?next=${encodeURIComponent(`/inspect/${ids.green}?at=2026-03-02`)}`,
    );
    expect((await get('/inspect')).headers.get('location')).toBe('/inspect/login');
    const login = await get('/inspect/login?next=https://evil.example/');
    expect(login.status).toBe(200);
    expect(login.text).toContain('type="password"');
    expect(login.text).toContain('data-next="/inspect"');
    expect(login.text).toContain("fetch('/inspect/session'");
  });

  it('refuses an unknown token with a 401 problem and sets no cookie', async () => {
    const bad = await signIn('vf_not-a-real-token');
    expect(bad.status).toBe(401);
    expect(bad.raw).toEqual([]);
    const response = await h.request('POST', '/inspect/session', {
      token: null,
      body: { token: 'vf_not-a-real-token' },
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, detail: expect.stringMatching(/Nøkkelen/) });
    const form = await fetch(`${h.url}/inspect/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(scoped)}`,
    });
    expect(form.status).toBe(415);
    expect(form.headers.getSetCookie()).toEqual([]);
  });

  it('gives a good token an HttpOnly, SameSite=Strict cookie that is not the token', async () => {
    const session = await signIn(scoped);
    expect(session.status).toBe(204);
    const header = session.raw.find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    const attributes = header.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(
      expect.arrayContaining(['httponly', 'samesite=strict', 'path=/', 'max-age=28800']),
    );
    expect(attributes).not.toContain('secure');
    expect(header).not.toContain(scoped);
    expect(header).not.toContain(scoped.slice(3, 20));

    const overview = await get('/inspect', { cookie: session.cookie! });
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('Grønnby');
    expect(overview.text).not.toContain('Rødby');
    const api = await get(`/api/programmes/${ids.green}/workflow`, { cookie: session.cookie! });
    expect(api.status).toBe(200);
    expect((await get(`/api/programmes/${ids.red}`, { cookie: session.cookie! })).status).toBe(404);
  });

  it('behind an https proxy marks the cookie Secure', async () => {
    const response = await h.request('POST', '/inspect/session', {
      token: null,
      body: { token: scoped },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()[0]).toMatch(/; Secure$/);
  });

  it('never authenticates a POST, PATCH or DELETE with the cookie alone', async () => {
    const admin = await signIn(ADMIN_TOKEN);
    expect(admin.status).toBe(204);
    const cookie = admin.cookie!;
    expect((await get(`/api/programmes/${ids.red}`, { cookie })).status).toBe(200);
    const post = await h.request('POST', `/api/programmes/${ids.red}/workflow/events`, {
      token: null,
      headers: { cookie },
      body: { type: 'workflow.cancel', reason: 'Forfalsket' },
    });
    expect(post.status).toBe(401);
    const patch = await h.request('PATCH', `/api/programmes/${ids.red}`, {
      token: null,
      headers: { cookie },
      body: { municipality: 'Forfalsket' },
    });
    expect(patch.status).toBe(401);
    const created = await h.request('POST', '/api/tokens', {
      body: { role: 'auditor', label: 'Slettes' },
    });
    const remove = await h.request('DELETE', `/api/tokens/${created.body.id}`, {
      token: null,
      headers: { cookie },
    });
    expect(remove.status).toBe(401);
    const view = await h.request('GET', `/api/programmes/${ids.red}/workflow`);
    expect(view.body.state).toBe('initiering.forberedelse');
  });

  it('ends the session when the token is revoked, when it expires, or when it is altered', async () => {
    const created = await h.request('POST', '/api/tokens', {
      body: { role: 'auditor', label: 'Revisor som slutter', programmeIds: [ids.green] },
    });
    const session = await signIn(created.body.token);
    const cookie = session.cookie!;
    expect((await get('/inspect', { cookie })).status).toBe(200);

    const [name, value] = cookie.split('=') as [string, string];
    const altered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await get('/inspect', { cookie: altered })).status).toBe(303);
    const parts = value.split('.');
    parts[2] = String(Number(parts[2]) + 86_400);
    expect((await get('/inspect', { cookie: `${name}=${parts.join('.')}` })).status).toBe(303);
    // An expired or altered cookie on the API is a 401 problem.
    const api = await get(`/api/programmes/${ids.green}`, { cookie: altered });
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    h.clock.advance(8 * 3_600_000 + 1000);
    try {
      expect((await get('/inspect', { cookie })).status).toBe(303);
    } finally {
      h.clock.advance(-(8 * 3_600_000 + 1000));
    }
    expect((await get('/inspect', { cookie })).status).toBe(200);
    const revoked = await h.request('DELETE', `/api/tokens/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect((await get('/inspect', { cookie })).status).toBe(303);
  });

  it('logs out by clearing the cookie', async () => {
    const response = await fetch(`${h.url}/inspect/logout`, { method: 'POST' });
    expect(response.status).toBe(204);
    const [header] = response.headers.getSetCookie();
    expect(header).toBe(`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
  });
});
