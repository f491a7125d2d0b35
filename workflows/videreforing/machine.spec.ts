import { initialTransition, transition } from 'xstate';
import { videreforing, videreforingMachine } from '.';
import { nextEvents, statePath } from '../kit';
import {
  driveTo,
  nordkyn,
  payloads,
  VidereforingDriver,
} from '../../test/support/videreforing-driver';

describe('videreforingMachine', () => {
  it('starts in initiering.forberedelse with the programme from the input', () => {
    const [snapshot] = initialTransition(videreforingMachine, nordkyn);
    expect(statePath(snapshot.value)).toBe('initiering.forberedelse');
    expect(snapshot.context.programme).toEqual(nordkyn.programme);
  });

  it('runs the whole process from registration to etablert', () => {
    const driver = driveTo('etablert');
    expect(driver.state).toBe('etablert');
    expect(driver.snapshot.status).toBe('done');
    const { context } = driver;
    expect(context.reports.forstudie?.decisions.map((d) => d.decision)).toEqual(['approved']);
    expect(context.reports.forprosjekt?.decisions.map((d) => d.decision)).toEqual(['approved']);
    expect(context.company?.organisasjonsnummer).toBe('923609016');
    expect(context.companyBoard?.members).toHaveLength(1);
    expect(context.owners.map((o) => o.sharePercent)).toEqual([60, 40]);
    expect(context.phases.hovedprosjekt?.completedAt).toBeDefined();
    expect(Object.values(context.activities).every((a) => a?.completed)).toBe(true);
  });

  it('runs the external-consultant path through tender and contract', () => {
    const driver = new VidereforingDriver();
    driver.send('roles.assign', payloads.externalRoles);
    driver.send('tender.publish', payloads.tender);
    expect(driver.state).toBe('initiering.anbudUte');
    driver.send('contract.award', payloads.contract);
    expect(driver.state).toBe('initiering.kontraktTildelt');
    driver.send('forstudie.start', {});
    expect(driver.state).toBe('forstudie.arbeid');
    expect(driver.context.contract?.consultant.organisation).toBe('Rådgiver AS');
  });

  it('returns a rejected report to work and keeps the reason', () => {
    const driver = driveTo('forstudie.rapportTilBehandling');
    driver.send('report.reject', { reason: 'Alternativ 2 mangler kostnadsoverslag' }, 'board');
    expect(driver.state).toBe('forstudie.arbeid');
    driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
    driver.send('report.approve', {}, 'board');
    const report = driver.context.reports.forstudie!;
    expect(report.submissions).toHaveLength(2);
    expect(report.decisions).toEqual([
      expect.objectContaining({
        decision: 'rejected',
        reason: 'Alternativ 2 mangler kostnadsoverslag',
        submission: 1,
        by: 'token-board',
      }),
      expect.objectContaining({ decision: 'approved', submission: 2, by: 'token-board' }),
    ]);
  });

  it('records who completed an activity and when, and a reopening with its reason', () => {
    const driver = driveTo('forstudie.arbeid');
    driver.send(
      'activity.complete',
      { activityId: 'F3', note: 'Tre kommuner besøkt' },
      'projectLeader',
    );
    expect(driver.context.activities.F3).toEqual({
      completed: true,
      completedAt: driver.now.toISOString(),
      completedBy: 'token-projectLeader',
      note: 'Tre kommuner besøkt',
    });
    driver
      .advanceDays(1)
      .send('activity.reopen', { activityId: 'F3', reason: 'Mangler kilder' }, 'projectLeader');
    expect(driver.context.activities.F3?.completed).toBe(false);
    expect(driver.context.activities.F3?.reopened).toEqual([
      { at: driver.now.toISOString(), by: 'token-projectLeader', reason: 'Mangler kilder' },
    ]);
  });

  it('starts each phase at the instant the event was accepted, as an Oslo calendar day', () => {
    const driver = new VidereforingDriver(nordkyn, '2026-03-01T23:30:00Z');
    driver.send('roles.assign', payloads.internalRoles).send('forstudie.start', {});
    expect(driver.context.phases.forstudie).toMatchObject({
      at: '2026-03-01T23:30:00.000Z',
      startDay: '2026-03-02',
      by: 'token-admin',
    });
  });

  it.each([
    'initiering.forberedelse',
    'forstudie.arbeid',
    'forstudie.rapportTilBehandling',
    'forstudie.rapportGodkjent',
    'forprosjekt.arbeid',
    'forprosjekt.rapportTilBehandling',
    'forprosjekt.rapportGodkjent',
    'hovedprosjekt.arbeid',
  ] as const)('can be cancelled from %s, keeping the reason and the phase', (state) => {
    const driver = driveTo(state);
    driver.send('workflow.cancel', { reason: 'Kommunestyret vedtok å avslutte' });
    expect(driver.state).toBe('avbrutt');
    expect(driver.snapshot.status).toBe('done');
    expect(driver.context.cancellation).toMatchObject({
      reason: 'Kommunestyret vedtok å avslutte',
      phase: state.split('.')[0],
    });
  });

  it('can be cancelled from the tender states too', () => {
    const driver = new VidereforingDriver();
    driver
      .send('tender.publish', payloads.tender)
      .send('workflow.cancel', { reason: 'Ingen tilbud' });
    expect(driver.state).toBe('avbrutt');
  });

  it.each(['etablert', 'avbrutt'] as const)('accepts nothing once %s', (final) => {
    const driver = driveTo(final === 'etablert' ? 'etablert' : 'initiering.forberedelse');
    if (final === 'avbrutt') driver.send('workflow.cancel', { reason: 'Avsluttet' });
    const blockers = driver.blocked('workflow.cancel', { reason: 'igjen' });
    expect(blockers).toEqual([
      expect.objectContaining({
        guard: 'isWorkflowActive',
        message: expect.stringContaining('Arbeidsflyten er avsluttet'),
      }),
    ]);
    expect(
      nextEvents(videreforing, driver.snapshot, driver.now.toISOString()).every((e) => !e.allowed),
    ).toBe(true);
  });

  it('updates the programme period through programme.reschedule and records it', () => {
    const driver = new VidereforingDriver();
    driver.send('programme.reschedule', {
      programmeEnd: '2029-06-30',
      reason: 'Forlenget av fylket',
    });
    expect(driver.context.programme.end).toBe('2029-06-30');
    expect(driver.context.reschedules).toEqual([
      expect.objectContaining({
        programmeEnd: '2029-06-30',
        reason: 'Forlenget av fylket',
        by: 'token-admin',
      }),
    ]);
  });

  describe('snapshots', () => {
    it.each([
      'initiering.forberedelse',
      'forstudie.rapportTilBehandling',
      'forprosjekt.arbeid',
      'hovedprosjekt.arbeid',
      'etablert',
    ] as const)('survive JSON round trip unchanged in %s and keep working', (state) => {
      const driver = driveTo(state);
      const persisted = videreforingMachine.getPersistedSnapshot(driver.snapshot);
      const json = JSON.stringify(persisted);
      const restored = videreforingMachine.resolveState(JSON.parse(json) as never);
      expect(JSON.stringify(videreforingMachine.getPersistedSnapshot(restored))).toBe(json);
      expect(statePath(restored.value)).toBe(state);
      expect(restored.status).toBe(driver.snapshot.status);
      const event = driver.event('workflow.cancel', { reason: 'test' });
      const [fromOriginal] = transition(videreforingMachine, driver.snapshot, event);
      const [fromRestored] = transition(videreforingMachine, restored, event);
      expect(JSON.stringify(fromRestored)).toBe(JSON.stringify(fromOriginal));
    });
  });
});
