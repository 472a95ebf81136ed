/**
 * When a key's state is taken, apart from key-validity.ts so that the public declarations can name it
 * without pulling in OpenPGP.js's.
 */

/** When a key's state is taken: at the signature's creation time (packages) or now (repository metadata). */
export type KeyMoment = 'signature' | 'now';
