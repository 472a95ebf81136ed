/** extend(): the spread's result, keys in the spread's order, without a spread's cost. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extend } from '../src/extend.js';

test('extend gives what a spread gives: same keys, same order, later values win in place', () => {
  const base = { id: 'size', label: 'Package size', status: 'MISSING' as string, expected: '1' };
  const extra = { status: 'OK', actual: '2' };
  const made = extend(base, extra);
  const spread = { ...base, ...extra };
  assert.deepEqual(made, spread);
  assert.deepEqual(Object.keys(made), Object.keys(spread));
  assert.equal(Object.getPrototypeOf(made), Object.prototype);
  // Neither input changes.
  assert.deepEqual(base, { id: 'size', label: 'Package size', status: 'MISSING', expected: '1' });
  assert.notEqual(made, base);
});
