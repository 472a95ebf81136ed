/**
 * The 96-byte lead that opens every package. rpm uses nothing in it but the magic (and, up to 4.18.1,
 * the signature type and major version); package identity comes from the main header.
 */
import { VerifyError } from '../errors.js';

/** Size of the lead in bytes. */
export const LEAD_SIZE = 96;
const LEAD_MAGIC = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
/** `RPMSIGTYPE_HEADERSIG`: the only signature type rpm has written since 1990s-era rpm 3. */
const HEADER_SIGNATURE_TYPE = 5;

/** The lead's fields, for reporting only. */
export interface Lead {
  readonly major: number;
  readonly minor: number;
  /** 0 binary, 1 source; cosmetic (rpm decides from the header). */
  readonly type: number;
  readonly archnum: number;
  /** NEVR as the builder wrote it, NUL padded; cosmetic. */
  readonly name: string;
  readonly osnum: number;
  readonly signatureType: number;
}

/** Throws ERR_RPM_BAD_MAGIC unless the bytes start with the lead magic (needs at least 4 bytes). */
export function assertLeadMagic(bytes: Uint8Array): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(4, bytes.byteLength));
  if (!buf.equals(LEAD_MAGIC)) {
    throw new VerifyError('ERR_RPM_BAD_MAGIC', `not an rpm package: lead magic ${buf.toString('hex')} (expected edabeedb)`, 'structure');
  }
}

/**
 * Parses and checks a lead the way rpm 4.18.0 does: magic first (anything else is "not an rpm package"),
 * then signature type 5 and major version 3 or 4. Later rpm releases dropped the last two checks; we keep
 * them because a lead that fails them was not written by any rpm and rpm 4.18 refuses it.
 */
export function parseLead(bytes: Uint8Array): Lead {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < LEAD_SIZE) {
    throw new VerifyError('ERR_RPM_TRUNCATED', `lead: ${buf.length} of ${LEAD_SIZE} bytes`, 'structure');
  }
  assertLeadMagic(buf);
  const nameField = buf.subarray(10, 76);
  const nul = nameField.indexOf(0);
  const lead: Lead = {
    major: buf.readUInt8(4),
    minor: buf.readUInt8(5),
    type: buf.readUInt16BE(6),
    archnum: buf.readUInt16BE(8),
    name: nameField.toString('latin1', 0, nul < 0 ? nameField.length : nul),
    osnum: buf.readUInt16BE(76),
    signatureType: buf.readUInt16BE(78),
  };
  if (lead.signatureType !== HEADER_SIGNATURE_TYPE) {
    throw new VerifyError(
      'ERR_RPM_LEAD_INVALID',
      `lead: illegal signature type ${lead.signatureType} (rpm requires 5)`,
      'structure',
    );
  }
  if (lead.major < 3 || lead.major > 4) {
    throw new VerifyError(
      'ERR_RPM_LEAD_INVALID',
      `lead: unsupported RPM package version ${lead.major} (rpm reads 3 and 4)`,
      'structure',
    );
  }
  return lead;
}
