// policyRecursionGuard: detects a policy whose expansion reaches its own relation again
// (directly, through another table's policies or through views), which PostgreSQL reports as
// 42P17 while rewriting (fireRIRrules' list of active relations).

import { assert, PgError, SqlState, type Oid } from '@palisade/common';
import { walkNodes, type Node } from './node.ts';

/** The deepest chain of relations whose policies are being expanded at once. */
export const POLICY_EXPANSION_DEPTH_MAX = 64;

/** Tracks the relations whose policies are being expanded, innermost last. */
export interface PolicyRecursionGuard {
  /** Marks `relationId`'s policies as being expanded; throws 42P17 if they already are (R17). */
  enter(relationId: Oid, relationName: string): void;
  /** Ends the expansion entered last; it must be `relationId`. */
  leave(relationId: Oid): void;
  /** Runs `expand` between enter and leave, leaving also when it throws. */
  within<T>(relationId: Oid, relationName: string, expand: () => T): T;
  /** The relations being expanded, outermost first. */
  active(): readonly Oid[];
}

/** A fresh guard for one query rewrite. `depthMax` bounds the chain (54001 beyond it). */
export function policyRecursionGuard(depthMax: number = POLICY_EXPANSION_DEPTH_MAX): PolicyRecursionGuard {
  const stack: Oid[] = [];
  const guard: PolicyRecursionGuard = {
    enter(relationId, relationName) {
      if (stack.includes(relationId)) {
        throw new PgError(SqlState.INVALID_OBJECT_DEFINITION, `infinite recursion detected in policy for relation "${relationName}"`);
      }
      if (stack.length >= depthMax) {
        throw new PgError(SqlState.STATEMENT_TOO_COMPLEX, 'stack depth limit exceeded', {
          hint: `Policies nest more than ${depthMax} relations deep.`,
        });
      }
      stack.push(relationId);
    },
    leave(relationId) {
      const top = stack.pop();
      assert(top === relationId, () => `policy expansion left relation ${relationId} but ${String(top)} was innermost`);
    },
    within(relationId, relationName, expand) {
      guard.enter(relationId, relationName);
      try {
        return expand();
      } finally {
        guard.leave(relationId);
      }
    },
    active() {
      return [...stack];
    },
  };
  return guard;
}

/** A relation named in a policy expression's sub-select, as written. */
export interface ReferencedRelation {
  readonly schema?: string;
  readonly name: string;
}

/**
 * The relations named in FROM clauses inside `qual` (its sub-selects), in the order written,
 * each once: the relations whose policies the engine expands next, inside the guard.
 */
export function referencedRelations(qual: Node): ReferencedRelation[] {
  const seen = new Set<string>();
  const found: ReferencedRelation[] = [];
  walkNodes(qual, (tag, fields) => {
    if (tag !== 'RangeVar') return true;
    const name = String(fields['relname']);
    const schema = fields['schemaname'] === undefined ? undefined : String(fields['schemaname']);
    const key = `${schema ?? ''}.${name}`;
    if (!seen.has(key)) {
      seen.add(key);
      found.push(schema === undefined ? { name } : { schema, name });
    }
    return false;
  });
  return found;
}
