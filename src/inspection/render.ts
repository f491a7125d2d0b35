import type { GraphEdge, GraphNode, StateGraph } from './graph';

/** DOT and Mermaid text for a state graph; SVG is DOT laid out by Graphviz (see svg.ts). */

const COLOURS = {
  current: '#ffd54f',
  visited: '#e3f2fd',
  taken: '#1565c0',
  final: '#eeeeee',
};

export function toDot(graph: StateGraph): string {
  const children = childrenOf(graph.nodes);
  const lines = [
    `digraph ${quote(graph.definition)} {`,
    `  graph [compound=true, rankdir=TB, fontname="Helvetica", fontsize=12, label=${quote(graph.title)}, labelloc=t];`,
    '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const emit = (parent: string | null, indent: string) => {
    for (const node of children.get(parent) ?? []) {
      if (node.type === 'compound') {
        lines.push(`${indent}subgraph ${quote(`cluster_${node.id}`)} {`);
        lines.push(
          `${indent}  label=${quote(node.label)}; style="rounded${node.current ? ',filled' : ''}"; fillcolor=${quote(node.current ? '#fff8e1' : 'white')}; penwidth=${node.current ? 2 : 1};`,
        );
        emit(node.id, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}${quote(node.id)} [${nodeAttributes(node)}];`);
      }
    }
  };
  emit(null, '  ');
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const edge of graph.edges) {
    if (edge.from === graph.root || edge.to === graph.root) continue;
    const from = byId.get(edge.from)!;
    const to = byId.get(edge.to)!;
    const attributes = [`label=${quote(edgeLabel(edge))}`];
    if (edge.from !== edge.to) {
      if (from.type === 'compound') attributes.push(`ltail=${quote(`cluster_${from.id}`)}`);
      if (to.type === 'compound') attributes.push(`lhead=${quote(`cluster_${to.id}`)}`);
    }
    if (edge.taken)
      attributes.push(
        `color=${quote(COLOURS.taken)}`,
        'penwidth=2',
        `fontcolor=${quote(COLOURS.taken)}`,
      );
    lines.push(
      `  ${quote(anchor(from, children))} -> ${quote(anchor(to, children))} [${attributes.join(', ')}];`,
    );
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function toMermaid(graph: StateGraph): string {
  const children = childrenOf(graph.nodes);
  const lines = ['stateDiagram-v2'];
  const emit = (parent: string | null, indent: string) => {
    const kids = children.get(parent) ?? [];
    const initial = kids.find((k) => k.initial);
    if (initial) lines.push(`${indent}[*] --> ${mid(initial.id)}`);
    for (const node of kids) {
      if (node.type === 'compound') {
        lines.push(`${indent}state ${mermaidText(node.label, true)} as ${mid(node.id)} {`);
        emit(node.id, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state ${mermaidText(node.label, true)} as ${mid(node.id)}`);
        if (node.type === 'final') lines.push(`${indent}${mid(node.id)} --> [*]`);
      }
    }
  };
  emit(null, '  ');
  for (const edge of graph.edges) {
    if (edge.from === graph.root || edge.to === graph.root) continue;
    lines.push(
      `  ${mid(edge.from)} --> ${mid(edge.to)} : ${mermaidText(edgeLabel(edge).replace(/\n/g, ' '), false)}`,
    );
  }
  lines.push(`  classDef current fill:${COLOURS.current},stroke:#333,stroke-width:2px`);
  lines.push(`  classDef visited fill:${COLOURS.visited}`);
  const current = graph.nodes
    .filter((n) => n.current && n.type !== 'compound')
    .map((n) => mid(n.id));
  const visited = graph.nodes
    .filter((n) => n.visited && !n.current && n.type !== 'compound')
    .map((n) => mid(n.id));
  if (visited.length > 0) lines.push(`  class ${visited.join(',')} visited`);
  if (current.length > 0) lines.push(`  class ${current.join(',')} current`);
  return lines.join('\n') + '\n';
}

function nodeAttributes(node: GraphNode): string {
  const attributes = [`label=${quote(node.label)}`];
  if (node.type === 'final') attributes.push('shape=doubleoctagon');
  const fill = node.current
    ? COLOURS.current
    : node.visited
      ? COLOURS.visited
      : node.type === 'final'
        ? COLOURS.final
        : undefined;
  if (fill) attributes.push(`fillcolor=${quote(fill)}`);
  if (node.current) attributes.push('penwidth=2.5');
  return attributes.join(', ');
}

function edgeLabel(edge: GraphEdge): string {
  const guards = edge.guards.length > 0 ? `\n[${edge.guards.map((g) => g.label).join('; ')}]` : '';
  const taken = edge.taken?.length
    ? `\n${edge.taken.map((t) => `#${t.seq} ${t.actor.role} ${t.at.slice(0, 10)}`).join(', ')}`
    : '';
  return `${edge.label}${guards}${taken}`;
}

/** Edges to or from a cluster attach to its entry state (Graphviz edges join nodes, not clusters). */
function anchor(node: GraphNode, children: Map<string | null, GraphNode[]>): string {
  let current = node;
  while (current.type === 'compound') {
    const kids = children.get(current.id) ?? [];
    const next = kids.find((k) => k.initial) ?? kids[0];
    if (!next) break;
    current = next;
  }
  return current.id;
}

function childrenOf(nodes: GraphNode[]): Map<string | null, GraphNode[]> {
  const map = new Map<string | null, GraphNode[]>();
  for (const node of nodes) {
    const list = map.get(node.parent) ?? [];
    list.push(node);
    map.set(node.parent, list);
  }
  return map;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Mermaid ids cannot contain dots. */
function mid(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}

function mermaidText(text: string, quoted: boolean): string {
  const clean = text
    .replace(/["#;:{}]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return quoted ? `"${clean}"` : clean;
}
