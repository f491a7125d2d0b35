import type { ExampleObject } from '@nestjs/swagger';
import { events } from '../../workflows/videreforing/events';
import type { PayloadByType, VidereforingEventType } from '../../workflows/videreforing/types';

/**
 * One example payload per event of the videreføring definition (SPEC §4.2), shown in the OpenAPI
 * document. Together they tell one programme's story (Nordkyn, 2026–27) and are accepted in that
 * order by the server (test/api/openapi.e2e.ts sends each of them).
 */
export const eventExamples: { [T in VidereforingEventType]: PayloadByType[T] } = {
  'roles.assign': {
    prosjekteier: 'Nordkyn kommune',
    prosjektansvarlig: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
    prosjektleder: {
      name: 'Kari Konsulent',
      email: 'kari@radgiver.no',
      external: true,
      organisation: 'Rådgiver AS',
    },
  },
  'tender.publish': {
    publishedAt: '2026-03-02',
    answerDeadline: '2026-03-30',
    reference: 'Doffin 2026-123',
  },
  'contract.award': {
    consultant: { name: 'Kari Konsulent', email: 'kari@radgiver.no', organisation: 'Rådgiver AS' },
    awardedAt: '2026-04-02',
    feeNok: 90_000,
  },
  'forstudie.start': {
    lateStartJustification: 'Anbudet måtte lyses ut på nytt; styret ble orientert 15. april.',
  },
  'activity.complete': { activityId: 'F1', note: 'Oppstartsmøte holdt 4. mai' },
  'activity.reopen': { activityId: 'F1', reason: 'Referatet manglet; møtet holdes på nytt' },
  'cost.record': {
    category: 'konsulenthonorar',
    amountNok: 120_000,
    date: '2026-05-15',
    description: 'Konsulenthonorar forstudie, april–mai',
  },
  'funding.apply': { amountNok: 60_000, appliedAt: '2026-05-20' },
  'report.submit': {
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
  'report.approve': { meetingRef: 'PS 12/26' },
  'report.reject': { reason: 'Alternativene mangler en vurdering av finansiering etter 2028' },
  'budgetOverrun.approve': {
    newFrameNok: 150_000,
    reason: 'Utvidet kartlegging av næringslivet etter styrets ønske',
  },
  'forprosjekt.start': {
    owners: [
      { name: 'Nordkyn kommune', sharePercent: 60 },
      { name: 'Nordkyn Næringsforening', sharePercent: 40 },
    ],
  },
  'hovedprosjekt.start': {},
  'company.register': {
    name: 'Nordkyn Utvikling AS',
    organisasjonsnummer: '923609016',
    foundedAt: '2027-06-01',
  },
  'board.elect': {
    members: [
      { name: 'Kari Nordmann', role: 'styreleder' },
      { name: 'Per Hansen', role: 'styremedlem' },
    ],
    electedAt: '2027-06-01',
  },
  'hovedprosjekt.complete': {},
  'workflow.cancel': { reason: 'Kommunestyret vedtok å avslutte omstillingsarbeidet' },
  'programme.reschedule': {
    programmeEnd: '2029-06-30',
    reason: 'Programmet er forlenget med et halvt år',
  },
};

/** Further examples where one event type has clearly different shapes (by phase). */
export const moreEventExamples: {
  [T in VidereforingEventType]?: { name: string; summary: string; payload: PayloadByType[T] }[];
} = {
  'report.submit': [
    {
      name: 'report.submit (forprosjekt)',
      summary: 'Submit the pre-project report (forprosjektrapport)',
      payload: {
        documentRef: 'sak-2026/44',
        sections: {
          organisering: 'Aksjeselskap med styre valgt av generalforsamlingen',
          eierskap: 'Kommunen 60 %, næringsforeningen 40 %',
          bemanning: 'Daglig leder og to rådgivere',
          finansiering: 'Driftstilskudd fra kommunen i fire år',
          realisering: 'Stiftelse i januar, daglig leder på plass innen juni',
        },
      },
    },
  ],
};

/** The request-body examples of `POST …/workflow/events`: whole events, by event type. */
export const eventBodyExamples: Record<string, ExampleObject> = Object.fromEntries(
  (Object.keys(eventExamples) as VidereforingEventType[]).flatMap(
    (type): [string, ExampleObject][] => [
      [type, { summary: events[type].label.en, value: { type, ...eventExamples[type] } }],
      ...(moreEventExamples[type] ?? []).map((more): [string, ExampleObject] => [
        more.name,
        { summary: more.summary, value: { type, ...more.payload } },
      ]),
    ],
  ),
);
