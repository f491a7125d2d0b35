import { createHash } from 'node:crypto';
import { canonicalEntry, entryHash, GENESIS_HASH, verifyChain } from './hash-chain';
import { HistoryEntry } from './history-entry.entity';

function entry(seq: number, prevHash: string): HistoryEntry {
  const value = Object.assign(new HistoryEntry(), {
    id: `00000000-0000-4000-8000-00000000000${seq}`,
    instanceId: '11111111-2222-4333-8444-555555555555',
    seq,
    kind: seq === 1 ? 'created' : 'event',
    at: `2026-03-0${seq}T09:00:00.000Z`,
    actorId: 'env:ADMIN_TOKEN',
    actorRole: 'admin',
    eventType: seq === 1 ? 'workflow.created' : 'cost.record',
    payload: { amountNok: 1250, description: 'Reise til styremøte', category: 'andreKostnader' },
    fromState: seq === 1 ? null : 'initiering',
    toState: 'initiering',
    definitionVersion: '258066323540a38a',
    snapshot: seq === 1 ? { value: 'initiering', context: { costs: [] } } : null,
    prevHash,
    hash: '',
  });
  value.hash = entryHash(value);
  return value;
}

describe('the hash chain', () => {
  it('hashes sha256(canonical entry ‖ previous hash), unchanged for chains already stored', () => {
    const first = entry(1, GENESIS_HASH);
    const expected = createHash('sha256')
      .update(canonicalEntry(first))
      .update(first.prevHash)
      .digest('hex');
    expect(first.hash).toBe(expected);
    // Fixed: a different canonical form or digest would make every stored chain fail to verify.
    expect(first.hash).toBe('b63adb0687fbfd31303ebec1b901858b6a1a9a2031bddf9d34029325c73f7c94');
  });

  it('verifies a chain and names the first altered entry', () => {
    const first = entry(1, GENESIS_HASH);
    const second = entry(2, first.hash);
    const head = { lastSeq: 2, headHash: second.hash };
    expect(verifyChain([first, second], head)).toEqual({ valid: true, entries: 2 });
    const altered = Object.assign(new HistoryEntry(), second, {
      payload: { ...second.payload, amountNok: 125_000 },
    });
    expect(verifyChain([first, altered], head)).toMatchObject({
      valid: false,
      brokenAt: { seq: 2, reason: 'altered' },
    });
  });
});
