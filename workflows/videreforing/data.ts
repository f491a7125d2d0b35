import type { Duration } from '../kit/calendar';
import type { Text } from '../kit/text';

/**
 * The process «Videreføring av omstillingsarbeidet» as data. Every limit the guards and deadlines
 * use comes from here, so a changed rule is a one-line change. `source` quotes the sentence of
 * docs/seed/videreforing-av-omstillingsarbeidet.nb.txt (or the spec section) the rule rests on.
 */

export type PhaseId = 'forstudie' | 'forprosjekt' | 'hovedprosjekt';
export type ActivityId =
  | 'F1'
  | 'F2'
  | 'F3'
  | 'F4'
  | 'F5'
  | 'F6'
  | 'P1'
  | 'P2'
  | 'P3'
  | 'P4'
  | 'P5'
  | 'P6'
  | 'P7'
  | 'P8'
  | 'H1'
  | 'H2'
  | 'H3'
  | 'H4'
  | 'H5';

export interface Activity {
  id: ActivityId;
  /** Exactly as the seed text words it. */
  text: string;
}

export interface Rule<T> {
  value: T;
  source: string;
}

export interface PhaseData {
  id: PhaseId;
  name: Text;
  /** The phase name inside a Norwegian sentence: «i forstudien». */
  inPhase: string;
  timeFrame: { min: Duration; max: Duration; source: string };
  owner: { text: string; source: string };
  activities: readonly Activity[];
}

export const phases: Readonly<Record<PhaseId, PhaseData>> = {
  forstudie: {
    id: 'forstudie',
    name: { nb: 'Forstudie', en: 'Pre-study' },
    inPhase: 'i forstudien',
    timeFrame: {
      min: { weeks: 4 },
      max: { weeks: 6 },
      source: 'Mer om forstudien: «Tidsramme: 4–6 uker»',
    },
    owner: {
      text: 'Omstillingskommunen (i kraft av å være eier av omstillingsprogrammet)',
      source: 'Mer om forstudien: «Prosjekteier: Omstillingskommunen …»',
    },
    activities: [
      {
        id: 'F1',
        text: 'Kartlegge synspunkter på videreføringen blant interessenter og partnere/aktører i nærings- og organisasjonslivet',
      },
      {
        id: 'F2',
        text: 'Kartlegge de samme aktørenes tanker om deres egne bidrag i videreføringen',
      },
      {
        id: 'F3',
        text: 'Identifisere ”best practices” for næringsutviklings- og omstillingsarbeid',
      },
      { id: 'F4', text: 'Lage en foreløpig oppsummering av muligheter og utfordringer' },
      {
        id: 'F5',
        text: 'Skissere og vurdere ulike alternative modeller for organisering og finansiering av utviklingsenheten som skal videreføre arbeidet.',
      },
      { id: 'F6', text: 'Plan for fremdrift på spesifisering av valgt alternativ i forprosjektet' },
    ],
  },
  forprosjekt: {
    id: 'forprosjekt',
    name: { nb: 'Forprosjekt', en: 'Pre-project' },
    inPhase: 'i forprosjektet',
    timeFrame: {
      min: { months: 4 },
      max: { months: 6 },
      source: 'Mer om forprosjektet: «Tidsramme: 4–6 måneder»',
    },
    owner: {
      text: 'Omstillingskommunen eller andre lokale partnere i videreføringsarbeidet, det kan også være delt eierskap.',
      source: 'Mer om forprosjektet: «Prosjekteier: … det kan også være delt eierskap.»',
    },
    activities: [
      { id: 'P1', text: 'Besøke kommuner som har lykkes med offensivt næringsutviklingsarbeid' },
      { id: 'P2', text: 'Utarbeide en næringsanalyse for kommunen' },
      { id: 'P3', text: 'Utarbeide en foreløpig strategisk næringsplan for kommunen' },
      {
        id: 'P4',
        text: 'Utarbeide forslag til organisasjons- og eierskapsmodell for den nye utviklingsenheten',
      },
      {
        id: 'P5',
        text: 'Utarbeide forslag til tjenesteavtaler med kommunen (og eventuelt andre kommuner i regionen)',
      },
      {
        id: 'P6',
        text: 'Utarbeide foreløpige budsjetter og forslag til finansiering for utviklingsenheten',
      },
      { id: 'P7', text: 'Lage forslag til bemannings- og kompetanseplan' },
      { id: 'P8', text: 'Utarbeide plan for hovedprosjektet: å sette utviklingsenheten i arbeid' },
    ],
  },
  hovedprosjekt: {
    id: 'hovedprosjekt',
    name: { nb: 'Hovedprosjekt', en: 'Main project' },
    inPhase: 'i hovedprosjektet',
    timeFrame: {
      min: { months: 3 },
      max: { months: 6 },
      source: 'Mer om hovedprosjektet: «Tidsramme for hovedprosjektet er 3–6 måneder»',
    },
    owner: {
      text: 'Omstillingskommunen (hovedprosjektet er kommunens eget ansvar)',
      source: 'Mer om hovedprosjektet: «… er omstillingskommunens eget ansvar.»',
    },
    activities: [
      { id: 'H1', text: 'å følge opp beslutningsprosessen hos eksterne interessenter' },
      { id: 'H2', text: 'å velge interimstyre' },
      { id: 'H3', text: 'å lage prospekt og tegne aksjekapital/medlemskap' },
      { id: 'H4', text: 'å formelt etablere selskapet' },
      { id: 'H5', text: 'å starte prosessen med å rekruttere daglig leder' },
    ],
  },
};

export const phaseOrder: readonly PhaseId[] = ['forstudie', 'forprosjekt', 'hovedprosjekt'];

export type ReportPhase = 'forstudie' | 'forprosjekt';
export type AlternativeField = 'finansiering' | 'organisering' | 'geografiskVirkeomrade';
export type ForprosjektSection =
  'organisering' | 'eierskap' | 'bemanning' | 'finansiering' | 'realisering';

export const sectionNames: Readonly<Record<AlternativeField | ForprosjektSection, string>> = {
  finansiering: 'finansiering',
  organisering: 'organisering',
  geografiskVirkeomrade: 'geografisk virkeområde',
  eierskap: 'eierskap',
  bemanning: 'bemanning',
  realisering: 'realisering',
};

export const sectionNamesEn: Readonly<Record<AlternativeField | ForprosjektSection, string>> = {
  finansiering: 'financing',
  organisering: 'organisation',
  geografiskVirkeomrade: 'geographical scope',
  eierskap: 'ownership',
  bemanning: 'staffing',
  realisering: 'implementation',
};

export const reports = {
  forstudie: {
    name: { nb: 'Forstudierapport', en: 'Pre-study report' },
    definite: 'forstudierapporten',
    minAlternatives: {
      value: 2,
      source: 'Forstudierapporten skal skissere de mest aktuelle alternativene …',
    } satisfies Rule<number>,
    alternativeCovers: {
      value: [
        'finansiering',
        'organisering',
        'geografiskVirkeomrade',
      ] as readonly AlternativeField[],
      source:
        '«… alternativene for finansiering, organisering og geografisk virkeområde for utviklingsenheten.»',
    },
  },
  forprosjekt: {
    name: { nb: 'Forprosjektrapport', en: 'Pre-project report' },
    definite: 'forprosjektrapporten',
    sections: {
      value: [
        'organisering',
        'eierskap',
        'bemanning',
        'finansiering',
        'realisering',
      ] as readonly ForprosjektSection[],
      source:
        '«Rapporten skal gjøre greie for hvordan organisering, eierskap, bemanning, finansiering og realisering skal skje.»',
    },
  },
} as const;

export type CostCategory = 'konsulenthonorar' | 'interneRessurser' | 'andreKostnader';
export const costCategories: Readonly<Record<CostCategory, Text>> = {
  konsulenthonorar: { nb: 'Konsulenthonorar', en: 'Consultant fees' },
  interneRessurser: { nb: 'Interne ressurser', en: 'Internal resources' },
  andreKostnader: { nb: 'Andre kostnader', en: 'Other costs' },
};

export const rules = {
  latestStartBeforeEnd: {
    value: { years: 2 } satisfies Duration,
    source: '«Senest to år før omstillingsperioden er over, bør kommunen starte prosessen …»',
  },
  forstudieCostFrameNok: {
    value: 100_000,
    source: '«Kostnadsrammen er på inntil 100 000 kroner.»',
  },
  innovasjonNorgeFundingShare: {
    value: 0.5,
    phases: ['forstudie', 'forprosjekt'] as readonly PhaseId[],
    source:
      '«… søke Innovasjon Norge om å få dekket inntil 50 % av honorarkostnadene for ekstern konsulent til forstudie- og forprosjektfasen.»',
  },
  tenderBeforeExternalContract: {
    value: true,
    source: '«Oppdraget må legges ut på anbud.»',
  },
  rolesBeforeForstudie: {
    value: ['prosjekteier', 'prosjektansvarlig', 'prosjektleder'] as const,
    source:
      'SPEC §2.1: forstudien kan starte når prosjekteier, prosjektansvarlig og prosjektleder er på plass',
  },
  ownersShareTotalPercent: {
    value: 100,
    source: '«… det kan også være delt eierskap.» (SPEC §2.3: andelene summerer til 100 %)',
  },
  reportDecisionDays: {
    value: 14,
    source: 'SPEC §2.7: rapport til styrets behandling, innlevert + 14 dager',
  },
  hovedprosjektResult: {
    value: { companyRegistered: true, boardElected: true, recruitmentActivity: 'H5' as ActivityId },
    source:
      '«I hovedprosjektet skal selskapet/prosjektorganisasjonen stiftes, styre skal velges og prosessen med å rekruttere daglig leder skal settes i gang.»',
  },
  hovedprosjektBeforeProgrammeEnd: {
    value: true,
    source: '«Enheten må være operativ før omstillingsprogrammet avvikles …»',
  },
} as const;

/** Who is told about a deadline (SPEC §2.7). */
export type RecipientGroup = 'board' | 'administrators' | 'prosjektleder' | 'prosjektansvarlig';
