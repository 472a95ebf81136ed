/**
 * `{ ...base, ...extra }` for objects made once per package or more often. On Node 20 (V8 11.3) each
 * property an object literal adds after a spread is a call into the runtime: `{ ...base, status: 'OK' }`
 * cost about 0.7 µs per added property, `Object.assign` 0.1 µs and a plain literal 0.02 µs
 * (docs/architecture.md, "Performance"). Key order and own-property semantics are those of the spread
 * for the plain objects this is used on.
 */
export function extend<B extends object, const E extends object>(base: B, extra: E): Omit<B, keyof E> & E {
  return Object.assign({}, base, extra);
}
