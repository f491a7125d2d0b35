/**
 * Render time of the auditor's pages with a long history and many programmes (issue 6): the
 * programme page with 500 history entries and the overview with 200 programmes, each as a ratio
 * to GET /health measured in the same run. Runs the compiled app (`npm run build` first).
 *
 *   npx tsx bench/inspect-page.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const TOKEN = 'bench-admin-token-0123456789abcdef';
const ENTRIES = Number(process.env.BENCH_HISTORY ?? 500);
const PROGRAMMES = Number(process.env.BENCH_PROGRAMMES ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'videreforing-bench-inspect-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: dir,
    stdio: 'ignore',
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_TOKEN: TOKEN,
      DATABASE_URL: `sqlite:${join(dir, 'bench.sqlite')}`,
      SQLITE_SYNCHRONOUS: 'NORMAL',
      LOG_LEVEL: 'error',
      REMINDER_CRON: 'off',
      MAIL_POLL_SECONDS: '0',
      RATE_LIMIT_PER_MINUTE: '10000000',
      CONFIG_FILE: 'none',
    },
  });
  try {
    await waitForHealth(base);
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const response = await fetch(base + path, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string };
    };
    const programme = (i: number) => ({
      municipality: `Kommune ${i}`,
      municipalityNumber: String(1000 + i).slice(-4),
      programmeStart: '2026-01-01',
      programmeEnd: '2031-12-31',
      board: [{ name: 'Styreleder', email: `styret${i}@example.no` }],
    });
    const first = await post('/api/programmes', programme(0));
    for (let i = 1; i < PROGRAMMES; i += 1) await post('/api/programmes', programme(i));
    const events = `/api/programmes/${first.id}/workflow/events`;
    await post(events, {
      type: 'roles.assign',
      prosjekteier: 'Kommunen',
      prosjektansvarlig: { name: 'Ordfører', email: 'o@example.no' },
      prosjektleder: { name: 'Leder', email: 'l@example.no', external: false },
    });
    await post(events, { type: 'forstudie.start' });
    for (let i = 3; i < ENTRIES; i += 1) {
      await post(events, {
        type: 'cost.record',
        category: 'andreKostnader',
        amountNok: i,
        date: '2026-03-02',
        description: `Utlegg ${i}`,
      });
    }

    const time = async (path: string): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i += 1) {
        const start = process.hrtime.bigint();
        const response = await fetch(base + path, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        await response.text();
        if (!response.ok) throw new Error(`${path}: ${response.status}`);
        samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      return samples;
    };
    const health = median(await time('/health'));
    const page = median(await time(`/inspect/${first.id}`));
    const overview = median(await time('/inspect'));
    const svg = median(await time(`/api/programmes/${first.id}/workflow/graph?format=svg`));
    const verify = median(await time(`/api/programmes/${first.id}/workflow/verify`));
    const history = median(await time(`/api/programmes/${first.id}/workflow/history?limit=200`));
    const view = median(await time(`/api/programmes/${first.id}/workflow`));
    console.log(`Inspector pages (SQLite NORMAL, ${RUNS} runs each, medians)`);
    console.log(`  baseline GET /health                         ${health.toFixed(1)} ms`);
    console.log(
      `  /inspect/:id with ${ENTRIES} history entries     ${page.toFixed(1)} ms  (${(page / health).toFixed(1)}× baseline)`,
    );
    console.log(
      `  /inspect with ${PROGRAMMES} programmes             ${overview.toFixed(1)} ms  (${(overview / health).toFixed(1)}× baseline)`,
    );
    console.log(
      `  instance graph as SVG                        ${svg.toFixed(1)} ms  (${(svg / health).toFixed(1)}× baseline)`,
    );
    for (const [name, value] of [
      [`verify ${ENTRIES} entries`, verify],
      ['history page of 200', history],
      ['workflow view', view],
    ] as const) {
      console.log(
        `  ${name.padEnd(45)}${value.toFixed(1)} ms  (${(value / health).toFixed(1)}× baseline)`,
      );
    }
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForHealth(base: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('The service did not start');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
