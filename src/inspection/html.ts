import { daysBetween, formatDayNb, isDay, TIME_ZONE } from '../../workflows/kit';

/**
 * Building blocks of the inspector's HTML pages: escaping, the page shell with its inline style,
 * and Norwegian wording of times, roles and day counts. Everything a user or a definition supplied
 * is escaped by the `html` tag (attribute values are always double-quoted, and quotes are escaped);
 * nothing here loads from another host.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string | number | boolean | null | undefined): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** HTML built by these helpers; `html` tags leave it alone and escape everything else. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function raw(markup: string): Html {
  return new Html(markup);
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (typeof part === 'string' || typeof part === 'number') return escapeHtml(part);
  return part.map(render).join('');
}

/** Template tag: interpolated values are escaped unless they are `Html`. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

// ---- Time, in Europe/Oslo -----------------------------------------------------------------------

const osloClock = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The Oslo wall-clock time of an instant: `{ day: '2026-03-02', time: '09:00' }`. */
export function osloParts(instant: Date | string): { day: string; time: string; seconds: string } {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  const parts = Object.fromEntries(osloClock.formatToParts(date).map((p) => [p.type, p.value]));
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
    seconds: parts.second ?? '00',
  };
}

/** «2. mars 2026 kl. 09:00» (Europe/Oslo). */
export function formatInstantNb(instant: Date | string): string {
  const { day, time } = osloParts(instant);
  return `${formatDayNb(day)} kl. ${time}`;
}

/** The value of an `<input type="datetime-local">` for an instant: `2026-03-02T09:00` in Oslo. */
export function osloLocalInput(instant: Date): string {
  const { day, time } = osloParts(instant);
  return `${day}T${time}`;
}

/** Minutes Oslo is ahead of UTC at an instant (60 in winter, 120 in summer). */
function osloOffsetMinutes(instant: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, timeZoneName: 'longOffset' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name ?? '');
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}

/**
 * The instant of an Oslo wall-clock time. A time in the spring gap is read as winter time; in the
 * autumn overlap the later of the two instants is taken.
 */
export function osloWallClockToInstant(day: string, time: string): Date {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  const asUtc = Date.parse(`${day}T00:00:00Z`) + (hours * 60 + minutes) * 60_000;
  const first = osloOffsetMinutes(new Date(asUtc));
  const candidate = new Date(asUtc - first * 60_000);
  const second = osloOffsetMinutes(candidate);
  return second === first ? candidate : new Date(asUtc - second * 60_000);
}

/**
 * Reads the page's `?at=`: a date (`2026-04-01`, the end of that day in Oslo), an Oslo wall-clock
 * time (`2026-04-01T12:00`, as `<input type="datetime-local">` sends it) or an ISO timestamp with
 * an offset. Undefined when the text is none of these.
 */
export function parseAt(text: string): Date | undefined {
  const value = text.trim();
  const day = /^(\d{4}-\d{2}-\d{2})$/.exec(value);
  if (day) {
    if (!isDay(day[1])) return undefined;
    const next = new Date(Date.parse(`${day[1]}T00:00:00Z`) + 86_400_000)
      .toISOString()
      .slice(0, 10);
    return new Date(osloWallClockToInstant(next, '00:00').getTime() - 1);
  }
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (local) {
    const [, d, hh, mm, ss] = local as unknown as [string, string, string, string, string?];
    if (!isDay(d) || Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 59) return undefined;
    return new Date(osloWallClockToInstant(d, `${hh}:${mm}`).getTime() + Number(ss ?? 0) * 1000);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    const instant = new Date(value);
    if (!Number.isNaN(instant.getTime()) && isDay(value.slice(0, 10))) return instant;
  }
  return undefined;
}

/** «om 12 dager», «i dag», «3 dager på overtid», judged from `today` (an Oslo day). */
export function daysLeftNb(due: string, today: string, met: boolean): string {
  const days = daysBetween(today, due);
  if (met) return days >= 0 ? `om ${plural(days, 'dag', 'dager')}` : 'passert';
  if (days > 0) return `om ${plural(days, 'dag', 'dager')}`;
  if (days === 0) return 'i dag';
  return `${plural(-days, 'dag', 'dager')} på overtid`;
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export { formatDayNb };

// ---- Words --------------------------------------------------------------------------------------

const ROLE_NB: Record<string, string> = {
  admin: 'administrator',
  board: 'styret',
  projectLeader: 'prosjektleder',
  auditor: 'revisor',
};

export function roleNb(role: string): string {
  return ROLE_NB[role] ?? role;
}

// ---- The page shell -----------------------------------------------------------------------------

/** `COLOURS.current` of render.ts (not exported there): the fill of the state an instance is in. */
export const CURRENT_FILL = '#ffd54f';

const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #5b6570; --line: #d6dbe0; --bg: #f6f7f9;
  --ok: #1b7f3b; --bad: #b3261e; --warn: #9a6700; --accent: #1565c0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--ink); background: var(--bg); }
header.top { background: #0b3d62; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1rem;
  align-items: center; flex-wrap: wrap; }
header.top a { color: #fff; }
header.top .who { margin-left: auto; font-size: .9rem; opacity: .9; }
header.top button { font: inherit; font-size: .85rem; cursor: pointer; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 1.5rem; margin: .6rem 0 .2rem; }
h2 { font-size: 1.15rem; margin: 0 0 .6rem; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem;
  margin: 1rem 0; }
.muted { color: var(--muted); }
.asof { font-size: 1.05rem; font-weight: 600; margin: .2rem 0 .6rem; }
.asof.past { color: var(--warn); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
code { font-size: .85em; background: #eef1f4; padding: 0 .25em; border-radius: 3px; }
.verification { border-width: 2px; font-size: 1.05rem; }
.verification.valid { border-color: var(--ok); background: #eef8f1; }
.verification.broken { border-color: var(--bad); background: #fdecea; }
.verification .mark { font-size: 1.4rem; font-weight: 700; margin-right: .4rem; }
.verification.valid .mark { color: var(--ok); }
.verification.broken .mark { color: var(--bad); }
.badge { display: inline-block; padding: 0 .45em; border-radius: 999px; font-size: .8rem; font-weight: 600; }
.badge.done { background: #e3f4e8; color: var(--ok); }
.badge.open { background: #fff4d6; color: var(--warn); }
.badge.overdue { background: #fdecea; color: var(--bad); }
.graph { margin: 0; overflow: auto; max-height: 80vh; border: 1px solid var(--line); border-radius: 6px;
  background: #fff; }
.graph svg { display: block; max-width: none; }
.legend span { display: inline-flex; align-items: center; gap: .3rem; margin-right: 1rem; font-size: .85rem; }
.legend i { display: inline-block; width: 1.1em; height: .8em; border: 1px solid #555; border-radius: 3px; }
ul.blocked { list-style: none; padding: 0; margin: 0; }
ul.blocked > li { padding: .5rem 0; border-bottom: 1px solid var(--line); }
ul.blocked ul { margin: .2rem 0 0 1.2rem; padding: 0; color: var(--bad); }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 1rem; border-left: 3px solid var(--line); }
ol.timeline > li { position: relative; padding: .4rem 0 .6rem .8rem; }
ol.timeline > li::before { content: ""; position: absolute; left: -1.45rem; top: .75rem; width: .8rem;
  height: .8rem; border-radius: 50%; background: var(--accent); border: 2px solid #fff; }
ol.timeline > li.broken::before { background: var(--bad); }
ol.timeline > li.broken { background: #fdecea; }
.seq { font-weight: 700; margin-right: .4rem; }
.transition { font-size: .9rem; }
details summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
pre { white-space: pre-wrap; word-break: break-word; font-size: .8rem; background: #f3f5f7; padding: .5rem;
  border-radius: 4px; margin: .3rem 0 0; }
form.time { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
form.time input, form.time button { font: inherit; padding: .25rem .4rem; }
.light { display: inline-block; width: .9rem; height: .9rem; border-radius: 50%; vertical-align: -.1rem;
  margin-right: .3rem; border: 1px solid rgba(0,0,0,.3); }
.light.red { background: #d32f2f; } .light.yellow { background: #fbc02d; }
.light.green { background: #388e3c; } .light.grey { background: #9e9e9e; }
.login { max-width: 28rem; margin: 3rem auto; }
.login input { width: 100%; font: inherit; padding: .45rem; margin: .3rem 0 .8rem; }
.login button { font: inherit; padding: .4rem 1rem; }
.error { color: var(--bad); min-height: 1.4em; }
`;

export interface ShellOptions {
  title: string;
  /** Who is signed in, for the header; left out on the login page. */
  signedIn?: { role: string; label: string };
  body: Html;
}

/**
 * The logout button posts with fetch (no body): a form post would be refused as not JSON. The
 * graph is shown at full size in a scrolling box; the box starts with the current state in view.
 */
const PAGE_SCRIPT = `
document.getElementById('logout').addEventListener('click', function () {
  fetch('/inspect/logout', { method: 'POST', credentials: 'same-origin' })
    .finally(function () { window.location.assign('/inspect/login'); });
});
(function () {
  var box = document.querySelector('.graph');
  var current = box && box.querySelector('g.node [fill="${CURRENT_FILL}"]');
  if (!current) return;
  var b = box.getBoundingClientRect(), c = current.getBoundingClientRect();
  box.scrollLeft += c.left - b.left - (box.clientWidth - c.width) / 2;
  box.scrollTop += c.top - b.top - (box.clientHeight - c.height) / 2;
})();`;

export function page(options: ShellOptions): string {
  const who = options.signedIn
    ? html`<span class="who"
          >Innlogget som ${roleNb(options.signedIn.role)} (${options.signedIn.label})</span
        >
        <button type="button" id="logout">Logg ut</button>`
    : '';
  return `<!DOCTYPE html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top"><strong><a href="/inspect">Videreføring – innsyn</a></strong>${render(who)}</header>
<main>
${options.body.value}
</main>
${options.signedIn ? `<script>${PAGE_SCRIPT}</script>` : ''}
</body>
</html>
`;
}
