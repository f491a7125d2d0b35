import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { definitionGraph, instanceGraph } from '../../src/inspection/graph';
import { toDot, toMermaid } from '../../src/inspection/render';
import { dotToSvg } from '../../src/inspection/svg';
import { nextEvents, pathOf } from '../../workflows/kit';
import { videreforing } from '../../workflows/videreforing';
import { driveTo } from '../support/videreforing-driver';

const GOLDEN = join(__dirname, '__golden__');

/** Compares with the stored output; UPDATE_GOLDEN=1 rewrites it (review the diff before committing). */
function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI && !existsSync(file)) throw new Error(`Golden file ${name} is missing`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

// The version is content-derived; the golden files pin a fixed one so they change only with the graph.
const graph = definitionGraph(videreforing, 'golden');
const statePaths = Object.keys(videreforing.stateLabels);

describe('definition graph', () => {
  it('has every state of the machine as a node, nested under its phase', () => {
    expect(graph.nodes.map((n) => n.id).sort()).toEqual([...statePaths].sort());
    expect(graph.nodes.find((n) => n.id === 'forstudie.arbeid')).toMatchObject({
      parent: 'forstudie',
      initial: true,
      type: 'atomic',
    });
    expect(graph.nodes.find((n) => n.id === 'etablert')).toMatchObject({
      parent: null,
      type: 'final',
    });
  });

  it('labels transitions with the event and its guards in Norwegian', () => {
    const start = graph.edges.find((e) => e.event === 'forprosjekt.start');
    expect(start).toMatchObject({
      from: 'forstudie',
      to: 'forprosjekt',
      label: 'Starte forprosjektet',
      guards: [
        { name: 'hasApprovedForstudieReport', label: 'Forstudierapporten er godkjent' },
        { name: 'hasOwnersSharingAll', label: 'Eierandelene summerer til 100 %' },
      ],
    });
    const submit = graph.edges.find(
      (e) => e.from === 'forstudie.arbeid' && e.event === 'report.submit',
    );
    expect(submit?.to).toBe('forstudie.rapportTilBehandling');
  });

  it('matches the golden JSON, DOT and Mermaid', () => {
    expectGolden('videreforing.graph.json', JSON.stringify(graph, null, 2) + '\n');
    expectGolden('videreforing.dot', toDot(graph));
    expectGolden('videreforing.mmd', toMermaid(graph));
  });

  it('renders an SVG that parses as XML and names every state', async () => {
    const svg = await dotToSvg(toDot(graph));
    expect(XMLValidator.validate(svg)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg: unknown };
    expect(parsed.svg).toBeDefined();
    for (const node of graph.nodes) {
      expect(svg).toContain(
        `<title>${node.type === 'compound' ? `cluster_${node.id}` : node.id}</title>`,
      );
    }
  });
});

describe('instance graph', () => {
  const driver = driveTo('forprosjekt.arbeid');
  const steps = [
    {
      seq: 2,
      at: '2026-03-02T08:00:00.000Z',
      actor: { tokenId: 't-admin', role: 'admin' },
      event: 'roles.assign',
      from: 'initiering.forberedelse',
      to: 'initiering.forberedelse',
    },
    {
      seq: 3,
      at: '2026-03-03T08:00:00.000Z',
      actor: { tokenId: 't-admin', role: 'admin' },
      event: 'forstudie.start',
      from: 'initiering.forberedelse',
      to: 'forstudie.arbeid',
    },
    {
      seq: 10,
      at: '2026-04-01T08:00:00.000Z',
      actor: { tokenId: 't-leader', role: 'projectLeader' },
      event: 'report.submit',
      from: 'forstudie.arbeid',
      to: 'forstudie.rapportTilBehandling',
    },
    {
      seq: 11,
      at: '2026-04-05T08:00:00.000Z',
      actor: { tokenId: 't-board', role: 'board' },
      event: 'report.approve',
      from: 'forstudie.rapportTilBehandling',
      to: 'forstudie.rapportGodkjent',
    },
    {
      seq: 12,
      at: '2026-04-06T08:00:00.000Z',
      actor: { tokenId: 't-admin', role: 'admin' },
      event: 'forprosjekt.start',
      from: 'forstudie.rapportGodkjent',
      to: 'forprosjekt.arbeid',
    },
  ];
  const instance = instanceGraph(
    graph,
    pathOf(driver.snapshot),
    steps,
    nextEvents(videreforing, driver.snapshot, driver.now.toISOString()),
    videreforing.events,
  );

  it('marks the current state, the states visited and the edges taken with who and when', () => {
    expect(instance.current).toBe('forprosjekt.arbeid');
    expect(
      instance.nodes
        .filter((n) => n.current)
        .map((n) => n.id)
        .sort(),
    ).toEqual(['forprosjekt', 'forprosjekt.arbeid']);
    expect(instance.visited).toEqual(
      expect.arrayContaining(['forstudie', 'forstudie.rapportGodkjent', 'initiering.forberedelse']),
    );
    const taken = instance.edges.find((e) => e.event === 'forprosjekt.start');
    expect(taken?.taken).toEqual([
      { seq: 12, at: '2026-04-06T08:00:00.000Z', actor: { tokenId: 't-admin', role: 'admin' } },
    ]);
    expect(instance.edges.find((e) => e.event === 'hovedprosjekt.start')?.taken).toBeUndefined();
  });

  it('lists blocked next steps with their reasons', () => {
    expect(instance.blocked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'report.submit',
          blockedBy: [
            expect.objectContaining({
              guard: 'hasCompletedAllActivities',
              message:
                'Aktivitetene P1, P2, P3, P4, P5, P6, P7 og P8 i forprosjektet er ikke fullført',
            }),
          ],
        }),
      ]),
    );
  });

  it('highlights the current state and taken edges in DOT and Mermaid', () => {
    const dot = toDot(instance);
    expect(dot).toContain(
      '"forprosjekt.arbeid" [label="Arbeid", fillcolor="#ffd54f", penwidth=2.5];',
    );
    expect(dot).toMatch(
      /-> "forprosjekt.arbeid" \[label="Starte forprosjektet.*#12 admin 2026-04-06.*color="#1565c0"/,
    );
    const mermaid = toMermaid(instance);
    expect(mermaid).toContain('class forprosjekt_arbeid current');
  });
});
