/**
 * The settings OpenPGP.js judges package signatures with. Importing this module loads OpenPGP.js;
 * the keys themselves are in key-store.ts, which does not.
 */
import * as openpgp from 'openpgp';

/**
 * OpenPGP.js settings for package signatures: rpm accepts SHA-1 signatures and 1024-bit RSA keys
 * (older distributions still ship them), so we do too; MD5 and RIPEMD-160 stay refused.
 */
export const OPENPGP_CONFIG: openpgp.Config = {
  ...openpgp.config,
  rejectMessageHashAlgorithms: new Set([openpgp.enums.hash.md5, openpgp.enums.hash.ripemd]),
  rejectHashAlgorithms: new Set([openpgp.enums.hash.md5, openpgp.enums.hash.ripemd]),
  minRSABits: 1024,
};
