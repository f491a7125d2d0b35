import type { Config } from './config';
import { TRANSITION_STEP, type EngineResults, type Throughput } from './engine';
import type { HashRestResults } from './hash-rest';
import type { MemoryLoadResults, MemoryLoadRun, Span } from './memory';
import type { RestResults } from './rest';
import type { StartupResult, SweepResults } from './sweep';
import { fmt, mb, pct, ratio, type Machine } from './support';

export interface Results {
  started: Date;
  seconds: number;
  loadEnd: number[];
  machine: Machine;
  config: Config;
  rest: RestResults | null;
  engine: EngineResults | null;
  sweep: SweepResults | null;
  startup: StartupResult | null;
  /** The hash chain's A/B through REST (bench/hash-rest.ts). */
  hashRest: HashRestResults | null;
  memoryLoad: MemoryLoadResults | null;
  notes: string[];
}

interface Check {
  measure: string;
  result: string;
  target: string;
  met: boolean | null;
}

const verdict = (met: boolean | null) => (met === null ? '—' : met ? 'met' : '**not met**');

const ms = (value: number, digits = 1) => `${fmt(value, digits)} ms`;
const us = (value: number) => `${fmt(value, value < 10 ? 2 : 1)} µs`;

/** The targets of issue 7, each judged on ratios measured in this run. */
/** Every entry of the hashing service has a real hash and every one of the other the constant. */
function swapTook(h: HashRestResults): boolean {
  return h.constantInWith === 0 && h.realInWithout === 0;
}

export function checks(r: Results): Check[] {
  const list: Check[] = [];
  const rest = r.rest;
  const engine = r.engine;
  const restRow = (kind: string, mode: string) =>
    rest?.rows.find((row) => row.kind === kind && row.mode === mode);
  const normal = restRow('sqlite-normal', 'per-connection');
  if (normal) {
    list.push({
      measure:
        'REST events/s, SQLite NORMAL ÷ bare NestJS POST (server CPU per request: bare ÷ this)',
      result: `${ratio(normal.ratio)} (CPU ${ratio(normal.cpuRatio)})`,
      target: '≥ 0.25',
      met: normal.ratio >= 0.25,
    });
  }
  const pgRest = restRow('postgresql', 'per-connection');
  const pgEngine = engine?.stores.find((s) => s.kind === 'postgresql');
  const paired = rest?.pgServiceSql;
  if (pgRest && paired) {
    const apart = pgEngine?.concurrent
      ? `; against part 2's run of it, minutes later: ${ratio(pgRest.rps / pgEngine.concurrent.rawService.eps)}`
      : '';
    list.push({
      measure:
        `REST events/s, PostgreSQL ÷ the service's SQL for those events by the raw driver ` +
        `(${rest.connections} concurrent, run right after it in each round; median of rounds${apart})`,
      result: `${ratio(paired.ratio)} (rounds ${paired.ratios.map(ratio).join(', ')})`,
      target: '≥ 0.5',
      met: paired.ratio >= 0.5,
    });
  }
  for (const store of engine?.stores ?? []) {
    list.push({
      measure: `Engine without HTTP ÷ raw driver, ${store.label} (one at a time)`,
      result: ratio(store.ratio),
      target: '≥ 0.5',
      met: store.ratio >= 0.5,
    });
  }
  const share = transitionShare(r);
  if (share) {
    list.push({
      measure: 'XState transition, as the engine runs it, ÷ one REST request (CPU, SQLite NORMAL)',
      result: pct(share.transition / share.requestUs, 2),
      target: '≤ 2 %',
      met: share.transition / share.requestUs <= 0.02,
    });
  }
  for (const store of r.sweep?.stores ?? []) {
    list.push({
      measure: `Sweep ${fmt(r.sweep!.large)} ÷ ${fmt(r.sweep!.small)} instances (1 % due), per due reminder, ${store.label}`,
      result: ratio(store.ratioPerDue),
      target: '≤ 1.5',
      met: store.ratioPerDue <= 1.5,
    });
    list.push({
      measure: `Sweep ${fmt(r.sweep!.large)} ÷ ${fmt(r.sweep!.small)} instances, same due count, ${store.label}`,
      result: ratio(store.ratioSameDue),
      target: '≤ 1.5',
      met: store.ratioSameDue <= 1.5,
    });
    list.push({
      measure: `Sweep uses the (met, due) index, ${store.label}`,
      result: store.phases.every((p) => p.usesIndex) ? 'yes' : 'no',
      target: 'yes',
      met: store.phases.every((p) => p.usesIndex),
    });
  }
  const hashRest = r.hashRest;
  if (hashRest) {
    // The direct measure of the chain's cost to the service's throughput.
    const swapped = swapTook(hashRest);
    list.push({
      measure:
        'Hash chain, A/B through REST: events/s of the service with hashing ÷ the same service with `entryHash` a constant, ' +
        `both loaded at the same time (SQLite NORMAL, median of ${hashRest.runs.length} runs; server CPU per request without ÷ with ` +
        `${ratio(hashRest.cpuRatio)}; part 6)`,
      result: ratio(hashRest.ratio) + (swapped ? '' : ' (the swap did not take: see part 6)'),
      target: '≥ 0.95 (cost ≤ 5 %)',
      met: swapped && hashRest.ratio >= 0.95,
    });
  }
  const normalEngine = engine?.stores.find((s) => s.kind === 'sqlite-normal');
  const hashStep = engine?.micro.find((m) => m.step.startsWith('entryHash'));
  if (normalEngine && hashStep) {
    const noHash = normalEngine.withoutHash;
    const hashShare = hashStep.us / normalEngine.orm.cpuUs;
    if (noHash) {
      // Without HTTP the hash is a larger share of the work: shown, judged only without the REST A/B.
      list.push({
        measure:
          'Hash chain, A/B without HTTP: engine events/s with hashing ÷ with `entryHash` a constant (median of pairs, SQLite NORMAL; CPU without ÷ with ' +
          `${ratio(noHash.cpuRatio)}; part 6)`,
        result: ratio(noHash.ratio),
        target: hashRest ? '— (the engine alone)' : '≥ 0.95 (cost ≤ 5 %)',
        met: hashRest ? null : noHash.ratio >= 0.95,
      });
    }
    list.push({
      measure: 'Hash chain: one entryHash timed alone ÷ one engine send (CPU, SQLite NORMAL)',
      result: pct(hashShare, 2),
      target: '≤ 5 %',
      met: hashShare <= 0.05,
    });
  }
  if (share?.hash !== undefined) {
    list.push({
      measure: 'entryHash ÷ one REST request (CPU, SQLite NORMAL)',
      result: pct(share.hash / share.requestUs, 2),
      target: '≤ 5 %',
      met: share.hash / share.requestUs <= 0.05,
    });
  }
  // Part 7 measures the growth properly; without it, part 1's few minutes are all there is.
  for (const item of r.memoryLoad ? [] : (rest?.rss ?? [])) {
    if (item.label === 'bare') continue;
    const end = item.rounds[item.rounds.length - 1] ?? item.afterWarmup;
    list.push({
      measure: `RSS after warm-up → after the last round, ${item.label} (${fmt(item.minutes, 1)} min of load, not 10)`,
      result: `${mb(item.afterWarmup)} → ${mb(end)} (${end >= item.afterWarmup ? '+' : ''}${pct(end / item.afterWarmup - 1)})`,
      target: '≤ +10 % (after 10 min)',
      met: null,
    });
  }
  const load = r.memoryLoad;
  for (const run of load?.runs ?? []) {
    const { baseline, end } = run;
    list.push({
      measure:
        `RSS under steady REST load, mean of the last ${windowText(end)} ÷ mean of ` +
        `${fmt(baseline.from, 1)}–${fmt(baseline.to, 1)} min (after the warm-up), ${run.label}, ` +
        `${fmt(run.loadMinutes, 1)} min of load (part 7; RSS after a forced GC at the end ${mb(run.afterGcSettled.rss)}; idle before the load ${mb(run.idle.rss)})`,
      result: `${ratio(run.growth)} (${mb(baseline.rssMean)} → ${mb(end.rssMean)})`,
      target: '≤ 1.10',
      met: run.growth <= 1.1,
    });
    list.push({
      measure: `Heap left after V8's full collections, last ${windowText(end)} ÷ after the warm-up, ${run.label} (part 7)`,
      result:
        `${ratio(run.liveHeapGrowth)} (${mbOrNa(baseline.liveHeap)} → ${mbOrNa(end.liveHeap)}; ` +
        `live after a forced GC at the end ${mb(run.afterGc.heapUsed)})`,
      target: '—',
      met: null,
    });
  }
  const memory = r.sweep?.memory;
  if (memory) {
    list.push({
      measure: `RSS idle, ${fmt(memory.instances)} instances stored ÷ empty database (SQLite)`,
      result: `${ratio(memory.ratio)} (${mb(memory.loadedIdle)})`,
      target: '—',
      met: null,
    });
  }
  if (r.startup) {
    list.push({
      measure: 'Start-up to /health on the embedded default ÷ bare NestJS app',
      result: `${ratio(r.startup.warmMs / r.startup.bareMs)} (${fmt(r.startup.warmMs)} ms; new database ${fmt(r.startup.coldMs)} ms)`,
      target: '—',
      met: null,
    });
  }
  for (const item of rest?.persisted ?? []) {
    const ok = item.stored >= item.acknowledged;
    list.push({
      measure: `Acknowledged events found in the history, ${item.label}`,
      result: `${item.acknowledged} acknowledged, ${item.stored} stored`,
      target: 'none lost',
      met: ok,
    });
  }
  return list;
}

const mbOrNa = (bytes: number) => (Number.isFinite(bytes) ? mb(bytes) : 'n/a');

const windowText = (span: Span) =>
  span.to - span.from === 1 ? 'minute' : `${fmt(span.to - span.from, 2)} min`;

/** CPU microseconds of one REST request (server process) and of the pure steps measured. */
function transitionShare(r: Results) {
  const normal = r.rest?.rows.find(
    (row) => row.kind === 'sqlite-normal' && row.mode === 'per-connection',
  );
  const transition = r.engine?.micro.find((m) => m.step === TRANSITION_STEP);
  const hash = r.engine?.micro.find((m) => m.step.startsWith('entryHash'));
  if (!normal || !transition) return null;
  return { requestUs: normal.cpuUs, transition: transition.us, hash: hash?.us };
}

export function markdown(r: Results): string {
  const out: string[] = [];
  const line = (text = '') => out.push(text);
  const table = (head: string[], rows: string[][]) => {
    line(`| ${head.join(' | ')} |`);
    line(`| ${head.map(() => '---').join(' | ')} |`);
    for (const row of rows) line(`| ${row.join(' | ')} |`);
    line();
  };
  const m = r.machine;
  const c = r.config;

  line('# Benchmark results');
  line();
  line(
    `Generated by \`npm run bench\` (\`bench/run.ts\`) on ${r.started.toISOString()}, ` +
      `${c.quick ? '**quick smoke run (BENCH_QUICK=1) — not for comparison**' : 'full run'}, ` +
      `in ${fmt(r.seconds / 60, 1)} minutes. Regenerated by every run; do not edit by hand.`,
  );
  line();
  line(
    'Every figure that is judged is a **ratio to a baseline measured in the same run** (the bare ' +
      'endpoint in the same round, the raw driver in the same round, the same sweep at 10× fewer ' +
      'instances), and the **median of several runs**: the machine is shared, so absolute numbers ' +
      'vary with whatever else runs on it and are given only for scale.',
  );
  line();
  line('## Machine');
  line();
  table(
    [
      'CPU',
      'cores',
      'memory',
      'Node',
      'OS',
      'load average (1/5/15 min) at start → end',
      'SQLite',
      'PostgreSQL',
    ],
    [
      [
        m.cpu,
        String(m.cores),
        `${m.memoryGb} GB`,
        m.node,
        m.os,
        `${m.loadStart.join(' / ')} → ${r.loadEnd.join(' / ')}`,
        m.sqlite,
        m.postgres ?? 'not reachable: skipped',
      ],
    ],
  );

  line('## Summary against the targets of issue 7');
  line();
  table(
    ['measure', 'result', 'target', ''],
    checks(r).map((k) => [k.measure, k.result, k.target, verdict(k.met)]),
  );
  if (r.notes.length > 0) {
    for (const note of r.notes) line(`- ${note}`);
    line();
  }

  if (r.rest) {
    const rest = r.rest;
    line('## 1. Persisted events through the REST API');
    line();
    line(
      `\`POST /api/programmes/:id/workflow/events\` with \`cost.record\` (always accepted) by a ` +
        `projectLeader token, programmes in **${rest.phase}**, a unique \`Idempotency-Key\` per request, ` +
        `${rest.connections} connections, autocannon for ${c.duration} s per run, ${c.rounds} rounds. ` +
        `*per-connection*: each connection sends to its own instance; *one instance*: all connections ` +
        `send to the same one (the row lock / single writer serialises them). Every ` +
        `${c.eventsPerInstance} events an instance is replaced by a fresh one, so snapshots stay ` +
        `the size of a real programme's. Mail delivery is off in these services (\`MAIL_POLL_SECONDS=0\`): ` +
        `the notices queued while the programmes are set up would otherwise be sent during the timed ` +
        `runs (part 7 keeps it on). The baseline is a bare NestJS app (\`bench/bare-app.ts\`, ` +
        `same FastifyAdapter, one JSON POST route, no database) measured in the same round.`,
    );
    line();
    table(
      [
        'target',
        'mode',
        'events/s (median)',
        'ratio to bare (median)',
        'p50',
        'p99',
        'ratios per round',
        'server CPU per request',
        'CPU ratio (bare ÷ this)',
      ],
      rest.rows.map((row) => [
        row.label,
        row.mode,
        fmt(row.rps),
        row.mode === 'bare' ? '1' : ratio(row.ratio),
        ms(row.p50, 0),
        ms(row.p99, 0),
        row.ratios.map(ratio).join(', '),
        us(row.cpuUs),
        row.mode === 'bare' ? '1' : ratio(row.cpuRatio),
      ]),
    );
    if (rest.pgServiceSql) {
      line(
        `The PostgreSQL target's baseline, the service's SQL for such an event by the raw pg driver ` +
          `(${rest.connections} at a time, same database, on programmes made through the API; see part 2), ` +
          `ran right after the PostgreSQL per-connection run in each round: ` +
          `${rest.pgServiceSql.eps.map((eps) => fmt(eps)).join(', ')} events/s; REST ÷ it ` +
          `${rest.pgServiceSql.ratios.map(ratio).join(', ')} (median ${ratio(rest.pgServiceSql.ratio)}).`,
      );
      line();
    }
    line(
      'Server CPU per request is the CPU time (user + system, from /proc) the server process used ' +
        'during a run divided by the requests it acknowledged: unlike events/s it does not depend on ' +
        'how much of the machine other processes took, so its ratio is the steadier of the two.',
    );
    line();
    line(
      'Every acknowledged (2xx) event must be in the history afterwards (a few more may be: ' +
        'requests in flight when autocannon stops are still committed):',
    );
    line();
    table(
      ['store', 'acknowledged', 'in the history'],
      rest.persisted.map((p) => [p.label, fmt(p.acknowledged), fmt(p.stored)]),
    );
    table(
      ['process', 'RSS after warm-up', 'RSS after each round', 'minutes of load', 'errors logged'],
      rest.rss.map((item) => {
        const errors = rest.serverErrors.find((e) => e.label === item.label);
        return [
          item.label,
          mb(item.afterWarmup),
          item.rounds.map(mb).join(', '),
          fmt(item.minutes, 1),
          String(errors?.count ?? 0),
        ];
      }),
    );
    const firstError = rest.serverErrors.find((e) => e.first)?.first;
    if (firstError) line(`First error logged: \`${firstError.slice(0, 300)}\`\n`);
    if (rest.wrapped) {
      line(
        'Note: a run sent more events than estimated and reused instances (larger snapshots).\n',
      );
    }
  }

  if (r.engine) {
    const engine = r.engine;
    line('## 2. The engine without HTTP against the raw driver');
    line();
    line(
      `\`EngineService.send(cost.record)\` in a loop in this process (the compiled service, no HTTP, ` +
        `no idempotency key) against the same writes through the raw driver (better-sqlite3 / pg): ` +
        `one transaction — select the instance (\`for update\` on PostgreSQL), insert the history ` +
        `entry (with its hash, computed by the same \`entryHash\`), update the instance with a version ` +
        `check, read the deadlines and rewrite them only if they changed (never, for cost.record; the engine compares with the deadlines it last wrote, kept in memory). The raw path builds the next snapshot by hand ` +
        `(no XState, no validation, no view). ${c.engineRuns} runs of ${c.engineSeconds} s each, ` +
        `interleaved; the ratio is taken per run, then the median. CPU per event is this ` +
        `process's (on PostgreSQL the database server's share is elsewhere). ` +
        `The last PostgreSQL row is the sender part 1 also runs, in each round, as the REST target's baseline: exactly the statements the ` +
        `service runs for one event sent over REST with an Idempotency-Key — the bearer token looked up by its hash; begin; the instance's ` +
        `head joined with the key's idempotency record, locked; the history entry, the new head ` +
        `and the idempotency record (a response of the real size) in one statement; commit — ` +
        `through pg, the last snapshot of each instance kept in memory as the engine does, each ` +
        `statement in a round trip of its own as the driver sends it (five per event). The service ` +
        `sends three: BEGIN pipelined with its first statement, COMMIT with its writes ` +
        `(src/database/pg-pipeline.ts); the row after it is the same SQL sent that way by the raw ` +
        `driver, shown to tell what the pipelining alone is worth.`,
    );
    line();
    const rows: string[][] = [];
    for (const s of engine.stores) {
      rows.push([
        s.label,
        'one at a time',
        fmt(s.orm.eps),
        fmt(s.raw.eps),
        ratio(s.ratio),
        `${ms(s.orm.p50, 2)} / ${ms(s.orm.p99, 2)}`,
        `${ms(s.raw.p50, 2)} / ${ms(s.raw.p99, 2)}`,
        `${us(s.orm.cpuUs)} / ${us(s.raw.cpuUs)}`,
      ]);
      if (s.concurrent) {
        rows.push([
          s.label,
          `${c.connections} concurrent`,
          fmt(s.concurrent.orm.eps),
          fmt(s.concurrent.raw.eps),
          ratio(s.concurrent.ratio),
          `${ms(s.concurrent.orm.p50, 2)} / ${ms(s.concurrent.orm.p99, 2)}`,
          `${ms(s.concurrent.raw.p50, 2)} / ${ms(s.concurrent.raw.p99, 2)}`,
          `${us(s.concurrent.orm.cpuUs)} / ${us(s.concurrent.raw.cpuUs)}`,
        ]);
        // Rows of a raw sender alone (no engine to compare with).
        const rawOnly = (senders: string, t: Throughput) =>
          rows.push([
            s.label,
            `${c.connections} concurrent, ${senders}`,
            '—',
            fmt(t.eps),
            '—',
            '—',
            `${ms(t.p50, 2)} / ${ms(t.p99, 2)}`,
            `— / ${us(t.cpuUs)}`,
          ]);
        rawOnly(
          "the service's SQL of a REST event (as part 1's baseline)",
          s.concurrent.rawService,
        );
        rawOnly(
          'the same with BEGIN and COMMIT pipelined as the service sends them',
          s.concurrent.rawServicePipelined,
        );
      }
    }
    table(
      [
        'store',
        'senders',
        'engine events/s',
        'raw events/s',
        'engine ÷ raw',
        'engine p50 / p99',
        'raw p50 / p99',
        'CPU per event, engine / raw',
      ],
      rows,
    );

    line('## 3. Where the time of one send goes');
    line();
    const share = transitionShare(r);
    const normal = engine.stores.find((s) => s.kind === 'sqlite-normal');
    const sendUs = normal ? normal.orm.cpuUs : Number.NaN;
    line(
      `Each pure step of a send timed alone in CPU time (median of ${c.microRuns} batches of ` +
        `~${c.microMs} ms) on a typical snapshot (${fmt(engine.microSnapshotBytes)} bytes of ` +
        `persisted JSON, ${Math.floor(c.eventsPerInstance / 2)} costs recorded), as a share of the ` +
        `server CPU of one REST request (SQLite NORMAL, per-connection, part 1` +
        `${share ? `: ${us(share.requestUs)}` : ''}) and of the CPU of one \`EngineService.send\` ` +
        `(SQLite NORMAL, part 2: ${us(sendUs)}).`,
    );
    line();
    table(
      ['step', 'time', 'share of a REST request', 'share of an engine send'],
      engine.micro.map((step) => [
        step.step,
        us(step.us),
        share ? pct(step.us / share.requestUs, 2) : 'n/a',
        pct(step.us / sendUs, 2),
      ]),
    );
  }

  if (r.sweep) {
    const sweep = r.sweep;
    line('## 4. Reminder sweep');
    line();
    line(
      `\`RemindersService.sweep()\` in this process with a fixed clock, on instances inserted by SQL ` +
        `(a real programme made through the service, copied: instance, programme and deadline rows). ` +
        `Due instances carry the programme's real latest-start deadline 7 days ahead; the others one ` +
        `deadline years ahead and one met. The outbox is emptied before each sweep, so each queues ` +
        `every due reminder again; "repeat" is the sweep right after, with everything already queued ` +
        `(the steady state every 15 minutes). Median of ${c.sweepRuns}. With 1 % due, 10× the ` +
        `instances is also 10× the reminders to compose, so the judged ratios are per due reminder ` +
        `and, separately, ${fmt(sweep.large)} instances with as many due as at ${fmt(sweep.small)}. ` +
        `(Taken literally, 1 % due at both sizes cannot give ≤ 1.5: the work to do grows 10×.)`,
    );
    line();
    for (const s of sweep.stores) {
      line(`### ${s.label} (seeded in ${fmt(s.seedSeconds, 1)} s)`);
      line();
      table(
        ['instances', 'due', 'sweep (median)', 'per due reminder', 'repeat sweep', 'runs'],
        s.phases.map((p) => [
          fmt(p.instances),
          fmt(p.due),
          ms(p.ms),
          ms(p.ms / p.due, 2),
          ms(p.repeatMs),
          p.runs.map((x) => fmt(x, 0)).join(', '),
        ]),
      );
      line(
        `Ratios: ${fmt(sweep.large)} ÷ ${fmt(sweep.small)} at 1 % due **${ratio(s.ratioLiteral)}** (10× the due ` +
          `reminders), per due reminder **${ratio(s.ratioPerDue)}**, with the same due count ` +
          `**${ratio(s.ratioSameDue)}**.`,
      );
      line();
      const last = s.phases[s.phases.length - 1]!;
      line(
        `Plan of the candidates query (as MikroORM builds it) at ${fmt(last.instances)} instances:`,
      );
      line();
      line('```');
      for (const l of last.plan) line(l);
      line('```');
      line();
    }
  }

  if (r.sweep?.memory || r.startup) {
    line('## 5. Memory and start-up');
    line();
    const mem = r.sweep?.memory;
    if (mem) {
      line(
        `Resident set size of the service process (compiled, \`node dist/src/main.js\`, SQLite FULL, ` +
          `cron and mail poller off), median of 5 samples after it settled:`,
      );
      line();
      table(
        ['process', 'RSS'],
        [
          ['bare NestJS app (reference)', mb(mem.bareIdle)],
          ['service, empty database, idle', mb(mem.emptyIdle)],
          [`service, ${fmt(mem.instances)} instances stored, idle`, mb(mem.loadedIdle)],
          [
            `the same after \`POST /api/reminders/run\` (queued ${fmt(mem.sweepQueued)})`,
            mb(mem.afterSweep),
          ],
        ],
      );
      line(`Stored ÷ empty: **${ratio(mem.ratio)}**.`);
      line();
    }
    if (r.startup) {
      const s = r.startup;
      line(
        `Start-up: from spawning \`node dist/src/main.js\` to the first 200 from \`/health\`, on the ` +
          `embedded default (SQLite file, every other setting default). Median of ${s.cold.length}.`,
      );
      line();
      table(
        ['', 'time (median)', 'ratio to the bare app', 'runs'],
        [
          ['bare NestJS app', ms(s.bareMs, 0), '1', s.bare.map((x) => fmt(x, 0)).join(', ')],
          [
            'service, new database (migrations run)',
            ms(s.coldMs, 0),
            ratio(s.coldMs / s.bareMs),
            s.cold.map((x) => fmt(x, 0)).join(', '),
          ],
          [
            'service, existing database',
            ms(s.warmMs, 0),
            ratio(s.warmMs / s.bareMs),
            s.warm.map((x) => fmt(x, 0)).join(', '),
          ],
        ],
      );
    }
  }

  if (r.engine) {
    line('## 6. History verification and the cost of the hash chain');
    line();
    const rows: string[][] = [];
    for (const s of r.engine.stores) {
      const v = s.verification;
      if (!v) continue;
      rows.push([
        s.label,
        `${fmt(v.instances)} chains, ${fmt(v.entries)} entries`,
        fmt(v.withReadEps),
        fmt(v.cpuEps),
        v.allValid ? 'yes' : '**no**',
        v.rawValid ? 'yes' : '**no**',
      ]);
    }
    line(
      '`EngineService.verify` (reads each chain through the ORM, recomputes every hash) over the ' +
        'chains written in part 2, and `verifyChain` alone on entries already in memory:',
    );
    line();
    table(
      [
        'store',
        'verified',
        'entries/s with the read',
        'entries/s in memory',
        'all valid',
        'raw-path chains valid',
      ],
      rows,
    );
    const normal = r.engine.stores.find((s) => s.withoutHash);
    if (normal?.withoutHash) {
      const w = normal.withoutHash;
      const hash = r.engine.micro.find((m) => m.step.startsWith('entryHash'));
      const share = transitionShare(r);
      line(
        `The engine on SQLite NORMAL, one at a time, with hashing and with \`entryHash\` swapped for ` +
          `a constant, in ${w.ratios.length} pairs of back-to-back runs (order alternating): ` +
          `**${fmt(w.withHash.eps)}** vs **${fmt(w.orm.eps)}** events/s (with ÷ without per pair: ` +
          `${w.ratios.map(ratio).join(', ')}; median **${ratio(w.ratio)}**), CPU per event ` +
          `${us(w.withHash.cpuUs)} vs ${us(w.orm.cpuUs)} (without ÷ with per pair: ` +
          `${w.cpuRatios.map(ratio).join(', ')}; median **${ratio(w.cpuRatio)}**). The pairs move ` +
          `with the machine's load; their median is what the chain costs the engine alone, without ` +
          `HTTP (judged in the summary only if the REST A/B below did not run), and it can exceed the hash's own CPU time timed ` +
          `alone: in a send the hash also allocates (canonical JSON of the entry, a hash object) ` +
          `and its garbage is collected with the rest.` +
          (hash
            ? ` Timed alone, one \`entryHash\` takes ${us(hash.us)} of CPU ` +
              `(an ordinary event's entry; with sparse checkpoints it hashes no snapshot): ` +
              `${pct(hash.us / normal.orm.cpuUs, 2)} of an engine send` +
              (share ? ` and ${pct(hash.us / share.requestUs, 2)} of a REST request.` : '.')
            : ''),
      );
      line();
    }
  }

  if (r.hashRest) {
    const h = r.hashRest;
    if (!r.engine) {
      line('## 6. History verification and the cost of the hash chain');
      line();
    }
    line(
      `**Through REST.** The compiled service on SQLite NORMAL twice — as it is, and with ` +
        `\`entryHash\` returning a constant (\`node -r dist/bench/without-hash.js\`, everything ` +
        `else the same) — each loaded by its own autocannon (${h.connections} connections, ` +
        `part 1's per-connection requests) for ${h.seconds} s, **both at the same time**, so ` +
        `that the machine's speed, which drifts by more than the few per cent measured, is the ` +
        `same for both. Events/s with hashing ÷ without, per run, then the median: ` +
        `**${ratio(h.ratio)}**; server CPU per request without ÷ with: ${ratio(h.cpuRatio)}. ` +
        (swapTook(h)
          ? 'Afterwards every history entry of the first service has a real hash and every one of the second the constant: the swap took.'
          : `**The swap did not take**: ${h.constantInWith} constant hashes in the first service, ${h.realInWithout} real ones in the second.`),
    );
    line();
    table(
      [
        'run',
        'with hashing: events/s',
        'without: events/s',
        'with ÷ without',
        'CPU per request with / without',
        'CPU without ÷ with',
      ],
      h.runs.map((run, i) => [
        String(i + 1),
        fmt(run.withHash.rps),
        fmt(run.without.rps),
        ratio(run.ratio),
        `${us(run.withHash.cpuUs)} / ${us(run.without.cpuUs)}`,
        ratio(run.cpuRatio),
      ]),
    );
    line();
  }

  if (r.memoryLoad) {
    const load = r.memoryLoad;
    line('## 7. Memory under sustained load');
    line();
    line(
      `The compiled service (\`node --expose-gc -r dist/bench/memory-probe.js dist/src/main.js\`, ` +
        `the settings of part 1) under ${fmt(load.minutes, 1)} minutes of steady REST load from ` +
        `${load.connections} connections. Each connection repeats a cycle: create a programme ` +
        `(admin token), assign its roles${load.phase === 'forstudie' ? ' and start the pre-study' : ''}, ` +
        `send ${load.eventsPerInstance} \`cost.record\` events (projectLeader token), then read the ` +
        `programme, its workflow view and its history (50 entries) — every POST with a unique ` +
        `\`Idempotency-Key\`, so every instance is fresh and the database and the idempotency ` +
        `records grow all along. RSS is read from \`/proc/<pid>/status\` (VmRSS) every ` +
        `${fmt(load.sampleSeconds)} s; heap figures come from a preloaded probe ` +
        `(\`bench/memory-probe.ts\`: \`process.memoryUsage()\`, and \`v8.GCProfiler\` for the heap ` +
        `left after each full collection V8 does by itself; over an IPC channel, the service has no ` +
        `endpoint for it). V8 lets the heap grow to a multiple of what is live before a full ` +
        `collection and gives pages back lazily, so single RSS samples swing by tens of MB: the ` +
        `judged **growth is the mean RSS of the last ${fmt(load.windowMinutes, 2)} min ÷ the mean ` +
        `RSS of the ${fmt(load.windowMinutes, 2)} min after a ${fmt(load.warmupMinutes, 2)}-min ` +
        `warm-up** (the last sample ÷ the one at the end of the warm-up is given too). A leak shows ` +
        `as a rising floor of the heap after full collections; V8 settling as a heap that grows to ` +
        `a size and stays there. That floor still holds what died while V8 was marking ` +
        `(incrementally, alongside the requests), so it wanders by a few MB with the load; the ` +
        `exact live heap is the one after the full collection forced at the end, when the load has ` +
        `stopped (\`gc()\` twice). V8 unmaps the freed pages in the background, so RSS is read ` +
        `again a few seconds after it.`,
    );
    line();
    for (const run of load.runs) {
      line(`### ${run.label}`);
      line();
      const blank = ['', '', '', ''];
      const still = (label: string, x: MemoryLoadRun['idle'], collected = false) => [
        label,
        mb(x.rss),
        '',
        '',
        mb(x.heapUsed),
        mb(x.heapTotal),
        collected ? mb(x.heapUsed) : '',
        ...blank,
      ];
      table(
        [
          'minute of load',
          'RSS at its end',
          'RSS mean',
          'RSS max',
          'heap used',
          'heap total',
          'heap after full GCs (least)',
          'full GCs',
          'requests/s',
          'server CPU per request',
          'non-2xx / errors',
        ],
        [
          still('idle, before', run.idle),
          ...run.minutes.map((m) => [
            `${fmt(m.from, 0)}–${fmt(m.to, m.to % 1 === 0 ? 0 : 1)}`,
            mb(m.rss),
            mb(m.rssMean),
            mb(m.rssMax),
            mb(m.heapUsed),
            mb(m.heapTotal),
            mbOrNa(m.liveHeap),
            fmt(m.majorGcs),
            fmt(m.rps),
            us(m.cpuUs),
            `${fmt(m.non2xx)} / ${fmt(m.errors)}`,
          ]),
          still('load stopped, idle', run.afterLoad),
          still('after a forced full GC', run.afterGc, true),
          still(`${fmt(r.config.quick ? 2 : 5)} s later`, run.afterGcSettled),
        ],
      );
      const { baseline, end } = run;
      line(
        `Growth **${ratio(run.growth)}**: mean RSS ${mb(baseline.rssMean)} at ` +
          `${fmt(baseline.from, 1)}–${fmt(baseline.to, 1)} min (max ${mb(baseline.rssMax)}) → ` +
          `${mb(end.rssMean)} at ${fmt(end.from, 1)}–${fmt(end.to, 1)} min (max ${mb(end.rssMax)}); ` +
          `last sample ÷ the sample at the end of the warm-up ${ratio(run.pointGrowth)}. Heap after ` +
          `V8's full collections ${mbOrNa(baseline.liveHeap)} → ${mbOrNa(end.liveHeap)} ` +
          `(**${ratio(run.liveHeapGrowth)}**). ${fmt(run.requests)} requests answered 2xx ` +
          `(${fmt(run.programmes)} programmes created), ${fmt(run.non2xx)} other responses, ` +
          `${fmt(run.errors)} connection errors, ${fmt(run.serverErrors.count)} errors logged by the ` +
          `service${run.serverErrors.first ? ` (first: \`${run.serverErrors.first.slice(0, 200)}\`)` : ''}.` +
          (run.snapshots.length > 0
            ? ` Heap snapshots were taken (${run.snapshots.join(', ')}): they pause the service ` +
              'and leave its RSS larger, so these figures are not comparable.'
            : ''),
      );
      line();
    }
  }

  line('## Method');
  line();
  line(
    '- `npm run bench` builds the service (`tsc`) and runs `tsx bench/run.ts`. The service always runs ' +
      'compiled: as a child process (`node dist/src/main.js`, settings in its environment, its log to ' +
      'a file) for HTTP, or required from `dist/` for the in-process parts — tsx does not emit the ' +
      'decorator metadata Nest needs. `bench/bare-app.ts` is compiled with the same metadata to ' +
      '`dist/bench/bare-app.js`.',
  );
  line(
    '- HTTP load comes from autocannon in the benchmark process, the server is another process: ' +
      `on ${m.cores} cores they share the machine with anything else running, hence ratios only.`,
  );
  line(
    '- Service settings under load: the defaults, except `RATE_LIMIT_PER_MINUTE=10000000`, ' +
      `\`REMINDER_CRON=off\`, \`ADMIN_TOKEN\` set, and \`LOG_LEVEL=${c.logLevel}\` (JSON request logs to a file).` +
      ' SQLite NORMAL / FULL is `SQLITE_SYNCHRONOUS`; PostgreSQL is a scratch database on ' +
      '127.0.0.1:5432 with the default pool of 10.',
  );
  line(
    '- Every store is a fresh scratch database (a temporary SQLite file or a `videreforing_bench_*` ' +
      'PostgreSQL database), removed at the end.',
  );
  line(
    `- Sizes (environment): BENCH_ROUNDS=${c.rounds}, BENCH_DURATION=${c.duration}, ` +
      `BENCH_CONNECTIONS=${c.connections}, BENCH_EVENTS_PER_INSTANCE=${c.eventsPerInstance}, ` +
      `BENCH_ENGINE_RUNS=${c.engineRuns}, BENCH_ENGINE_SECONDS=${c.engineSeconds}, ` +
      `BENCH_HASH_PAIRS=${c.hashPairs}, BENCH_HASH_REST_RUNS=${c.hashRestRuns}, ` +
      `BENCH_SWEEP_SMALL=${c.sweepSmall}, BENCH_SWEEP_LARGE=${c.sweepLarge}, ` +
      `BENCH_SWEEP_RUNS=${c.sweepRuns}, BENCH_STARTUP_RUNS=${c.startupRuns}, BENCH_MICRO_RUNS=${c.microRuns}; ` +
      `BENCH_MEMORY_MINUTES=${c.memoryMinutes}, BENCH_MEMORY_SAMPLE_SECONDS=${c.memorySampleSeconds}, ` +
      `BENCH_MEMORY_WARMUP_MINUTES=${c.memoryWarmupMinutes}, BENCH_MEMORY_WINDOW_MINUTES=${c.memoryWindowMinutes}, BENCH_MEMORY_STORES=${c.memoryStores.join(',')}; ` +
      '`BENCH_QUICK=1` for a short smoke run, `BENCH_ONLY=rest,engine,transition,sweep,memory,history,hash,memory-load` ' +
      'for some parts (`npm run bench:memory` is part 7 alone, written to `bench/RESULTS-memory.md`), ' +
      '`BENCH_OUT` for another output file, `BENCH_MEMORY_SNAPSHOTS=<dir>` for heap snapshots at the ' +
      'end of the warm-up and the end of part 7 (they pause the service and enlarge its RSS: for finding retainers, not for the figures), ' +
      '`BENCH_POSTGRES=0|1` to skip or require PostgreSQL.',
  );
  line(
    r.memoryLoad
      ? '- Not measured here: the load and fault tests of issue 7 (`npm run test:faults`).'
      : '- Not measured here: RSS after 10 minutes of load (part 7, `BENCH_ONLY=memory-load`; the ' +
          'growth in part 1 covers the few minutes of the REST rounds), and the load and fault tests ' +
          'of issue 7 (`npm run test:faults`).',
  );
  line();
  return out.join('\n');
}

export function summary(r: Results): string {
  return checks(r)
    .map(
      (k) =>
        `  ${k.met === null ? ' ' : k.met ? '✓' : '✗'} ${k.measure}: ${k.result} (target ${k.target})`,
    )
    .join('\n');
}
