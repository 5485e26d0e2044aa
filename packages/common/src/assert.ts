// Always-on assertions. A failed assertion means a bug in Palisade, never a user error:
// user-caused conditions are PgErrors. Assertions are not compiled out in production.

/** Thrown when an internal invariant does not hold. Never caught to continue. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Checks an invariant; throws {@link AssertionError} with `message` when it does not hold. */
export function assert(condition: unknown, message: string | (() => string) = 'assertion failed'): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === 'function' ? message() : message);
  }
}

/** Marks a branch that the type system proves impossible. */
export function assertNever(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${String(value)}`);
}
