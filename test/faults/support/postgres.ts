import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { PG_ADMIN_URL } from '../../support/databases';
import { sleep } from './service';

// Asynchronous, so that the load keeps running (and is timed truly) while the cluster stops.
const run = promisify(execFile);

/**
 * Stops and starts the real PostgreSQL cluster that PG_ADMIN_URL points at, with Debian's
 * pg_ctlcluster (root, a local cluster). Every other connection to it is cut: only the fault
 * tests, which run one file at a time, may use this.
 */
export interface Cluster {
  version: string;
  name: string;
  port: number;
}

/** The local cluster serving PG_ADMIN_URL, or why it cannot be restarted from here. */
export function localCluster(): Cluster | string {
  const admin = new URL(PG_ADMIN_URL);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(admin.hostname)) {
    return `PG_ADMIN_URL names ${admin.hostname}, not this machine`;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'restarting PostgreSQL needs root';
  }
  const list = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  if (list.status !== 0) return `pg_lsclusters failed: ${list.stderr || list.error?.message}`;
  const port = Number(admin.port || 5432);
  for (const line of list.stdout.split('\n')) {
    const [version, name, clusterPort] = line.trim().split(/\s+/);
    if (version && name && Number(clusterPort) === port) return { version, name, port };
  }
  return `no local cluster on port ${port} (pg_lsclusters: ${list.stdout.trim()})`;
}

async function pgCtlCluster(cluster: Cluster, action: 'start' | 'stop'): Promise<void> {
  const args = ['--skip-systemctl-redirect', cluster.version, cluster.name, action];
  if (action === 'stop') args.push('-m', 'fast');
  try {
    await run('pg_ctlcluster', args, { timeout: 60_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`pg_ctlcluster ${args.join(' ')} failed: ${stderr ?? ''}${stdout ?? ''}`);
  }
}

export async function acceptsConnections(): Promise<boolean> {
  try {
    const { stdout } = await run('psql', [PG_ADMIN_URL, '-tAc', 'select 1'], { timeout: 5000 });
    return stdout.trim() === '1';
  } catch {
    return false;
  }
}

/**
 * Stops the cluster (fast: open transactions are rolled back, connections cut) and waits for it.
 * Refuses while anyone else is connected (another test run, a benchmark): only sessions on the
 * databases in `ours` (the service under test) may be cut.
 */
export async function stopPostgres(cluster: Cluster, ours: string[]): Promise<void> {
  let others = await otherSessions(ours);
  // Short-lived sessions (autovacuum, a previous test's pool closing) are waited out, not refused.
  for (const deadline = Date.now() + 20_000; others.length > 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    others = await otherSessions(ours);
  }
  if (others.length > 0) {
    throw new Error(
      `Refusing to stop PostgreSQL: ${others.length} other session(s) use it (${[...new Set(others)].join(', ')}); run the fault tests alone`,
    );
  }
  await pgCtlCluster(cluster, 'stop');
}

/** Database and application of every session but ours and this query's own. */
async function otherSessions(ours: string[]): Promise<string[]> {
  const excluded = ours.map((name) => `'${name.replace(/'/g, "''")}'`).join(', ') || "''";
  const { stdout } = await run(
    'psql',
    [
      PG_ADMIN_URL,
      '-tAc',
      `select datname || ' ' || coalesce(nullif(application_name, ''), '-') from pg_stat_activity
        where pid <> pg_backend_pid() and backend_type = 'client backend' and datname is not null
          and datname not in (${excluded})`,
    ],
    { timeout: 5000 },
  );
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

/** Starts the cluster unless it runs, and waits until it accepts connections (at most `timeoutMs`). */
export async function startPostgres(cluster: Cluster, timeoutMs = 60_000): Promise<void> {
  if (!(await acceptsConnections())) {
    const { stdout } = await run('pg_lsclusters', ['--no-header']);
    const online = stdout.split('\n').some((line) => {
      const [version, name, , status] = line.trim().split(/\s+/);
      return version === cluster.version && name === cluster.name && status === 'online';
    });
    // Online but not accepting yet: it is starting up; wait rather than start it twice.
    if (!online) await pgCtlCluster(cluster, 'start');
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await acceptsConnections())) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not come back in ${timeoutMs} ms`);
    await sleep(200);
  }
}
