import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { createRequire } from 'node:module';
import type { AnyEventObject } from 'xstate';
import type * as InspectModule from '@statelyai/inspect' with { 'resolution-mode': 'import' };
import { pathOf } from '../../workflows/kit';
import type { Settings } from '../../config/settings';
import { SETTINGS } from '../common/tokens';
import { DefinitionRegistry } from '../engine/definition-registry';
import { EngineService, type AcceptedEvent } from '../engine/engine.service';

/**
 * Live inspection for developers (INSPECT=1): every accepted event is reported to
 * @statelyai/inspect over a WebSocket to a local relay, ws://localhost:8080. Start the relay with
 *
 *   node -e "import('@statelyai/inspect/server').then((m) => m.createInspectorServer())"
 *
 * and it opens a page that embeds Stately's inspector. That UI is hosted by Stately (stately.ai)
 * and needs the internet; it is a developer's tool, not for auditors — they use /inspect, which
 * works offline and verifies the history. What is reported is sanitised: e-mail addresses and
 * free-text fields (notes, reasons, descriptions, names, report texts) are dropped.
 *
 * It fails soft: the package is loaded lazily, the report is made after the event's transaction
 * has been handed back (setImmediate), every error is caught and logged once, and an unreachable
 * relay only means events are buffered (at most 200, the oldest dropped) while the connection is
 * retried with backoff on unref'd timers. A send never waits for any of it. (The package's own
 * WebSocket adapter retries forever even after stop(), which would keep a closed app's process
 * alive; hence the small adapter below.)
 */

const RELAY_URL = 'ws://localhost:8080';
const MAX_BUFFERED = 200;

type Inspector = ReturnType<typeof InspectModule.createInspector>;
type InspectionEvent = InspectModule.StatelyInspectionEvent;

interface Report {
  instanceId: string;
  definitionId: string;
  seq: number;
  at: string;
  status: string;
  value: unknown;
  state: string;
  context: unknown;
  event: AnyEventObject;
  source: string;
}

@Injectable()
export class LiveInspection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LiveInspection');
  private inspector: Promise<Inspector | undefined> | undefined;
  private readonly known = new Set<string>();
  private warned = false;

  constructor(
    private readonly engine: EngineService,
    private readonly registry: DefinitionRegistry,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  onModuleInit(): void {
    if (!this.settings.inspect) return;
    this.engine.onAccepted((accepted) => {
      this.capture(accepted);
      return Promise.resolve();
    });
    this.logger.log(
      `INSPECT=1: accepted events are reported to @statelyai/inspect at ${RELAY_URL} (sanitised; Stately's UI, for developers only)`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const inspector = await this.inspector?.catch(() => undefined);
    try {
      inspector?.stop();
    } catch {
      // already closed
    }
  }

  /** Synchronous and cheap inside the transaction: copies what to report, sends later. */
  private capture(accepted: AcceptedEvent): void {
    try {
      const { meta, ...payload } = accepted.event as AnyEventObject & {
        meta?: { actor?: { id?: string; role?: string } };
      };
      const report: Report = {
        instanceId: accepted.instanceId,
        definitionId: accepted.definitionId,
        seq: accepted.seq,
        at: accepted.at,
        status: accepted.after.status,
        value: sanitise(accepted.after.value),
        state: pathOf(accepted.after),
        context: sanitise(accepted.after.context),
        event: { ...(sanitise(payload) as object), type: accepted.event.type },
        source: `${meta?.actor?.role ?? 'ukjent'}:${meta?.actor?.id ?? ''}`,
      };
      setImmediate(() => void this.send(report));
    } catch (error) {
      this.warnOnce(error);
    }
  }

  private async send(report: Report): Promise<void> {
    try {
      const inspector = await this.connect();
      if (!inspector) return;
      const actor = {
        sessionId: `${report.definitionId}:${report.instanceId}`,
        id: report.instanceId,
        send: () => undefined,
        getSnapshot: () => ({ status: report.status, value: report.value }),
      };
      const snapshot = {
        status: report.status === 'done' ? ('done' as const) : ('active' as const),
        value: report.value,
        context: report.context,
      };
      if (!this.known.has(actor.sessionId)) {
        this.known.add(actor.sessionId);
        const { machine } = this.registry.get(report.definitionId).definition;
        // `logic.config` is what the inspector draws the machine from.
        inspector.actor(Object.assign(actor, { logic: { config: machine.config } }), snapshot);
      }
      const event = { ...report.event, seq: report.seq, at: report.at };
      inspector.event(actor, event, { source: report.source });
      inspector.snapshot(actor, snapshot, { event });
    } catch (error) {
      this.warnOnce(error);
    }
  }

  private connect(): Promise<Inspector | undefined> {
    this.inspector ??= import('@statelyai/inspect')
      .then((module) => {
        const inspector = module.createInspector(
          new RelayAdapter(RELAY_URL, (e) => this.warnOnce(e)),
          {
            sanitizeContext: (context) => sanitise(context) as typeof context,
            sanitizeEvent: (event) => sanitise(event) as typeof event,
          },
        );
        inspector.start();
        return inspector;
      })
      .catch((error: unknown) => {
        this.warnOnce(error);
        return undefined;
      });
    return this.inspector;
  }

  private warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      `Live inspection is not working and is skipped (sends are not affected): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The part of the `ws` package's WebSocket used here. */
interface Socket {
  readyState: number;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: string): void;
  terminate(): void;
}

/**
 * Sends inspection events as JSON to a WebSocket relay: buffers while it is away, reconnects with
 * backoff (5 s doubling to 60 s) on unref'd timers, and stops for good on stop(). Uses `ws`, the
 * WebSocket client @statelyai/inspect itself depends on (Node 20 has none built in).
 */
class RelayAdapter {
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delay = 5_000;
  private readonly buffer: string[] = [];

  constructor(
    private readonly url: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.terminate();
    this.socket = undefined;
  }

  send(event: InspectionEvent): void {
    let text: string;
    try {
      text = JSON.stringify(event);
    } catch (error) {
      this.onError(error);
      return;
    }
    if (this.socket?.readyState === 1) {
      this.socket.send(text);
      return;
    }
    this.buffer.push(text);
    if (this.buffer.length > MAX_BUFFERED) this.buffer.shift();
  }

  private connect(): void {
    if (this.stopped) return;
    try {
      const { WebSocket } = createRequire(require.resolve('@statelyai/inspect'))('ws') as {
        WebSocket: new (url: string) => Socket;
      };
      const socket = new WebSocket(this.url);
      this.socket = socket;
      socket.on('open', () => {
        this.delay = 5_000;
        for (const text of this.buffer.splice(0)) socket.send(text);
      });
      socket.on('error', () => undefined); // followed by 'close'
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        this.retry();
      });
    } catch (error) {
      this.onError(error);
      this.retry();
    }
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, 60_000);
  }
}

/** Keys whose values are free text or personal data in any definition's context or events. */
const DROPPED_KEYS = new Set([
  'email',
  'name',
  'note',
  'reason',
  'description',
  'lateStartJustification',
  'justification',
  'title',
  'sections',
  'alternatives',
  'finansiering',
  'organisering',
  'geografiskVirkeomrade',
  'eierskap',
  'bemanning',
  'realisering',
  'prosjekteier',
  'municipality',
  'members',
  'meetingRef',
  'documentRef',
  'reference',
]);

/**
 * A copy without e-mail addresses and free text: listed keys are dropped, and so is any string
 * with an `@` or whitespace or longer than 64 characters. Ids, dates, states, amounts and flags stay.
 */
export function sanitise(value: unknown, depth = 0): unknown {
  if (depth > 12) return undefined;
  if (typeof value === 'string') {
    return value.includes('@') || /\s/.test(value) || value.length > 64 ? undefined : value;
  }
  if (Array.isArray(value)) {
    return value.map((v) => sanitise(v, depth + 1)).filter((v) => v !== undefined);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (DROPPED_KEYS.has(key)) continue;
      const clean = sanitise(v, depth + 1);
      if (clean !== undefined) out[key] = clean;
    }
    return out;
  }
  return value;
}
