import { videreforing } from '.';
import { explainEvent, nextEvents, type Blocker, type NextEvent } from '../kit';
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
import { guardSpecs } from './guards';
import type { Alternative, PayloadByType, VidereforingInput } from './types';

/** One expected blocker; `messageEn` (a string or an asymmetric matcher) is checked when given. */
function blocker(guard: string, message: string, messageEn?: unknown): Blocker {
  return { guard, message, messageEn: (messageEn ?? expect.any(String)) as string };
}

function programmeEnding(end: string): VidereforingInput {
  return { programme: { municipality: 'Nordkyn', start: '2023-01-01', end } };
}

function submitAndApproveForstudie(driver: VidereforingDriver): VidereforingDriver {
  completeAll(driver, forstudieIds);
  driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
  driver.send('report.approve', {}, 'board');
  return driver;
}

function submitAndApproveForprosjekt(driver: VidereforingDriver): VidereforingDriver {
  completeAll(driver, forprosjektIds);
  driver.send('report.submit', payloads.forprosjektReport, 'projectLeader');
  driver.send('report.approve', {}, 'board');
  return driver;
}

function cost(
  category: PayloadByType['cost.record']['category'],
  amountNok: number,
): PayloadByType['cost.record'] {
  return { category, amountNok, date: '2026-03-10', description: `${category} ${amountNok}` };
}

function funding(amountNok: number): PayloadByType['funding.apply'] {
  return { amountNok, appliedAt: '2026-05-01' };
}

const lateMessage2026 =
  'Forstudien skulle vært startet senest 31. desember 2026 (to år før programslutt 31. desember 2028); en skriftlig begrunnelse (lateStartJustification) kreves for å starte senere';
const lateMessage2026En =
  'The pre-study should have started by 2026-12-31 (two years before the programme ends on 2028-12-31); a written justification (lateStartJustification) is required to start later';

/** Guards the tests below exercise; a new guard in guards.ts must get tests and a place here. */
const coveredGuards = [
  'hasRolesInPlace',
  'hasContractIfExternalLeader',
  'isWithinLatestStartOrJustified',
  'hasPublishedTender',
  'hasNoAwardedContract',
  'isValidTenderPeriod',
  'isOpenActivityOfPhase',
  'isCompletedActivityOfPhase',
  'hasCompletedAllActivities',
  'hasCompleteForstudieReport',
  'hasCompleteForprosjektReport',
  'isWithinCostFrameOrOverrunApproved',
  'exceedsCostFrame',
  'hasApprovedForstudieReport',
  'hasApprovedForprosjektReport',
  'hasOwnersSharingAll',
  'isFundingWithinShare',
  'hasValidOrganisasjonsnummer',
  'hasBoardMembers',
  'hasRegisteredCompany',
  'hasElectedBoard',
  'hasStartedRecruitment',
  'isValidProgrammePeriod',
];

describe('videreføring guards', () => {
  it('has tests below for every guard in guardSpecs', () => {
    expect(Object.keys(guardSpecs).sort()).toEqual([...coveredGuards].sort());
  });

  it.each(Object.entries(guardSpecs))(
    '%s has a label in both languages and a source',
    (_, spec) => {
      expect(spec.label.nb.trim()).not.toBe('');
      expect(spec.label.en.trim()).not.toBe('');
      expect(spec.source.trim()).not.toBe('');
    },
  );

  describe('hasRolesInPlace', () => {
    it('blocks forstudie.start before any role is assigned, naming all three', () => {
      const driver = new VidereforingDriver();
      expect(driver.blocked('forstudie.start', {})).toEqual([
        blocker(
          'hasRolesInPlace',
          'Forstudien kan ikke starte før prosjekteier, prosjektansvarlig og prosjektleder er på plass',
          'The pre-study cannot start before prosjekteier, prosjektansvarlig and prosjektleder are in place',
        ),
      ]);
      expect(driver.state).toBe('initiering.forberedelse');
    });

    it('names only the role that is missing', () => {
      const driver = new VidereforingDriver();
      driver.send('roles.assign', { ...payloads.internalRoles, prosjekteier: '' });
      expect(driver.blocked('forstudie.start', {})).toEqual([
        blocker(
          'hasRolesInPlace',
          'Forstudien kan ikke starte før prosjekteier er på plass',
          'The pre-study cannot start before prosjekteier is in place',
        ),
      ]);
    });

    it('names two missing roles joined with «og»', () => {
      const driver = new VidereforingDriver();
      driver.send('roles.assign', {
        prosjekteier: 'Nordkyn kommune',
      } as unknown as PayloadByType['roles.assign']);
      expect(driver.blocked('forstudie.start', {})).toEqual([
        blocker(
          'hasRolesInPlace',
          'Forstudien kan ikke starte før prosjektansvarlig og prosjektleder er på plass',
          'The pre-study cannot start before prosjektansvarlig and prosjektleder are in place',
        ),
      ]);
    });

    it('lets the pre-study start once all three are in place', () => {
      const driver = new VidereforingDriver();
      driver.send('roles.assign', payloads.internalRoles).send('forstudie.start', {});
      expect(driver.state).toBe('forstudie.arbeid');
      expect(driver.context.phases.forstudie?.startDay).toBe('2026-03-02');
    });
  });

  describe('hasContractIfExternalLeader', () => {
    const message =
      'Prosjektlederen er ekstern konsulent, men oppdraget er ikke tildelt etter anbud';
    const messageEn =
      'The project leader is an external consultant, but no contract has been awarded after a tender';

    it('blocks forstudie.start with an external leader and no tender', () => {
      const driver = new VidereforingDriver().send('roles.assign', payloads.externalRoles);
      expect(driver.blocked('forstudie.start', {})).toEqual([
        blocker('hasContractIfExternalLeader', message, messageEn),
      ]);
    });

    it('still blocks while the tender is out but no contract is awarded', () => {
      const driver = new VidereforingDriver()
        .send('roles.assign', payloads.externalRoles)
        .send('tender.publish', payloads.tender);
      expect(driver.state).toBe('initiering.anbudUte');
      expect(driver.blocked('forstudie.start', {})).toEqual([
        blocker('hasContractIfExternalLeader', message, messageEn),
      ]);
    });

    it('allows the start once the contract is awarded', () => {
      const driver = new VidereforingDriver()
        .send('roles.assign', payloads.externalRoles)
        .send('tender.publish', payloads.tender)
        .send('contract.award', payloads.contract)
        .send('forstudie.start', {});
      expect(driver.state).toBe('forstudie.arbeid');
    });

    it('asks no contract of an internal leader', () => {
      const driver = new VidereforingDriver()
        .send('roles.assign', payloads.internalRoles)
        .send('forstudie.start', {});
      expect(driver.state).toBe('forstudie.arbeid');
      expect(driver.context.contract).toBeUndefined();
    });
  });

  describe('isWithinLatestStartOrJustified', () => {
    // Programme end 2028-12-31: the pre-study must start by 2026-12-31 (Oslo).
    it('allows a start on the last day, up to 23:59:59 in Oslo', () => {
      const driver = new VidereforingDriver(nordkyn, '2026-12-31T23:59:59+01:00');
      driver.send('roles.assign', payloads.internalRoles).send('forstudie.start', {});
      expect(driver.state).toBe('forstudie.arbeid');
      expect(driver.context.phases.forstudie?.startDay).toBe('2026-12-31');
      expect(driver.context.phases.forstudie?.lateStartJustification).toBeUndefined();
    });

    it('blocks at midnight in Oslo, although the instant is still 31 December in UTC', () => {
      const driver = new VidereforingDriver(nordkyn, '2027-01-01T00:00:00+01:00');
      driver.send('roles.assign', payloads.internalRoles);
      expect(driver.event('forstudie.start', {}).meta.at).toBe('2026-12-31T23:00:00.000Z');
      expect(driver.blocked('forstudie.start', {})).toEqual([
        blocker('isWithinLatestStartOrJustified', lateMessage2026, lateMessage2026En),
      ]);
      expect(driver.context.phases.forstudie).toBeUndefined();
    });

    it('blocks a late start with a blank justification', () => {
      const driver = new VidereforingDriver(nordkyn, '2027-03-01T10:00:00+01:00');
      driver.send('roles.assign', payloads.internalRoles);
      expect(driver.blocked('forstudie.start', { lateStartJustification: '   ' })).toEqual([
        blocker('isWithinLatestStartOrJustified', lateMessage2026, lateMessage2026En),
      ]);
    });

    it('allows a late start with a written justification and records it in the phase', () => {
      const justification =
        'Kommunestyret vedtok oppstart etter forlenget programperiode (sak 12/27)';
      const driver = new VidereforingDriver(nordkyn, '2027-03-01T10:00:00+01:00');
      driver
        .send('roles.assign', payloads.internalRoles)
        .send('forstudie.start', { lateStartJustification: justification });
      expect(driver.state).toBe('forstudie.arbeid');
      expect(driver.context.phases.forstudie).toMatchObject({
        startDay: '2027-03-01',
        lateStartJustification: justification,
        by: 'token-admin',
      });
    });

    it('judges the day in Oslo in summer time too (UTC+2)', () => {
      const input = programmeEnding('2028-06-30');
      const onTime = new VidereforingDriver(input, '2026-06-30T23:59:00+02:00');
      onTime.send('roles.assign', payloads.internalRoles).send('forstudie.start', {});
      expect(onTime.context.phases.forstudie?.startDay).toBe('2026-06-30');

      const late = new VidereforingDriver(input, '2026-07-01T00:00:00+02:00');
      late.send('roles.assign', payloads.internalRoles);
      expect(late.blocked('forstudie.start', {})).toEqual([
        blocker(
          'isWithinLatestStartOrJustified',
          'Forstudien skulle vært startet senest 30. juni 2026 (to år før programslutt 30. juni 2028); en skriftlig begrunnelse (lateStartJustification) kreves for å starte senere',
          'The pre-study should have started by 2026-06-30 (two years before the programme ends on 2028-06-30); a written justification (lateStartJustification) is required to start later',
        ),
      ]);
    });

    it('counts two years back from a leap day to 28 February', () => {
      const input = programmeEnding('2028-02-29');
      const onTime = new VidereforingDriver(input, '2026-02-28T12:00:00+01:00');
      onTime.send('roles.assign', payloads.internalRoles).send('forstudie.start', {});
      expect(onTime.state).toBe('forstudie.arbeid');

      const late = new VidereforingDriver(input, '2026-03-01T00:00:00+01:00');
      late.send('roles.assign', payloads.internalRoles);
      expect(late.blocked('forstudie.start', {})).toEqual([
        blocker(
          'isWithinLatestStartOrJustified',
          'Forstudien skulle vært startet senest 28. februar 2026 (to år før programslutt 29. februar 2028); en skriftlig begrunnelse (lateStartJustification) kreves for å starte senere',
        ),
      ]);
    });

    it('follows a rescheduled programme end', () => {
      const driver = new VidereforingDriver(nordkyn, '2027-03-01T10:00:00+01:00');
      driver.send('roles.assign', payloads.internalRoles);
      expect(driver.blocked('forstudie.start', {})).toHaveLength(1);
      driver.send('programme.reschedule', { programmeEnd: '2029-06-30' });
      driver.send('forstudie.start', {});
      expect(driver.state).toBe('forstudie.arbeid');
    });

    it('is reported together with missing roles', () => {
      const driver = new VidereforingDriver(nordkyn, '2027-01-02T12:00:00+01:00');
      expect(driver.blocked('forstudie.start', {}).map((b) => b.guard)).toEqual([
        'hasRolesInPlace',
        'isWithinLatestStartOrJustified',
      ]);
    });
  });

  describe('hasPublishedTender', () => {
    it('blocks contract.award before a tender is published', () => {
      const driver = new VidereforingDriver().send('roles.assign', payloads.externalRoles);
      expect(driver.blocked('contract.award', payloads.contract)).toEqual([
        blocker(
          'hasPublishedTender',
          'Oppdraget må legges ut på anbud før kontrakten kan tildeles',
          'The assignment must be put out to tender before the contract can be awarded',
        ),
      ]);
      expect(driver.context.contract).toBeUndefined();
    });

    it('allows contract.award after the tender and records the contract', () => {
      const driver = new VidereforingDriver()
        .send('tender.publish', payloads.tender)
        .send('contract.award', payloads.contract);
      expect(driver.state).toBe('initiering.kontraktTildelt');
      expect(driver.context.contract).toMatchObject({ awardedAt: '2026-04-02', feeNok: 90_000 });
    });
  });

  describe('hasNoAwardedContract', () => {
    const awarded = () =>
      new VidereforingDriver()
        .send('tender.publish', payloads.tender)
        .send('contract.award', payloads.contract);
    const message = 'Kontrakten er allerede tildelt Kari Konsulent (Rådgiver AS)';
    const messageEn = 'The contract has already been awarded to Kari Konsulent (Rådgiver AS)';

    it('blocks a second contract.award', () => {
      const driver = awarded();
      expect(
        driver.blocked('contract.award', {
          ...payloads.contract,
          consultant: { name: 'Per Annen', email: 'per@annen.no', organisation: 'Annen AS' },
        }),
      ).toEqual([blocker('hasNoAwardedContract', message, messageEn)]);
      expect(driver.context.contract?.consultant.name).toBe('Kari Konsulent');
    });

    it('blocks a new tender.publish after the award', () => {
      expect(awarded().blocked('tender.publish', payloads.tender)).toEqual([
        blocker('hasNoAwardedContract', message, messageEn),
      ]);
    });

    it('allows a tender to be published again before any award, replacing the first', () => {
      const driver = new VidereforingDriver()
        .send('tender.publish', payloads.tender)
        .send('tender.publish', { publishedAt: '2026-04-01', answerDeadline: '2026-04-30' });
      expect(driver.state).toBe('initiering.anbudUte');
      expect(driver.context.tender).toMatchObject({
        publishedAt: '2026-04-01',
        answerDeadline: '2026-04-30',
      });
    });
  });

  describe('isValidTenderPeriod', () => {
    it('blocks an answer deadline before the publication', () => {
      const driver = new VidereforingDriver();
      expect(
        driver.blocked('tender.publish', {
          publishedAt: '2026-03-02',
          answerDeadline: '2026-03-01',
        }),
      ).toEqual([
        blocker(
          'isValidTenderPeriod',
          'Svarfristen (2026-03-01) kan ikke være før anbudet ble publisert (2026-03-02)',
          'The answer deadline (2026-03-01) cannot be before the tender was published (2026-03-02)',
        ),
      ]);
      expect(driver.context.tender).toBeUndefined();
    });

    it('blocks a day that does not exist', () => {
      const blockers = new VidereforingDriver().blocked('tender.publish', {
        publishedAt: '2026-02-20',
        answerDeadline: '2026-02-30',
      });
      expect(blockers.map((b) => b.guard)).toEqual(['isValidTenderPeriod']);
    });

    it('allows the answer deadline on the day of publication', () => {
      const driver = new VidereforingDriver().send('tender.publish', {
        publishedAt: '2026-03-02',
        answerDeadline: '2026-03-02',
      });
      expect(driver.state).toBe('initiering.anbudUte');
    });
  });

  describe('isOpenActivityOfPhase', () => {
    it('allows completing an open activity of the current phase', () => {
      const driver = driveTo('forstudie.arbeid');
      driver.send('activity.complete', { activityId: 'F3' }, 'projectLeader');
      expect(driver.context.activities.F3?.completed).toBe(true);
    });

    it('blocks completing an activity twice', () => {
      const driver = driveTo('forstudie.arbeid');
      driver.send('activity.complete', { activityId: 'F3' }, 'projectLeader');
      expect(driver.blocked('activity.complete', { activityId: 'F3' }, 'projectLeader')).toEqual([
        blocker(
          'isOpenActivityOfPhase',
          'Aktivitet F3 i forstudien er allerede fullført',
          'Activity F3 in the pre-study is already completed',
        ),
      ]);
    });

    it.each(['P1', 'H5', 'F7', 'f1', ''])(
      'blocks «%s», which is no activity of the pre-study',
      (activityId) => {
        const driver = driveTo('forstudie.arbeid');
        expect(driver.blocked('activity.complete', { activityId }, 'projectLeader')).toEqual([
          blocker(
            'isOpenActivityOfPhase',
            `Aktivitet «${activityId}» finnes ikke i forstudien; gyldige er F1–F6`,
            `Activity "${activityId}" does not exist in the pre-study; valid ids are F1–F6`,
          ),
        ]);
      },
    );

    it('blocks a pre-study activity in the pre-project', () => {
      const driver = driveTo('forprosjekt.arbeid');
      expect(driver.blocked('activity.complete', { activityId: 'F1' }, 'projectLeader')).toEqual([
        blocker(
          'isOpenActivityOfPhase',
          'Aktivitet «F1» finnes ikke i forprosjektet; gyldige er P1–P8',
          'Activity "F1" does not exist in the pre-project; valid ids are P1–P8',
        ),
      ]);
    });

    it('blocks a pre-project activity in the main project', () => {
      const driver = driveTo('hovedprosjekt.arbeid');
      expect(driver.blocked('activity.complete', { activityId: 'P8' }, 'projectLeader')).toEqual([
        blocker(
          'isOpenActivityOfPhase',
          'Aktivitet «P8» finnes ikke i hovedprosjektet; gyldige er H1–H5',
          'Activity "P8" does not exist in the main project; valid ids are H1–H5',
        ),
      ]);
      driver.send('activity.complete', { activityId: 'H2' }, 'projectLeader');
      expect(driver.context.activities.H2?.completed).toBe(true);
    });
  });

  describe('isCompletedActivityOfPhase', () => {
    it('blocks reopening an activity that is still open', () => {
      const driver = driveTo('forstudie.arbeid');
      expect(
        driver.blocked('activity.reopen', { activityId: 'F3', reason: 'Mangler' }, 'projectLeader'),
      ).toEqual([
        blocker(
          'isCompletedActivityOfPhase',
          'Aktivitet F3 i forstudien er ikke fullført og kan ikke gjenåpnes',
          'Activity F3 in the pre-study is not completed and cannot be reopened',
        ),
      ]);
    });

    it('allows reopening a completed activity, and blocks reopening it twice', () => {
      const driver = driveTo('forstudie.arbeid');
      driver.send('activity.complete', { activityId: 'F4' }, 'projectLeader');
      driver.send('activity.reopen', { activityId: 'F4', reason: 'Mangler' }, 'projectLeader');
      expect(driver.context.activities.F4?.completed).toBe(false);
      expect(
        driver.blocked('activity.reopen', { activityId: 'F4', reason: 'igjen' }, 'projectLeader'),
      ).toEqual([
        blocker(
          'isCompletedActivityOfPhase',
          'Aktivitet F4 i forstudien er ikke fullført og kan ikke gjenåpnes',
        ),
      ]);
    });

    it('blocks reopening an activity of an earlier phase', () => {
      const driver = driveTo('forprosjekt.arbeid');
      expect(driver.context.activities.F1?.completed).toBe(true);
      expect(
        driver.blocked('activity.reopen', { activityId: 'F1', reason: 'x' }, 'projectLeader'),
      ).toEqual([
        blocker(
          'isCompletedActivityOfPhase',
          'Aktivitet «F1» finnes ikke i forprosjektet; gyldige er P1–P8',
          'Activity "F1" does not exist in the pre-project; valid ids are P1–P8',
        ),
      ]);
    });

    it('blocks an unknown id', () => {
      const driver = driveTo('hovedprosjekt.arbeid');
      expect(
        driver.blocked('activity.reopen', { activityId: 'H6', reason: 'x' }, 'projectLeader'),
      ).toEqual([
        blocker(
          'isCompletedActivityOfPhase',
          'Aktivitet «H6» finnes ikke i hovedprosjektet; gyldige er H1–H5',
        ),
      ]);
    });
  });

  describe('hasCompletedAllActivities', () => {
    it('blocks report.submit naming the open activities («Aktivitetene F3 og F5 …»)', () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), ['F1', 'F2', 'F4', 'F6']);
      expect(driver.blocked('report.submit', payloads.forstudieReport, 'projectLeader')).toEqual([
        blocker(
          'hasCompletedAllActivities',
          'Aktivitetene F3 og F5 i forstudien er ikke fullført',
          'Activities F3 and F5 in the pre-study are not completed',
        ),
      ]);
      expect(driver.context.reports.forstudie).toBeUndefined();
    });

    it('uses the singular for one open activity', () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), ['F1', 'F2', 'F3', 'F4', 'F6']);
      expect(driver.blocked('report.submit', payloads.forstudieReport, 'projectLeader')).toEqual([
        blocker(
          'hasCompletedAllActivities',
          'Aktivitet F5 i forstudien er ikke fullført',
          'Activity F5 in the pre-study is not completed',
        ),
      ]);
    });

    it('counts a reopened activity as open again', () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), forstudieIds);
      driver.send('activity.reopen', { activityId: 'F2', reason: 'Mangler' }, 'projectLeader');
      expect(driver.blocked('report.submit', payloads.forstudieReport, 'projectLeader')).toEqual([
        blocker('hasCompletedAllActivities', 'Aktivitet F2 i forstudien er ikke fullført'),
      ]);
    });

    it('lists every open activity of the pre-project', () => {
      const driver = driveTo('forprosjekt.arbeid');
      expect(driver.blocked('report.submit', payloads.forprosjektReport, 'projectLeader')).toEqual([
        blocker(
          'hasCompletedAllActivities',
          'Aktivitetene P1, P2, P3, P4, P5, P6, P7 og P8 i forprosjektet er ikke fullført',
          'Activities P1, P2, P3, P4, P5, P6, P7 and P8 in the pre-project are not completed',
        ),
      ]);
    });

    it('is reported together with a deficient report', () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), ['F1', 'F2', 'F3', 'F4', 'F5']);
      expect(
        driver.blocked(
          'report.submit',
          { documentRef: 'sak-1', alternatives: [] },
          'projectLeader',
        ),
      ).toEqual([
        blocker('hasCompletedAllActivities', 'Aktivitet F6 i forstudien er ikke fullført'),
        blocker(
          'hasCompleteForstudieReport',
          'Forstudierapporten må ha minst 2 alternativer; den har 0',
        ),
      ]);
    });

    it('allows report.submit once every activity is completed', () => {
      const driver = completeAll(driveTo('forstudie.arbeid'), forstudieIds);
      driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
      expect(driver.state).toBe('forstudie.rapportTilBehandling');
    });
  });

  describe('hasCompleteForstudieReport', () => {
    const ready = () => completeAll(driveTo('forstudie.arbeid'), forstudieIds);
    const [first, second] = payloads.forstudieReport.alternatives;

    it('blocks a report with one alternative', () => {
      const driver = ready();
      expect(
        driver.blocked(
          'report.submit',
          { documentRef: 'sak-1', alternatives: [first!] },
          'projectLeader',
        ),
      ).toEqual([
        blocker(
          'hasCompleteForstudieReport',
          'Forstudierapporten må ha minst 2 alternativer; den har 1',
          'The pre-study report needs at least 2 alternatives; it has 1',
        ),
      ]);
    });

    it('blocks a report without alternatives', () => {
      expect(ready().blocked('report.submit', { documentRef: 'sak-1' }, 'projectLeader')).toEqual([
        blocker(
          'hasCompleteForstudieReport',
          'Forstudierapporten må ha minst 2 alternativer; den har 0',
        ),
      ]);
    });

    it('blocks an alternative that lacks fields, naming the alternative and the fields', () => {
      const lacking = {
        title: 'Samarbeid med nabokommunen',
        finansiering: 'Spleis',
        organisering: '  ',
      } as unknown as Alternative;
      const blockers = ready().blocked(
        'report.submit',
        { documentRef: 'sak-1', alternatives: [first!, lacking] },
        'projectLeader',
      );
      expect(blockers).toEqual([
        blocker(
          'hasCompleteForstudieReport',
          'Alternativ 2 mangler organisering og geografisk virkeområde',
          expect.stringMatching(/^Alternative 2 lacks /),
        ),
      ]);
    });

    it('reports every problem at once', () => {
      const blockers = ready().blocked(
        'report.submit',
        { documentRef: ' ', alternatives: [{ ...second!, finansiering: '' }] },
        'projectLeader',
      );
      expect(blockers).toEqual([
        blocker(
          'hasCompleteForstudieReport',
          'Rapporten mangler dokumentreferanse (documentRef)',
          'The report has no document reference (documentRef)',
        ),
        blocker(
          'hasCompleteForstudieReport',
          'Forstudierapporten må ha minst 2 alternativer; den har 1',
        ),
        blocker('hasCompleteForstudieReport', 'Alternativ 1 mangler finansiering'),
      ]);
    });

    it('allows a report with two or more complete alternatives and records them', () => {
      const third = { ...first!, title: 'Stiftelse', organisering: 'Næringsstiftelse' };
      const driver = ready().send(
        'report.submit',
        { documentRef: 'sak-2026/17', alternatives: [first!, second!, third] },
        'projectLeader',
      );
      expect(driver.state).toBe('forstudie.rapportTilBehandling');
      expect(driver.context.reports.forstudie?.submissions[0]?.alternatives).toHaveLength(3);
    });
  });

  describe('hasCompleteForprosjektReport', () => {
    const ready = () => completeAll(driveTo('forprosjekt.arbeid'), forprosjektIds);

    it('blocks a report that leaves sections out, naming them', () => {
      const sections = { ...payloads.forprosjektReport.sections, eierskap: '', realisering: ' ' };
      expect(
        ready().blocked('report.submit', { documentRef: 'sak-44', sections }, 'projectLeader'),
      ).toEqual([
        blocker(
          'hasCompleteForprosjektReport',
          'Forprosjektrapporten gjør ikke greie for eierskap og realisering',
          expect.stringMatching(/^The pre-project report does not cover /),
        ),
      ]);
    });

    it('blocks a pre-study style report without sections, naming all five', () => {
      expect(ready().blocked('report.submit', payloads.forstudieReport, 'projectLeader')).toEqual([
        blocker(
          'hasCompleteForprosjektReport',
          'Forprosjektrapporten gjør ikke greie for organisering, eierskap, bemanning, finansiering og realisering',
        ),
      ]);
    });

    it('blocks a report without document reference', () => {
      expect(
        ready().blocked(
          'report.submit',
          { ...payloads.forprosjektReport, documentRef: '' },
          'projectLeader',
        ),
      ).toEqual([
        blocker(
          'hasCompleteForprosjektReport',
          'Rapporten mangler dokumentreferanse (documentRef)',
        ),
      ]);
    });

    it('allows a report covering all five sections', () => {
      const driver = ready().send('report.submit', payloads.forprosjektReport, 'projectLeader');
      expect(driver.state).toBe('forprosjekt.rapportTilBehandling');
      expect(driver.context.reports.forprosjekt?.submissions[0]?.sections).toEqual(
        payloads.forprosjektReport.sections,
      );
    });
  });

  describe('isWithinCostFrameOrOverrunApproved and exceedsCostFrame', () => {
    const withForstudieCosts = (...amounts: number[]) => {
      const driver = driveTo('forstudie.arbeid');
      for (const amount of amounts) driver.send('cost.record', cost('konsulenthonorar', amount));
      completeAll(driver, forstudieIds);
      return driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
    };

    it('allows report.approve with costs exactly at NOK 100 000', () => {
      const driver = withForstudieCosts(60_000, 40_000);
      driver.send('report.approve', {}, 'board');
      expect(driver.state).toBe('forstudie.rapportGodkjent');
    });

    it('does not count costs recorded before the pre-study', () => {
      const driver = new VidereforingDriver();
      driver.send('cost.record', cost('konsulenthonorar', 250_000));
      driveTo('forstudie.arbeid', driver);
      driver.send('cost.record', cost('andreKostnader', 100_000));
      completeAll(driver, forstudieIds);
      driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
      driver.send('report.approve', {}, 'board');
      expect(driver.state).toBe('forstudie.rapportGodkjent');
    });

    it('blocks report.approve above the frame until the board approves a sufficient new frame', () => {
      const driver = withForstudieCosts(80_000, 40_000);
      expect(driver.blocked('report.approve', {}, 'board')).toEqual([
        blocker(
          'isWithinCostFrameOrOverrunApproved',
          'Kostnadene i forstudien (120 000 kr) overstiger rammen på 100 000 kr; styret må godkjenne overskridelsen før rapporten kan godkjennes',
          'The pre-study costs (NOK 120000) exceed the frame of NOK 100000; the board must approve the overrun before the report can be approved',
        ),
      ]);

      driver.send(
        'budgetOverrun.approve',
        { newFrameNok: 110_000, reason: 'Ekstra møter' },
        'board',
      );
      expect(driver.blocked('report.approve', {}, 'board')).toEqual([
        blocker(
          'isWithinCostFrameOrOverrunApproved',
          'Kostnadene i forstudien (120 000 kr) overstiger rammen på 110 000 kr; styret må godkjenne overskridelsen før rapporten kan godkjennes',
        ),
      ]);

      driver.send('budgetOverrun.approve', { newFrameNok: 120_000, reason: 'Alt' }, 'board');
      driver.send('report.approve', {}, 'board');
      expect(driver.state).toBe('forstudie.rapportGodkjent');
      expect(driver.context.budgetOverruns.map((o) => o.newFrameNok)).toEqual([110_000, 120_000]);
    });

    it('blocks again when more costs are recorded after the overrun was approved', () => {
      const driver = withForstudieCosts(120_000);
      driver.send('budgetOverrun.approve', { newFrameNok: 120_000, reason: 'Alt' }, 'board');
      driver.send('cost.record', cost('interneRessurser', 1));
      expect(driver.blocked('report.approve', {}, 'board')).toEqual([
        blocker(
          'isWithinCostFrameOrOverrunApproved',
          'Kostnadene i forstudien (120 001 kr) overstiger rammen på 120 000 kr; styret må godkjenne overskridelsen før rapporten kan godkjennes',
        ),
      ]);
    });

    it('still lets the board reject a report above the frame', () => {
      const driver = withForstudieCosts(150_000);
      driver.send('report.reject', { reason: 'For dyrt' }, 'board');
      expect(driver.state).toBe('forstudie.arbeid');
    });

    it.each([100_000, 50_000])(
      'blocks budgetOverrun.approve with a new frame of %i, which is no overrun',
      (newFrameNok) => {
        const driver = withForstudieCosts(120_000);
        const shown = newFrameNok === 100_000 ? '100 000 kr' : '50 000 kr';
        expect(
          driver.blocked('budgetOverrun.approve', { newFrameNok, reason: 'x' }, 'board'),
        ).toEqual([
          blocker(
            'exceedsCostFrame',
            `En overskridelse gjelder en ny ramme over 100 000 kr; ${shown} er innenfor rammen`,
            `An overrun means a new frame above NOK 100000; NOK ${newFrameNok} is within the frame`,
          ),
        ]);
        expect(driver.context.budgetOverruns).toEqual([]);
      },
    );

    it('allows budgetOverrun.approve during the work, before the report', () => {
      const driver = driveTo('forstudie.arbeid');
      driver.send('budgetOverrun.approve', { newFrameNok: 100_001, reason: 'x' }, 'board');
      expect(driver.context.budgetOverruns).toHaveLength(1);
    });
  });

  describe('hasApprovedForstudieReport', () => {
    const message =
      'Forprosjektet kan ikke starte før forstudierapporten er godkjent av omstillingsstyret';
    const messageEn =
      'The pre-project cannot start before the board has approved the pre-study report';

    it.each(['forstudie.arbeid', 'forstudie.rapportTilBehandling'] as const)(
      'blocks forprosjekt.start in %s',
      (state) => {
        const driver = driveTo(state);
        expect(driver.blocked('forprosjekt.start', payloads.owners)).toEqual([
          blocker('hasApprovedForstudieReport', message, messageEn),
        ]);
      },
    );

    it('blocks forprosjekt.start after the report was rejected', () => {
      const driver = driveTo('forstudie.rapportTilBehandling');
      driver.send('report.reject', { reason: 'Mangler alternativ' }, 'board');
      expect(driver.blocked('forprosjekt.start', payloads.owners)).toEqual([
        blocker('hasApprovedForstudieReport', message, messageEn),
      ]);
    });

    it('is reported together with missing owners', () => {
      const driver = driveTo('forstudie.arbeid');
      expect(driver.blocked('forprosjekt.start', { owners: [] }).map((b) => b.guard)).toEqual([
        'hasApprovedForstudieReport',
        'hasOwnersSharingAll',
      ]);
    });

    it('allows forprosjekt.start once the report is approved', () => {
      const driver = driveTo('forstudie.rapportGodkjent').send(
        'forprosjekt.start',
        payloads.owners,
      );
      expect(driver.state).toBe('forprosjekt.arbeid');
      expect(driver.context.phases.forstudie?.completedAt).toBe(driver.now.toISOString());
    });
  });

  describe('hasApprovedForprosjektReport', () => {
    it.each(['forprosjekt.arbeid', 'forprosjekt.rapportTilBehandling'] as const)(
      'blocks hovedprosjekt.start in %s',
      (state) => {
        expect(driveTo(state).blocked('hovedprosjekt.start', {})).toEqual([
          blocker(
            'hasApprovedForprosjektReport',
            'Hovedprosjektet kan ikke starte før forprosjektrapporten er godkjent av omstillingsstyret',
            'The main project cannot start before the board has approved the pre-project report',
          ),
        ]);
      },
    );

    it('allows hovedprosjekt.start once the report is approved', () => {
      const driver = driveTo('forprosjekt.rapportGodkjent').send('hovedprosjekt.start', {});
      expect(driver.state).toBe('hovedprosjekt.arbeid');
    });
  });

  describe('hasOwnersSharingAll', () => {
    const ready = () => driveTo('forstudie.rapportGodkjent');
    const owners = (...shares: number[]) => ({
      owners: shares.map((sharePercent, i) => ({ name: `Eier ${i + 1}`, sharePercent })),
    });

    it.each([[[100]], [[60, 40]], [[33.33, 33.33, 33.34]], [[70.3, 29.7]], [[0.01, 99.99]]])(
      'allows the shares %j',
      (shares) => {
        const driver = ready().send('forprosjekt.start', owners(...shares));
        expect(driver.state).toBe('forprosjekt.arbeid');
        expect(driver.context.owners.map((o) => o.sharePercent)).toEqual(shares);
      },
    );

    it.each([
      [[50, 49], '99', '99'],
      [[60, 40.5], '100,5', '100.5'],
      [[33.33, 33.33, 33.33], '99,99', '99.99'],
      [[100, 100], '200', '200'],
    ])('blocks the shares %j, which sum to %s %%', (shares, sumNb, sumEn) => {
      expect(ready().blocked('forprosjekt.start', owners(...shares))).toEqual([
        blocker(
          'hasOwnersSharingAll',
          `Eierandelene summerer til ${sumNb} %, ikke 100 %`,
          `The owner shares sum to ${sumEn} %, not 100 %`,
        ),
      ]);
    });

    it('blocks a pre-project without owners', () => {
      expect(ready().blocked('forprosjekt.start', { owners: [] })).toEqual([
        blocker(
          'hasOwnersSharingAll',
          'Forprosjektet må ha minst én eier',
          'The pre-project needs at least one owner',
        ),
      ]);
    });

    it.each([[[100, 0]], [[110, -10]]])(
      'blocks an owner without a positive share: %j',
      (shares) => {
        expect(ready().blocked('forprosjekt.start', owners(...shares))).toEqual([
          blocker(
            'hasOwnersSharingAll',
            'Hver eier må ha en andel over 0 %',
            'Every owner needs a share above 0 %',
          ),
        ]);
      },
    );
  });

  describe('isFundingWithinShare', () => {
    const feesMessage = (ceiling: string, remaining: string, applied: string) =>
      `Innovasjon Norge kan dekke inntil 50 % av registrert konsulenthonorar i forstudie og forprosjekt: høyst ${ceiling} i alt, ${remaining} gjenstår; søknaden er på ${applied}`;

    /**
     * Consultant fees of NOK 60 000 (forstudie) and 40 000 (forprosjekt) count: a ceiling of 50 000.
     * Fees before the pre-study and in the main project, and other categories, do not count.
     */
    function withCostsInEveryPhase(): VidereforingDriver {
      const driver = new VidereforingDriver();
      driver.send('cost.record', cost('konsulenthonorar', 1_000_000));
      driveTo('forstudie.arbeid', driver);
      driver.send('cost.record', cost('konsulenthonorar', 60_000));
      driver.send('cost.record', cost('interneRessurser', 30_000));
      driver.send('cost.record', cost('andreKostnader', 10_000));
      submitAndApproveForstudie(driver);
      driver.send('forprosjekt.start', payloads.owners);
      driver.send('cost.record', cost('konsulenthonorar', 40_000));
      driver.send('cost.record', cost('interneRessurser', 500_000));
      submitAndApproveForprosjekt(driver);
      driver.send('hovedprosjekt.start', {});
      driver.send('cost.record', cost('konsulenthonorar', 800_000));
      expect(driver.state).toBe('hovedprosjekt.arbeid');
      return driver;
    }

    it('blocks any application while no consultant fees are recorded', () => {
      const driver = new VidereforingDriver();
      expect(driver.blocked('funding.apply', funding(1))).toEqual([
        blocker('isFundingWithinShare', feesMessage('0 kr', '0 kr', '1 kr')),
      ]);
    });

    it('allows exactly 50 % of the fees from forstudie and forprosjekt, and no krone more', () => {
      const driver = withCostsInEveryPhase();
      expect(driver.blocked('funding.apply', funding(50_001))).toEqual([
        blocker(
          'isFundingWithinShare',
          feesMessage('50 000 kr', '50 000 kr', '50 001 kr'),
          'Innovasjon Norge may cover up to 50 % of the consultant fees recorded in the pre-study and pre-project: at most NOK 50000 in total, NOK 50000 left; the application is for NOK 50001',
        ),
      ]);
      driver.send('funding.apply', funding(50_000));
      expect(driver.context.fundingApplications).toEqual([
        expect.objectContaining({ amountNok: 50_000, appliedAt: '2026-05-01', by: 'token-admin' }),
      ]);
    });

    it('counts earlier applications against the ceiling', () => {
      const driver = withCostsInEveryPhase();
      driver.send('funding.apply', funding(30_000));
      expect(driver.blocked('funding.apply', funding(20_001))).toEqual([
        blocker('isFundingWithinShare', feesMessage('50 000 kr', '20 000 kr', '20 001 kr')),
      ]);
      driver.send('funding.apply', funding(20_000));
      expect(driver.blocked('funding.apply', funding(1))).toEqual([
        blocker('isFundingWithinShare', feesMessage('50 000 kr', '0 kr', '1 kr')),
      ]);
      expect(driver.context.fundingApplications.map((f) => f.amountNok)).toEqual([30_000, 20_000]);
    });

    it('rounds the ceiling down to whole kroner', () => {
      const driver = driveTo('forstudie.arbeid');
      driver.send('cost.record', cost('konsulenthonorar', 33_333));
      expect(driver.blocked('funding.apply', funding(16_667))).toEqual([
        blocker('isFundingWithinShare', feesMessage('16 666 kr', '16 666 kr', '16 667 kr')),
      ]);
      driver.send('funding.apply', funding(16_666));
      expect(driver.context.fundingApplications).toHaveLength(1);
    });
  });

  describe('hasValidOrganisasjonsnummer', () => {
    const register = (organisasjonsnummer: string) => ({
      ...payloads.company,
      organisasjonsnummer,
    });

    it.each(['923609016', '974760673'])('allows the valid number %s', (organisasjonsnummer) => {
      const driver = driveTo('hovedprosjekt.arbeid').send(
        'company.register',
        register(organisasjonsnummer),
      );
      expect(driver.context.company?.organisasjonsnummer).toBe(organisasjonsnummer);
    });

    it.each([
      ['923609017', 'a wrong check digit'],
      ['974760674', 'a wrong check digit'],
      ['923609061', 'swapped digits'],
      ['92360901', 'eight digits'],
      ['9236090160', 'ten digits'],
      ['92360901A', 'a letter'],
      ['ABCDEFGHI', 'letters only'],
      ['923 609 016', 'spaces'],
      ['400000000', 'a remainder of 1 (check digit 10 is never valid)'],
      ['400000001', 'a remainder of 1 (check digit 10 is never valid)'],
      ['', 'the empty string'],
    ])('blocks «%s» (%s)', (organisasjonsnummer) => {
      const driver = driveTo('hovedprosjekt.arbeid');
      expect(driver.blocked('company.register', register(organisasjonsnummer))).toEqual([
        blocker(
          'hasValidOrganisasjonsnummer',
          `«${organisasjonsnummer}» er ikke et gyldig organisasjonsnummer (ni siffer med kontrollsiffer etter modulus 11)`,
          `"${organisasjonsnummer}" is not a valid organisation number (nine digits with a modulus-11 check digit)`,
        ),
      ]);
      expect(driver.context.company).toBeUndefined();
    });

    it('blocks every last digit when the check digit would be 10', () => {
      const driver = driveTo('hovedprosjekt.arbeid');
      for (let digit = 0; digit <= 9; digit++) {
        expect(driver.blocked('company.register', register(`40000000${digit}`))).toHaveLength(1);
      }
    });
  });

  describe('hasBoardMembers', () => {
    it('blocks board.elect without members', () => {
      const driver = driveTo('hovedprosjekt.arbeid');
      expect(driver.blocked('board.elect', { members: [], electedAt: '2027-06-01' })).toEqual([
        blocker(
          'hasBoardMembers',
          'Styret må ha minst ett medlem',
          'The board needs at least one member',
        ),
      ]);
      expect(driver.context.companyBoard).toBeUndefined();
    });

    it('allows board.elect with one member and records the board', () => {
      const driver = driveTo('hovedprosjekt.arbeid').send('board.elect', payloads.board);
      expect(driver.context.companyBoard).toMatchObject({
        members: [{ name: 'Kari Nordmann', role: 'styreleder' }],
        electedAt: '2027-06-01',
      });
    });
  });

  describe('hasRegisteredCompany, hasElectedBoard and hasStartedRecruitment', () => {
    const company = blocker(
      'hasRegisteredCompany',
      'Selskapet er ikke stiftet og registrert med organisasjonsnummer',
      'The company has not been founded and registered',
    );
    const board = blocker(
      'hasElectedBoard',
      'Styret i selskapet er ikke valgt',
      'The company board has not been elected',
    );
    const recruitment = blocker(
      'hasStartedRecruitment',
      'Prosessen med å rekruttere daglig leder er ikke startet (aktivitet H5 er ikke fullført)',
      'Recruitment of a managing director has not started (activity H5 is not completed)',
    );

    it('blocks hovedprosjekt.complete naming every missing piece', () => {
      const driver = driveTo('hovedprosjekt.arbeid');
      expect(driver.blocked('hovedprosjekt.complete', {})).toEqual([company, board, recruitment]);
    });

    it('reports only the company when board and recruitment are done', () => {
      const driver = driveTo('hovedprosjekt.arbeid').send('board.elect', payloads.board);
      driver.send('activity.complete', { activityId: 'H5' }, 'projectLeader');
      expect(driver.blocked('hovedprosjekt.complete', {})).toEqual([company]);
    });

    it('reports only the board when company and recruitment are done', () => {
      const driver = driveTo('hovedprosjekt.arbeid').send('company.register', payloads.company);
      driver.send('activity.complete', { activityId: 'H5' }, 'projectLeader');
      expect(driver.blocked('hovedprosjekt.complete', {})).toEqual([board]);
    });

    it('reports only the recruitment when company and board are in place', () => {
      const driver = completeAll(driveTo('hovedprosjekt.arbeid'), ['H1', 'H2', 'H3', 'H4'])
        .send('company.register', payloads.company)
        .send('board.elect', payloads.board);
      expect(driver.blocked('hovedprosjekt.complete', {})).toEqual([recruitment]);
    });

    it('blocks again when H5 is reopened', () => {
      const driver = completeAll(driveTo('hovedprosjekt.arbeid'), hovedprosjektIds)
        .send('company.register', payloads.company)
        .send('board.elect', payloads.board);
      driver.send(
        'activity.reopen',
        { activityId: 'H5', reason: 'Utlysning trukket' },
        'projectLeader',
      );
      expect(driver.blocked('hovedprosjekt.complete', {})).toEqual([recruitment]);
    });

    it('allows hovedprosjekt.complete with company, board and H5, and ends in etablert', () => {
      const driver = driveTo('hovedprosjekt.arbeid')
        .send('company.register', payloads.company)
        .send('board.elect', payloads.board);
      driver.send('activity.complete', { activityId: 'H5' }, 'projectLeader');
      driver.send('hovedprosjekt.complete', {});
      expect(driver.state).toBe('etablert');
      expect(driver.snapshot.status).toBe('done');
      expect(driver.context.phases.hovedprosjekt?.completedAt).toBe(driver.now.toISOString());
    });
  });

  describe('isValidProgrammePeriod', () => {
    it('blocks an end before the start', () => {
      const driver = new VidereforingDriver();
      expect(driver.blocked('programme.reschedule', { programmeEnd: '2022-12-31' })).toEqual([
        blocker(
          'isValidProgrammePeriod',
          'Programslutt (2022-12-31) må være etter programstart (2023-01-01)',
          'The programme end (2022-12-31) must be after its start (2023-01-01)',
        ),
      ]);
      expect(driver.context.programme.end).toBe('2028-12-31');
      expect(driver.context.reschedules).toEqual([]);
    });

    it('blocks an end on the start day', () => {
      expect(
        new VidereforingDriver().blocked('programme.reschedule', { programmeEnd: '2023-01-01' }),
      ).toEqual([
        blocker(
          'isValidProgrammePeriod',
          'Programslutt (2023-01-01) må være etter programstart (2023-01-01)',
        ),
      ]);
    });

    it('blocks a new start after the current end', () => {
      expect(
        new VidereforingDriver().blocked('programme.reschedule', { programmeStart: '2029-01-01' }),
      ).toEqual([
        blocker(
          'isValidProgrammePeriod',
          'Programslutt (2028-12-31) må være etter programstart (2029-01-01)',
        ),
      ]);
    });

    it('blocks a day that does not exist', () => {
      expect(
        new VidereforingDriver()
          .blocked('programme.reschedule', { programmeEnd: '2029-02-29' })
          .map((b) => b.guard),
      ).toEqual(['isValidProgrammePeriod']);
    });

    it('allows a valid period in any phase and updates the programme', () => {
      const driver = driveTo('forprosjekt.arbeid').send('programme.reschedule', {
        programmeStart: '2023-07-01',
        programmeEnd: '2029-06-30',
        reason: 'Forlenget',
      });
      expect(driver.state).toBe('forprosjekt.arbeid');
      expect(driver.context.programme).toEqual({
        municipality: 'Nordkyn',
        start: '2023-07-01',
        end: '2029-06-30',
      });
    });
  });

  describe('isAcceptedInState (events the state does not accept)', () => {
    it.each([
      [
        'initiering.forberedelse',
        'report.approve',
        'Godkjenne rapport',
        'Initiering – forberedelse',
      ],
      [
        'initiering.forberedelse',
        'activity.complete',
        'Fullføre aktivitet',
        'Initiering – forberedelse',
      ],
      ['forstudie.arbeid', 'roles.assign', 'Utpeke roller', 'Forstudie – arbeid'],
      ['forstudie.arbeid', 'tender.publish', 'Legge ut anbud', 'Forstudie – arbeid'],
      ['forstudie.arbeid', 'report.approve', 'Godkjenne rapport', 'Forstudie – arbeid'],
      [
        'forstudie.rapportTilBehandling',
        'activity.complete',
        'Fullføre aktivitet',
        'Forstudie – rapport til behandling',
      ],
      [
        'forstudie.rapportTilBehandling',
        'report.submit',
        'Levere rapport',
        'Forstudie – rapport til behandling',
      ],
      [
        'forstudie.rapportGodkjent',
        'hovedprosjekt.start',
        'Starte hovedprosjektet',
        'Forstudie – rapport godkjent',
      ],
      [
        'forstudie.rapportGodkjent',
        'report.reject',
        'Avvise rapport',
        'Forstudie – rapport godkjent',
      ],
      ['forprosjekt.arbeid', 'company.register', 'Registrere selskapet', 'Forprosjekt – arbeid'],
      [
        'forprosjekt.arbeid',
        'budgetOverrun.approve',
        'Godkjenne budsjettoverskridelse',
        'Forprosjekt – arbeid',
      ],
      ['forprosjekt.arbeid', 'forstudie.start', 'Starte forstudien', 'Forprosjekt – arbeid'],
      ['hovedprosjekt.arbeid', 'report.submit', 'Levere rapport', 'Hovedprosjekt – arbeid'],
      [
        'hovedprosjekt.arbeid',
        'forprosjekt.start',
        'Starte forprosjektet',
        'Hovedprosjekt – arbeid',
      ],
    ] as const)('in %s blocks %s', (state, type, eventLabel, stateLabel) => {
      const driver = driveTo(state);
      const payload = { reason: 'x', activityId: 'F1', newFrameNok: 200_000 } as never;
      expect(driver.blocked(type, payload)).toEqual([
        blocker('isAcceptedInState', `«${eventLabel}» er ikke mulig i tilstanden «${stateLabel}»`),
      ]);
    });

    it('says it in English too', () => {
      expect(new VidereforingDriver().blocked('report.approve', {})).toEqual([
        blocker(
          'isAcceptedInState',
          '«Godkjenne rapport» er ikke mulig i tilstanden «Initiering – forberedelse»',
          '"Approve report" is not possible in the state "Initiation – preparation"',
        ),
      ]);
    });

    it('blocks even the events every state accepts once the workflow has ended', () => {
      const driver = driveTo('initiering.forberedelse').send('workflow.cancel', {
        reason: 'Stopp',
      });
      expect(driver.blocked('funding.apply', funding(1))).toEqual([
        blocker(
          'isWorkflowActive',
          'Arbeidsflyten er avsluttet («Avbrutt»); ingen flere hendelser kan sendes',
          'The workflow has ended ("Cancelled"); no more events can be sent',
        ),
      ]);
    });

    it('names an event type the definition does not know', () => {
      const driver = new VidereforingDriver();
      const event = {
        type: 'report.delete',
        meta: driver.event('workflow.cancel', { reason: '' }).meta,
      };
      expect(explainEvent(videreforing, driver.snapshot, event, { payloadKnown: true })).toEqual({
        type: 'report.delete',
        allowed: false,
        blockedBy: [
          blocker(
            'isKnownEvent',
            'Hendelsestypen «report.delete» finnes ikke i arbeidsflyten «Videreføring av omstillingsarbeidet»',
          ),
        ],
      });
    });
  });
});

describe(nextEvents.name, () => {
  const byType = (driver: VidereforingDriver): Record<string, NextEvent> =>
    Object.fromEntries(
      nextEvents(videreforing, driver.snapshot, driver.now.toISOString()).map((e) => [e.type, e]),
    );

  it('lists every event type of SPEC §4 with the roles that may send it', () => {
    const admin = ['admin'];
    const board = ['admin', 'board'];
    const leader = ['admin', 'projectLeader'];
    const roles = Object.fromEntries(
      Object.values(byType(new VidereforingDriver())).map((e) => [e.type, e.roles]),
    );
    expect(roles).toEqual({
      'roles.assign': admin,
      'tender.publish': admin,
      'contract.award': admin,
      'forstudie.start': admin,
      'activity.complete': leader,
      'activity.reopen': leader,
      'cost.record': leader,
      'funding.apply': admin,
      'report.submit': leader,
      'report.approve': board,
      'report.reject': board,
      'budgetOverrun.approve': board,
      'forprosjekt.start': admin,
      'hovedprosjekt.start': admin,
      'company.register': admin,
      'board.elect': admin,
      'hovedprosjekt.complete': admin,
      'workflow.cancel': admin,
      'programme.reschedule': admin,
    });
  });

  it('blocks report.submit in forstudie.arbeid with open activities, naming them', () => {
    const driver = completeAll(driveTo('forstudie.arbeid'), ['F1', 'F2', 'F4', 'F6']);
    expect(byType(driver)['report.submit']).toEqual({
      type: 'report.submit',
      allowed: false,
      roles: ['admin', 'projectLeader'],
      blockedBy: [
        blocker(
          'hasCompletedAllActivities',
          'Aktivitetene F3 og F5 i forstudien er ikke fullført',
          'Activities F3 and F5 in the pre-study are not completed',
        ),
      ],
    });
  });

  it('leaves guards that judge the payload open', () => {
    const driver = driveTo('forstudie.arbeid');
    driver.send('cost.record', cost('konsulenthonorar', 40_000), 'projectLeader');
    const next = byType(driver);
    expect(next['funding.apply']).toEqual({
      type: 'funding.apply',
      allowed: true,
      roles: ['admin'],
      blockedBy: [],
    });
    for (const type of ['activity.complete', 'activity.reopen', 'budgetOverrun.approve']) {
      expect(next[type]).toMatchObject({ allowed: true, blockedBy: [] });
    }
    // Only the part that does not need the payload blocks: the owners are not judged yet.
    expect(next['forprosjekt.start']).toMatchObject({
      allowed: false,
      blockedBy: [
        blocker(
          'hasApprovedForstudieReport',
          'Forprosjektet kan ikke starte før forstudierapporten er godkjent av omstillingsstyret',
        ),
      ],
    });
  });

  it('says which events the state does not accept', () => {
    const next = byType(driveTo('forstudie.arbeid'));
    expect(next['roles.assign']).toMatchObject({
      allowed: false,
      blockedBy: [
        blocker(
          'isAcceptedInState',
          '«Utpeke roller» er ikke mulig i tilstanden «Forstudie – arbeid»',
        ),
      ],
    });
    expect(next['report.approve']?.blockedBy.map((b) => b.guard)).toEqual(['isAcceptedInState']);
  });

  it('shows what is allowed in forstudie.rapportTilBehandling', () => {
    const next = byType(driveTo('forstudie.rapportTilBehandling'));
    const allowed = Object.values(next)
      .filter((e) => e.allowed)
      .map((e) => e.type)
      .sort();
    expect(allowed).toEqual(
      [
        'budgetOverrun.approve',
        'cost.record',
        'funding.apply',
        'programme.reschedule',
        'report.approve',
        'report.reject',
        'workflow.cancel',
      ].sort(),
    );
  });

  it('explains a cost overrun blocking report.approve before anything is sent', () => {
    const driver = driveTo('forstudie.arbeid');
    driver.send('cost.record', cost('konsulenthonorar', 100_500), 'projectLeader');
    completeAll(driver, forstudieIds);
    driver.send('report.submit', payloads.forstudieReport, 'projectLeader');
    expect(byType(driver)['report.approve']).toMatchObject({
      allowed: false,
      roles: ['admin', 'board'],
      blockedBy: [
        blocker(
          'isWithinCostFrameOrOverrunApproved',
          'Kostnadene i forstudien (100 500 kr) overstiger rammen på 100 000 kr; styret må godkjenne overskridelsen før rapporten kan godkjennes',
        ),
      ],
    });
  });

  it('lists every missing piece of the main project', () => {
    const next = byType(driveTo('hovedprosjekt.arbeid'));
    expect(next['hovedprosjekt.complete']?.allowed).toBe(false);
    expect(next['hovedprosjekt.complete']?.blockedBy.map((b) => b.guard)).toEqual([
      'hasRegisteredCompany',
      'hasElectedBoard',
      'hasStartedRecruitment',
    ]);
  });

  it('shows the tender path for an external leader', () => {
    const next = byType(new VidereforingDriver().send('roles.assign', payloads.externalRoles));
    expect(next['forstudie.start']?.blockedBy.map((b) => b.guard)).toEqual([
      'hasContractIfExternalLeader',
    ]);
    expect(next['contract.award']?.blockedBy.map((b) => b.guard)).toEqual(['hasPublishedTender']);
    expect(next['tender.publish']).toMatchObject({ allowed: true, blockedBy: [] });
  });
});
