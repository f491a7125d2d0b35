import type { EventSpec } from '../kit/definition';
import type { VidereforingEventType } from './types';

export const roles = ['admin', 'board', 'projectLeader', 'auditor'] as const;
export type Role = (typeof roles)[number];

const admin: Role[] = ['admin'];
const board: Role[] = ['admin', 'board'];
const leader: Role[] = ['admin', 'projectLeader'];

/**
 * Every event the definition accepts and who may send it (SPEC §4): administrators any; the board
 * decides on reports and overruns; the project leader records progress and costs and submits
 * reports; auditors only read. `funding.apply` is the administrators' alone: the seed says
 * «Leder for omstillingsarbeidet kan søke Innovasjon Norge …».
 */
export const events: Readonly<Record<VidereforingEventType, EventSpec & { roles: Role[] }>> = {
  'roles.assign': { roles: admin, label: { nb: 'Utpeke roller', en: 'Assign roles' } },
  'tender.publish': { roles: admin, label: { nb: 'Legge ut anbud', en: 'Publish tender' } },
  'contract.award': { roles: admin, label: { nb: 'Tildele kontrakt', en: 'Award contract' } },
  'forstudie.start': { roles: admin, label: { nb: 'Starte forstudien', en: 'Start pre-study' } },
  'activity.complete': {
    roles: leader,
    label: { nb: 'Fullføre aktivitet', en: 'Complete activity' },
  },
  'activity.reopen': { roles: leader, label: { nb: 'Gjenåpne aktivitet', en: 'Reopen activity' } },
  'cost.record': { roles: leader, label: { nb: 'Registrere kostnad', en: 'Record cost' } },
  'funding.apply': {
    roles: admin,
    label: { nb: 'Søke Innovasjon Norge om støtte', en: 'Apply for funding' },
  },
  'report.submit': { roles: leader, label: { nb: 'Levere rapport', en: 'Submit report' } },
  'report.approve': { roles: board, label: { nb: 'Godkjenne rapport', en: 'Approve report' } },
  'report.reject': { roles: board, label: { nb: 'Avvise rapport', en: 'Reject report' } },
  'budgetOverrun.approve': {
    roles: board,
    label: { nb: 'Godkjenne budsjettoverskridelse', en: 'Approve budget overrun' },
  },
  'forprosjekt.start': {
    roles: admin,
    label: { nb: 'Starte forprosjektet', en: 'Start pre-project' },
  },
  'hovedprosjekt.start': {
    roles: admin,
    label: { nb: 'Starte hovedprosjektet', en: 'Start main project' },
  },
  'company.register': {
    roles: admin,
    label: { nb: 'Registrere selskapet', en: 'Register company' },
  },
  'board.elect': { roles: admin, label: { nb: 'Velge styre', en: 'Elect board' } },
  'hovedprosjekt.complete': {
    roles: admin,
    label: { nb: 'Fullføre hovedprosjektet', en: 'Complete main project' },
  },
  'workflow.cancel': { roles: admin, label: { nb: 'Avbryte prosessen', en: 'Cancel the process' } },
  'programme.reschedule': {
    roles: admin,
    label: { nb: 'Endre programperioden', en: 'Change the programme period' },
  },
};

export const stateLabels = {
  initiering: { nb: 'Initiering', en: 'Initiation' },
  'initiering.forberedelse': { nb: 'Initiering – forberedelse', en: 'Initiation – preparation' },
  'initiering.anbudUte': { nb: 'Initiering – anbud ute', en: 'Initiation – tender open' },
  'initiering.kontraktTildelt': {
    nb: 'Initiering – kontrakt tildelt',
    en: 'Initiation – contract awarded',
  },
  forstudie: { nb: 'Forstudie', en: 'Pre-study' },
  'forstudie.arbeid': { nb: 'Forstudie – arbeid', en: 'Pre-study – work' },
  'forstudie.rapportTilBehandling': {
    nb: 'Forstudie – rapport til behandling',
    en: 'Pre-study – report awaiting decision',
  },
  'forstudie.rapportGodkjent': {
    nb: 'Forstudie – rapport godkjent',
    en: 'Pre-study – report approved',
  },
  forprosjekt: { nb: 'Forprosjekt', en: 'Pre-project' },
  'forprosjekt.arbeid': { nb: 'Forprosjekt – arbeid', en: 'Pre-project – work' },
  'forprosjekt.rapportTilBehandling': {
    nb: 'Forprosjekt – rapport til behandling',
    en: 'Pre-project – report awaiting decision',
  },
  'forprosjekt.rapportGodkjent': {
    nb: 'Forprosjekt – rapport godkjent',
    en: 'Pre-project – report approved',
  },
  hovedprosjekt: { nb: 'Hovedprosjekt', en: 'Main project' },
  'hovedprosjekt.arbeid': { nb: 'Hovedprosjekt – arbeid', en: 'Main project – work' },
  etablert: { nb: 'Etablert', en: 'Established' },
  avbrutt: { nb: 'Avbrutt', en: 'Cancelled' },
} as const;
