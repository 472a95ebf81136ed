/**
 * The unique part of private names (src/fetch/unique-tag.ts): the pid, then 12 random hex digits drawn
 * from a pool that is refilled; no two alike, across refills too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueTag } from '../src/fetch/unique-tag.js';

test('tags are the pid and 12 hex digits, and never repeat across pool refills', () => {
  const seen = new Set<string>();
  // 4096-byte pools of 6-byte tags: 5000 tags cross seven refills.
  for (let i = 0; i < 5000; i++) {
    const tag = uniqueTag();
    assert.match(tag, new RegExp(`^${process.pid}-[0-9a-f]{12}$`));
    assert.ok(!seen.has(tag), `${tag} came twice`);
    seen.add(tag);
  }
});
