import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { AnyWorkflowDefinition, NextEvent, Text } from '../../workflows/kit';

/**
 * The state graph of a definition, read from the machine itself: nested states, and transitions
 * labelled with their event and guards (Norwegian labels from the definition). An instance adds
 * where it is, where it has been, the edges it took (who and when) and what blocks its next steps.
 */

export interface GraphNode {
  id: string;
  label: string;
  parent: string | null;
  type: 'atomic' | 'compound' | 'final' | 'parallel' | 'history';
  initial: boolean;
  current?: boolean;
  visited?: boolean;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  event: string;
  label: string;
  guards: { name: string; label: string }[];
  taken?: { seq: number; at: string; actor: { tokenId: string; role: string } }[];
}

export interface StateGraph {
  definition: string;
  version: string;
  title: string;
  root: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  current?: string;
  visited?: string[];
  blocked?: { event: string; label: string; blockedBy: { guard: string; message: string }[] }[];
}

export interface TakenStep {
  seq: number;
  at: string;
  actor: { tokenId: string; role: string };
  event: string;
  from: string | null;
  to: string;
}

export function definitionGraph(definition: AnyWorkflowDefinition, version: string): StateGraph {
  const machine: AnyStateMachine = definition.machine;
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const root = machine.root as AnyStateNode;
  const rootId = definition.id;
  const idOf = (node: AnyStateNode) => (node.path.length === 0 ? rootId : node.path.join('.'));

  const visit = (node: AnyStateNode, parent: string | null) => {
    const id = idOf(node);
    if (node.path.length > 0) {
      const initialOfParent =
        node.parent?.initial?.target?.some((t: AnyStateNode) => t === node) ?? false;
      nodes.push({
        id,
        label: labelOf(definition, id, node.key),
        parent,
        type: node.type,
        initial: initialOfParent,
      });
    }
    for (const [event, transitions] of node.transitions) {
      transitions.forEach((transition, index) => {
        const targets: readonly AnyStateNode[] = transition.target ?? [];
        const guards = guardNames(transition.guard).map((name) => ({
          name,
          label: definition.guards[name]?.label.nb ?? name,
        }));
        for (const target of targets.length > 0 ? targets : [node]) {
          const to = idOf(target);
          edges.push({
            id: `${id}|${event}|${index}|${to}`,
            from: id,
            to,
            event,
            label: definition.events[event]?.label.nb ?? event,
            guards,
          });
        }
      });
    }
    for (const child of Object.values(node.states) as AnyStateNode[])
      visit(child, node.path.length === 0 ? null : id);
  };
  visit(root, null);
  return {
    definition: definition.id,
    version,
    title: definition.title.nb,
    root: rootId,
    nodes,
    edges,
  };
}

/** The definition graph with an instance's position, path and blocked next steps marked. */
export function instanceGraph(
  base: StateGraph,
  state: string,
  steps: TakenStep[],
  nextEvents: NextEvent[],
  eventLabels: Readonly<Record<string, { label: Text }>>,
): StateGraph {
  const visited = new Set<string>();
  for (const step of steps) {
    for (const path of [step.from, step.to])
      if (path) for (const a of ancestors(path)) visited.add(a);
  }
  const current = new Set(ancestors(state));
  const nodes = base.nodes.map((n) => ({
    ...n,
    current: current.has(n.id),
    visited: visited.has(n.id),
  }));
  const edges = base.edges.map((edge) => {
    const taken = steps
      .filter(
        (s) =>
          s.from !== null &&
          s.event === edge.event &&
          within(s.from, edge.from, base.root) &&
          lands(s, edge, base.root),
      )
      .map(({ seq, at, actor }) => ({ seq, at, actor }));
    return taken.length > 0 ? { ...edge, taken } : { ...edge };
  });
  const blocked = nextEvents
    .filter(
      (e) =>
        !e.allowed &&
        !e.blockedBy.some((b) => b.guard === 'isAcceptedInState' || b.guard === 'isWorkflowActive'),
    )
    .map((e) => ({
      event: e.type,
      label: eventLabels[e.type]?.label.nb ?? e.type,
      blockedBy: e.blockedBy.map(({ guard, message }) => ({ guard, message })),
    }));
  return { ...base, nodes, edges, current: state, visited: [...visited].sort(), blocked };
}

/** `forstudie.arbeid` → [`forstudie`, `forstudie.arbeid`]. */
function ancestors(path: string): string[] {
  const parts = path.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** Was the step's source `from` the edge's source state or inside it (edges on a parent apply to its children)? */
function within(stateFrom: string, edgeFrom: string, root: string): boolean {
  return edgeFrom === root || stateFrom === edgeFrom || stateFrom.startsWith(`${edgeFrom}.`);
}

function lands(step: TakenStep, edge: GraphEdge, root: string): boolean {
  if (edge.to === edge.from) return step.to === step.from || edge.from === root;
  return step.to === edge.to || step.to.startsWith(`${edge.to}.`);
}

function guardNames(guard: unknown): string[] {
  if (guard === undefined || guard === null) return [];
  if (typeof guard === 'string') return [guard];
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown[] }).guards;
    return Array.isArray(parts) ? parts.flatMap(guardNames) : [guard.name || 'inline'];
  }
  if (typeof guard === 'object' && 'type' in guard) return [String(guard.type)];
  return [];
}

function labelOf(definition: AnyWorkflowDefinition, id: string, key: string): string {
  const label = definition.stateLabels[id]?.nb;
  if (!label) return key;
  // Nested labels repeat the phase («Forstudie – arbeid»); inside the phase's box, the last part is enough.
  const dash = label.indexOf(' – ');
  return id.includes('.') && dash > 0 ? capitalise(label.slice(dash + 3)) : label;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
