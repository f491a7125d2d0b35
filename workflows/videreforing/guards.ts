import { formatDayNb, isDay, osloDay } from '../kit/calendar';
import type { GuardSpec } from '../kit/guards';
import { formatNok, listEn, listNb, type Text } from '../kit/text';
import { phases, reports, rules, sectionNames, sectionNamesEn, type PhaseId } from './data';
import {
  costsOf,
  forstudieCostFrame,
  fundingApplied,
  fundingCeiling,
  isActivityCompleted,
  isActivityOf,
  isBlank,
  isReportApproved,
  isValidOrganisasjonsnummer,
  latestStartDay,
  openActivities,
} from './queries';
import type { VidereforingContext, VidereforingEvent } from './types';

type Guard<P = undefined> = GuardSpec<VidereforingContext, VidereforingEvent, P>;
type PhaseParams = { phase: PhaseId };

const pass: Text[] = [];
const fail = (nb: string, en: string): Text[] => [{ nb, en }];

const phaseNameEn: Record<PhaseId, string> = {
  forstudie: 'the pre-study',
  forprosjekt: 'the pre-project',
  hovedprosjekt: 'the main project',
};

const hasRolesInPlace: Guard = {
  label: {
    nb: 'Prosjekteier, prosjektansvarlig og prosjektleder er på plass',
    en: 'Owner, responsible and leader in place',
  },
  source: rules.rolesBeforeForstudie.source,
  inspectsPayload: false,
  check: (context) => {
    const missing = rules.rolesBeforeForstudie.value.filter((role) => !context.roles[role]);
    return missing.length === 0
      ? pass
      : fail(
          `Forstudien kan ikke starte før ${listNb(missing)} er på plass`,
          `The pre-study cannot start before ${listEn(missing)} ${missing.length === 1 ? 'is' : 'are'} in place`,
        );
  },
};

const hasContractIfExternalLeader: Guard = {
  label: {
    nb: 'Kontrakt med ekstern prosjektleder er tildelt etter anbud',
    en: 'Contract awarded to an external leader',
  },
  source: rules.tenderBeforeExternalContract.source,
  inspectsPayload: false,
  check: (context) =>
    context.roles.prosjektleder?.external && !context.contract
      ? fail(
          'Prosjektlederen er ekstern konsulent, men oppdraget er ikke tildelt etter anbud',
          'The project leader is an external consultant, but no contract has been awarded after a tender',
        )
      : pass,
};

const isWithinLatestStartOrJustified: Guard = {
  label: {
    nb: 'Senest to år før programslutt, ellers begrunnet',
    en: 'No later than two years before the end, or justified',
  },
  source: rules.latestStartBeforeEnd.source,
  // Judges the payload's justification: before it is known, only the deadline warns.
  inspectsPayload: true,
  check: (context, event) => {
    const latest = latestStartDay(context);
    const today = osloDay(event.meta.at);
    if (today <= latest) return pass;
    if (event.type === 'forstudie.start' && !isBlank(event.lateStartJustification)) return pass;
    return fail(
      `Forstudien skulle vært startet senest ${formatDayNb(latest)} (to år før programslutt ${formatDayNb(context.programme.end)}); en skriftlig begrunnelse (lateStartJustification) kreves for å starte senere`,
      `The pre-study should have started by ${latest} (two years before the programme ends on ${context.programme.end}); a written justification (lateStartJustification) is required to start later`,
    );
  },
};

const hasPublishedTender: Guard = {
  label: { nb: 'Oppdraget er lagt ut på anbud', en: 'Tender published' },
  source: rules.tenderBeforeExternalContract.source,
  inspectsPayload: false,
  check: (context) =>
    context.tender
      ? pass
      : fail(
          'Oppdraget må legges ut på anbud før kontrakten kan tildeles',
          'The assignment must be put out to tender before the contract can be awarded',
        ),
};

const hasNoAwardedContract: Guard = {
  label: { nb: 'Kontrakten er ikke tildelt ennå', en: 'No contract awarded yet' },
  source: rules.tenderBeforeExternalContract.source,
  inspectsPayload: false,
  check: (context) =>
    context.contract
      ? fail(
          `Kontrakten er allerede tildelt ${context.contract.consultant.name} (${context.contract.consultant.organisation})`,
          `The contract has already been awarded to ${context.contract.consultant.name} (${context.contract.consultant.organisation})`,
        )
      : pass,
};

const isValidTenderPeriod: Guard = {
  label: { nb: 'Svarfristen er etter publisering', en: 'Answer deadline after publication' },
  source: rules.tenderBeforeExternalContract.source,
  inspectsPayload: true,
  check: (_context, event) => {
    if (event.type !== 'tender.publish') return pass;
    return isDay(event.publishedAt) &&
      isDay(event.answerDeadline) &&
      event.answerDeadline >= event.publishedAt
      ? pass
      : fail(
          `Svarfristen (${event.answerDeadline}) kan ikke være før anbudet ble publisert (${event.publishedAt})`,
          `The answer deadline (${event.answerDeadline}) cannot be before the tender was published (${event.publishedAt})`,
        );
  },
};

const isOpenActivityOfPhase: Guard<PhaseParams> = {
  label: {
    nb: 'Aktiviteten hører til fasen og er ikke fullført',
    en: 'Activity of this phase, not completed',
  },
  source: 'SPEC §4.2: en aktivitetshendelse gjelder aktiviteter i gjeldende fase',
  inspectsPayload: true,
  check: (context, event, { phase }) => {
    if (event.type !== 'activity.complete') return pass;
    if (!isActivityOf(phase, event.activityId)) return unknownActivity(event.activityId, phase);
    return isActivityCompleted(context, event.activityId)
      ? fail(
          `Aktivitet ${event.activityId} ${phases[phase].inPhase} er allerede fullført`,
          `Activity ${event.activityId} in ${phaseNameEn[phase]} is already completed`,
        )
      : pass;
  },
};

const isCompletedActivityOfPhase: Guard<PhaseParams> = {
  label: {
    nb: 'Aktiviteten hører til fasen og er fullført',
    en: 'Activity of this phase, completed',
  },
  source: 'SPEC §2.2: aktiviteter kan gjenåpnes',
  inspectsPayload: true,
  check: (context, event, { phase }) => {
    if (event.type !== 'activity.reopen') return pass;
    if (!isActivityOf(phase, event.activityId)) return unknownActivity(event.activityId, phase);
    return isActivityCompleted(context, event.activityId)
      ? pass
      : fail(
          `Aktivitet ${event.activityId} ${phases[phase].inPhase} er ikke fullført og kan ikke gjenåpnes`,
          `Activity ${event.activityId} in ${phaseNameEn[phase]} is not completed and cannot be reopened`,
        );
  },
};

function unknownActivity(activityId: string, phase: PhaseId): Text[] {
  const ids = phases[phase].activities.map((a) => a.id);
  return fail(
    `Aktivitet «${activityId}» finnes ikke ${phases[phase].inPhase}; gyldige er ${ids[0]}–${ids[ids.length - 1]}`,
    `Activity "${activityId}" does not exist in ${phaseNameEn[phase]}; valid ids are ${ids[0]}–${ids[ids.length - 1]}`,
  );
}

const hasCompletedAllActivities: Guard<PhaseParams> = {
  label: {
    nb: 'Alle aktiviteter i fasen er fullført',
    en: 'All activities of the phase completed',
  },
  source: 'SPEC §2.2: rapporten kan leveres først når alle aktiviteter er fullført',
  inspectsPayload: false,
  check: (context, _event, { phase }) => {
    const open = openActivities(context, phase);
    if (open.length === 0) return pass;
    const noun = open.length === 1 ? 'Aktivitet' : 'Aktivitetene';
    return fail(
      `${noun} ${listNb(open)} ${phases[phase].inPhase} er ikke fullført`,
      `${open.length === 1 ? 'Activity' : 'Activities'} ${listEn(open)} in ${phaseNameEn[phase]} ${open.length === 1 ? 'is' : 'are'} not completed`,
    );
  },
};

const hasCompleteForstudieReport: Guard = {
  label: {
    nb: 'Forstudierapporten har minst to fullstendige alternativer',
    en: 'At least two complete alternatives',
  },
  source: reports.forstudie.alternativeCovers.source,
  inspectsPayload: true,
  check: (_context, event) => {
    if (event.type !== 'report.submit') return pass;
    const problems: Text[] = [];
    if (isBlank(event.documentRef)) {
      problems.push({
        nb: 'Rapporten mangler dokumentreferanse (documentRef)',
        en: 'The report has no document reference (documentRef)',
      });
    }
    const alternatives = Array.isArray(event.alternatives) ? event.alternatives : [];
    const min = reports.forstudie.minAlternatives.value;
    if (alternatives.length < min) {
      problems.push({
        nb: `Forstudierapporten må ha minst ${min} alternativer; den har ${alternatives.length}`,
        en: `The pre-study report needs at least ${min} alternatives; it has ${alternatives.length}`,
      });
    }
    alternatives.forEach((alternative, index) => {
      const missing = reports.forstudie.alternativeCovers.value.filter((field) =>
        isBlank((alternative as unknown as Record<string, unknown> | null)?.[field]),
      );
      if (missing.length > 0) {
        problems.push({
          nb: `Alternativ ${index + 1} mangler ${listNb(missing.map((f) => sectionNames[f]))}`,
          en: `Alternative ${index + 1} lacks ${listEn(missing.map((f) => sectionNamesEn[f]))}`,
        });
      }
    });
    return problems;
  },
};

const hasCompleteForprosjektReport: Guard = {
  label: {
    nb: 'Forprosjektrapporten dekker alle delene',
    en: 'All sections of the pre-project report',
  },
  source: reports.forprosjekt.sections.source,
  inspectsPayload: true,
  check: (_context, event) => {
    if (event.type !== 'report.submit') return pass;
    const problems: Text[] = [];
    if (isBlank(event.documentRef)) {
      problems.push({
        nb: 'Rapporten mangler dokumentreferanse (documentRef)',
        en: 'The report has no document reference (documentRef)',
      });
    }
    const sections = (event.sections ?? {}) as Record<string, unknown>;
    const missing = reports.forprosjekt.sections.value.filter((s) => isBlank(sections[s]));
    if (missing.length > 0) {
      problems.push({
        nb: `Forprosjektrapporten gjør ikke greie for ${listNb(missing.map((s) => sectionNames[s]))}`,
        en: `The pre-project report does not cover ${listEn(missing.map((s) => sectionNamesEn[s]))}`,
      });
    }
    return problems;
  },
};

const isWithinCostFrameOrOverrunApproved: Guard = {
  label: {
    nb: 'Kostnadene er innenfor rammen, eller overskridelsen er godkjent',
    en: 'Costs within the frame or overrun approved',
  },
  source: rules.forstudieCostFrameNok.source,
  inspectsPayload: false,
  check: (context) => {
    const spent = costsOf(context, ['forstudie']);
    const frame = forstudieCostFrame(context);
    return spent <= frame
      ? pass
      : fail(
          `Kostnadene i forstudien (${formatNok(spent)}) overstiger rammen på ${formatNok(frame)}; styret må godkjenne overskridelsen før rapporten kan godkjennes`,
          `The pre-study costs (NOK ${spent}) exceed the frame of NOK ${frame}; the board must approve the overrun before the report can be approved`,
        );
  },
};

const exceedsCostFrame: Guard = {
  label: { nb: 'Ny ramme er over kostnadsrammen', en: 'New frame above the cost frame' },
  source: rules.forstudieCostFrameNok.source,
  inspectsPayload: true,
  check: (_context, event) => {
    if (event.type !== 'budgetOverrun.approve') return pass;
    const frame = rules.forstudieCostFrameNok.value;
    return event.newFrameNok > frame
      ? pass
      : fail(
          `En overskridelse gjelder en ny ramme over ${formatNok(frame)}; ${formatNok(event.newFrameNok)} er innenfor rammen`,
          `An overrun means a new frame above NOK ${frame}; NOK ${event.newFrameNok} is within the frame`,
        );
  },
};

const hasApprovedForstudieReport: Guard = {
  label: { nb: 'Forstudierapporten er godkjent', en: 'Pre-study report approved' },
  source: 'SPEC §2.3: forprosjektet kan ikke starte uten en godkjent forstudierapport',
  inspectsPayload: false,
  check: (context) =>
    isReportApproved(context, 'forstudie')
      ? pass
      : fail(
          'Forprosjektet kan ikke starte før forstudierapporten er godkjent av omstillingsstyret',
          'The pre-project cannot start before the board has approved the pre-study report',
        ),
};

const hasApprovedForprosjektReport: Guard = {
  label: { nb: 'Forprosjektrapporten er godkjent', en: 'Pre-project report approved' },
  source: 'SPEC §2.4: hovedprosjektet kan ikke starte uten en godkjent forprosjektrapport',
  inspectsPayload: false,
  check: (context) =>
    isReportApproved(context, 'forprosjekt')
      ? pass
      : fail(
          'Hovedprosjektet kan ikke starte før forprosjektrapporten er godkjent av omstillingsstyret',
          'The main project cannot start before the board has approved the pre-project report',
        ),
};

const hasOwnersSharingAll: Guard = {
  label: { nb: 'Eierandelene summerer til 100 %', en: 'Owner shares sum to 100 %' },
  source: rules.ownersShareTotalPercent.source,
  inspectsPayload: true,
  check: (_context, event) => {
    if (event.type !== 'forprosjekt.start') return pass;
    const owners = Array.isArray(event.owners) ? event.owners : [];
    const total = rules.ownersShareTotalPercent.value;
    if (owners.length === 0) {
      return fail('Forprosjektet må ha minst én eier', 'The pre-project needs at least one owner');
    }
    if (owners.some((o) => !(o.sharePercent > 0))) {
      return fail('Hver eier må ha en andel over 0 %', 'Every owner needs a share above 0 %');
    }
    // Shares may carry decimals (33.33 %): round the total, not each share, to hundredths.
    const sum = Math.round(owners.reduce((acc, o) => acc + o.sharePercent, 0) * 100) / 100;
    return sum === total
      ? pass
      : fail(
          `Eierandelene summerer til ${String(sum).replace('.', ',')} %, ikke ${total} %`,
          `The owner shares sum to ${sum} %, not ${total} %`,
        );
  },
};

const isFundingWithinShare: Guard = {
  label: {
    nb: 'Søknaden er innenfor 50 % av konsulenthonoraret',
    en: 'Funding within 50 % of consultant fees',
  },
  source: rules.innovasjonNorgeFundingShare.source,
  inspectsPayload: true,
  check: (context, event) => {
    if (event.type !== 'funding.apply') return pass;
    const ceiling = fundingCeiling(context);
    const already = fundingApplied(context);
    const remaining = Math.max(0, ceiling - already);
    return already + event.amountNok <= ceiling
      ? pass
      : fail(
          `Innovasjon Norge kan dekke inntil ${rules.innovasjonNorgeFundingShare.value * 100} % av registrert konsulenthonorar i forstudie og forprosjekt: høyst ${formatNok(ceiling)} i alt, ${formatNok(remaining)} gjenstår; søknaden er på ${formatNok(event.amountNok)}`,
          `Innovasjon Norge may cover up to ${rules.innovasjonNorgeFundingShare.value * 100} % of the consultant fees recorded in the pre-study and pre-project: at most NOK ${ceiling} in total, NOK ${remaining} left; the application is for NOK ${event.amountNok}`,
        );
  },
};

const hasValidOrganisasjonsnummer: Guard = {
  label: { nb: 'Gyldig organisasjonsnummer', en: 'Valid organisation number' },
  source: 'SPEC §2.4: organisasjonsnummer med ni siffer og modulus 11-kontroll',
  inspectsPayload: true,
  check: (_context, event) => {
    if (event.type !== 'company.register') return pass;
    return isValidOrganisasjonsnummer(event.organisasjonsnummer)
      ? pass
      : fail(
          `«${event.organisasjonsnummer}» er ikke et gyldig organisasjonsnummer (ni siffer med kontrollsiffer etter modulus 11)`,
          `"${event.organisasjonsnummer}" is not a valid organisation number (nine digits with a modulus-11 check digit)`,
        );
  },
};

const hasBoardMembers: Guard = {
  label: { nb: 'Styret har minst ett medlem', en: 'The board has at least one member' },
  source: rules.hovedprosjektResult.source,
  inspectsPayload: true,
  check: (_context, event) => {
    if (event.type !== 'board.elect') return pass;
    return Array.isArray(event.members) && event.members.length > 0
      ? pass
      : fail('Styret må ha minst ett medlem', 'The board needs at least one member');
  },
};

const hasRegisteredCompany: Guard = {
  label: { nb: 'Selskapet er stiftet', en: 'Company founded' },
  source: rules.hovedprosjektResult.source,
  inspectsPayload: false,
  check: (context) =>
    context.company
      ? pass
      : fail(
          'Selskapet er ikke stiftet og registrert med organisasjonsnummer',
          'The company has not been founded and registered',
        ),
};

const hasElectedBoard: Guard = {
  label: { nb: 'Styret er valgt', en: 'Board elected' },
  source: rules.hovedprosjektResult.source,
  inspectsPayload: false,
  check: (context) =>
    context.companyBoard && context.companyBoard.members.length > 0
      ? pass
      : fail('Styret i selskapet er ikke valgt', 'The company board has not been elected'),
};

const hasStartedRecruitment: Guard = {
  label: {
    nb: 'Rekruttering av daglig leder er startet',
    en: 'Recruitment of a managing director started',
  },
  source: rules.hovedprosjektResult.source,
  inspectsPayload: false,
  check: (context) => {
    const activity = rules.hovedprosjektResult.value.recruitmentActivity;
    return isActivityCompleted(context, activity)
      ? pass
      : fail(
          `Prosessen med å rekruttere daglig leder er ikke startet (aktivitet ${activity} er ikke fullført)`,
          `Recruitment of a managing director has not started (activity ${activity} is not completed)`,
        );
  },
};

const isValidProgrammePeriod: Guard = {
  label: {
    nb: 'Programperioden slutter etter at den starter',
    en: 'Programme ends after it starts',
  },
  source: 'SPEC §4: programslutt kan endres, fristene følger',
  inspectsPayload: true,
  check: (context, event) => {
    if (event.type !== 'programme.reschedule') return pass;
    const start = event.programmeStart ?? context.programme.start;
    const end = event.programmeEnd ?? context.programme.end;
    return isDay(start) && isDay(end) && start < end
      ? pass
      : fail(
          `Programslutt (${end}) må være etter programstart (${start})`,
          `The programme end (${end}) must be after its start (${start})`,
        );
  },
};

/** Every guard of the videreføring machine, by the name the machine uses. */
export const guardSpecs = {
  hasRolesInPlace,
  hasContractIfExternalLeader,
  isWithinLatestStartOrJustified,
  hasPublishedTender,
  hasNoAwardedContract,
  isValidTenderPeriod,
  isOpenActivityOfPhase,
  isCompletedActivityOfPhase,
  hasCompletedAllActivities,
  hasCompleteForstudieReport,
  hasCompleteForprosjektReport,
  isWithinCostFrameOrOverrunApproved,
  exceedsCostFrame,
  hasApprovedForstudieReport,
  hasApprovedForprosjektReport,
  hasOwnersSharingAll,
  isFundingWithinShare,
  hasValidOrganisasjonsnummer,
  hasBoardMembers,
  hasRegisteredCompany,
  hasElectedBoard,
  hasStartedRecruitment,
  isValidProgrammePeriod,
};
