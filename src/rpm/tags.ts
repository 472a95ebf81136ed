/**
 * Tag numbers rpmfetch reads. Signature-header tags and main-header tags share a number space only by
 * accident (1000 is SIZE in one and NAME in the other), so they live in separate objects.
 * Numbers are from rpm's `include/rpm/rpmtag.h` (4.18 and 6.0).
 */

/** Region tags: the first index entry of a header whose entries are "sealed" into an immutable region. */
export const RegionTag = {
  HEADERIMAGE: 61,
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
} as const;

/** Smallest tag number allowed outside the region entry (`HEADER_I18NTABLE`). */
export const FIRST_DATA_TAG = 100;

/** Tags of the signature header. */
export const SigTag = {
  DSAHEADER: 267,
  RSAHEADER: 268,
  SHA1HEADER: 269,
  LONGSIZE: 270,
  LONGARCHIVESIZE: 271,
  SHA256HEADER: 273,
  OPENPGP: 278,
  SHA3_256HEADER: 279,
  RESERVED: 999,
  SIZE: 1000,
  PGP: 1002,
  MD5: 1004,
  GPG: 1005,
  PAYLOADSIZE: 1007,
  RESERVEDSPACE: 1008,
} as const;

/** Tags of the main header. */
export const HeaderTag = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILESIZES: 1028,
  SOURCERPM: 1044,
  NOSOURCE: 1051,
  NOPATCH: 1052,
  SOURCEPACKAGE: 1106,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  PAYLOADFORMAT: 1124,
  PAYLOADCOMPRESSOR: 1125,
  LONGFILESIZES: 5008,
  PAYLOADSHA256: 5092,
  PAYLOADSHA256ALGO: 5093,
  PAYLOADSHA256ALT: 5097,
  PAYLOADSIZE: 5112,
  PAYLOADSIZEALT: 5113,
  RPMFORMAT: 5114,
  PAYLOADSHA512: 5121,
  PAYLOADSHA512ALT: 5122,
  PAYLOADSHA3_256: 5123,
  PAYLOADSHA3_256ALT: 5124,
} as const;
