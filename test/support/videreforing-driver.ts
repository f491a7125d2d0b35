import { initialTransition, transition } from 'xstate';
import { explainEvent, nextSnapshot, statePath, type Blocker } from '../../workflows/kit';
import { videreforing } from '../../workflows/videreforing';
import type {
  PayloadByType,
  VidereforingEvent,
  VidereforingEventType,
  VidereforingInput,
} from '../../workflows/videreforing/types';

export const nordkyn: VidereforingInput = {
  programme: { municipality: 'Nordkyn', start: '2023-01-01', end: '2028-12-31' },
};

type Snapshot = ReturnType<typeof initialTransition<typeof videreforing.machine>>[0];

export interface Outcome {
  accepted: boolean;
  blockedBy: Blocker[];
}

/**
 * Drives the videreføring machine with the pure transition API, as the engine will, and checks on
 * every step that the explanation agrees with the machine (`snapshot.can`).
 */
export class VidereforingDriver {
  snapshot: Snapshot;
  now: Date;

  constructor(input: VidereforingInput = nordkyn, now = '2026-03-02T09:00:00+01:00') {
    this.snapshot = initialTransition(videreforing.machine, input)[0];
    this.now = new Date(now);
  }

  get state(): string {
    return statePath(this.snapshot.value);
  }

  get context() {
    return this.snapshot.context;
  }

  advanceDays(days: number): this {
    this.now = new Date(this.now.getTime() + days * 86_400_000);
    return this;
  }

  event<T extends VidereforingEventType>(
    type: T,
    payload: PayloadByType[T],
    role = 'admin',
  ): VidereforingEvent {
    return {
      type,
      ...payload,
      meta: { at: this.now.toISOString(), actor: { id: `token-${role}`, role } },
    } as VidereforingEvent;
  }

  try<T extends VidereforingEventType>(
    type: T,
    payload: PayloadByType[T],
    role = 'admin',
  ): Outcome {
    const event = this.event(type, payload, role);
    const explanation = explainEvent(videreforing, this.snapshot, event, { payloadKnown: true });
    const can = this.snapshot.can(event);
    if (explanation.allowed !== can) {
      throw new Error(
        `Explanation (${String(explanation.allowed)}) disagrees with the machine (${String(can)}) for ${type} in ${this.state}`,
      );
    }
    if (explanation.allowed) {
      // The engine's nextSnapshot (one reused actor scope) must give what XState's transition() does.
      const machine = videreforing.machine;
      const next = nextSnapshot(machine, this.snapshot, event);
      const expected = transition(machine, this.snapshot, event)[0];
      const persisted = (snapshot: Snapshot) =>
        JSON.stringify(machine.getPersistedSnapshot(snapshot));
      if (persisted(next) !== persisted(expected)) {
        throw new Error(`nextSnapshot differs from transition() for ${type} in ${this.state}`);
      }
      this.snapshot = next as Snapshot;
    }
    return { accepted: explanation.allowed, blockedBy: explanation.blockedBy };
  }

  /** Sends an event that must be accepted; fails the test with the blockers otherwise. */
  send<T extends VidereforingEventType>(type: T, payload: PayloadByType[T], role = 'admin'): this {
    const outcome = this.try(type, payload, role);
    if (!outcome.accepted) {
      throw new Error(
        `${type} was blocked in ${this.state}: ${outcome.blockedBy.map((b) => `${b.guard}: ${b.message}`).join('; ')}`,
      );
    }
    return this;
  }

  /** Sends an event that must be blocked; returns the blockers and checks nothing changed. */
  blocked<T extends VidereforingEventType>(
    type: T,
    payload: PayloadByType[T],
    role = 'admin',
  ): Blocker[] {
    const before = JSON.stringify(this.snapshot);
    const outcome = this.try(type, payload, role);
    if (outcome.accepted) throw new Error(`${type} was accepted in ${this.state}`);
    if (JSON.stringify(this.snapshot) !== before)
      throw new Error('A blocked event changed the snapshot');
    return outcome.blockedBy;
  }
}

// ---- Valid payloads ---------------------------------------------------------------------------

export const payloads = {
  internalRoles: {
    prosjekteier: 'Nordkyn kommune',
    prosjektansvarlig: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
    prosjektleder: { name: 'Ingrid Intern', email: 'ingrid@nordkyn.kommune.no', external: false },
  },
  externalRoles: {
    prosjekteier: 'Nordkyn kommune',
    prosjektansvarlig: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
    prosjektleder: {
      name: 'Kari Konsulent',
      email: 'kari@radgiver.no',
      external: true,
      organisation: 'Rådgiver AS',
    },
  },
  tender: { publishedAt: '2026-03-02', answerDeadline: '2026-03-30', reference: 'Doffin 2026-123' },
  contract: {
    consultant: { name: 'Kari Konsulent', email: 'kari@radgiver.no', organisation: 'Rådgiver AS' },
    awardedAt: '2026-04-02',
    feeNok: 90_000,
  },
  forstudieReport: {
    documentRef: 'sak-2026/17',
    alternatives: [
      {
        title: 'Aksjeselskap eid av kommunen',
        finansiering: 'Kommunalt driftstilskudd og prosjektmidler',
        organisering: 'AS med eget styre',
        geografiskVirkeomrade: 'Nordkyn',
      },
      {
        title: 'Regionalt næringsselskap',
        finansiering: 'Eierkommunene etter folketall',
        organisering: 'Interkommunalt selskap',
        geografiskVirkeomrade: 'Øst-Finnmark',
      },
    ],
  },
  forprosjektReport: {
    documentRef: 'sak-2026/44',
    sections: {
      organisering: 'AS',
      eierskap: 'Kommunen 60 %, næringsforeningen 40 %',
      bemanning: 'Daglig leder og to rådgivere',
      finansiering: 'Driftstilskudd fra kommunen',
      realisering: 'Stiftelse i januar',
    },
  },
  owners: {
    owners: [
      { name: 'Nordkyn kommune', sharePercent: 60 },
      { name: 'Nordkyn Næringsforening', sharePercent: 40 },
    ],
  },
  company: {
    name: 'Nordkyn Utvikling AS',
    organisasjonsnummer: '923609016',
    foundedAt: '2027-06-01',
  },
  board: { members: [{ name: 'Kari Nordmann', role: 'styreleder' }], electedAt: '2027-06-01' },
};

export function completeAll(
  driver: VidereforingDriver,
  ids: readonly string[],
): VidereforingDriver {
  for (const activityId of ids) driver.send('activity.complete', { activityId }, 'projectLeader');
  return driver;
}

export const forstudieIds = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6'] as const;
export const forprosjektIds = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8'] as const;
export const hovedprosjektIds = ['H1', 'H2', 'H3', 'H4', 'H5'] as const;

/** Drives a fresh instance to the named state along the ordinary path. */
export function driveTo(
  target:
    | 'initiering.forberedelse'
    | 'forstudie.arbeid'
    | 'forstudie.rapportTilBehandling'
    | 'forstudie.rapportGodkjent'
    | 'forprosjekt.arbeid'
    | 'forprosjekt.rapportTilBehandling'
    | 'forprosjekt.rapportGodkjent'
    | 'hovedprosjekt.arbeid'
    | 'etablert',
  driver = new VidereforingDriver(),
): VidereforingDriver {
  const steps: [string, () => void][] = [
    ['initiering.forberedelse', () => driver.send('roles.assign', payloads.internalRoles)],
    ['forstudie.arbeid', () => driver.send('forstudie.start', {})],
    [
      'forstudie.rapportTilBehandling',
      () => {
        completeAll(driver, forstudieIds);
        driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
      },
    ],
    [
      'forstudie.rapportGodkjent',
      () => driver.send('report.approve', { meetingRef: 'PS 12/26' }, 'board'),
    ],
    ['forprosjekt.arbeid', () => driver.send('forprosjekt.start', payloads.owners)],
    [
      'forprosjekt.rapportTilBehandling',
      () => {
        completeAll(driver, forprosjektIds);
        driver.send('report.submit', payloads.forprosjektReport, 'projectLeader');
      },
    ],
    ['forprosjekt.rapportGodkjent', () => driver.send('report.approve', {}, 'board')],
    ['hovedprosjekt.arbeid', () => driver.send('hovedprosjekt.start', {})],
    [
      'etablert',
      () => {
        completeAll(driver, hovedprosjektIds);
        driver.send('company.register', payloads.company);
        driver.send('board.elect', payloads.board);
        driver.send('hovedprosjekt.complete', {});
      },
    ],
  ];
  for (const [reached, step] of steps) {
    step();
    if (driver.state !== reached) throw new Error(`Expected ${reached}, got ${driver.state}`);
    if (reached === target) return driver;
  }
  return driver;
}
