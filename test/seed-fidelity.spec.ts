import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { phaseOrder, phases, reports, rules } from '../workflows/videreforing/data';

/**
 * The rule data must say what the seed text says: activity texts verbatim and in the seed's
 * order, and every quotation in a `source` found in the seed.
 */

const seed = readFileSync(
  path.join(__dirname, '..', 'docs', 'seed', 'videreforing-av-omstillingsarbeidet.nb.txt'),
  'utf8',
);
const spec = readFileSync(path.join(__dirname, '..', 'docs', 'SPEC.md'), 'utf8');

const activities = phaseOrder.flatMap((phase) => phases[phase].activities);

/** Bullet items of the seed, trimmed, in order. */
const bullets = seed
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.startsWith('•'))
  .map((line) => line.slice(1).trim());

/** Every `source` string in the data, with where it sits. */
function sources(value: unknown, at: string): [string, string][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]): [string, string][] =>
    key === 'source' && typeof child === 'string'
      ? [[at, child]]
      : sources(child, at ? `${at}.${key}` : key),
  );
}

const allSources = sources({ phases, reports, rules }, '');

/** The «…» quotations of a source. */
function quotations(source: string): string[] {
  return [...source.matchAll(/«([^»]*)»/g)].map((m) => m[1]!);
}

/**
 * The pieces of a quotation that must appear in the seed, in order: an ellipsis («…») at either
 * end or in the middle marks left-out text.
 */
function fragments(quotation: string): string[] {
  return quotation
    .split('…')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** Index after which every fragment is found in order, or -1. */
function findInOrder(text: string, parts: string[], from = 0): number {
  let position = from;
  for (const part of parts) {
    const found = text.indexOf(part, position);
    if (found === -1) return -1;
    position = found + part.length;
  }
  return position;
}

describe('seed fidelity of workflows/videreforing/data.ts', () => {
  it('reads the seed it checks against', () => {
    expect(seed).toContain('Videreføring av omstillingsarbeidet');
    expect(bullets.length).toBeGreaterThanOrEqual(activities.length);
  });

  it.each(activities.map((a) => [a.id, a.text]))(
    'words activity %s exactly as the seed: %s',
    (_id, text) => {
      expect(seed).toContain(text);
      expect(bullets).toContain(text);
    },
  );

  it('has the activities of the three phases as the last bullet lists of the seed, in order', () => {
    expect(activities.map((a) => a.text)).toEqual(bullets.slice(-activities.length));
    // The bullets before them describe the phases, not activities.
    expect(bullets[0]).toMatch(/^I forstudiet/);
  });

  it('numbers the activities F1–F6, P1–P8 and H1–H5 in seed order', () => {
    expect(phaseOrder).toEqual(['forstudie', 'forprosjekt', 'hovedprosjekt']);
    expect(phases.forstudie.activities.map((a) => a.id)).toEqual([
      'F1',
      'F2',
      'F3',
      'F4',
      'F5',
      'F6',
    ]);
    expect(phases.forprosjekt.activities.map((a) => a.id)).toEqual([
      'P1',
      'P2',
      'P3',
      'P4',
      'P5',
      'P6',
      'P7',
      'P8',
    ]);
    expect(phases.hovedprosjekt.activities.map((a) => a.id)).toEqual([
      'H1',
      'H2',
      'H3',
      'H4',
      'H5',
    ]);
    const positions = activities.map((a) => seed.indexOf(a.text));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('finds sources in rules, phases and reports to check', () => {
    const places = allSources.map(([at]) => at);
    expect(places).toEqual(
      expect.arrayContaining([
        'rules.forstudieCostFrameNok',
        'rules.innovasjonNorgeFundingShare',
        'phases.forstudie.timeFrame',
        'phases.hovedprosjekt.timeFrame',
        'reports.forprosjekt.sections',
      ]),
    );
    expect(allSources.filter(([, s]) => s.includes('«')).length).toBeGreaterThanOrEqual(12);
  });

  it.each(allSources.filter(([, s]) => s.includes('«')))(
    'quotes the seed verbatim in %s',
    (_at, source) => {
      const quoted = quotations(source);
      expect(quoted.length).toBeGreaterThan(0);
      for (const quotation of quoted) {
        const parts = fragments(quotation);
        expect(parts.length).toBeGreaterThan(0);
        expect({ quotation, foundInSeed: findInOrder(seed, parts) >= 0 }).toEqual({
          quotation,
          foundInSeed: true,
        });
      }
    },
  );

  it.each(allSources.filter(([, s]) => /^Mer om \w+: «/.test(s)))(
    'finds the quotation of %s under the seed heading it names',
    (_at, source) => {
      const heading = source.slice(0, source.indexOf(':'));
      const start = seed.indexOf(`\n${heading}\n`);
      expect(start).toBeGreaterThanOrEqual(0);
      const next = seed.indexOf('\nMer om ', start + heading.length + 2);
      const section = seed.slice(start, next === -1 ? undefined : next);
      for (const quotation of quotations(source))
        expect({ quotation, inSection: findInOrder(section, fragments(quotation)) >= 0 }).toEqual({
          quotation,
          inSection: true,
        });
    },
  );

  it.each(allSources.filter(([, s]) => s.includes('SPEC §')))(
    'cites a section the spec has in %s',
    (_at, source) => {
      for (const [, section] of source.matchAll(/SPEC §(\d+(?:\.\d+)?)/g))
        expect(spec).toMatch(new RegExp(`^#{2,3} ${section!.replace('.', '\\.')}[ .]`, 'm'));
    },
  );

  it.each(allSources.filter(([, s]) => !s.includes('«') && !s.includes('SPEC §')))(
    'words the unquoted source of %s as the seed does',
    (_at, source) => {
      expect(findInOrder(seed, fragments(source))).toBeGreaterThanOrEqual(0);
    },
  );
});
