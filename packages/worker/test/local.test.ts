// The pure parts of the local modes (worker/src/local.ts): the replica tree as a program, the
// exchange plan across ranks, a replica's rows in a round — against values worked out by hand.
import { describe, expect, it } from 'vitest';
import { planLocalRanks, replicaRowsInRound, treeProgram, treeExpression } from '../src/index.js';

/** Runs a program on symbolic leaves: the expression it adds up, in its association. */
function expressionOf(program: Int32Array, nodes: readonly { lo: number; hi: number }[] = []): string {
  const stack: string[] = [];
  for (const op of program) {
    if (op >= 0) stack.push(String(op));
    else if (op === -1) {
      const b = stack.pop()!;
      stack.push(`(${stack.pop()!}+${b})`);
    } else stack.push(`[${nodes[-2 - op].lo},${nodes[-2 - op].hi})`);
  }
  expect(stack).toHaveLength(1);
  return stack[0];
}

describe('local modes: the replica tree, the ranks\' exchange, the rounds', () => {
  it('the program of R replicas adds them in the shards\' tree order', () => {
    expect(Array.from(treeProgram(0, 3))).toEqual([0, 1, -1, 2, -1]); // ((0+1)+2)
    expect(expressionOf(treeProgram(0, 5))).toBe('(((0+1)+(2+3))+4)');
    for (let R = 1; R <= 12; R++) expect(expressionOf(treeProgram(0, R))).toBe(treeExpression(0, R));
    // a subtree, and the top over nodes that other ranks computed
    expect(expressionOf(treeProgram(4, 6))).toBe('(4+5)');
    const nodes = [{ lo: 0, hi: 4 }, { lo: 4, hi: 6 }];
    expect(expressionOf(treeProgram(0, 6, nodes), nodes)).toBe('([0,4)+[4,6))');
  });

  it('across 3 ranks, 4 replicas, rounds of 16 steps: replicas 2, 1, 1, one node each, and the blocks\' bytes', () => {
    const plan = planLocalRanks(4, 10, 3, 1, 16);
    expect(plan.replicas).toEqual([[0, 2], [2, 3], [3, 4]]);
    expect(plan.nodes).toEqual([{ lo: 0, hi: 2, rank: 0 }, { lo: 2, hi: 3, rank: 1 }, { lo: 3, hi: 4, rank: 2 }]);
    // header: 8 (stop) + 8 per replica (failed step, status) + 16 steps × 8 per replica (losses); nodes: 10 float64 each
    expect(plan.blocks).toEqual([
      { at: 0, head: 8 + 16 + 256, nodeBytes: 80 },
      { at: 360, head: 8 + 8 + 128, nodeBytes: 80 },
      { at: 584, head: 144, nodeBytes: 80 },
    ]);
    expect(plan.bytes).toBe(808);
    // 3 replicas on 2 ranks: rank 1 holds [2, 3) — and [0, 2) is one node of rank 0
    expect(planLocalRanks(3, 1, 2, 0, 4).nodes).toEqual([{ lo: 0, hi: 2, rank: 0 }, { lo: 2, hi: 3, rank: 1 }]);
  });

  it('a replica\'s rows in a round: its shards of each batch, the epoch\'s short last batch too', () => {
    // batch 50 in 16 shards: 3 rows, the first two shards 4; shards [4, 8) hold rows 14..25: 12 a step
    expect(replicaRowsInRound(16, 4, 8, 50, 610, 0, 3)).toBe(48);
    // the last batch of 610 rows has 10: shards 0..9 one row each, so shards [4, 8) 4 rows, [12, 16) none
    expect(replicaRowsInRound(16, 4, 8, 50, 610, 12, 12)).toBe(4);
    expect(replicaRowsInRound(16, 12, 16, 50, 610, 12, 12)).toBe(0);
  });
});
