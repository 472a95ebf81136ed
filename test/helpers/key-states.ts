/**
 * Test keys in the states a signature can meet them in — expired, revoked (the key or a subkey, for a
 * grave or a mild reason), not yet valid — made by gpg with its clock set where each step must happen,
 * and detached signatures made by them at a chosen time. Keys start from rpm-tools' makeSigningKey.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { exportPublicKey, expiryArg, fakedTime, gpgSignArgs, type SignOptions, type SigningKey } from './rpm-tools.js';

function gpg(key: SigningKey, args: string[], input?: string | Buffer): Buffer {
  // --gen-revoke and --edit-key prompt: they read answers from --command-fd, and refuse --batch.
  return execFileSync('gpg', ['--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
    env: { ...process.env, GNUPGHOME: key.home },
    input: input ?? '',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Adds a signing subkey made at `created`, expiring at `expires` (default never); returns its fingerprint. */
export async function addSigningSubkey(key: SigningKey, options: { created?: Date; expires?: Date } = {}): Promise<string> {
  gpg(key, ['--batch', ...fakedTime(options.created), '--quick-add-key', key.fingerprint, 'ed25519', 'sign', expiryArg(options.created, options.expires)]);
  const listing = gpg(key, ['--batch', '--with-colons', '--with-subkey-fingerprints', '--list-keys', key.fingerprint]).toString();
  const fingerprints = listing.split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9] ?? '');
  await exportPublicKey(key);
  return fingerprints[fingerprints.length - 1] as string;
}

/**
 * Gives the key (or one subkey) a new self-signature made at `at` that makes it expire at `expires`.
 * Made with the clock set before a signature's time, it makes that signature one by an expired key
 * (gpg refuses to sign with an expired key, so this is the only way to get one).
 */
export async function setExpiry(key: SigningKey, options: { at: Date; expires: Date; subkey?: string }): Promise<void> {
  gpg(key, ['--batch', ...fakedTime(options.at), '--quick-set-expire', key.fingerprint, expiryArg(options.at, options.expires), ...(options.subkey ? [options.subkey] : [])]);
  await exportPublicKey(key);
}

/** gpg's menu numbers: "compromised" is a hard revocation, "superseded" a soft one (RFC 9580 §5.2.3.31). */
const REASON_MENU = { compromised: '1', superseded: '2' } as const;

/** Revokes the key, or its first subkey, with a revocation made at `at`. */
export async function revoke(key: SigningKey, options: { at?: Date; reason: keyof typeof REASON_MENU; subkey?: boolean; text?: string }): Promise<void> {
  const reason = `${REASON_MENU[options.reason]}\n${options.text ?? `${options.reason} in a test`}\n\ny\n`;
  if (options.subkey) {
    gpg(key, ['--command-fd', '0', ...fakedTime(options.at), '--edit-key', key.fingerprint], `key 1\nrevkey\ny\n${reason}save\n`);
  } else {
    const certificate = gpg(key, ['--command-fd', '0', ...fakedTime(options.at), '--armor', '--gen-revoke', key.fingerprint], `y\n${reason}`);
    gpg(key, ['--batch', '--import'], certificate);
  }
  await exportPublicKey(key);
}

/**
 * Writes the public key as distributions often ship theirs after refreshing it: only the newest
 * self-signature on each user ID (gpg's export-minimal), so none may be as old as earlier signatures.
 */
export async function minimize(key: SigningKey): Promise<void> {
  await writeFile(key.publicKey, gpg(key, ['--batch', '--armor', '--export-options', 'export-minimal', '--export', key.fingerprint]));
}

/** A detached signature over `data` (binary unless `armor`), made as `options` say. */
export function detachSign(key: SigningKey, data: Buffer, options: SignOptions & { armor?: boolean } = {}): Buffer {
  return gpg(key, ['--batch', ...gpgSignArgs(options), '--local-user', options.signer ?? key.uid, ...(options.armor ? ['--armor'] : []), '--detach-sign'], data);
}

/** Stops the gpg-agent gpg started for the key's home, which would otherwise outlive the test. */
export function stopAgent(key: SigningKey): void {
  execFileSync('gpgconf', ['--homedir', key.home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
}
