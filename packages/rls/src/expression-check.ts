// checkPolicyExpression: the parts of PostgreSQL's analysis of a policy expression that need
// no catalog beyond "what kind of function is this": aggregates, window functions,
// set-returning functions, GROUPING and parameters are refused with PostgreSQL's errors.
// Column existence and the boolean result type are the SQL analyser's job.

import { PgError, SqlState } from '@palisade/common';
import { nodeFields, walkNodes, type Node, type NodeFields } from './node.ts';

/** What a function name resolves to, as far as policy expressions care. */
export type FunctionKind = 'normal' | 'aggregate' | 'window' | 'set-returning';

/**
 * Resolves a (possibly qualified, lower-case) function name to its kind; `undefined` falls back
 * to the built-in table of PostgreSQL's aggregates, window and set-returning functions.
 */
export type FunctionKindLookup = (name: readonly string[]) => FunctionKind | undefined;

const BUILTIN_KINDS = new Map<string, FunctionKind>();
for (const name of [
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'bool_and', 'bool_or', 'every',
  'bit_and', 'bit_or', 'bit_xor', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg', 'xmlagg',
  'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'corr', 'covar_pop',
  'covar_samp', 'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept', 'regr_r2', 'regr_slope',
  'regr_sxx', 'regr_sxy', 'regr_syy', 'mode', 'percentile_cont', 'percentile_disc', 'range_agg',
  'range_intersect_agg',
]) BUILTIN_KINDS.set(name, 'aggregate');
for (const name of [
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead',
  'first_value', 'last_value', 'nth_value',
]) BUILTIN_KINDS.set(name, 'window');
for (const name of [
  'generate_series', 'generate_subscripts', 'unnest', 'regexp_matches', 'regexp_split_to_table',
  'string_to_table', 'json_each', 'json_each_text', 'jsonb_each', 'jsonb_each_text',
  'json_array_elements', 'json_array_elements_text', 'jsonb_array_elements', 'jsonb_array_elements_text',
  'json_object_keys', 'jsonb_object_keys', 'json_populate_recordset', 'jsonb_populate_recordset',
  'json_to_recordset', 'jsonb_to_recordset', 'jsonb_path_query', 'pg_ls_dir', 'pg_get_keywords',
]) BUILTIN_KINDS.set(name, 'set-returning');

function functionKindOf(name: readonly string[], lookup: FunctionKindLookup | undefined): FunctionKind {
  const given = lookup?.(name);
  if (given !== undefined) return given;
  const schema = name.length > 1 ? name[name.length - 2] : undefined;
  if (schema !== undefined && schema !== 'pg_catalog') return 'normal';
  return BUILTIN_KINDS.get(name[name.length - 1] ?? '') ?? 'normal';
}

function funcName(fields: NodeFields): string[] {
  return ((fields['funcname'] as Node[] | undefined) ?? []).map((n) => String(nodeFields(n)['sval'] ?? ''));
}

/**
 * Throws PostgreSQL's error if `expr` (a USING or WITH CHECK raw parse tree) uses something
 * a policy expression may not: aggregate (42803), window function (42P20, or 42809 when
 * called without OVER), set-returning function (0A000), GROUPING (42803) or a parameter
 * (42P02). Sub-selects may use all of these, as in PostgreSQL.
 */
export function checkPolicyExpression(expr: Node, functionKind?: FunctionKindLookup): void {
  walkNodes(expr, (tag, fields) => {
    switch (tag) {
      case 'SubLink':
        // Only the left-hand side belongs to the policy expression's own level.
        if (fields['testexpr'] !== undefined) checkPolicyExpression(fields['testexpr'] as Node, functionKind);
        return false;
      case 'ParamRef':
        throw new PgError(SqlState.UNDEFINED_PARAMETER, `there is no parameter $${Number(fields['number'] ?? 0)}`);
      case 'GroupingFunc':
        throw new PgError(SqlState.GROUPING_ERROR, 'grouping operations are not allowed in policy expressions');
      case 'FuncCall': {
        const name = funcName(fields);
        const kind = functionKindOf(name, functionKind);
        if (fields['over'] !== undefined) {
          throw new PgError(SqlState.WINDOWING_ERROR, 'window functions are not allowed in policy expressions');
        }
        const aggregateSyntax = fields['agg_star'] === true || fields['agg_distinct'] === true
          || fields['agg_order'] !== undefined || fields['agg_filter'] !== undefined || fields['agg_within_group'] === true;
        if (kind === 'aggregate' || (aggregateSyntax && kind !== 'window')) {
          throw new PgError(SqlState.GROUPING_ERROR, 'aggregate functions are not allowed in policy expressions');
        }
        if (kind === 'window') {
          throw new PgError(SqlState.WRONG_OBJECT_TYPE, `window function ${name.join('.')} requires an OVER clause`);
        }
        if (kind === 'set-returning') {
          throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'set-returning functions are not allowed in policy expressions');
        }
        return true;
      }
      default:
        return true;
    }
  });
}

