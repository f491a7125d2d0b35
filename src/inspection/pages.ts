import type { AnyWorkflowDefinition, Deadline, NextEvent } from '../../workflows/kit';
import type { Principal } from '../auth/principal';
import type { Verification } from '../history/hash-chain';
import type { HistoryItem, ProgrammeView, WorkflowView } from '../programmes/programmes.service';
import type { StateGraph } from './graph';
import {
  CURRENT_FILL,
  daysLeftNb,
  formatDayNb,
  formatInstantNb,
  html,
  page,
  plural,
  raw,
  roleNb,
  type Html,
} from './html';

/**
 * The inspector's pages as HTML text: pure functions of what the service gathered. Read-only;
 * the only scripts are the login form's and the logout button's.
 */

/** The fills of render.ts (not exported there), for the legend under the graph. */
const LEGEND = [
  [CURRENT_FILL, 'Nåværende tilstand'],
  ['#e3f2fd', 'Besøkt tidligere'],
  ['#eeeeee', 'Slutttilstand'],
] as const;
const TAKEN_EDGE = '#1565c0';

// ---- The programme page -------------------------------------------------------------------------

export interface ProgrammePage {
  principal: Principal;
  programme: ProgrammeView;
  definition: AnyWorkflowDefinition;
  view: WorkflowView;
  graph: StateGraph;
  svg: string;
  /** Entries up to the moment shown, oldest first. */
  history: HistoryItem[];
  /** Entries in the whole history, now. */
  historyTotal: number;
  verification: Verification;
  /** The moment shown; `past` when the page was asked for `?at=`. */
  asOf: Date;
  past: boolean;
  /** The Oslo day of `asOf`, for days left. */
  today: string;
  /** The value the time control starts with (`YYYY-MM-DDTHH:MM`, Oslo). */
  atInput: string;
}

interface ActivityInfo {
  id: string;
  text: string;
}

interface ActivityState {
  completed?: boolean;
  completedAt?: string;
  completedBy?: string;
  note?: string;
  reopened?: { at: string; by: string; reason: string }[];
}

interface PhaseState {
  startDay?: string;
  at?: string;
  by?: string;
  role?: string;
  completedAt?: string;
}

export function programmePage(data: ProgrammePage): string {
  const { programme, view, definition } = data;
  const stateLabel = labelOf(definition, view.state);
  const phaseLabel = labelOf(definition, view.phase);
  const roles = rolesOfTokens(data.history);
  const base = `/inspect/${programme.id}`;
  const body = html` <h1>
      ${programme.municipality} <span class="muted">(${programme.municipalityNumber})</span>
    </h1>
    <p class="muted">
      ${definition.title.nb} · programperiode ${formatDayNb(programme.programmeStart)} –
      ${formatDayNb(programme.programmeEnd)}
    </p>
    <p class="asof${data.past ? ' past' : ''}" id="as-of" data-at="${data.asOf.toISOString()}">
      Tilstand per ${formatInstantNb(data.asOf)}${data.past ? ' (historisk visning)' : ' (nå)'}
    </p>
    ${verificationSection(data)}
    <section class="card" id="time">
      <h2>Tidsreise</h2>
      <form class="time" method="get" action="${base}">
        <label for="at">Vis tilstanden per (norsk tid):</label>
        <input type="datetime-local" id="at" name="at" value="${data.atInput}" required />
        <button type="submit">Vis</button>
        ${data.past ? html`<a href="${base}">Tilbake til nå</a>` : ''}
      </form>
      <p class="muted">
        Et tidspunkt (eller bare en dato, som betyr slutten av dagen) i Europe/Oslo.
      </p>
    </section>
    <section class="card" id="status" data-state="${view.state}" data-phase="${view.phase}">
      <h2>Status</h2>
      <table>
        <tr>
          <th>Fase</th>
          <td>${phaseLabel}</td>
        </tr>
        <tr>
          <th>Tilstand</th>
          <td><strong>${stateLabel}</strong> <code>${view.state}</code></td>
        </tr>
        <tr>
          <th>Arbeidsflyt</th>
          <td>
            ${view.status === 'active' ? 'aktiv' : 'avsluttet'}, versjon ${view.version} (definisjon
            <code>${view.definition}</code> ${view.definitionVersion.slice(0, 12)})
          </td>
        </tr>
      </table>
    </section>
    <section class="card" id="graph">
      <h2>Tilstandsgraf</h2>
      <figure class="graph" data-current="${view.state}">${inlineSvg(data.svg)}</figure>
      <p class="legend">
        ${LEGEND.map(([colour, text]) => html`<span><i style="background:${colour}"></i>${text}</span>`)}
        <span
          ><i style="background:${TAKEN_EDGE}"></i>Overgang som er tatt (#løpenummer, rolle,
          dato)</span
        >
      </p>
      ${data.past ? '' : html`<p class="muted"><a href="/api/programmes/${programme.id}/workflow/graph?format=svg">Åpne grafen alene</a></p>`}
    </section>
    ${phaseSection(data, roles)} ${deadlinesSection(view.deadlines, data.today)}
    ${nextStepsSection(data)} ${historySection(data, roles)}`;
  return page({
    title: `${programme.municipality} – videreføring`,
    signedIn: data.principal,
    body,
  });
}

function verificationSection({ verification, historyTotal }: ProgrammePage): Html {
  if (verification.valid) {
    return html`<section class="card verification valid" id="verification" data-valid="true">
      <span class="mark">✓</span><strong>Historikken er uendret.</strong>
      Alle ${plural(verification.entries, 'oppføring', 'oppføringer')} stemmer med hash-kjeden
      (kontrollert nå, over hele historikken).
    </section>`;
  }
  const broken = verification.brokenAt;
  return html`<section
    class="card verification broken"
    id="verification"
    data-valid="false"
    data-broken-at="${broken?.seq ?? ''}"
  >
    <span class="mark">✗</span
    ><strong>Historikken er brutt ved oppføring ${broken?.seq ?? '?'}:</strong>
    ${broken?.message ?? 'ukjent feil'}.
    <span class="muted"
      >Kontrollert nå, over ${plural(historyTotal, 'oppføring', 'oppføringer')}. Oppføringer fra og
      med denne kan ikke stoles på.</span
    >
  </section>`;
}

function phaseSection(data: ProgrammePage, roles: Map<string, string>): Html {
  const { view, definition } = data;
  const info = phaseInfo(definition, view.phase);
  const context = view.context as {
    activities?: Record<string, ActivityState | undefined>;
    phases?: Record<string, PhaseState | undefined>;
  };
  const started = context.phases?.[view.phase];
  const heading = html`<h2>Fase: ${labelOf(definition, view.phase)}</h2>`;
  const startLine = started?.at
    ? html`<p>
        Startet ${formatInstantNb(started.at)} av
        ${who(started.by, started.role ?? roles.get(started.by ?? ''))}${
          started.completedAt ? html`; avsluttet ${formatInstantNb(started.completedAt)}` : ''
        }.
      </p>`
    : '';
  if (!info) {
    return html`<section class="card" id="phase">
      ${heading}${startLine}
      <p class="muted">Denne fasen har ingen aktiviteter.</p>
    </section>`;
  }
  const rows = info.activities.map((activity) => {
    const state = context.activities?.[activity.id];
    const done = state?.completed === true;
    const reopened = state?.reopened ?? [];
    return html`<tr data-activity="${activity.id}" data-done="${String(done)}">
      <td><strong>${activity.id}</strong></td>
      <td>
        ${activity.text}${state?.note ? html`<br /><span class="muted">Notat: ${state.note}</span>` : ''}${reopened.map(
          (r) =>
            html`<br /><span class="muted"
                >Gjenåpnet ${formatInstantNb(r.at)} av ${who(r.by, roles.get(r.by))}:
                ${r.reason}</span
              >`,
        )}
      </td>
      <td>
        ${done ? html`<span class="badge done">Fullført</span>` : html`<span class="badge open">Åpen</span>`}
      </td>
      <td>${done ? who(state?.completedBy, roles.get(state?.completedBy ?? '')) : ''}</td>
      <td>${done && state?.completedAt ? formatInstantNb(state.completedAt) : ''}</td>
    </tr>`;
  });
  const doneCount = info.activities.filter((a) => context.activities?.[a.id]?.completed).length;
  return html`<section class="card" id="phase">
    ${heading}${startLine}
    <p>${doneCount} av ${info.activities.length} aktiviteter er fullført.</p>
    <table id="activities">
      <thead>
        <tr>
          <th>Id</th>
          <th>Aktivitet</th>
          <th>Status</th>
          <th>Fullført av</th>
          <th>Når</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </section>`;
}

function deadlinesSection(deadlines: readonly Deadline[], today: string): Html {
  if (deadlines.length === 0) {
    return html`<section class="card" id="deadlines">
      <h2>Frister</h2>
      <p class="muted">Ingen frister.</p>
    </section>`;
  }
  const rows = [...deadlines]
    .sort((a, b) => a.due.localeCompare(b.due) || a.key.localeCompare(b.key))
    .map((d) => {
      const status = d.met
        ? html`<span class="badge done">Oppfylt ✓</span>`
        : d.overdue
          ? html`<span class="badge overdue">Ikke oppfylt – på overtid</span>`
          : html`<span class="badge open">Ikke oppfylt</span>`;
      return html`<tr data-deadline="${d.kind}" data-met="${String(d.met)}">
        <td>${d.label.nb}</td>
        <td>${formatDayNb(d.due)}</td>
        <td>${daysLeftNb(d.due, today, d.met)}</td>
        <td>${status}</td>
      </tr>`;
    });
  return html`<section class="card" id="deadlines">
    <h2>Frister</h2>
    <table>
      <thead>
        <tr>
          <th>Frist</th>
          <th>Forfaller</th>
          <th>Gjenstår</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </section>`;
}

function nextStepsSection({ graph, view, definition }: ProgrammePage): Html {
  const byType = new Map<string, NextEvent>(view.nextEvents.map((e) => [e.type, e]));
  const rolesOf = (type: string) => (byType.get(type)?.roles ?? []).map(roleNb).join(', ');
  const allowed = view.nextEvents.filter((e) => e.allowed);
  const blocked = graph.blocked ?? [];
  return html`<section class="card" id="next">
    <h2>Neste steg</h2>
    ${
      allowed.length > 0
        ? html`<p>
            Mulig nå:
            ${allowed.map(
              (e, i) =>
                html`${i > 0 ? ', ' : ''}<span data-allowed="${e.type}"
                    >${definition.events[e.type]?.label.nb ?? e.type}</span
                  >`,
            )}.
          </p>`
        : html`<p class="muted">Ingen hendelser er mulige nå.</p>`
    }
    <h3>Hva som stopper de neste stegene</h3>
    ${
      blocked.length > 0
        ? html`<ul class="blocked" id="blocked">
            ${blocked.map(
              (b) =>
                html`<li data-event="${b.event}">
                  <strong>${b.label}</strong> <code>${b.event}</code>
                  <span class="muted">(kan sendes av ${rolesOf(b.event)})</span>
                  <ul>
                    ${b.blockedBy.map((r) => html`<li data-guard="${r.guard}">${r.message}</li>`)}
                  </ul>
                </li>`,
            )}
          </ul>`
        : html`<p class="muted">Ingen steg i denne tilstanden er stoppet av en regel.</p>`
    }
  </section>`;
}

function historySection(data: ProgrammePage, roles: Map<string, string>): Html {
  const { definition, verification } = data;
  const brokenSeq = verification.valid ? undefined : verification.brokenAt?.seq;
  const items = data.history.map((entry) => {
    const broken = brokenSeq !== undefined && entry.seq === brokenSeq;
    return html`<li data-seq="${entry.seq}" class="${broken ? 'broken' : ''}">
      <span class="seq">#${entry.seq}</span>
      <time datetime="${entry.at}">${formatInstantNb(entry.at)}</time> ·
      ${who(entry.actor.tokenId, entry.actor.role || roles.get(entry.actor.tokenId))} ·
      <strong>${eventText(definition, entry)}</strong>
      <div class="transition">
        ${entry.from ? labelOf(definition, entry.from) : '—'} → ${labelOf(definition, entry.to)}
        <span class="muted">(<code>${entry.from ?? '—'}</code> → <code>${entry.to}</code>)</span>
      </div>
      ${broken ? html`<div class="error">${verification.brokenAt?.message ?? ''}</div>` : ''}
      <details>
        <summary>Innhold og hash</summary>
        <pre>${JSON.stringify(entry.event.payload, null, 2)}</pre>
        <pre>
hash ${entry.hash}
forrige ${entry.prevHash}</pre>
      </details>
    </li>`;
  });
  const later = data.historyTotal - data.history.length;
  return html`<section class="card" id="history-section">
    <h2>Historikk</h2>
    <p class="muted">
      ${plural(data.history.length, 'oppføring', 'oppføringer')}, eldste
      først${
        data.past && later > 0
          ? html` (${plural(later, 'senere oppføring', 'senere oppføringer')} er ikke vist)`
          : ''
      }.
      Tider i norsk tid.
    </p>
    <ol class="timeline" id="history">
      ${items}
    </ol>
  </section>`;
}

// ---- The overview -------------------------------------------------------------------------------

export type Light = 'red' | 'yellow' | 'green' | 'grey';

export const LIGHT_NB: Record<Light, string> = {
  red: 'rød',
  yellow: 'gul',
  green: 'grønn',
  grey: 'grå',
};

/** Rød: overdue; gul: due within 14 days; grønn: on track; grå: no open deadline. */
export function lightOf(deadline: ProgrammeView['nextDeadline'], daysLeft: number | null): Light {
  if (!deadline || daysLeft === null) return 'grey';
  if (deadline.overdue || daysLeft < 0) return 'red';
  if (daysLeft <= 14) return 'yellow';
  return 'green';
}

export interface OverviewRow {
  programme: ProgrammeView;
  phaseLabel: string;
  stateLabel: string;
  daysLeft: number | null;
  light: Light;
}

export function overviewPage(data: {
  principal: Principal;
  rows: OverviewRow[];
  now: Date;
  today: string;
}): string {
  const rows = data.rows.map(({ programme, phaseLabel, stateLabel, daysLeft, light }) => {
    const next = programme.nextDeadline;
    return html`<tr data-programme="${programme.id}" data-light="${light}">
      <td>
        <a href="/inspect/${programme.id}">${programme.municipality}</a>
        <span class="muted">(${programme.municipalityNumber})</span>
      </td>
      <td>${phaseLabel}</td>
      <td>${stateLabel}</td>
      <td>
        <span class="light ${light}" title="${LIGHT_NB[light]}"></span
        ><span class="light-text">${LIGHT_NB[light]}</span>
        ${next && daysLeft !== null ? html` · ${next.label.nb}: ${formatDayNb(next.due)} (${daysLeftNb(next.due, data.today, false)})` : html` · ingen åpne frister`}
      </td>
    </tr>`;
  });
  const body = html` <h1>Programmer</h1>
    <p class="asof" id="as-of">Tilstand per ${formatInstantNb(data.now)} (nå)</p>
    <section class="card">
      ${
        data.rows.length === 0
          ? html`<p class="muted">Nøkkelen din gir ikke innsyn i noen programmer.</p>`
          : html`<table id="programmes">
              <thead>
                <tr>
                  <th>Kommune</th>
                  <th>Fase</th>
                  <th>Tilstand</th>
                  <th>Neste frist</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }
      <p class="muted">
        Lys: <span class="light red"></span>rød = fristen er passert,
        <span class="light yellow"></span>gul = forfaller innen 14 dager,
        <span class="light green"></span>grønn = i rute, <span class="light grey"></span>grå = ingen
        åpne frister.
      </p>
    </section>`;
  return page({ title: 'Videreføring – programmer', signedIn: data.principal, body });
}

// ---- Sign-in and errors -------------------------------------------------------------------------

/**
 * The token goes from the password field to POST /inspect/session as JSON, never into a URL: the
 * form has method="post", so even without the script nothing is put in the address.
 */
const LOGIN_SCRIPT = `
(function () {
  var form = document.getElementById('login');
  var error = document.getElementById('error');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    error.textContent = '';
    var field = document.getElementById('token');
    var token = field.value.trim();
    if (!token) { error.textContent = 'Skriv inn nøkkelen.'; return; }
    fetch('/inspect/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: token })
    }).then(function (response) {
      if (response.ok) { field.value = ''; window.location.assign(form.getAttribute('data-next')); return; }
      return response.json().then(function (problem) {
        error.textContent = (problem && problem.detail) || 'Innloggingen feilet.';
      }, function () { error.textContent = 'Innloggingen feilet (' + response.status + ').'; });
    }, function () { error.textContent = 'Fikk ikke kontakt med tjenesten.'; });
  });
})();`;

export function loginPage(next: string): string {
  const body = html` <section class="card login">
      <h1>Logg inn</h1>
      <p>
        Skriv inn API-nøkkelen din (den du fikk av administratoren). Nøkkelen sendes bare til denne
        tjenesten og lagres ikke i nettleseren; du får en innlogging som varer i 8 timer og bare kan
        lese.
      </p>
      <form
        id="login"
        method="post"
        action="/inspect/session"
        data-next="${next}"
        autocomplete="off"
      >
        <label for="token">Nøkkel</label>
        <input
          type="password"
          id="token"
          name="token"
          autocomplete="off"
          spellcheck="false"
          required
          autofocus
        />
        <button type="submit">Logg inn</button>
        <p class="error" id="error" role="alert"></p>
      </form>
      <noscript><p class="error">Innloggingen krever JavaScript.</p></noscript>
    </section>
    ${raw(`<script>${LOGIN_SCRIPT}</script>`)}`;
  return page({ title: 'Logg inn – videreføring', body });
}

export function errorPage(options: {
  status: number;
  heading: string;
  detail: string;
  back?: { href: string; text: string };
}): string {
  const body = html` <section class="card" id="error-page" data-status="${options.status}">
    <h1>${options.heading}</h1>
    <p>${options.detail}</p>
    <p>
      ${options.back ? html`<a href="${options.back.href}">${options.back.text}</a> · ` : ''}<a
        href="/inspect"
        >Alle programmer</a
      >
    </p>
  </section>`;
  return page({ title: `${options.heading} – videreføring`, body });
}

// ---- Helpers ------------------------------------------------------------------------------------

function labelOf(definition: AnyWorkflowDefinition, path: string): string {
  return definition.stateLabels[path]?.nb ?? path;
}

/** The activities a definition lists for a phase in its data (`data.phases[phase].activities`). */
function phaseInfo(
  definition: AnyWorkflowDefinition,
  phase: string,
): { activities: readonly ActivityInfo[] } | undefined {
  const phases = (definition.data as { phases?: Record<string, unknown> } | undefined)?.phases;
  const info = phases && Object.hasOwn(phases, phase) ? phases[phase] : undefined;
  const activities = (info as { activities?: unknown } | undefined)?.activities;
  if (!Array.isArray(activities)) return undefined;
  return {
    activities: activities.filter(
      (a): a is ActivityInfo =>
        typeof (a as ActivityInfo).id === 'string' && typeof (a as ActivityInfo).text === 'string',
    ),
  };
}

/** Token id → role, from who acted in the history (a token has one role). */
function rolesOfTokens(history: readonly HistoryItem[]): Map<string, string> {
  return new Map(history.map((e) => [e.actor.tokenId, e.actor.role]));
}

function who(tokenId: string | undefined, role: string | undefined): Html {
  if (!tokenId) return html`<span class="muted">ukjent</span>`;
  return html`<span class="who"
    >${role ? roleNb(role) : 'ukjent rolle'} <code>${tokenId}</code></span
  >`;
}

function eventText(definition: AnyWorkflowDefinition, entry: HistoryItem): string {
  const type = entry.event.type;
  const label =
    type === 'workflow.created'
      ? 'Opprettet'
      : type === 'workflow.migrated'
        ? 'Flyttet til ny versjon av arbeidsflyten'
        : (definition.events[type]?.label.nb ?? type);
  const activityId = entry.event.payload?.activityId;
  return typeof activityId === 'string' ? `${label} ${activityId}` : label;
}

/**
 * Graphviz's SVG, made fit for inline use: without the XML prolog, doctype and namespace
 * declarations (an inline <svg> needs none, and the page names no other host). Graphviz escapes
 * every label; anything scriptable would still be refused rather than inlined.
 */
export function inlineSvg(svg: string): Html {
  const start = svg.indexOf('<svg');
  if (start < 0) return html`<p class="error">Grafen kunne ikke tegnes.</p>`;
  const body = svg
    .slice(start)
    .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  if (/<script|<foreignObject|\son[a-z]+\s*=|javascript:|https?:\/\//i.test(body))
    return html`<p class="error">Grafen ble ikke vist: den inneholdt uventet innhold.</p>`;
  return raw(body.replace('<svg', '<svg role="img" aria-label="Tilstandsgraf"'));
}
