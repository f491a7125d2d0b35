import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { phases } from '../../workflows/videreforing/data';
import { SESSION_COOKIE } from '../../src/inspection/session';
import { programmeBody, useHttpApp } from '../support/http-harness';
import { forstudieIds, payloads } from '../support/videreforing-driver';

/**
 * The auditor's page in a real browser (Debian's Chromium through playwright-core): sign in by
 * typing the token, read the graph, the phase, what blocks the next step, the history and its
 * verification, travel back in time, and see a tampered history reported as broken.
 *
 * Without /usr/bin/chromium (or CHROMIUM_PATH) the test is excluded with a warning;
 * REQUIRE_BROWSER=1 fails instead. No browser is ever downloaded.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(process.cwd(), 'test-output', 'inspection');
/** `COLOURS.current` of src/inspection/render.ts: the fill of the state the instance is in. */
const CURRENT_FILL = '#ffd54f';
const VISITED_FILL = '#e3f2fd';

function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.REQUIRE_BROWSER === '1') {
    throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}`);
  }
  console.warn(
    `No Chromium at ${CHROMIUM}: the browser test of the inspector page is EXCLUDED (set REQUIRE_BROWSER=1 to fail instead)`,
  );
  return false;
}

if (browserAvailable()) {
  browserTests();
} else {
  it(`is excluded: there is no Chromium at ${CHROMIUM}`, () => {
    expect(existsSync(CHROMIUM)).toBe(false);
  });
}

function browserTests(): void {
  const h = useHttpApp('sqlite');
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    mkdirSync(OUTPUT, { recursive: true });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** The fill of a state's box in the page's inline SVG (Graphviz: `<g class="node"><title>id`). */
  async function fillOf(page: Page, stateId: string): Promise<string | null> {
    const node = page.locator('#graph svg g.node').filter({
      has: page.locator('title', { hasText: new RegExp(`^${stateId.replace('.', '\\.')}$`) }),
    });
    await expect(node.count()).resolves.toBe(1);
    return node.locator('path, polygon').first().getAttribute('fill');
  }

  it('shows an auditor the programme halfway through the forprosjekt, then and now', async () => {
    // ---- The programme, driven through the API with time passing between steps ----------------
    const created = await h.request('POST', '/api/programmes', { body: programmeBody() });
    expect(created.status).toBe(201);
    const { id, instanceId } = created.body as { id: string; instanceId: string };
    const leader = await h.token('projectLeader', [id]);
    const board = await h.token('board', [id]);
    const auditor = await h.token('auditor', [id], 'Revisor for Nordkyn');
    const send = async (event: Record<string, unknown>, token?: string) => {
      const response = await h.request('POST', `/api/programmes/${id}/workflow/events`, {
        ...(token ? { token } : {}),
        body: event,
      });
      expect({ type: event.type, status: response.status }).toEqual({
        type: event.type,
        status: 200,
      });
      return response.body;
    };
    h.clock.advanceDays(1);
    await send({ type: 'roles.assign', ...payloads.internalRoles });
    h.clock.advanceDays(2);
    await send({ type: 'forstudie.start' });
    let duringForstudie = '';
    for (const activityId of forstudieIds) {
      h.clock.advanceDays(3);
      await send({ type: 'activity.complete', activityId }, leader);
      // One hour after F2 was completed (2026-03-11 09:00 in Oslo): seq 5, F1 and F2 done.
      if (activityId === 'F2') duringForstudie = '2026-03-11T10:00';
    }
    await send({ type: 'report.submit', ...payloads.forstudieReport }, leader);
    h.clock.advanceDays(7);
    await send({ type: 'report.approve', meetingRef: 'PS 12/26' }, board);
    h.clock.advanceDays(2);
    await send({ type: 'forprosjekt.start', ...payloads.owners });
    for (const activityId of ['P1', 'P2', 'P3']) {
      h.clock.advanceDays(10);
      await send({ type: 'activity.complete', activityId, note: 'Se vedlegg' }, leader);
    }
    const view = (await h.request('GET', `/api/programmes/${id}/workflow`)).body;
    expect(view.state).toBe('forprosjekt.arbeid');
    const history = (await h.request('GET', `/api/programmes/${id}/workflow/history?limit=200`))
      .body.items;
    expect(history).toHaveLength(15);
    const submit = view.nextEvents.find((e: any) => e.type === 'report.submit');
    const reason = 'Aktivitetene P4, P5, P6, P7 og P8 i forprosjektet er ikke fullført';
    expect(submit.blockedBy.map((b: any) => b.message)).toContain(reason);

    // ---- The browser: redirected to the login form, sign in by typing the token ----------------
    const context = await browser.newContext({ locale: 'nb-NO', timezoneId: 'Europe/Oslo' });
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    try {
      const first = await page.goto(`${h.url}/inspect/${id}`);
      expect(new URL(page.url()).pathname).toBe('/inspect/login');
      const redirect = first!.request().redirectedFrom();
      expect(redirect?.url()).toBe(`${h.url}/inspect/${id}`);
      expect((await redirect!.response())?.status()).toBe(303);

      await page.locator('#token').pressSequentially(auditor);
      await Promise.all([
        page.waitForURL(`${h.url}/inspect/${id}`),
        page.locator('#login button[type="submit"]').click(),
      ]);
      await expect(page.locator('h1').textContent()).resolves.toContain('Nordkyn');
      await expect(page.locator('header.top .who').textContent()).resolves.toContain('revisor');

      // The current state, highlighted in the graph.
      await expect(page.locator('#status').getAttribute('data-state')).resolves.toBe(
        'forprosjekt.arbeid',
      );
      await expect(fillOf(page, 'forprosjekt.arbeid')).resolves.toBe(CURRENT_FILL);
      await expect(fillOf(page, 'forstudie.arbeid')).resolves.toBe(VISITED_FILL);
      await expect(fillOf(page, 'hovedprosjekt.arbeid')).resolves.not.toBe(CURRENT_FILL);

      // The phase and its activities: exact texts, done or open, who and when.
      const activities = page.locator('#activities tbody tr');
      await expect(activities.count()).resolves.toBe(8);
      for (const [index, activity] of phases.forprosjekt.activities.entries()) {
        const row = page.locator(`#activities tr[data-activity="${activity.id}"]`);
        const text = (await row.textContent())!.replace(/\s+/g, ' ');
        expect(text).toContain(activity.text);
        const done = index < 3;
        await expect(row.getAttribute('data-done')).resolves.toBe(String(done));
        expect(text).toContain(done ? 'Fullført' : 'Åpen');
        if (done) expect(text).toMatch(/prosjektleder [0-9a-f-]{36}.*2026 kl\. \d\d:\d\d/);
      }
      await expect(
        page.locator('#deadlines tr[data-deadline="forprosjektEnd"]').textContent(),
      ).resolves.toMatch(/Forprosjektet ferdig.*Ikke oppfylt/s);

      // What blocks the next step, and why (in Norwegian).
      const blocked = page.locator('#blocked li[data-event="report.submit"]');
      await expect(blocked.textContent()).resolves.toContain(reason);
      await expect(
        page.locator('#blocked li[data-event="forprosjekt.start"]').count(),
      ).resolves.toBe(0);

      // The history as a timeline, and its verification.
      await expect(page.locator('#history > li').count()).resolves.toBe(15);
      const fifth = (await page.locator('#history > li[data-seq="5"]').textContent())!;
      expect(fifth.replace(/\s+/g, ' ')).toMatch(
        /#5 11\. mars 2026 kl\. 09:00 · prosjektleder [0-9a-f-]{36} · Fullføre aktivitet F2 Forstudie – arbeid → Forstudie – arbeid/,
      );
      const verification = page.locator('#verification');
      await expect(verification.getAttribute('data-valid')).resolves.toBe('true');
      await expect(verification.textContent()).resolves.toMatch(
        /✓\s*Historikken er uendret\.\s*Alle 15 oppføringer/,
      );
      await expect(page.locator('#as-of').textContent()).resolves.toContain(
        'Tilstand per 1. mai 2026 kl. 10:00 (nå)',
      );
      await page.screenshot({ path: join(OUTPUT, 'programme.png'), fullPage: true });

      // ---- Back in time: during the forstudie ---------------------------------------------------
      await page.locator('#at').fill(duringForstudie);
      await Promise.all([
        page.waitForURL(/\?at=/),
        page.locator('#time button[type="submit"]').click(),
      ]);
      expect(new URL(page.url()).searchParams.get('at')).toBe(duringForstudie);
      await expect(page.locator('#as-of').textContent()).resolves.toContain(
        'Tilstand per 11. mars 2026 kl. 10:00 (historisk visning)',
      );
      await expect(page.locator('#status').getAttribute('data-state')).resolves.toBe(
        'forstudie.arbeid',
      );
      await expect(fillOf(page, 'forstudie.arbeid')).resolves.toBe(CURRENT_FILL);
      await expect(fillOf(page, 'forprosjekt.arbeid')).resolves.not.toBe(CURRENT_FILL);
      await expect(page.locator('#history > li').count()).resolves.toBe(5);
      for (const activityId of forstudieIds) {
        await expect(
          page.locator(`#activities tr[data-activity="${activityId}"]`).getAttribute('data-done'),
        ).resolves.toBe(String(activityId === 'F1' || activityId === 'F2'));
      }
      await expect(
        page.locator('#blocked li[data-event="report.submit"]').textContent(),
      ).resolves.toContain('Aktivitetene F3, F4, F5 og F6 i forstudien er ikke fullført');
      await page.screenshot({ path: join(OUTPUT, 'programme-forstudie.png'), fullPage: true });

      // ---- A history row altered in the database: reported as broken at that entry --------------
      await h.sql('update history_entry set payload = ? where instance_id = ? and seq = 5', [
        JSON.stringify({ activityId: 'F2', note: 'Endret i ettertid' }),
        instanceId,
      ]);
      await page.goto(`${h.url}/inspect/${id}`);
      await expect(verification.getAttribute('data-valid')).resolves.toBe('false');
      await expect(verification.getAttribute('data-broken-at')).resolves.toBe('5');
      await expect(verification.textContent()).resolves.toMatch(
        /✗\s*Historikken er brutt ved oppføring 5:\s*Oppføring 5 er endret etter at den ble skrevet/,
      );
      await expect(page.locator('#history > li[data-seq="5"]').getAttribute('class')).resolves.toBe(
        'broken',
      );
      await page.screenshot({ path: join(OUTPUT, 'programme-broken.png'), fullPage: true });

      // ---- The token stayed out of every URL; the cookie is out of scripts' reach -----------------
      expect(urls.length).toBeGreaterThan(3);
      for (const url of urls) {
        expect(url.startsWith(`${h.url}/`)).toBe(true);
        expect(url).not.toContain(auditor);
        expect(url).not.toContain(encodeURIComponent(auditor));
      }
      const cookies = await context.cookies(h.url);
      const session = cookies.find((c) => c.name === SESSION_COOKIE);
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(session!.value).not.toContain(auditor);
      await expect(page.evaluate('document.cookie')).resolves.toBe('');

      // ---- Logging out ends the session ---------------------------------------------------------
      await Promise.all([page.waitForURL(/\/inspect\/login$/), page.locator('#logout').click()]);
      expect((await context.cookies(h.url)).some((c) => c.name === SESSION_COOKIE)).toBe(false);
      await page.goto(`${h.url}/inspect/${id}`);
      expect(new URL(page.url()).pathname).toBe('/inspect/login');
    } finally {
      await context.close();
    }
  }, 60_000);
}
