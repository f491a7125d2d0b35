/**
 * Who may send which event, written out from SPEC §4 rather than read from workflows/, so tests
 * check the definition against the contract instead of against itself.
 */
export type SpecRole = 'admin' | 'board' | 'projectLeader' | 'auditor';

export const SPEC_EVENT_ROLES: Readonly<Record<string, SpecRole[]>> = {
  'roles.assign': ['admin'],
  'tender.publish': ['admin'],
  'contract.award': ['admin'],
  'forstudie.start': ['admin'],
  'activity.complete': ['admin', 'projectLeader'],
  'activity.reopen': ['admin', 'projectLeader'],
  'cost.record': ['admin', 'projectLeader'],
  'funding.apply': ['admin'],
  'report.submit': ['admin', 'projectLeader'],
  'report.approve': ['admin', 'board'],
  'report.reject': ['admin', 'board'],
  'budgetOverrun.approve': ['admin', 'board'],
  'forprosjekt.start': ['admin'],
  'hovedprosjekt.start': ['admin'],
  'company.register': ['admin'],
  'board.elect': ['admin'],
  'hovedprosjekt.complete': ['admin'],
  'workflow.cancel': ['admin'],
};
