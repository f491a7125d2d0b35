import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The README's walk-through, run as a newcomer would: the built service on its embedded defaults in
 * a fresh folder, a token from `npm run token`'s script, then the README's own shell block.
 */
const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

jest.setTimeout(90_000);

function walkthrough(): string {
  const match = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(
    README,
  );
  if (!match) throw new Error('README.md has no walkthrough block');
  return match[1]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('README', () => {
  let cwd: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'videreforing-readme-'));
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });

  it('names the two commands and the spec', () => {
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('npm ci && npm test');
    expect(README).toContain('docs/SPEC.md');
  });

  it('walks a newcomer from start to a started pre-study', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CONFIG_FILE: 'none',
    };
    delete env.DATABASE_URL;
    delete env.ADMIN_TOKEN;
    child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
      cwd,
      env,
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i += 1) {
      const up = await fetch(`${base}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (up) break;
      if (i > 200) throw new Error('The service did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = execFileSync(
      process.execPath,
      [
        join(ROOT, 'dist', 'scripts', 'token.js'),
        'create',
        '--role',
        'admin',
        '--label',
        'Sekretariatet',
      ],
      { cwd, env, encoding: 'utf8' },
    );
    const { token } = JSON.parse(created) as { token: string };

    const output = execFileSync('bash', ['-euo', 'pipefail', '-c', walkthrough()], {
      cwd,
      env: { ...env, BASE: base, TOKEN: token },
      encoding: 'utf8',
    });
    const lines = output.trim().split('\n');
    expect(lines[0]).toMatch(/^programme [0-9a-f-]{36}$/);
    expect(lines[1]).toBe(
      'Forstudien kan ikke starte før prosjekteier, prosjektansvarlig og prosjektleder er på plass',
    );
    expect(lines[2]).toBe('forstudie.arbeid (versjon 3)');
    expect(lines).toContain('latestStart 2029-12-31');
    expect(lines.some((l) => /^forstudieEnd \d{4}-\d{2}-\d{2}$/.test(l))).toBe(true);
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual({ valid: true, entries: 3 });
  });
});
