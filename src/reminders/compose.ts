import { daysBetween, formatDayNb, type Deadline } from '../../workflows/kit';
import { calendar } from './ics';

/** The Norwegian text of reminder and notice e-mails, plain and HTML, with user text escaped. */

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
  ics: string | null;
}

export interface ReminderInput {
  municipality: string;
  programmeId: string;
  instanceId: string;
  deadline: Deadline;
  today: string;
  missing: string[];
  inspectUrl: string;
  now: string;
}

export function daysPhrase(today: string, due: string): string {
  const days = daysBetween(today, due);
  if (days === 0) return 'i dag';
  if (days === 1) return 'i morgen';
  if (days > 1) return `om ${days} dager`;
  return days === -1 ? '1 dag på overtid' : `${-days} dager på overtid`;
}

export function reminderMail(input: ReminderInput): ComposedMail {
  const { deadline, municipality } = input;
  const when = daysPhrase(input.today, deadline.due);
  const overdue = daysBetween(input.today, deadline.due) < 0;
  const subject = `${municipality}: ${deadline.label.nb} – frist ${formatDayNb(deadline.due)} (${when})`;
  const lead = overdue
    ? `Fristen «${deadline.label.nb}» for ${municipality} gikk ut ${formatDayNb(deadline.due)} og er ikke nådd (${when}).`
    : `Fristen «${deadline.label.nb}» for ${municipality} er ${formatDayNb(deadline.due)} (${when}).`;
  const missing = input.missing.length > 0 ? input.missing : ['Ingen mangler er registrert'];
  const text = [
    lead,
    '',
    'Dette mangler:',
    ...missing.map((m) => `  - ${m}`),
    '',
    `Regelen fristen bygger på: ${deadline.source}`,
    '',
    `Se status og historikk: ${input.inspectUrl}`,
    '',
    'Fristen er vedlagt som kalenderoppføring (frist.ics).',
    '',
    '-- ',
    'Videreføring av omstillingsarbeidet – automatisk påminnelse',
  ].join('\n');
  const html = page(subject, [
    `<p>${escapeHtml(lead)}</p>`,
    '<p><strong>Dette mangler:</strong></p>',
    `<ul>${missing.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul>`,
    `<p>Regelen fristen bygger på: <em>${escapeHtml(deadline.source)}</em></p>`,
    `<p><a href="${escapeHtml(input.inspectUrl)}">Se status og historikk</a></p>`,
    '<p>Fristen er vedlagt som kalenderoppføring (frist.ics).</p>',
  ]);
  const ics = calendar(
    `Frister – ${municipality}`,
    [
      {
        uid: deadlineUid(input.instanceId, deadline.key),
        day: deadline.due,
        summary: `${municipality}: ${deadline.label.nb}`,
        description: `${deadline.label.nb}. ${missing.join('. ')}.`,
        url: input.inspectUrl,
        stamp: input.now,
      },
    ],
    'PUBLISH',
  );
  return { subject, text, html, ics };
}

export function noticeMail(input: {
  subject: string;
  lines: string[];
  inspectUrl: string;
}): ComposedMail {
  const text = [
    ...input.lines,
    '',
    `Se status og historikk: ${input.inspectUrl}`,
    '',
    '-- ',
    'Videreføring av omstillingsarbeidet – automatisk melding',
  ].join('\n');
  const html = page(input.subject, [
    ...input.lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    `<p><a href="${escapeHtml(input.inspectUrl)}">Se status og historikk</a></p>`,
  ]);
  return { subject: input.subject, text, html, ics: null };
}

/** The same UID for a deadline in every mail and in the subscribed calendar, so updates replace it. */
export function deadlineUid(instanceId: string, key: string): string {
  return `${instanceId}-${key.replace(/[^A-Za-z0-9-]/g, '-')}@videreforing`;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="nb"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.4">',
    ...body,
    '<hr><p style="color:#666;font-size:small">Videreføring av omstillingsarbeidet – automatisk e-post</p>',
    '</body></html>',
  ].join('\n');
}
