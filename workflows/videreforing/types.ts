import type { Day } from '../kit/calendar';
import type { EventMeta } from '../kit/definition';
import type {
  ActivityId,
  AlternativeField,
  CostCategory,
  ForprosjektSection,
  PhaseId,
  ReportPhase,
} from './data';

export interface Person {
  name: string;
  email: string;
}

export interface ProjectLeader extends Person {
  external: boolean;
  organisation?: string;
}

/** Who did something and when: taken from the event's meta, never from the payload. */
export interface Stamp {
  at: string;
  by: string;
  role: string;
}

// ---- Payloads (SPEC §4.2) -------------------------------------------------------------------

export interface RolesAssignPayload {
  prosjekteier: string;
  prosjektansvarlig: Person;
  prosjektleder: ProjectLeader;
}
export interface TenderPublishPayload {
  publishedAt: Day;
  answerDeadline: Day;
  reference?: string;
}
export interface ContractAwardPayload {
  consultant: Person & { organisation: string };
  awardedAt: Day;
  feeNok?: number;
}
export interface ForstudieStartPayload {
  lateStartJustification?: string;
}
export interface ActivityCompletePayload {
  activityId: string;
  note?: string;
}
export interface ActivityReopenPayload {
  activityId: string;
  reason: string;
}
export interface CostRecordPayload {
  category: CostCategory;
  amountNok: number;
  date: Day;
  description: string;
}
export interface FundingApplyPayload {
  amountNok: number;
  appliedAt: Day;
}
export type Alternative = { title: string } & Record<AlternativeField, string>;
export interface ReportSubmitPayload {
  documentRef: string;
  alternatives?: Alternative[];
  sections?: Record<ForprosjektSection, string>;
}
export interface ReportApprovePayload {
  meetingRef?: string;
}
export interface ReportRejectPayload {
  reason: string;
}
export interface BudgetOverrunApprovePayload {
  newFrameNok: number;
  reason: string;
}
export interface Owner {
  name: string;
  sharePercent: number;
}
export interface ForprosjektStartPayload {
  owners: Owner[];
}
export interface CompanyRegisterPayload {
  name: string;
  organisasjonsnummer: string;
  foundedAt: Day;
}
export interface BoardMember {
  name: string;
  role: string;
}
export interface BoardElectPayload {
  members: BoardMember[];
  electedAt: Day;
}
export interface WorkflowCancelPayload {
  reason: string;
}
export interface ProgrammeReschedulePayload {
  programmeStart?: Day;
  programmeEnd?: Day;
  reason?: string;
}
export type EmptyPayload = Record<string, never>;

export interface PayloadByType {
  'roles.assign': RolesAssignPayload;
  'tender.publish': TenderPublishPayload;
  'contract.award': ContractAwardPayload;
  'forstudie.start': ForstudieStartPayload;
  'activity.complete': ActivityCompletePayload;
  'activity.reopen': ActivityReopenPayload;
  'cost.record': CostRecordPayload;
  'funding.apply': FundingApplyPayload;
  'report.submit': ReportSubmitPayload;
  'report.approve': ReportApprovePayload;
  'report.reject': ReportRejectPayload;
  'budgetOverrun.approve': BudgetOverrunApprovePayload;
  'forprosjekt.start': ForprosjektStartPayload;
  'hovedprosjekt.start': EmptyPayload;
  'company.register': CompanyRegisterPayload;
  'board.elect': BoardElectPayload;
  'hovedprosjekt.complete': EmptyPayload;
  'workflow.cancel': WorkflowCancelPayload;
  'programme.reschedule': ProgrammeReschedulePayload;
}

export type VidereforingEventType = keyof PayloadByType;

export type VidereforingEvent = {
  [T in VidereforingEventType]: { type: T; meta: EventMeta } & PayloadByType[T];
}[VidereforingEventType];

export type EventOf<T extends VidereforingEventType> = Extract<VidereforingEvent, { type: T }>;

// ---- Context --------------------------------------------------------------------------------

export interface Programme {
  municipality: string;
  start: Day;
  end: Day;
}

export interface ActivityRecord {
  completed: boolean;
  completedAt?: string;
  completedBy?: string;
  note?: string;
  reopened?: { at: string; by: string; reason: string }[];
}

export interface ReportSubmission extends Stamp {
  documentRef: string;
  alternatives?: Alternative[];
  sections?: Record<ForprosjektSection, string>;
}

export interface ReportDecision extends Stamp {
  decision: 'approved' | 'rejected';
  reason?: string;
  meetingRef?: string;
  /** Which submission (1-based) the decision is about. */
  submission: number;
}

export interface ReportRecord {
  submissions: ReportSubmission[];
  decisions: ReportDecision[];
}

export interface CostEntry extends Stamp, CostRecordPayload {
  phase: PhaseId | 'initiering';
}

export interface PhaseRecord extends Stamp {
  /** Europe/Oslo day the phase started: the base of its deadline. */
  startDay: Day;
  lateStartJustification?: string;
  completedAt?: string;
}

export interface VidereforingContext {
  programme: Programme;
  roles: {
    prosjekteier?: string;
    prosjektansvarlig?: Person;
    prosjektleder?: ProjectLeader;
    assigned?: Stamp;
  };
  tender?: TenderPublishPayload & Stamp;
  contract?: ContractAwardPayload & Stamp;
  phases: Partial<Record<PhaseId, PhaseRecord>>;
  activities: Partial<Record<ActivityId, ActivityRecord>>;
  reports: Partial<Record<ReportPhase, ReportRecord>>;
  costs: CostEntry[];
  budgetOverruns: (BudgetOverrunApprovePayload & Stamp)[];
  fundingApplications: (FundingApplyPayload & Stamp)[];
  owners: Owner[];
  company?: CompanyRegisterPayload & Stamp;
  companyBoard?: BoardElectPayload & Stamp;
  reschedules: (ProgrammeReschedulePayload & Stamp)[];
  cancellation?: WorkflowCancelPayload & Stamp & { phase: string };
}

export interface VidereforingInput {
  programme: Programme;
}
