// eslint-disable-next-line no-restricted-imports -- the TZ test runs the definition in child processes; the definition itself stays pure
import { spawnSync } from 'child_process';
import { resolve } from 'path';
import { videreforing } from '.';
import type { Deadline } from '../kit';
import {
  completeAll,
  driveTo,
  forprosjektIds,
  forstudieIds,
  hovedprosjektIds,
  nordkyn,
  payloads,
  VidereforingDriver,
} from '../../test/support/videreforing-driver';
import { defaultDeadlineSettings, videreforingDeadlines } from './deadlines';
import type {
  PayloadByType,
  VidereforingEvent,
  VidereforingEventType,
  VidereforingInput,
} from './types';

function deadlinesOf(
  driver: VidereforingDriver,
  now: string = driver.now.toISOString(),
  settings?: Record<string, number>,
): Deadline[] {
  return videreforing.deadlines(driver.snapshot, now, settings);
}

function only(list: Deadline[], kind: string): Deadline {
  const found = list.filter((d) => d.kind === kind);
  if (found.length !== 1) throw new Error(`Expected one ${kind}, got ${found.length}`);
  return found[0]!;
}

function programmeEnding(end: string): VidereforingInput {
  return { programme: { municipality: 'Nordkyn', start: '2023-01-01', end } };
}

/** Sends at the given instant. */
function sendAt<T extends VidereforingEventType>(
  driver: VidereforingDriver,
  at: string,
  type: T,
  payload: PayloadByType[T],
  role = 'admin',
): VidereforingDriver {
  driver.now = new Date(at);
  return driver.send(type, payload, role);
}

describe(videreforingDeadlines.name, () => {
  describe('latestStart (programme end − 2 years)', () => {
    it('is the only deadline of a new process, due two years before the programme ends', () => {
      const driver = new VidereforingDriver();
      expect(deadlinesOf(driver)).toEqual([
        {
          kind: 'latestStart',
          key: 'latestStart',
          label: { nb: 'Seneste oppstart av forstudien', en: 'Latest start of the pre-study' },
          due: '2026-12-31',
          met: false,
          overdue: false,
          recipients: ['board', 'administrators'],
          source: expect.stringContaining('Senest to år før omstillingsperioden er over'),
        },
      ]);
    });

    it('counts back from a leap day to 28 February', () => {
      const driver = new VidereforingDriver(programmeEnding('2028-02-29'));
      expect(only(deadlinesOf(driver), 'latestStart').due).toBe('2026-02-28');
    });

    it('is not overdue on the due day, up to midnight in Oslo', () => {
      const driver = new VidereforingDriver().send('roles.assign', payloads.internalRoles);
      const latest = only(deadlinesOf(driver, '2026-12-31T23:59:59+01:00'), 'latestStart');
      expect(latest).toMatchObject({ overdue: false, recipients: ['board', 'administrators'] });
    });

    it('is overdue from midnight in Oslo (still 31 December in UTC) and then tells the prosjektansvarlig too', () => {
      const driver = new VidereforingDriver().send('roles.assign', payloads.internalRoles);
      const latest = only(deadlinesOf(driver, '2026-12-31T23:00:00Z'), 'latestStart');
      expect(latest).toMatchObject({
        due: '2026-12-31',
        met: false,
        overdue: true,
        recipients: ['board', 'administrators', 'prosjektansvarlig'],
      });
    });

    it('is met once the pre-study starts, and a met deadline is never overdue', () => {
      const driver = driveTo('forstudie.arbeid');
      for (const now of ['2026-03-02T12:00:00+01:00', '2027-06-01T12:00:00+02:00']) {
        expect(only(deadlinesOf(driver, now), 'latestStart')).toMatchObject({
          met: true,
          overdue: false,
          recipients: ['board', 'administrators'],
        });
      }
    });

    it('is met by a late start with a justification', () => {
      const driver = new VidereforingDriver(nordkyn, '2027-02-01T10:00:00+01:00')
        .send('roles.assign', payloads.internalRoles)
        .send('forstudie.start', { lateStartJustification: 'Vedtak i kommunestyret' });
      expect(only(deadlinesOf(driver), 'latestStart')).toMatchObject({
        due: '2026-12-31',
        met: true,
        overdue: false,
      });
    });
  });

  describe('tenderAnswer', () => {
    it('does not exist before a tender is published', () => {
      const driver = new VidereforingDriver().send('roles.assign', payloads.externalRoles);
      expect(deadlinesOf(driver).map((d) => d.kind)).toEqual(['latestStart']);
    });

    it('is due on the answer deadline, for the administrators, and met when the contract is awarded', () => {
      const driver = new VidereforingDriver().send('tender.publish', payloads.tender);
      expect(only(deadlinesOf(driver), 'tenderAnswer')).toEqual({
        kind: 'tenderAnswer',
        key: 'tenderAnswer',
        label: { nb: 'Svarfrist for anbudet', en: 'Tender answer deadline' },
        due: '2026-03-30',
        met: false,
        overdue: false,
        recipients: ['administrators'],
        source: expect.stringContaining('anbud'),
      });
      expect(only(deadlinesOf(driver, '2026-03-31T00:00:00+02:00'), 'tenderAnswer')).toMatchObject({
        overdue: true,
        recipients: ['administrators'],
      });
      driver.send('contract.award', payloads.contract);
      expect(only(deadlinesOf(driver, '2026-04-02T12:00:00+02:00'), 'tenderAnswer')).toMatchObject({
        met: true,
        overdue: false,
      });
    });

    it('follows a republished tender', () => {
      const driver = new VidereforingDriver()
        .send('tender.publish', payloads.tender)
        .send('tender.publish', { publishedAt: '2026-04-01', answerDeadline: '2026-05-04' });
      expect(only(deadlinesOf(driver), 'tenderAnswer').due).toBe('2026-05-04');
    });
  });

  describe('forstudieEnd (start + 6 weeks)', () => {
    it('does not exist before the pre-study starts', () => {
      const driver = new VidereforingDriver().send('roles.assign', payloads.internalRoles);
      expect(deadlinesOf(driver).some((d) => d.kind === 'forstudieEnd')).toBe(false);
    });

    it('is due six weeks after the Oslo day of the start, for the board and the prosjektleder', () => {
      const driver = driveTo('forstudie.arbeid');
      expect(only(deadlinesOf(driver), 'forstudieEnd')).toEqual({
        kind: 'forstudieEnd',
        key: 'forstudieEnd',
        label: { nb: 'Forstudien ferdig', en: 'Pre-study finished' },
        due: '2026-04-13',
        met: false,
        overdue: false,
        recipients: ['board', 'prosjektleder'],
        source: expect.stringContaining('4–6 uker'),
      });
    });

    it('counts from the Oslo day when the start is just after midnight in Oslo', () => {
      const driver = new VidereforingDriver(nordkyn, '2026-03-01T23:30:00Z')
        .send('roles.assign', payloads.internalRoles)
        .send('forstudie.start', {});
      expect(only(deadlinesOf(driver), 'forstudieEnd').due).toBe('2026-04-13');
    });

    it('is overdue the day after, without adding recipients', () => {
      const driver = driveTo('forstudie.arbeid');
      expect(only(deadlinesOf(driver, '2026-04-13T23:59:59+02:00'), 'forstudieEnd')).toMatchObject({
        overdue: false,
      });
      expect(only(deadlinesOf(driver, '2026-04-14T00:00:00+02:00'), 'forstudieEnd')).toMatchObject({
        overdue: true,
        recipients: ['board', 'prosjektleder'],
      });
    });

    it('stays unmet on submission and rejection, and is met when the board approves', () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), forstudieIds);
      driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
      expect(only(deadlinesOf(driver), 'forstudieEnd').met).toBe(false);
      driver.send('report.reject', { reason: 'Mer arbeid' }, 'board');
      expect(only(deadlinesOf(driver), 'forstudieEnd').met).toBe(false);
      driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
      driver.send('report.approve', {}, 'board');
      expect(only(deadlinesOf(driver, '2026-06-01T12:00:00+02:00'), 'forstudieEnd')).toMatchObject({
        met: true,
        overdue: false,
      });
    });
  });

  describe('forprosjektEnd (start + 6 months)', () => {
    it('is due six months after the start, for the board and the prosjektleder', () => {
      const driver = driveTo('forstudie.rapportGodkjent');
      expect(deadlinesOf(driver).some((d) => d.kind === 'forprosjektEnd')).toBe(false);
      sendAt(driver, '2026-04-15T10:00:00+02:00', 'forprosjekt.start', payloads.owners);
      expect(only(deadlinesOf(driver), 'forprosjektEnd')).toEqual({
        kind: 'forprosjektEnd',
        key: 'forprosjektEnd',
        label: { nb: 'Forprosjektet ferdig', en: 'Pre-project finished' },
        due: '2026-10-15',
        met: false,
        overdue: false,
        recipients: ['board', 'prosjektleder'],
        source: expect.stringContaining('4–6 måneder'),
      });
    });

    it('clamps a start on 31 August to the end of February', () => {
      const driver = driveTo('forstudie.rapportGodkjent');
      sendAt(driver, '2026-08-31T10:00:00+02:00', 'forprosjekt.start', payloads.owners);
      expect(only(deadlinesOf(driver), 'forprosjektEnd').due).toBe('2027-02-28');
    });

    it('counts from the Oslo day of a start at 00:30 in Oslo (22:30 UTC the day before)', () => {
      const driver = driveTo('forstudie.rapportGodkjent');
      sendAt(driver, '2026-08-31T22:30:00Z', 'forprosjekt.start', payloads.owners);
      expect(driver.context.phases.forprosjekt?.startDay).toBe('2026-09-01');
      expect(only(deadlinesOf(driver), 'forprosjektEnd').due).toBe('2027-03-01');
    });

    it('is met when the pre-project report is approved, not before', () => {
      const driver = completeAll(driveTo('forprosjekt.arbeid'), forprosjektIds);
      driver.send('report.submit', payloads.forprosjektReport, 'projectLeader');
      expect(only(deadlinesOf(driver), 'forprosjektEnd').met).toBe(false);
      driver.send('report.approve', {}, 'board');
      expect(only(deadlinesOf(driver), 'forprosjektEnd').met).toBe(true);
    });

    it('is overdue the day after its due day', () => {
      const driver = driveTo('forprosjekt.arbeid');
      const due = only(deadlinesOf(driver), 'forprosjektEnd').due;
      expect(due).toBe('2026-09-02');
      expect(deadlinesOf(driver, '2026-09-02T23:59:59+02:00').find((d) => d.overdue)).toBe(
        undefined,
      );
      expect(
        deadlinesOf(driver, '2026-09-03T00:00:00+02:00')
          .filter((d) => d.overdue)
          .map((d) => d.kind),
      ).toEqual(['forprosjektEnd']);
    });
  });

  describe('hovedprosjektEnd (min(start + 6 months, programme end))', () => {
    const started = () => {
      const driver = driveTo('forprosjekt.rapportGodkjent');
      return sendAt(driver, '2026-09-15T10:00:00+02:00', 'hovedprosjekt.start', {});
    };

    it('is due six months after the start when the programme ends later, for board and prosjektansvarlig', () => {
      expect(only(deadlinesOf(started()), 'hovedprosjektEnd')).toEqual({
        kind: 'hovedprosjektEnd',
        key: 'hovedprosjektEnd',
        label: { nb: 'Hovedprosjektet ferdig', en: 'Main project finished' },
        due: '2027-03-15',
        met: false,
        overdue: false,
        recipients: ['board', 'prosjektansvarlig'],
        source: expect.stringContaining('operativ før omstillingsprogrammet avvikles'),
      });
    });

    it('is the programme end when the programme ends first', () => {
      const input = programmeEnding('2026-12-31');
      const driver = driveTo(
        'forprosjekt.rapportGodkjent',
        new VidereforingDriver(input, '2024-03-04T09:00:00+01:00'),
      );
      sendAt(driver, '2026-09-15T10:00:00+02:00', 'hovedprosjekt.start', {});
      expect(only(deadlinesOf(driver), 'hovedprosjektEnd').due).toBe('2026-12-31');
    });

    it('is met when the main project completes, not on company or board alone', () => {
      const driver = started().send('company.register', payloads.company);
      driver.send('board.elect', payloads.board);
      expect(only(deadlinesOf(driver), 'hovedprosjektEnd').met).toBe(false);
      completeAll(driver, hovedprosjektIds).send('hovedprosjekt.complete', {});
      expect(driver.state).toBe('etablert');
      expect(
        only(deadlinesOf(driver, '2028-01-01T12:00:00+01:00'), 'hovedprosjektEnd'),
      ).toMatchObject({ met: true, overdue: false });
    });

    it('is overdue after its due day and does not add recipients', () => {
      expect(
        only(deadlinesOf(started(), '2027-03-16T00:00:00+01:00'), 'hovedprosjektEnd'),
      ).toMatchObject({ overdue: true, recipients: ['board', 'prosjektansvarlig'] });
    });
  });

  describe('reportDecision (submitted + 14 days)', () => {
    const submitted = () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), forstudieIds);
      return driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
    };

    it('is due 14 days after the Oslo day of the submission, for the board', () => {
      expect(only(deadlinesOf(submitted()), 'reportDecision')).toEqual({
        kind: 'reportDecision',
        key: 'reportDecision:forstudie:1',
        label: {
          nb: 'Styrets behandling av forstudierapporten',
          en: 'Board decision on the pre-study report',
        },
        due: '2026-03-16',
        met: false,
        overdue: false,
        recipients: ['board'],
        source: expect.stringContaining('14 dager'),
      });
    });

    it('takes the Oslo day of a submission just after midnight in Oslo', () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), forstudieIds);
      sendAt(
        driver,
        '2026-03-15T23:30:00Z',
        'report.submit',
        payloads.forstudieReport,
        'projectLeader',
      );
      expect(only(deadlinesOf(driver), 'reportDecision').due).toBe('2026-03-30');
    });

    it('is overdue from the day after its due day', () => {
      const driver = submitted();
      expect(only(deadlinesOf(driver, '2026-03-16T23:59:59+01:00'), 'reportDecision').overdue).toBe(
        false,
      );
      expect(
        only(deadlinesOf(driver, '2026-03-17T00:00:00+01:00'), 'reportDecision'),
      ).toMatchObject({ overdue: true, recipients: ['board'] });
    });

    it.each([
      ['report.approve', {}],
      ['report.reject', { reason: 'Mangler' }],
    ] as const)('is met by %s', (type, payload) => {
      const driver = submitted().send(type, payload, 'board');
      expect(
        only(deadlinesOf(driver, '2026-05-01T12:00:00+02:00'), 'reportDecision'),
      ).toMatchObject({ key: 'reportDecision:forstudie:1', met: true, overdue: false });
    });

    it('gets a new key and due day for a resubmission', () => {
      const driver = submitted().send('report.reject', { reason: 'Mangler' }, 'board');
      driver.advanceDays(10).send('report.submit', payloads.forstudieReport, 'projectLeader');
      const decisions = deadlinesOf(driver).filter((d) => d.kind === 'reportDecision');
      expect(decisions).toEqual([
        expect.objectContaining({
          key: 'reportDecision:forstudie:2',
          due: '2026-03-26',
          met: false,
        }),
      ]);
    });

    it('uses the configured number of days', () => {
      const driver = submitted();
      expect(
        only(
          videreforingDeadlines(driver.snapshot, driver.now.toISOString(), {
            reportDecisionDays: 7,
          }),
          'reportDecision',
        ).due,
      ).toBe('2026-03-09');
      expect(
        only(
          deadlinesOf(driver, driver.now.toISOString(), { reportDecisionDays: 30 }),
          'reportDecision',
        ).due,
      ).toBe('2026-04-01');
      expect(only(deadlinesOf(driver, driver.now.toISOString(), {}), 'reportDecision').due).toBe(
        '2026-03-16',
      );
    });

    it('defaults to the 14 days the definition declares as its setting', () => {
      expect(videreforing.settings.reportDecisionDays?.default).toBe(14);
      expect(defaultDeadlineSettings.reportDecisionDays).toBe(14);
    });

    it('tracks the pre-project report under its own key', () => {
      const driver = completeAll(driveTo('forprosjekt.arbeid'), forprosjektIds);
      sendAt(
        driver,
        '2026-08-03T10:00:00+02:00',
        'report.submit',
        payloads.forprosjektReport,
        'projectLeader',
      );
      const decisions = deadlinesOf(driver).filter((d) => d.kind === 'reportDecision');
      expect(decisions).toEqual([
        expect.objectContaining({ key: 'reportDecision:forstudie:1', met: true }),
        expect.objectContaining({
          key: 'reportDecision:forprosjekt:1',
          due: '2026-08-17',
          met: false,
          label: {
            nb: 'Styrets behandling av forprosjektrapporten',
            en: 'Board decision on the pre-project report',
          },
        }),
      ]);
    });
  });

  describe('programme.reschedule', () => {
    it('moves latestStart, and an overdue start is no longer overdue after an extension', () => {
      const driver = new VidereforingDriver().send('roles.assign', payloads.internalRoles);
      const now = '2027-01-15T12:00:00+01:00';
      expect(only(deadlinesOf(driver, now), 'latestStart')).toMatchObject({
        due: '2026-12-31',
        overdue: true,
      });
      driver.send('programme.reschedule', { programmeEnd: '2029-06-30', reason: 'Forlenget' });
      expect(only(deadlinesOf(driver, now), 'latestStart')).toMatchObject({
        due: '2027-06-30',
        overdue: false,
        recipients: ['board', 'administrators'],
      });
    });

    it('moves hovedprosjektEnd when the programme end comes before start + 6 months', () => {
      const driver = driveTo('forprosjekt.rapportGodkjent');
      sendAt(driver, '2026-09-15T10:00:00+02:00', 'hovedprosjekt.start', {});
      driver.send('programme.reschedule', { programmeEnd: '2027-01-31' });
      const list = deadlinesOf(driver);
      expect(only(list, 'hovedprosjektEnd').due).toBe('2027-01-31');
      expect(only(list, 'latestStart')).toMatchObject({ due: '2025-01-31', met: true });
      driver.send('programme.reschedule', { programmeEnd: '2027-03-16' });
      expect(only(deadlinesOf(driver), 'hovedprosjektEnd').due).toBe('2027-03-15');
    });
  });

  describe('a cancelled process', () => {
    it.each([
      'initiering.forberedelse',
      'forstudie.rapportTilBehandling',
      'forprosjekt.arbeid',
      'hovedprosjekt.arbeid',
    ] as const)('has no deadlines when cancelled in %s', (state) => {
      const driver = driveTo(state);
      expect(deadlinesOf(driver).length).toBeGreaterThan(0);
      driver.send('workflow.cancel', { reason: 'Avsluttet' });
      expect(deadlinesOf(driver)).toEqual([]);
      expect(deadlinesOf(driver, '2030-01-01T12:00:00+01:00')).toEqual([]);
    });

    it('has no deadlines even with a tender out', () => {
      const driver = new VidereforingDriver()
        .send('tender.publish', payloads.tender)
        .send('workflow.cancel', { reason: 'Ingen tilbud' });
      expect(deadlinesOf(driver)).toEqual([]);
    });
  });

  it('lists the deadlines by due day, then key', () => {
    // The tender is listed before the report in the code; on the same day the key decides.
    const driver = new VidereforingDriver()
      .send('roles.assign', payloads.internalRoles)
      .send('tender.publish', { publishedAt: '2026-03-02', answerDeadline: '2026-03-16' })
      .send('forstudie.start', {});
    completeAll(driver, forstudieIds).send(
      'report.submit',
      payloads.forstudieReport,
      'projectLeader',
    );
    expect(deadlinesOf(driver).map((d) => [d.key, d.due])).toEqual([
      ['reportDecision:forstudie:1', '2026-03-16'],
      ['tenderAnswer', '2026-03-16'],
      ['forstudieEnd', '2026-04-13'],
      ['latestStart', '2026-12-31'],
    ]);
  });

  it('keeps every deadline once the unit is established, all met', () => {
    const driver = driveTo('etablert');
    const list = deadlinesOf(driver, '2030-01-01T12:00:00+01:00');
    expect(list.map((d) => d.key).sort()).toEqual(
      [
        'forprosjektEnd',
        'forstudieEnd',
        'hovedprosjektEnd',
        'latestStart',
        'reportDecision:forprosjekt:1',
        'reportDecision:forstudie:1',
      ].sort(),
    );
    expect(list.every((d) => d.met && !d.overdue)).toBe(true);
  });

  it('is pure: the same snapshot and instant give the same list, and the snapshot is untouched', () => {
    const driver = driveTo('forstudie.rapportTilBehandling');
    const before = JSON.stringify(driver.snapshot);
    const now = '2026-05-01T12:00:00+02:00';
    expect(deadlinesOf(driver, now)).toEqual(deadlinesOf(driver, now));
    expect(JSON.stringify(driver.snapshot)).toBe(before);
  });

  it('throws for a `now` that is no instant', () => {
    expect(() => deadlinesOf(new VidereforingDriver(), 'i morgen')).toThrow(RangeError);
  });
});

describe('videreforing.deadlines', () => {
  it('is videreforingDeadlines with the settings passed on', () => {
    const driver = completeAll(driveTo('forstudie.arbeid'), forstudieIds).send(
      'report.submit',
      payloads.forstudieReport,
      'projectLeader',
    );
    const now = '2026-03-20T12:00:00+01:00';
    expect(videreforing.deadlines(driver.snapshot, now, { reportDecisionDays: 3 })).toEqual(
      videreforingDeadlines(driver.snapshot, now, { reportDecisionDays: 3 }),
    );
    expect(
      only(
        videreforing.deadlines(driver.snapshot, now, { reportDecisionDays: 3 }),
        'reportDecision',
      ),
    ).toMatchObject({ due: '2026-03-05', overdue: true });
    expect(only(videreforing.deadlines(driver.snapshot, now), 'reportDecision')).toMatchObject({
      due: '2026-03-16',
      overdue: true,
    });
  });
});

/**
 * The process's own TZ must change nothing (SPEC §4). Jest gives each test file a copy of
 * `process.env`, so setting TZ here would not reach Node's time-zone handling; the scenarios are
 * therefore replayed in child Node processes started with another TZ, which prove that their TZ
 * took effect by reporting the local offset of 1 January 2026.
 */
describe('independence of the process time zone', () => {
  interface Scenario {
    input: VidereforingInput;
    events: VidereforingEvent[];
    now: string;
  }

  function record(input: VidereforingInput, steps: (send: Send) => void, now: string): Scenario {
    const driver = new VidereforingDriver(input);
    const events: VidereforingEvent[] = [];
    const send: Send = (at, type, payload, role = 'admin') => {
      driver.now = new Date(at);
      events.push(driver.event(type, payload, role));
      driver.send(type, payload, role);
    };
    steps(send);
    return { input, events, now };
  }

  type Send = <T extends VidereforingEventType>(
    at: string,
    type: T,
    payload: PayloadByType[T],
    role?: string,
  ) => void;

  // Instants near midnight: the Oslo day differs from the UTC day and from the day in
  // America/Los_Angeles and Pacific/Kiritimati.
  const scenarios: Scenario[] = [
    record(
      nordkyn,
      (send) => send('2026-03-01T23:30:00Z', 'roles.assign', payloads.internalRoles),
      '2026-12-31T23:30:00Z',
    ),
    record(
      nordkyn,
      (send) => {
        send('2026-03-01T23:30:00Z', 'roles.assign', payloads.internalRoles);
        send('2026-03-01T23:30:00Z', 'forstudie.start', {});
        for (const activityId of forstudieIds) {
          send('2026-03-10T12:00:00Z', 'activity.complete', { activityId }, 'projectLeader');
        }
        send('2026-03-15T23:30:00Z', 'report.submit', payloads.forstudieReport, 'projectLeader');
      },
      '2026-03-30T22:30:00Z',
    ),
  ];

  const expected: Deadline[][] = [
    [
      expect.objectContaining({
        kind: 'latestStart',
        due: '2026-12-31',
        met: false,
        overdue: true,
        recipients: ['board', 'administrators', 'prosjektansvarlig'],
      }),
    ],
    [
      expect.objectContaining({
        key: 'reportDecision:forstudie:1',
        due: '2026-03-30',
        met: false,
        overdue: true,
      }),
      expect.objectContaining({ kind: 'forstudieEnd', due: '2026-04-13', overdue: false }),
      expect.objectContaining({ kind: 'latestStart', due: '2026-12-31', met: true }),
    ],
  ];

  const inProcess = scenarios.map(({ input, events, now }) => {
    const driver = new VidereforingDriver(input);
    for (const event of events) {
      driver.now = new Date(event.meta.at);
      const { type, meta: _meta, ...payload } = event;
      driver.send(type, payload, event.meta.actor.role);
    }
    return deadlinesOf(driver, now);
  });

  it('gives the Oslo answers in this process', () => {
    expect(inProcess).toEqual(expected);
  });

  const childScript = `
    const ts = require('typescript');
    const fs = require('fs');
    require.extensions['.ts'] = (module, filename) => {
      const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        fileName: filename,
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
        },
      });
      module._compile(outputText, filename);
    };
    const { initialTransition, transition } = require('xstate');
    const { videreforing } = require('./workflows/videreforing');
    const scenarios = JSON.parse(process.argv[1]);
    const results = scenarios.map(({ input, events, now }) => {
      let [snapshot] = initialTransition(videreforing.machine, input);
      for (const event of events) [snapshot] = transition(videreforing.machine, snapshot, event);
      return videreforing.deadlines(snapshot, now);
    });
    process.stdout.write(JSON.stringify({
      offset: new Date(2026, 0, 1).getTimezoneOffset(),
      results,
    }));
  `;

  it.each([
    ['UTC', 0],
    ['America/Los_Angeles', 480],
    ['Pacific/Kiritimati', -840],
    ['Europe/Oslo', -60],
  ])(
    'gives the same deadlines under TZ=%s',
    (tz, offset) => {
      const child = spawnSync(
        // eslint-disable-next-line no-restricted-globals -- starts node itself, see above
        process.execPath,
        ['-e', childScript, JSON.stringify(scenarios)],
        {
          cwd: resolve(__dirname, '../..'),
          // eslint-disable-next-line no-restricted-globals -- the child's environment, see above
          env: { ...process.env, TZ: tz },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      if (child.status !== 0) throw new Error(`Child failed: ${child.stderr}`);
      const { offset: childOffset, results } = JSON.parse(child.stdout) as {
        offset: number;
        results: Deadline[][];
      };
      expect(childOffset).toBe(offset);
      expect(results).toEqual(inProcess);
    },
    60_000,
  );
});
